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

    /// The time zone most of a US state (or territory) lives in, by its two-letter code. States
    /// split across zones get the zone of most of their people; the quiet-hours window is wide
    /// enough that the hour's difference at the edges does not matter for the rest (FCC guidance
    /// reads "the called party's location", which is what a service address approximates).
    public static func timeZone(forState state: String?) -> TimeZone? {
        guard let state, state.count == 2, let identifier = stateTimeZones[state.uppercased()] else { return nil }
        return TimeZone(identifier: identifier)
    }

    static let stateTimeZones: [String: String] = [
        "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix", "AR": "America/Chicago",
        "CA": "America/Los_Angeles", "CO": "America/Denver", "CT": "America/New_York", "DE": "America/New_York",
        "DC": "America/New_York", "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
        "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
        "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York", "LA": "America/Chicago",
        "ME": "America/New_York", "MD": "America/New_York", "MA": "America/New_York", "MI": "America/Detroit",
        "MN": "America/Chicago", "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
        "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York", "NJ": "America/New_York",
        "NM": "America/Denver", "NY": "America/New_York", "NC": "America/New_York", "ND": "America/Chicago",
        "OH": "America/New_York", "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
        "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago", "TN": "America/Chicago",
        "TX": "America/Chicago", "UT": "America/Denver", "VT": "America/New_York", "VA": "America/New_York",
        "WA": "America/Los_Angeles", "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
        "PR": "America/Puerto_Rico", "VI": "America/St_Thomas", "GU": "Pacific/Guam",
    ]

    /// The window and the clock for one recipient: the service location's state picks both; a
    /// recipient without one is read in the account's zone under the federal window.
    public static func recipient(state: String?, accountCalendar: Calendar) -> (QuietHours, Calendar) {
        var calendar = accountCalendar
        if let zone = timeZone(forState: state) { calendar.timeZone = zone }
        return (window(forState: state), calendar)
    }

    /// The earliest instant at or after `instant` inside the window, read in `calendar`'s zone.
    /// Wall-clock minutes, not minutes elapsed since midnight: on the days clocks change the two
    /// differ by an hour, and the law speaks of the clock on the wall.
    public func nextAllowed(from instant: Date, calendar: Calendar) -> Date {
        let parts = calendar.dateComponents([.hour, .minute], from: instant)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        if minute >= opens, minute < closes { return instant }
        let today = calendar.startOfDay(for: instant)
        let day = minute < opens ? today : (calendar.date(byAdding: .day, value: 1, to: today) ?? today)
        return calendar.date(bySettingHour: opens / 60, minute: opens % 60, second: 0, of: day) ?? instant
    }
}
