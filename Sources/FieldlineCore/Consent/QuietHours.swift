import Foundation

/// When non-urgent automatic texts may reach a person (SC8): 8:00 to 21:00 in the recipient's time
/// zone by default, narrower in states with stricter telemarketing laws. A text outside the
/// window waits for it; it is never dropped.
public struct QuietHours: Sendable, Equatable {
    /// Minutes after local midnight: texts may go from `opens` until (not including) `closes`.
    public var opens: Int
    public var closes: Int

    public init(opens: Int, closes: Int) {
        self.opens = opens
        self.closes = closes
    }

    /// The federal rule: no solicitation before 8:00 or after 21:00 local time.
    public static let federal = QuietHours(opens: 8 * 60, closes: 21 * 60)

    /// States whose own laws allow a narrower window than the federal rule.
    public static let stricterStates: [String: QuietHours] = [
        "FL": QuietHours(opens: 8 * 60, closes: 20 * 60),
        "OK": QuietHours(opens: 8 * 60, closes: 20 * 60),
        "WA": QuietHours(opens: 8 * 60, closes: 20 * 60),
        "CT": QuietHours(opens: 9 * 60, closes: 20 * 60),
    ]

    /// The window for a recipient in `state` (two-letter code), if known.
    public static func window(forState state: String?) -> QuietHours {
        guard let state else { return federal }
        return stricterStates[state.uppercased()] ?? federal
    }

    /// The earliest instant at or after `instant` inside the window, read in `calendar`'s zone.
    public func nextAllowed(from instant: Date, calendar: Calendar) -> Date {
        let start = calendar.startOfDay(for: instant)
        let minute = calendar.dateComponents([.minute], from: start, to: instant).minute ?? 0
        if minute >= opens, minute < closes { return instant }
        let dayOffset = minute < opens ? 0 : 1
        let day = calendar.date(byAdding: .day, value: dayOffset, to: start) ?? start
        return calendar.date(byAdding: .minute, value: opens, to: day) ?? instant
    }
}
