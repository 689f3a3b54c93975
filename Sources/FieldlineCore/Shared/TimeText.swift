import Foundation

/// How times read to people in the account's time zone: "Sat, Nov 22", "9:00 AM", "9:00 – 11:00 AM".
public struct TimeText: Sendable {
    public let timeZone: TimeZone

    public init(timeZoneIdentifier: String) {
        self.timeZone = TimeZone(identifier: timeZoneIdentifier) ?? .gmt
    }

    /// The few date patterns the app uses, in English, from calendar fields. A `DateFormatter` per
    /// call cost more than the database query behind a list page of a hundred rows.
    private func format(_ date: Date, _ pattern: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // To the millisecond, as Foundation's formatter sees a date: 8:03:00.9999 reads 8:03:01.
        let milliseconds = Date(
            timeIntervalSinceReferenceDate: (date.timeIntervalSinceReferenceDate * 1000).rounded() / 1000)
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second, .weekday], from: milliseconds)
        let (year, month, day) = (parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
        let (hour, minute, weekday) = (parts.hour ?? 0, parts.minute ?? 0, parts.weekday ?? 1)
        func padded(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        var output = ""
        var characters = pattern[...]
        while let first = characters.first {
            if first == "'" {
                let literal = characters.dropFirst().prefix { $0 != "'" }
                output += literal
                characters = characters.dropFirst(literal.count + 2)
                continue
            }
            let run = characters.prefix { $0 == first }
            characters = characters.dropFirst(run.count)
            switch (first, run.count) {
            case ("E", 4...): output += Self.weekdays[weekday - 1]
            case ("E", _): output += Self.weekdays[weekday - 1].prefix(3)
            case ("M", 4...): output += Self.months[month - 1]
            case ("M", 3): output += Self.months[month - 1].prefix(3)
            case ("M", _): output += padded(month, run.count)
            case ("d", _): output += padded(day, run.count)
            case ("y", _): output += padded(year, 4)
            case ("h", _): output += padded(hour % 12 == 0 ? 12 : hour % 12, run.count)
            case ("H", _): output += padded(hour, run.count)
            case ("m", _): output += padded(minute, run.count)
            case ("s", _): output += padded(parts.second ?? 0, run.count)
            case ("a", _): output += hour < 12 ? "AM" : "PM"
            default: output += run
            }
        }
        return output
    }

    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]

    public func day(_ date: Date) -> String { format(date, "EEE, MMM d") }
    public func longDay(_ date: Date) -> String { format(date, "EEEE, MMMM d, yyyy") }
    public func time(_ date: Date) -> String { format(date, "h:mm a") }
    public func dateTime(_ date: Date) -> String { format(date, "MMM d, h:mm a") }
    /// To the second, with the year: when a record must say exactly when ("Dec 3, 2026, 9:41:07 AM").
    public func stamp(_ date: Date) -> String { format(date, "MMM d, yyyy, h:mm:ss a") }

    /// How a list shows when something happened: "9:41 AM" today, "Yesterday", "Mon" this week,
    /// "Nov 12" before that, "Nov 12, 2025" in another year.
    public func short(_ date: Date, now: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let today = calendar.startOfDay(for: now)
        let day = calendar.startOfDay(for: date)
        let days = calendar.dateComponents([.day], from: day, to: today).day ?? 0
        if days <= 0 { return time(date) }
        if days == 1 { return "Yesterday" }
        if days < 7 { return format(date, "EEE") }
        if calendar.component(.year, from: date) == calendar.component(.year, from: now) {
            return format(date, "MMM d")
        }
        return format(date, "MMM d, yyyy")
    }
    /// `yyyy-MM-dd'T'HH:mm`, what an `<input type="datetime-local">` holds.
    public func inputValue(_ date: Date) -> String { format(date, "yyyy-MM-dd'T'HH:mm") }

    public func range(_ start: Date, _ end: Date) -> String {
        let sameDay = format(start, "yyyyMMdd") == format(end, "yyyyMMdd")
        if sameDay {
            let startText = format(start, "a") == format(end, "a") ? format(start, "h:mm") : time(start)
            return "\(day(start)) · \(startText) – \(time(end))"
        }
        return "\(dateTime(start)) – \(dateTime(end))"
    }

    /// Reads an `<input type="datetime-local">` value as a time in this zone.
    public func parseInput(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        for pattern in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = pattern
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
