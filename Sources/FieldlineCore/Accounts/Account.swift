import Foundation

/// One business. Everything else in the system belongs to exactly one account.
public struct Account: Sendable, Equatable, Codable {
    public var id: AccountID
    public var name: String
    /// IANA identifier, e.g. `America/Chicago`; business hours and "today" are read in it.
    public var timeZone: String
    public var businessHours: BusinessHours
    /// The after-hours answer to customer texts (CH17).
    public var autoreply: Autoreply
    /// How many months what was texted is kept (OP3): older messages lose their words and
    /// pictures; nil keeps everything. The consent ledger is kept whatever this says.
    public var messageRetentionMonths: Int?
    /// How often one number may get marketing, and whether campaigns wait for open threads (CP4).
    public var marketingLimit: MarketingLimit
    public var createdAt: Date

    public init(
        id: AccountID, name: String, timeZone: String, businessHours: BusinessHours,
        autoreply: Autoreply = Autoreply(), messageRetentionMonths: Int? = nil,
        marketingLimit: MarketingLimit = MarketingLimit(), createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
        self.businessHours = businessHours
        self.autoreply = autoreply
        self.messageRetentionMonths = messageRetentionMonths
        self.marketingLimit = marketingLimit
        self.createdAt = createdAt
    }

    /// The retention choices offered: whole months, from six months to ten years.
    public static let retentionChoices = [6, 12, 24, 36, 60, 84, 120]

    /// A retention in months, or nil (0 or empty: keep everything).
    public static func validatedRetention(_ months: Int?) throws(FieldlineError) -> Int? {
        guard let months, months != 0 else { return nil }
        guard (1...120).contains(months) else {
            throw .invalid(
                field: "messageRetentionMonths",
                message: "Keep messages for 1 to 120 months, or for ever (leave it empty).")
        }
        return months
    }

    public static func validatedName(_ input: String?) throws(FieldlineError) -> String {
        try Text.required(input, field: "name", label: "Company name", maxLength: 120)
    }

    public static func validatedTimeZone(_ input: String?) throws(FieldlineError) -> String {
        let identifier = (input ?? "").trimmingWhitespace()
        guard !identifier.isEmpty, TimeZone(identifier: identifier) != nil else {
            throw .invalid(
                field: "timeZone",
                message: "\"\(input ?? "")\" is not a known time zone; use an IANA name such as America/Chicago.")
        }
        return identifier
    }

    public var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        return calendar
    }
}

/// At most `texts` marketing texts to one number in any `days` days, counted across every campaign
/// (CP4); and a campaign passes over a number whose conversation is open and waiting for the
/// office's answer, so a promotion never lands in the middle of an unanswered question.
public struct MarketingLimit: Sendable, Equatable, Codable {
    public var texts: Int
    public var days: Int
    public var skipOpenConversations: Bool

    public init(texts: Int = 4, days: Int = 30, skipOpenConversations: Bool = true) {
        self.texts = texts
        self.days = days
        self.skipOpenConversations = skipOpenConversations
    }

    public func validated() throws(FieldlineError) -> MarketingLimit {
        guard (1...30).contains(texts) else {
            throw .invalid(field: "marketingLimitTexts", message: "Allow 1 to 30 marketing texts per number.")
        }
        guard (1...365).contains(days) else {
            throw .invalid(field: "marketingLimitDays", message: "Count marketing texts over 1 to 365 days.")
        }
        return self
    }

    /// When the counted stretch that ends at `now` began.
    public func windowStart(before now: Date) -> Date {
        now.addingTimeInterval(-Double(days) * 86_400)
    }

    /// "4 per 30 days"
    public var summary: String {
        "\(texts) per \(days) day\(days == 1 ? "" : "s")"
    }
}

/// The automatic reply to a customer text that arrives while the business is closed: at most one
/// per conversation per closed period (CH17).
public struct Autoreply: Sendable, Equatable, Codable {
    public var enabled: Bool
    public var text: String

    public init(enabled: Bool = false, text: String = Autoreply.defaultText) {
        self.enabled = enabled
        self.text = text
    }

    public static let defaultText =
        "Thanks for your message! Our office is closed right now; we'll text you back as soon as we open."

    public func validated() throws(FieldlineError) -> Autoreply {
        let text = try MessageText.validatedOutbound(self.text)
        return Autoreply(enabled: enabled, text: text.body)
    }
}

/// Weekly opening hours plus holidays, read in the account's time zone.
public struct BusinessHours: Sendable, Equatable, Codable {
    /// Opening period of one weekday, minutes after midnight (`opens < closes`).
    public struct Period: Sendable, Equatable, Codable {
        public var opens: Int
        public var closes: Int

        public init(opens: Int, closes: Int) {
            self.opens = opens
            self.closes = closes
        }
    }

    /// Keyed by weekday, 1 = Sunday … 7 = Saturday (Calendar's numbering); absent days are closed.
    public var days: [Int: Period]
    /// Dates the business is closed, as `yyyy-MM-dd` in the account's time zone.
    public var holidays: [String]

    public init(days: [Int: Period], holidays: [String] = []) {
        self.days = days
        self.holidays = holidays
    }

    /// Monday to Friday, 8:00 to 17:00.
    public static let standard = BusinessHours(
        days: Dictionary(uniqueKeysWithValues: (2...6).map { ($0, Period(opens: 8 * 60, closes: 17 * 60)) }))

    public func validated() throws(FieldlineError) -> BusinessHours {
        for (weekday, period) in days {
            guard (1...7).contains(weekday) else {
                throw .invalid(field: "businessHours", message: "Weekday \(weekday) does not exist (use 1–7).")
            }
            guard (0...1440).contains(period.opens), (0...1440).contains(period.closes),
                period.opens < period.closes
            else {
                throw .invalid(
                    field: "businessHours",
                    message: "Opening hours must open before they close, within one day.")
            }
        }
        for holiday in holidays where DayString.parse(holiday) == nil {
            throw .invalid(field: "businessHours", message: "Holiday \"\(holiday)\" is not a yyyy-MM-dd date.")
        }
        return self
    }

    /// Whether the business is open at `instant`, read in `calendar`'s time zone.
    public func isOpen(at instant: Date, calendar: Calendar) -> Bool {
        let components = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: instant)
        guard let weekday = components.weekday, let period = days[weekday] else { return false }
        let day = DayString.format(components)
        if holidays.contains(day) { return false }
        let minute = (components.hour ?? 0) * 60 + (components.minute ?? 0)
        return minute >= period.opens && minute < period.closes
    }

    /// Names the closed period `instant` falls in — the moment the business last closed — or nil
    /// while it is open. Two instants in the same closed stretch (overnight, a weekend, a holiday)
    /// get the same name, so the autoresponder answers once per stretch.
    public func closedPeriod(containing instant: Date, calendar: Calendar) -> String? {
        if isOpen(at: instant, calendar: calendar) { return nil }
        let today = calendar.startOfDay(for: instant)
        for back in 0...400 {
            guard let day = calendar.date(byAdding: .day, value: -back, to: today) else { break }
            let components = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            guard let weekday = components.weekday, let period = days[weekday],
                !holidays.contains(DayString.format(components)),
                let closing = calendar.date(byAdding: .minute, value: period.closes, to: day),
                closing <= instant
            else { continue }
            return "closed-since-\(Int(closing.timeIntervalSince1970))"
        }
        return "always-closed"
    }
}

/// `yyyy-MM-dd` calendar days, independent of any formatter's locale.
public enum DayString {
    /// For arithmetic on days themselves (a due day a month on, a week ahead): the Gregorian
    /// calendar in UTC, where every day is 24 hours and no clock change moves a date.
    public static var dayArithmetic: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        return calendar
    }

    public static func format(_ components: DateComponents) -> String {
        let year = components.year ?? 0
        let month = components.month ?? 0
        let day = components.day ?? 0
        return String(format: "%04d-%02d-%02d", year, month, day)
    }

    /// A typed day ("2027-03-15") that exists on the calendar, between 2000 and 2100; errors name
    /// `field` and say what `label` wants.
    public static func validated(_ text: String?, field: String, label: String) throws(FieldlineError) -> String {
        let trimmed = (text ?? "").trimmingWhitespace()
        guard let components = parse(trimmed) else {
            throw .invalid(field: field, message: "\(label) is a day, like 2027-03-15.")
        }
        let calendar = dayArithmetic
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == components.day else {
            throw .invalid(field: field, message: "\(trimmed) is not a day of the calendar.")
        }
        guard let year = components.year, (2000...2100).contains(year) else {
            throw .invalid(field: field, message: "\(label) is a day between 2000 and 2100.")
        }
        return format(components)
    }

    public static func parse(_ text: String) -> DateComponents? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return DateComponents(year: year, month: month, day: day)
    }

    /// The start and end instants of the day `text` in `calendar`'s time zone.
    public static func interval(of text: String, calendar: Calendar) -> DateInterval? {
        guard let components = parse(text), let start = calendar.date(from: components),
            calendar.component(.day, from: start) == components.day,
            let end = calendar.date(byAdding: .day, value: 1, to: start)
        else { return nil }
        return DateInterval(start: start, end: end)
    }

    public static func of(_ instant: Date, calendar: Calendar) -> String {
        format(calendar.dateComponents([.year, .month, .day], from: instant))
    }
}
