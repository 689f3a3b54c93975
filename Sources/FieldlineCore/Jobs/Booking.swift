import Foundation

/// A request for work that is not a job yet (a phone call, a web form, a ServiceChannel work order).
public struct Booking: Sendable, Equatable, Codable {
    public var id: BookingID
    public var accountID: AccountID
    public var source: String
    public var customerID: CustomerID?
    public var locationID: LocationID?
    public var contactName: String?
    public var contactPhone: PhoneNumber?
    public var summary: String
    public var details: String?
    public var requestedFor: Date?
    public var status: BookingStatus
    public var jobID: JobID?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: BookingID, accountID: AccountID, source: String, customerID: CustomerID?, locationID: LocationID?,
        contactName: String?, contactPhone: PhoneNumber?, summary: String, details: String?, requestedFor: Date?,
        status: BookingStatus, jobID: JobID?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.source = source
        self.customerID = customerID
        self.locationID = locationID
        self.contactName = contactName
        self.contactPhone = contactPhone
        self.summary = summary
        self.details = details
        self.requestedFor = requestedFor
        self.status = status
        self.jobID = jobID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public enum BookingStatus: String, Sendable, Codable, CaseIterable {
    case new, accepted, dismissed, converted

    public var label: String { rawValue.capitalized }

    public func after(_ action: BookingAction) throws(FieldlineError) -> BookingStatus {
        switch (action, self) {
        case (.accept, .new): return .accepted
        case (.dismiss, .new), (.dismiss, .accepted): return .dismissed
        case (.convert, .new), (.convert, .accepted): return .converted
        default:
            throw .conflict(
                code: .invalidBookingTransition,
                message: "A \(rawValue) booking cannot be \(action.pastTense).")
        }
    }
}

public enum BookingAction: String, Sendable {
    case accept, dismiss, convert

    var pastTense: String {
        switch self {
        case .accept: "accepted"
        case .dismiss: "dismissed"
        case .convert: "converted to a job"
        }
    }
}

public enum BookingSource {
    public static let known: Set<String> = ["phone", "web", "email", "chat", "api", "servicechannel"]

    public static func label(_ source: String) -> String {
        switch source {
        case "servicechannel": "ServiceChannel"
        case "api": "API"
        default: source.capitalized
        }
    }

    public static func validated(_ input: String?) throws(FieldlineError) -> String {
        let source = (input ?? "phone").trimmingWhitespace().lowercased()
        guard known.contains(source) else {
            throw .invalid(
                field: "source",
                message: "Unknown booking source \"\(source)\"; use one of \(known.sorted().joined(separator: ", ")).")
        }
        return source
    }
}
