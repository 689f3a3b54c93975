import FieldlineCore
import Foundation

/// What Fieldline needs from an SMS provider: send one text, list what was sent (to reconcile a
/// send that was cut off by a crash or a timeout), and download media a customer sent.
public protocol SMSProvider: Sendable {
    func send(_ sms: OutgoingSMS, credentials: SMSCredentials?) async throws(SMSSendError) -> AcceptedSMS
    /// Texts sent from `from` to `to` that the provider created at or after `since`, newest first.
    func sentMessages(
        from: PhoneNumber, to: PhoneNumber, since: Date, credentials: SMSCredentials?
    ) async throws -> [SentSMS]
    func fetchMedia(url: String, credentials: SMSCredentials?) async throws -> FetchedMedia
    /// Whether these credentials' provider account holds `number`: a number is attached to a
    /// business only once the business proves it owns it, so nobody can claim another's.
    func owns(_ number: PhoneNumber, credentials: SMSCredentials?) async throws -> NumberOwnership
}

public enum NumberOwnership: Sendable, Equatable {
    case owned
    case notOwned
    /// The provider refused the credentials themselves.
    case badCredentials
}

/// A provider account's credentials, opened from storage only for the call that needs them.
public struct SMSCredentials: Sendable {
    public var accountID: String
    public var authToken: String
    public var messagingServiceID: String?

    public init(accountID: String, authToken: String, messagingServiceID: String? = nil) {
        self.accountID = accountID
        self.authToken = authToken
        self.messagingServiceID = messagingServiceID
    }
}

public struct OutgoingSMS: Sendable, Equatable {
    public var from: PhoneNumber
    public var to: PhoneNumber
    public var body: String
    /// Where the provider reports delivery (`…/webhooks/twilio/status`).
    public var statusCallbackURL: String?

    public init(from: PhoneNumber, to: PhoneNumber, body: String, statusCallbackURL: String?) {
        self.from = from
        self.to = to
        self.body = body
        self.statusCallbackURL = statusCallbackURL
    }
}

public struct AcceptedSMS: Sendable, Equatable {
    public var providerID: String
    /// The provider's own status word (`queued`, `accepted`, `delivered` …).
    public var status: String

    public init(providerID: String, status: String) {
        self.providerID = providerID
        self.status = status
    }
}

public struct SentSMS: Sendable, Equatable {
    public var providerID: String
    public var from: String
    public var to: String
    public var body: String
    public var status: String
    public var createdAt: Date?

    public init(providerID: String, from: String, to: String, body: String, status: String, createdAt: Date?) {
        self.providerID = providerID
        self.from = from
        self.to = to
        self.body = body
        self.status = status
        self.createdAt = createdAt
    }
}

public struct FetchedMedia: Sendable {
    public var contentType: String
    public var data: Data

    public init(contentType: String, data: Data) {
        self.contentType = contentType
        self.data = data
    }
}

/// How a send failed, which decides what the outbox does next.
public enum SMSSendError: Error, Sendable, Equatable {
    /// The provider refused the text for good (a 4xx with its error code): do not retry.
    case rejected(code: String?, message: String)
    /// Nothing was created (rate limited, could not connect): try again later.
    case transient(message: String, retryAfter: TimeInterval?)
    /// The provider may or may not have created the text (a timeout, a 5xx, a dropped
    /// connection): ask the provider before trying again, or it could go out twice.
    case uncertain(message: String)
}

public enum MediaFetchError: Error, Sendable, Equatable {
    /// Worth another try later.
    case transient(String)
    /// Will not work however often it is tried (gone, too large, refused).
    case permanent(String)
}
