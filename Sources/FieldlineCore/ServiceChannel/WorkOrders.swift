import Foundation

/// Fieldline's copy of a ServiceChannel work order and what it became here (a booking, a job),
/// kept so the job page can show it (SV13) and the sync can tell what changed.
public struct WorkOrderRecord: Sendable, Equatable {
    public var accountID: AccountID
    public var workOrderID: Int
    public var number: String
    public var purchaseNumber: String?
    public var subscriberID: Int
    public var subscriberName: String?
    public var locationID: Int
    public var locationName: String?
    public var locationAddress: String?
    public var priority: String?
    public var trade: String?
    public var category: String?
    public var description: String?
    public var nte: Double?
    public var currency: String?
    public var scheduledDate: String?
    public var statusPrimary: String
    public var statusExtended: String?
    public var updatedDate: String
    /// Not imported: it was already past Open when the connection was made (SV2).
    public var ignored: Bool
    public var bookingID: BookingID?
    public var jobID: JobID?
    /// The newest ServiceChannel note already copied to the job (notes arrive in id order).
    public var lastNoteID: Int
    /// The latest thing the office should know that no change row says, e.g. "accepted directly in
    /// ServiceChannel" (SV5).
    public var notice: String?
    public var firstSeenAt: Date

    public init(
        accountID: AccountID, workOrderID: Int, number: String, purchaseNumber: String? = nil, subscriberID: Int,
        subscriberName: String?, locationID: Int, locationName: String?, locationAddress: String?, priority: String?,
        trade: String?, category: String?, description: String?, nte: Double?, currency: String?,
        scheduledDate: String?, statusPrimary: String, statusExtended: String?, updatedDate: String,
        ignored: Bool = false, bookingID: BookingID? = nil, jobID: JobID? = nil, lastNoteID: Int = 0,
        notice: String? = nil, firstSeenAt: Date
    ) {
        self.accountID = accountID
        self.workOrderID = workOrderID
        self.number = number
        self.purchaseNumber = purchaseNumber
        self.subscriberID = subscriberID
        self.subscriberName = subscriberName
        self.locationID = locationID
        self.locationName = locationName
        self.locationAddress = locationAddress
        self.priority = priority
        self.trade = trade
        self.category = category
        self.description = description
        self.nte = nte
        self.currency = currency
        self.scheduledDate = scheduledDate
        self.statusPrimary = statusPrimary
        self.statusExtended = statusExtended
        self.updatedDate = updatedDate
        self.ignored = ignored
        self.bookingID = bookingID
        self.jobID = jobID
        self.lastNoteID = lastNoteID
        self.notice = notice
        self.firstSeenAt = firstSeenAt
    }

    public var statusText: String {
        [statusPrimary, statusExtended].compactMap { $0 }.joined(separator: " / ")
    }

    /// "USD 1,250.00", the not-to-exceed amount as the job's custom field shows it (SV7).
    public var nteText: String? {
        guard let nte else { return nil }
        return "\(currency ?? "USD") \(Money.decimal(nte))"
    }
}

/// Which work orders come into Fieldline (SV2, SV5).
public enum WorkOrderIntake {
    public static let open = "Open"
    public static let inProgress = "In Progress"
    public static let completed = "Completed"
    public static let declined = "Declined"

    /// An Open work order is new work. One already past Open is imported only when it was created
    /// after the connection — it was accepted in ServiceChannel before our next poll saw it;
    /// work started before the connection stays in ServiceChannel.
    public static func imports(
        primary: String, extended: String?, createdAt: Date?, connectedAt: Date
    ) -> Bool {
        if same(primary, open) { return !same(extended, declined) }
        guard same(primary, inProgress), let createdAt else { return false }
        return createdAt >= connectedAt
    }

    /// The work order was accepted (by whoever) — In Progress in any extended status.
    public static func isAccepted(primary: String) -> Bool { same(primary, inProgress) }

    static func same(_ lhs: String?, _ rhs: String) -> Bool {
        lhs?.caseInsensitiveCompare(rhs) == .orderedSame
    }
}

/// What a new work order becomes: a booking for the office to accept, or — for a (subscriber,
/// location) pair already mapped to a customer — a job directly (SV6).
public enum ConversionOutcome: String, Sendable, Codable, CaseIterable {
    case booking, job

    public var label: String {
        switch self {
        case .booking: "Booking"
        case .job: "Job"
        }
    }
}

/// One auto-conversion rule: work orders matching every field it names become `outcome`. The
/// first matching rule wins; with none, a work order becomes a booking.
public struct ConversionRule: Sendable, Equatable {
    public var id: String
    public var accountID: AccountID
    public var subscriberID: Int?
    public var trade: String?
    public var priority: String?
    public var category: String?
    public var outcome: ConversionOutcome
    public var position: Int

    public init(
        id: String, accountID: AccountID, subscriberID: Int?, trade: String?, priority: String?, category: String?,
        outcome: ConversionOutcome, position: Int
    ) {
        self.id = id
        self.accountID = accountID
        self.subscriberID = subscriberID
        self.trade = trade
        self.priority = priority
        self.category = category
        self.outcome = outcome
        self.position = position
    }

    public func matches(subscriberID: Int, trade: String?, priority: String?, category: String?) -> Bool {
        func fits(_ wanted: String?, _ actual: String?) -> Bool {
            guard let wanted else { return true }
            return actual?.trimmingWhitespace().caseInsensitiveCompare(wanted) == .orderedSame
        }
        if let wanted = self.subscriberID, wanted != subscriberID { return false }
        return fits(self.trade, trade) && fits(self.priority, priority) && fits(self.category, category)
    }

    public static func outcome(
        of rules: [ConversionRule], subscriberID: Int, trade: String?, priority: String?, category: String?
    ) -> ConversionOutcome {
        rules.sorted { $0.position < $1.position }
            .first { $0.matches(subscriberID: subscriberID, trade: trade, priority: priority, category: category) }?
            .outcome ?? .booking
    }

    /// A rule as typed in: each field optional, at least one named.
    public static func validated(
        subscriberID: Int?, trade: String?, priority: String?, category: String?, outcome: String?
    ) throws(FieldlineError) -> (Int?, String?, String?, String?, ConversionOutcome) {
        guard let outcome = ConversionOutcome(rawValue: (outcome ?? "").lowercased()) else {
            throw .invalid(field: "outcome", message: "A rule makes a work order a booking or a job.")
        }
        let trade = try Text.optional(trade, field: "trade", label: "Trade", maxLength: 100)
        let priority = try Text.optional(priority, field: "priority", label: "Priority", maxLength: 100)
        let category = try Text.optional(category, field: "category", label: "Category", maxLength: 100)
        guard subscriberID != nil || trade != nil || priority != nil || category != nil else {
            throw .invalid(
                field: "trade", message: "Name at least one of subscriber, trade, priority or category for the rule.")
        }
        return (subscriberID, trade, priority, category, outcome)
    }
}

/// A subscriber (the facilities client) as this account deals with it: whether notes sync
/// (SV10) and how technicians check in by phone (SV13).
public struct SubscriberSettings: Sendable, Equatable {
    public var accountID: AccountID
    public var subscriberID: Int
    public var name: String
    public var noteSync: Bool
    public var checkInInstructions: String?
    public var checkInPIN: String?

    public init(
        accountID: AccountID, subscriberID: Int, name: String, noteSync: Bool = true,
        checkInInstructions: String? = nil, checkInPIN: String? = nil
    ) {
        self.accountID = accountID
        self.subscriberID = subscriberID
        self.name = name
        self.noteSync = noteSync
        self.checkInInstructions = checkInInstructions
        self.checkInPIN = checkInPIN
    }

    public static func validatedPIN(_ input: String?) throws(FieldlineError) -> String? {
        guard let pin = try Text.optional(input, field: "checkInPin", label: "Check-in PIN", maxLength: 12) else {
            return nil
        }
        guard pin.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalid(field: "checkInPin", message: "The phone check-in PIN is digits only.")
        }
        return pin
    }
}
