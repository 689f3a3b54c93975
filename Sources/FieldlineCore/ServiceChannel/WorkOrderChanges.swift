import Foundation

/// What Fieldline tells ServiceChannel about a work order.
public enum WorkOrderChangeKind: String, Sendable, Codable, CaseIterable {
    case accept, decline, note, status
    case checkIn = "check_in"
    case checkOut = "check_out"
    /// One of the job's files, sent once when the job is done (SV9).
    case attachment
    /// The job's exported invoice, sent with the hourly export (SV11).
    case invoice
}

public enum WorkOrderChangeState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its time (or its turn behind an earlier change of the same work order).
    case queued
    /// Being applied by a worker since `claimedAt`.
    case sending
    case applied
    /// ServiceChannel refused it because of the work order's status; a note marked Action
    /// Required tells the subscriber's people, and the booking or job shows it (SV4).
    case actionRequired = "action_required"
    /// Given up: refused for another reason, or still failing after every retry.
    case failed

    public var isPending: Bool { self == .queued || self == .sending }

    public var label: String {
        switch self {
        case .queued: "Waiting"
        case .sending: "Sending"
        case .applied: "Sent"
        case .actionRequired: "Action required"
        case .failed: "Failed"
        }
    }
}

/// One outgoing change: a durable row, like a queued text, applied at most once and in order per
/// work order; retried with backoff while ServiceChannel is throttling or away (SV14).
public struct WorkOrderChange: Sendable, Equatable {
    public var id: String
    public var accountID: AccountID
    public var workOrderID: Int
    public var bookingID: BookingID?
    public var jobID: JobID?
    public var kind: WorkOrderChangeKind
    /// What to do once: a second event asking for the same (e.g. "dispatched") is not queued.
    public var dedupeKey: String
    public var note: String?
    public var statusPrimary: String?
    public var statusExtended: String?
    public var declineReason: Int?
    /// The file an attachment change sends.
    public var mediaID: MediaID?
    /// The invoice an invoice change sends.
    public var invoiceID: InvoiceID?
    /// Why, in words, for a decline (ServiceChannel's CustomDeclineReason).
    public var declineComment: String?
    /// The Action Required note added when ServiceChannel refused this change: not copied back.
    public var actionNote: String?
    /// When it happened here: check-in and check-out times.
    public var occurredAt: Date
    public var state: WorkOrderChangeState
    public var attempts: Int
    public var notBefore: Date
    public var claimedAt: Date?
    public var problem: String?
    public var createdAt: Date
    public var appliedAt: Date?

    public init(
        id: String = UUID().uuidString.lowercased(), accountID: AccountID, workOrderID: Int, bookingID: BookingID?,
        jobID: JobID?, kind: WorkOrderChangeKind, dedupeKey: String, note: String? = nil,
        statusPrimary: String? = nil, statusExtended: String? = nil, declineReason: Int? = nil,
        mediaID: MediaID? = nil, invoiceID: InvoiceID? = nil, declineComment: String? = nil,
        actionNote: String? = nil, occurredAt: Date,
        state: WorkOrderChangeState = .queued, attempts: Int = 0, notBefore: Date? = nil, claimedAt: Date? = nil,
        problem: String? = nil, createdAt: Date, appliedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.workOrderID = workOrderID
        self.bookingID = bookingID
        self.jobID = jobID
        self.kind = kind
        self.dedupeKey = dedupeKey
        self.note = note
        self.statusPrimary = statusPrimary
        self.statusExtended = statusExtended
        self.declineReason = declineReason
        self.mediaID = mediaID
        self.invoiceID = invoiceID
        self.declineComment = declineComment
        self.actionNote = actionNote
        self.occurredAt = occurredAt
        self.state = state
        self.attempts = attempts
        self.notBefore = notBefore ?? createdAt
        self.claimedAt = claimedAt
        self.problem = problem
        self.createdAt = createdAt
        self.appliedAt = appliedAt
    }

    /// How the office reads it: "Accept", "Status In Progress / Dispatch Confirmed", "Note".
    public var summary: String {
        let status = [statusPrimary, statusExtended].compactMap { $0 }.joined(separator: " / ")
        switch kind {
        case .accept: return "Accept"
        case .decline: return "Decline"
        case .note: return "Note: \(note ?? "")"
        case .status: return "Status → \(status)"
        case .checkIn: return "Technician check-in"
        case .checkOut: return status.isEmpty ? "Technician check-out" : "Check-out, status → \(status)"
        case .attachment: return "File: \(note ?? "attachment")"
        case .invoice: return "Invoice \(note ?? "")"
        }
    }

    /// What the change wanted, as the Action Required note names it.
    public var intent: String {
        switch kind {
        case .accept: "accept this work order"
        case .decline: "decline this work order"
        case .note: "add a note"
        case .status: "set the status to \(statusPrimary ?? "")\(statusExtended.map { " / \($0)" } ?? "")"
        case .checkIn: "check the technician in"
        case .checkOut: "check the technician out and complete the work order"
        case .attachment: "attach \(note ?? "a file")"
        case .invoice: "send invoice \(note ?? "")"
        }
    }
}

/// The moments of a job that move its work order (SV8).
public enum WorkOrderMilestone: String, Sendable, Codable, CaseIterable {
    case dispatched, arrived, completed

    public var label: String {
        switch self {
        case .dispatched: "Technician dispatched"
        case .arrived: "Technician arrived"
        case .completed: "Job done"
        }
    }
}

/// What a milestone sends (SV12): dispatch sets a status, arrival checks the technician in,
/// done checks out with a status. Each can be switched off; a subscriber may have its own.
public struct StatusMapping: Sendable, Equatable {
    public var milestone: WorkOrderMilestone
    public var enabled: Bool
    public var primary: String
    public var extended: String?

    public init(milestone: WorkOrderMilestone, enabled: Bool = true, primary: String, extended: String? = nil) {
        self.milestone = milestone
        self.enabled = enabled
        self.primary = primary
        self.extended = extended
    }

    public static let primaries = [WorkOrderIntake.open, WorkOrderIntake.inProgress, WorkOrderIntake.completed]

    public static let defaults: [WorkOrderMilestone: StatusMapping] = [
        .dispatched: StatusMapping(milestone: .dispatched, primary: WorkOrderIntake.inProgress),
        .arrived: StatusMapping(milestone: .arrived, primary: WorkOrderIntake.inProgress, extended: "On Site"),
        .completed: StatusMapping(milestone: .completed, primary: WorkOrderIntake.completed),
    ]

    /// The mapping in force: the subscriber's own, else the account's, else the default.
    public static func resolve(
        _ milestone: WorkOrderMilestone, subscriber: [StatusMapping], account: [StatusMapping]
    ) -> StatusMapping {
        subscriber.first { $0.milestone == milestone } ?? account.first { $0.milestone == milestone }
            ?? defaults[milestone]!
    }

    public static func validated(
        _ milestone: WorkOrderMilestone, enabled: Bool, primary: String?, extended: String?
    ) throws(FieldlineError) -> StatusMapping {
        let typed = (primary ?? "").trimmingWhitespace()
        guard let match = primaries.first(where: { $0.caseInsensitiveCompare(typed) == .orderedSame }) else {
            throw .invalid(
                field: "primary",
                message: "\(milestone.label): the status is one of \(primaries.joined(separator: ", ")).")
        }
        if milestone == .completed, match != WorkOrderIntake.completed, enabled {
            throw .invalid(field: "primary", message: "Job done checks the technician out as Completed.")
        }
        let extended = try Text.optional(extended, field: "extended", label: "Extended status", maxLength: 60)
        return StatusMapping(milestone: milestone, enabled: enabled, primary: match, extended: extended)
    }
}
