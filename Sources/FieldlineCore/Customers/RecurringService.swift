import Foundation

/// Work a customer has done on a schedule (a furnace tune-up every 12 months, a backflow test every
/// year). The service reminder texts ahead of `nextDue` (SC2).
public struct RecurringService: Sendable, Equatable {
    public var id: RecurringServiceID
    public var accountID: AccountID
    public var customerID: CustomerID
    public var locationID: LocationID?
    public var name: String
    public var intervalMonths: Int
    /// The day it is next due, "yyyy-MM-dd" in the account's time zone.
    public var nextDue: String
    public var createdAt: Date

    public init(
        id: RecurringServiceID, accountID: AccountID, customerID: CustomerID, locationID: LocationID?, name: String,
        intervalMonths: Int, nextDue: String, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.customerID = customerID
        self.locationID = locationID
        self.name = name
        self.intervalMonths = intervalMonths
        self.nextDue = nextDue
        self.createdAt = createdAt
    }

    public static let intervals = 1...60

    public static func validatedInterval(_ months: Int?) throws(FieldlineError) -> Int {
        guard let months, intervals.contains(months) else {
            throw .invalid(field: "intervalMonths", message: "Repeat every 1 to 60 months.")
        }
        return months
    }

    public static func validatedDay(_ text: String?) throws(FieldlineError) -> String {
        try DayString.validated(text, field: "nextDue", label: "The next due date")
    }

    /// "Tue, Dec 15": the due day as a text says it.
    public var dueDateText: String {
        let calendar = DayString.dayArithmetic
        guard let components = DayString.parse(nextDue), let day = calendar.date(from: components) else {
            return nextDue
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = calendar
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = "EEE, MMM d"
        return formatter.string(from: day)
    }

    /// The first due day on or after `today` when the service was done: one interval on from the
    /// current due day, and further for a service left undone several intervals.
    public func dueAfterDone(today: String) -> String {
        var next = followingDue()
        var steps = 0
        while next < today && steps < 1200 {
            next = Self.day(next, plusMonths: intervalMonths)
            steps += 1
        }
        return next
    }

    /// The due day after this one: `intervalMonths` later (the 31st becomes the month's last day).
    public func followingDue() -> String {
        Self.day(nextDue, plusMonths: intervalMonths)
    }

    static func day(_ day: String, plusMonths months: Int) -> String {
        let calendar = DayString.dayArithmetic
        guard let components = DayString.parse(day), let date = calendar.date(from: components),
            let next = calendar.date(byAdding: .month, value: months, to: date)
        else { return day }
        return DayString.of(next, calendar: calendar)
    }
}
