import Foundation

public struct Job: Sendable, Equatable, Codable {
    public var id: JobID
    public var accountID: AccountID
    /// Human-facing number, sequential per account (customers quote it on the phone).
    public var number: Int
    public var customerID: CustomerID
    public var locationID: LocationID
    public var summary: String
    public var status: JobStatus
    public var customFields: [String: String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: JobID, accountID: AccountID, number: Int, customerID: CustomerID, locationID: LocationID, summary: String,
        status: JobStatus, customFields: [String: String], createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.number = number
        self.customerID = customerID
        self.locationID = locationID
        self.summary = summary
        self.status = status
        self.customFields = customFields
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static func validatedSummary(_ input: String?) throws(FieldlineError) -> String {
        try Text.required(input, field: "summary", label: "Job summary", maxLength: 500)
    }

    public static func validatedCustomFields(_ fields: [String: String]?) throws(FieldlineError) -> [String: String] {
        guard let fields else { return [:] }
        guard fields.count <= 50 else {
            throw .invalid(field: "customFields", message: "A job has at most 50 custom fields.")
        }
        var cleaned: [String: String] = [:]
        for (key, value) in fields {
            let name = key.trimmingWhitespace()
            guard !name.isEmpty, name.count <= 60 else {
                throw .invalid(field: "customFields", message: "Custom field names are 1 to 60 characters.")
            }
            guard value.count <= 1000 else {
                throw .invalid(
                    field: "customFields", message: "Custom field \"\(name)\" is longer than 1000 characters.")
            }
            cleaned[name] = value
        }
        return cleaned
    }
}

public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case scheduled
    case inProgress = "in_progress"
    case hold
    case completed
    case canceled

    public var label: String {
        switch self {
        case .scheduled: "Scheduled"
        case .inProgress: "In progress"
        case .hold: "On hold"
        case .completed: "Completed"
        case .canceled: "Canceled"
        }
    }

    /// Completed and canceled jobs are history: nothing about them changes any more.
    public var isClosed: Bool { self == .completed || self == .canceled }
}

/// A visit: when the work is planned and the window promised to the customer for arrival.
public struct Appointment: Sendable, Equatable, Codable {
    public var id: AppointmentID
    public var accountID: AccountID
    public var jobID: JobID
    public var startsAt: Date
    public var endsAt: Date
    public var arrivalWindow: ArrivalWindow

    public init(
        id: AppointmentID, accountID: AccountID, jobID: JobID, startsAt: Date, endsAt: Date,
        arrivalWindow: ArrivalWindow
    ) {
        self.id = id
        self.accountID = accountID
        self.jobID = jobID
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.arrivalWindow = arrivalWindow
    }
}

public struct ArrivalWindow: Sendable, Equatable, Codable {
    public var start: Date
    public var end: Date

    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }
}

/// Checked appointment times. The arrival window defaults to the appointment itself.
public struct AppointmentTimes: Sendable, Equatable {
    public static let longestAppointment: TimeInterval = 14 * 24 * 3600

    public var startsAt: Date
    public var endsAt: Date
    public var arrivalWindow: ArrivalWindow

    public init(
        startsAt: Date?, endsAt: Date?, arrivalWindowStart: Date? = nil, arrivalWindowEnd: Date? = nil
    ) throws(FieldlineError) {
        guard let startsAt else { throw .invalid(field: "startsAt", message: "The appointment needs a start time.") }
        guard let endsAt else { throw .invalid(field: "endsAt", message: "The appointment needs an end time.") }
        guard endsAt > startsAt else {
            throw .invalid(field: "endsAt", message: "The appointment must end after it starts.")
        }
        guard endsAt.timeIntervalSince(startsAt) <= Self.longestAppointment else {
            throw .invalid(field: "endsAt", message: "An appointment lasts at most 14 days.")
        }
        let windowStart = arrivalWindowStart ?? startsAt
        let windowEnd = arrivalWindowEnd ?? (arrivalWindowStart == nil ? endsAt : max(windowStart, endsAt))
        guard windowEnd >= windowStart else {
            throw .invalid(field: "arrivalWindowEnd", message: "The arrival window must end after it starts.")
        }
        guard windowStart >= startsAt.addingTimeInterval(-24 * 3600), windowEnd <= endsAt else {
            throw .invalid(
                field: "arrivalWindowStart",
                message: "The arrival window must fall within the appointment (it may open up to a day early).")
        }
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.arrivalWindow = ArrivalWindow(start: windowStart, end: windowEnd)
    }
}

/// One technician on one appointment, moving Scheduled → Dispatched → Working → Done.
public struct Assignment: Sendable, Equatable, Codable {
    public var id: AssignmentID
    public var accountID: AccountID
    public var jobID: JobID
    public var appointmentID: AppointmentID
    public var technicianID: TechnicianID
    public var status: AssignmentStatus
    public var dispatchedAt: Date?
    public var arrivedAt: Date?
    public var completedAt: Date?

    public init(
        id: AssignmentID, accountID: AccountID, jobID: JobID, appointmentID: AppointmentID,
        technicianID: TechnicianID, status: AssignmentStatus, dispatchedAt: Date?, arrivedAt: Date?,
        completedAt: Date?
    ) {
        self.id = id
        self.accountID = accountID
        self.jobID = jobID
        self.appointmentID = appointmentID
        self.technicianID = technicianID
        self.status = status
        self.dispatchedAt = dispatchedAt
        self.arrivedAt = arrivedAt
        self.completedAt = completedAt
    }
}

public enum AssignmentStatus: String, Sendable, Codable, CaseIterable {
    case scheduled, dispatched, working, done

    public var label: String {
        switch self {
        case .scheduled: "Scheduled"
        case .dispatched: "Dispatched"
        case .working: "Working"
        case .done: "Done"
        }
    }
}
