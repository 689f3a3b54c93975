import Foundation

public typealias EmailID = Identifier<Email>

public enum EmailStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for the email worker.
    case queued
    /// Handed to the provider; a crash here is safe to retry (same idempotency key).
    case sending
    case sent
    /// Refused for good, or still failing after every retry.
    case failed

    public var label: String {
        switch self {
        case .queued: "Queued"
        case .sending: "Sending"
        case .sent: "Sent"
        case .failed: "Failed"
        }
    }
}

/// One email Fieldline sends (DN1): HTML and plain text, kept with its delivery state.
public struct Email: Sendable, Equatable {
    public var id: EmailID
    public var accountID: AccountID
    public var jobID: JobID?
    public var purpose: MessagePurpose
    public var automation: Automation?
    public var to: EmailAddress
    /// Shown as the sender's name: the company.
    public var fromName: String
    public var subject: String
    public var html: String
    public var text: String
    public var status: EmailStatus
    public var attempts: Int
    public var notBefore: Date
    public var claimedAt: Date?
    public var providerMessageID: String?
    public var errorMessage: String?
    public var createdAt: Date
    public var sentAt: Date?

    public init(
        id: EmailID, accountID: AccountID, jobID: JobID?, purpose: MessagePurpose, automation: Automation?,
        to: EmailAddress, fromName: String, subject: String, html: String, text: String, status: EmailStatus,
        attempts: Int, notBefore: Date, claimedAt: Date?, providerMessageID: String?, errorMessage: String?,
        createdAt: Date, sentAt: Date?
    ) {
        self.id = id
        self.accountID = accountID
        self.jobID = jobID
        self.purpose = purpose
        self.automation = automation
        self.to = to
        self.fromName = fromName
        self.subject = subject
        self.html = html
        self.text = text
        self.status = status
        self.attempts = attempts
        self.notBefore = notBefore
        self.claimedAt = claimedAt
        self.providerMessageID = providerMessageID
        self.errorMessage = errorMessage
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}
