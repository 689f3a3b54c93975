import Foundation

/// Paces one sender number at its rate. Sends happen on a grid of slots `1/rate` apart; a send
/// takes the slot it is given and the next slot follows it, so a worker that wakes a little late
/// catches up without drifting below the rate, and never sends two messages closer together than
/// the grid allows over any second.
public enum SendPacing {
    /// The slot after the one taken at `now`, for a number whose next free slot was `nextSlot`.
    /// A number that sat idle restarts its grid at `now` instead of bursting through missed slots.
    public static func slotAfter(nextSlot: Date, now: Date, ratePerSecond: Double) -> Date {
        let interval = 1 / ratePerSecond
        let taken = now.timeIntervalSince(nextSlot) > interval ? now : nextSlot
        return taken.addingTimeInterval(interval)
    }
}

/// How long a text waits before its provider call is tried again after a passing failure.
public enum RetryPolicy {
    /// Attempts before a text is marked failed for good.
    public static let maximumAttempts = 8

    /// 2, 4, 8 … seconds, capped at five minutes.
    public static func delay(afterAttempt attempt: Int) -> TimeInterval {
        min(300, pow(2, Double(max(1, min(attempt, 20)))))
    }
}
