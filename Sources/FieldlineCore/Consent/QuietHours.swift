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

    /// The narrowest window of all: for a recipient whose state is unknown, who may live in any.
    public static let strictest = QuietHours(opens: 9 * 60, closes: 20 * 60)

    /// The window for a recipient in `state` (two-letter code), if known.
    public static func window(forState state: String?) -> QuietHours {
        guard let state else { return federal }
        return stricterStates[state.uppercased()] ?? federal
    }

    /// Which texts wait for the window: promotions, the requests that ask for marketing consent,
    /// and the non-urgent transactional campaigns (estimate follow-ups, service reminders).
    /// Replies, job notices, missed-call text-backs and keyword answers are expected at once.
    public static func applies(to purpose: MessagePurpose, automation: Automation?) -> Bool {
        switch automation {
        case .doubleOptInRequest, .estimateFollowUp, .serviceReminder: true
        default: purpose == .marketing
        }
    }

    /// The time zones a US state (or territory) spans, by its two-letter code. A state split
    /// across zones lists them all: a text may go only while it is inside the window in every
    /// one of them, since a service address's state does not say which side of the line it is on.
    public static func timeZones(forState state: String?) -> [TimeZone] {
        guard let state, state.count == 2, let identifiers = stateTimeZones[state.uppercased()] else { return [] }
        return identifiers.compactMap(TimeZone.init(identifier:))
    }

    static let stateTimeZones: [String: [String]] = [
        "AL": ["America/Chicago"], "AK": ["America/Anchorage", "America/Adak"], "AZ": ["America/Phoenix"],
        "AR": ["America/Chicago"], "CA": ["America/Los_Angeles"], "CO": ["America/Denver"],
        "CT": ["America/New_York"], "DE": ["America/New_York"], "DC": ["America/New_York"],
        "FL": ["America/New_York", "America/Chicago"], "GA": ["America/New_York"], "HI": ["Pacific/Honolulu"],
        "ID": ["America/Boise", "America/Los_Angeles"], "IL": ["America/Chicago"],
        "IN": ["America/Indiana/Indianapolis", "America/Chicago"], "IA": ["America/Chicago"],
        "KS": ["America/Chicago", "America/Denver"], "KY": ["America/New_York", "America/Chicago"],
        "LA": ["America/Chicago"], "ME": ["America/New_York"], "MD": ["America/New_York"],
        "MA": ["America/New_York"], "MI": ["America/Detroit", "America/Chicago"], "MN": ["America/Chicago"],
        "MS": ["America/Chicago"], "MO": ["America/Chicago"], "MT": ["America/Denver"],
        "NE": ["America/Chicago", "America/Denver"], "NV": ["America/Los_Angeles"], "NH": ["America/New_York"],
        "NJ": ["America/New_York"], "NM": ["America/Denver"], "NY": ["America/New_York"],
        "NC": ["America/New_York"], "ND": ["America/Chicago", "America/Denver"], "OH": ["America/New_York"],
        "OK": ["America/Chicago"], "OR": ["America/Los_Angeles", "America/Boise"], "PA": ["America/New_York"],
        "RI": ["America/New_York"], "SC": ["America/New_York"], "SD": ["America/Chicago", "America/Denver"],
        "TN": ["America/Chicago", "America/New_York"], "TX": ["America/Chicago", "America/Denver"],
        "UT": ["America/Denver"], "VT": ["America/New_York"], "VA": ["America/New_York"],
        "WA": ["America/Los_Angeles"], "WV": ["America/New_York"], "WI": ["America/Chicago"],
        "WY": ["America/Denver"], "PR": ["America/Puerto_Rico"], "VI": ["America/St_Thomas"], "GU": ["Pacific/Guam"],
    ]

    /// One recipient's window and the clocks it is read on.
    public struct Recipient: Sendable {
        public var window: QuietHours
        public var calendars: [Calendar]

        /// The earliest instant at or after `instant` inside the window on every clock.
        public func nextAllowed(from instant: Date) -> Date {
            var candidate = instant
            // Each step moves to the next opening on a clock that is closed; zones an hour apart
            // agree within a couple of steps.
            for _ in 0..<8 {
                let next = calendars.map { window.nextAllowed(from: candidate, calendar: $0) }.max() ?? candidate
                if next == candidate { return candidate }
                candidate = next
            }
            return candidate
        }
    }

    /// The recipient at a service address in `state`: that state's window on its zones' clocks.
    /// Without a known US state, the strictest window of any state on the account's clock.
    public static func recipient(state: String?, accountCalendar: Calendar) -> Recipient {
        let zones = timeZones(forState: state)
        guard !zones.isEmpty else { return Recipient(window: strictest, calendars: [accountCalendar]) }
        return Recipient(
            window: window(forState: state),
            calendars: zones.map { zone in
                var calendar = accountCalendar
                calendar.timeZone = zone
                return calendar
            })
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
