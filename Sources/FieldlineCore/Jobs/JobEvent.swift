import Foundation

/// One line of a job's audit trail (FS6): every change and, later, every message tied to the job.
public struct JobEvent: Sendable, Equatable, Codable {
    public var id: String
    public var accountID: AccountID
    public var jobID: JobID
    public var occurredAt: Date
    public var actor: ActorRef
    public var kind: String
    public var text: String

    /// A note someone wrote on the job (it syncs to ServiceChannel, SV10).
    public static let noteKind = "note"
    /// A note copied from the job's ServiceChannel work order.
    public static let workOrderNoteKind = "servicechannel_note"

    public static func validatedNote(_ input: String?) throws(FieldlineError) -> String {
        try Text.required(input, field: "text", label: "Note", maxLength: 4000)
    }

    public init(
        id: String, accountID: AccountID, jobID: JobID, occurredAt: Date, actor: ActorRef, kind: String, text: String
    ) {
        self.id = id
        self.accountID = accountID
        self.jobID = jobID
        self.occurredAt = occurredAt
        self.actor = actor
        self.kind = kind
        self.text = text
    }
}

/// Who caused something, as recorded in audit trails: a person, the system, or an integration.
public struct ActorRef: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case user, technician, system, integration
        /// The customer (or whoever holds the number) acting by text, e.g. texting STOP.
        case contact
    }

    public var kind: Kind
    public var id: String?
    public var name: String

    public init(kind: Kind, id: String?, name: String) {
        self.kind = kind
        self.id = id
        self.name = name
    }

    public static func user(_ actor: Actor) -> ActorRef {
        if actor.isIntegration { return ActorRef(kind: .integration, id: nil, name: actor.name) }
        return ActorRef(
            kind: actor.role == .technician ? .technician : .user, id: actor.userID.rawValue, name: actor.name)
    }

    public static let system = ActorRef(kind: .system, id: nil, name: "Fieldline")
}

/// Something that happened in the business, emitted by a use case inside its transaction so that
/// subscribers (dispatch notifications, ServiceChannel sync) can record their own work atomically.
public struct DomainEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case jobBooked(JobID)
        case jobRescheduled(JobID, AppointmentID)
        case jobCanceled(JobID)
        case jobPutOnHold(JobID)
        case jobResumed(JobID)
        case technicianAssigned(JobID, AssignmentID, TechnicianID)
        case technicianDispatched(JobID, AssignmentID, TechnicianID)
        case technicianArrived(JobID, AssignmentID, TechnicianID)
        case assignmentCompleted(JobID, AssignmentID, TechnicianID)
        case jobCompleted(JobID)
        case bookingCreated(BookingID)
        case bookingStatusChanged(BookingID, BookingStatus)
        /// A note written on a job (its job event's id); edited notes come again as `jobNoteEdited`.
        case jobNoteAdded(JobID, String)
        case jobNoteEdited(JobID, String)
        case invoiceExported(JobID, InvoiceID)
    }

    public var accountID: AccountID
    public var occurredAt: Date
    public var actor: ActorRef
    public var kind: Kind

    public init(accountID: AccountID, occurredAt: Date, actor: ActorRef, kind: Kind) {
        self.accountID = accountID
        self.occurredAt = occurredAt
        self.actor = actor
        self.kind = kind
    }
}
