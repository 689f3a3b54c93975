import Foundation

/// The consent ledger as CSV (SC7): one header, one line per change, RFC 4180 quoting. A text cell
/// that a spreadsheet would run as a formula (starting with =, +, -, @) is prefixed with an
/// apostrophe: names and methods come from people and texts.
public enum LedgerCSV {
    public static let header =
        "occurred_at,phone,scope,from,to,method,actor_kind,actor_id,actor_name,message_id\r\n"

    public static func line(
        occurredAt: Date, phone: String, scope: String, from: String, to: String, method: String, actorKind: String,
        actorID: String?, actorName: String, messageID: String?
    ) -> String {
        // The system's own values (times, E.164 numbers, states, ids) are written as they are; the
        // texts people or messages supplied are guarded against formulas.
        let system = [occurredAt.formatted(.iso8601), phone, scope, from, to].map { cell($0, guarded: false) }
        let supplied = [method, actorKind, actorID ?? "", actorName].map { cell($0) }
        return (system + supplied + [cell(messageID ?? "", guarded: false)]).joined(separator: ",") + "\r\n"
    }

    /// One cell, by `CSVWriter`'s rules (Unicode scalars: "\r\n" or "," with a combining mark is
    /// still quoted, "=" with one still guarded); the system's own values skip the guard.
    public static func cell(_ value: String, guarded: Bool = true) -> String {
        CSVWriter.cell(value, guarded: guarded)
    }

    /// The days an export covers: `from` and `to` are days (yyyy-MM-dd) in the account's time zone,
    /// both included; without them, the last 30 days up to today.
    public static func interval(
        from: String?, to: String?, today: String, calendar: Calendar
    ) throws(FieldlineError) -> DateInterval {
        let lastDay = to ?? today
        guard let end = DayString.interval(of: lastDay, calendar: calendar)?.end else {
            throw .invalid(field: "to", message: "\"\(lastDay)\" is not a date; use yyyy-MM-dd.")
        }
        let start: Date
        if let from {
            guard let day = DayString.interval(of: from, calendar: calendar)?.start else {
                throw .invalid(field: "from", message: "\"\(from)\" is not a date; use yyyy-MM-dd.")
            }
            start = day
        } else {
            start = calendar.date(byAdding: .day, value: -30, to: end) ?? end
        }
        guard start < end else {
            throw .invalid(field: "from", message: "The first day must not be after the last day.")
        }
        guard end.timeIntervalSince(start) <= 3700 * 86400 else {
            throw .invalid(field: "from", message: "An export covers at most ten years.")
        }
        return DateInterval(start: start, end: end)
    }
}
