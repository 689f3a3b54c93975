import FieldlineCore
import Foundation

/// What Fieldline needs from an email service: send one message, at most once per key.
public protocol EmailProvider: Sendable {
    /// Sends `email`. The provider treats a second call with the same `idempotencyKey` as the
    /// first (within its window), so a send retried after a crash or a timeout goes out once.
    func send(_ email: OutgoingEmail) async throws(EmailSendError) -> String
}

public struct OutgoingEmail: Sendable, Equatable {
    /// `"Northside Plumbing <notifications@…>"`.
    public var from: String
    public var to: String
    public var replyTo: String?
    public var subject: String
    public var html: String
    public var text: String
    public var idempotencyKey: String

    public init(
        from: String, to: String, replyTo: String? = nil, subject: String, html: String, text: String,
        idempotencyKey: String
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.html = html
        self.text = text
        self.idempotencyKey = idempotencyKey
    }
}

public enum EmailSendError: Error, Sendable, Equatable {
    /// Refused for good (bad address, unverified sender domain): retrying cannot help.
    case rejected(message: String)
    /// Busy, rate limited or unreachable: try again later.
    case transient(message: String, retryAfter: Double?)

    public var message: String {
        switch self {
        case .rejected(let message), .transient(let message, _): message
        }
    }
}
