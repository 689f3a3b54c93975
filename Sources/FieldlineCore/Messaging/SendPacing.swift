import Foundation

/// Paces one sender number at its rate. Sends happen on a grid of slots `1/rate` apart; a send
/// takes the slot it is given and the next slot follows it, so a worker that wakes a little late
/// catches up without drifting below the rate, and never sends two messages closer together than
/// the grid allows over any second.
public enum SendPacing {
    /// The slots a worker may take at `now`, up to `horizon` and at most `limit` of them: the grid
    /// continues from `nextSlot`, or restarts at `now` when the number sat idle. The slot after
    /// the last one returned is `last + 1/rate`.
    public static func slots(
        nextSlot: Date, now: Date, ratePerSecond: Double, horizon: Date, limit: Int
    ) -> [Date] {
        var slots: [Date] = []
        var next = nextSlot
        while slots.count < limit {
            let taken = now.timeIntervalSince(next) > 1 / ratePerSecond ? now : next
            guard taken <= horizon else { break }
            slots.append(taken)
            next = taken.addingTimeInterval(1 / ratePerSecond)
        }
        return slots
    }

    /// The slot after the one taken at `now`, for a number whose next free slot was `nextSlot`.
    /// A number that sat idle restarts its grid at `now` instead of bursting through missed slots.
    public static func slotAfter(nextSlot: Date, now: Date, ratePerSecond: Double) -> Date {
        let interval = 1 / ratePerSecond
        let taken = now.timeIntervalSince(nextSlot) > interval ? now : nextSlot
        return taken.addingTimeInterval(interval)
    }
}

/// The last gate before a text is handed to the provider: at most `capacity` hand-offs in any
/// window of `window` seconds — 100 in any second for a number at 100/s, one every two seconds at
/// 0.5/s. A worker that woke late may catch up inside the window, so it keeps the rate, but never
/// goes above it, however its wake-ups jitter.
public struct SendWindow: Sendable, Equatable {
    public let capacity: Int
    public let window: TimeInterval
    private var recent: [Date] = []

    public init(ratePerSecond: Double) {
        capacity = max(1, Int(ratePerSecond.rounded(.down)))
        window = Double(capacity) / ratePerSecond
    }

    /// The earliest instant at or after `now` when one more hand-off stays within the limit.
    public func earliest(at now: Date) -> Date {
        guard recent.count >= capacity else { return now }
        return max(now, recent[recent.count - capacity].addingTimeInterval(window))
    }

    public mutating func record(_ instant: Date) {
        recent.append(instant)
        if recent.count > capacity { recent.removeFirst(recent.count - capacity) }
    }
}
