import Foundation

public typealias MessageID = Identifier<Message>
public typealias ConversationID = Identifier<Conversation>
public typealias SenderNumberID = Identifier<SenderNumber>
public typealias MediaID = Identifier<MessageMedia>

public enum MessageDirection: String, Sendable, Codable, CaseIterable {
    case inbound, outbound
}

/// Why a text is sent. The purpose decides which consent it needs (SC2) and whether quiet hours
/// hold it (SC8).
public enum MessagePurpose: String, Sendable, Codable, CaseIterable {
    /// A person answering or starting a chat (CH), and automatic answers inside a chat.
    case conversational
    /// Automatic notices on implied consent: job notices, follow-ups, reminders (SC2).
    case transactional
    /// Promotions: explicit written consent only (SC2, SC6).
    case marketing
    /// The opt-out confirmation, opt-in confirmation and HELP answer (CH13).
    case compliance
}

/// Where an inbound text went (CH1, CH15, FS7).
public enum InboundDisposition: String, Sendable, Codable {
    /// The shared customer inbox.
    case inbox
    /// From a number saved as an employee or technician number: the dispatch board feed.
    case dispatchBoard = "dispatch_board"
    /// From a blocked number: kept for the audit log only.
    case blocked
}

/// Who wrote a message.
public enum AuthorKind: String, Sendable, Codable {
    /// The customer (or an unknown number) texting in.
    case contact
    /// An employee or technician texting in from their own phone (the dispatch board).
    case employee
    /// Office staff replying from Fieldline.
    case user
    /// A technician replying from the field.
    case technician
    /// Fieldline itself.
    case automation
}

/// Which automatic sender wrote an automated message.
public enum Automation: String, Sendable, Codable, CaseIterable {
    case autoresponder
    case optOutConfirmation = "opt_out_confirmation"
    case optInConfirmation = "opt_in_confirmation"
    case helpReply = "help_reply"
    case dispatchNotice = "dispatch_notice"
    case doubleOptInRequest = "double_opt_in_request"
    case campaign
    case reminder
    case estimateFollowUp = "estimate_follow_up"
    case serviceReminder = "service_reminder"
    case missedCallTextBack = "missed_call_text_back"
}

public struct MessageAuthor: Sendable, Equatable, Codable {
    public var kind: AuthorKind
    public var id: String?
    public var name: String
    public var automation: Automation?

    public init(kind: AuthorKind, id: String?, name: String, automation: Automation? = nil) {
        self.kind = kind
        self.id = id
        self.name = name
        self.automation = automation
    }

    public static func person(_ actor: Actor) -> MessageAuthor {
        MessageAuthor(
            kind: actor.role == .technician ? .technician : .user,
            id: actor.technicianID?.rawValue ?? actor.userID.rawValue, name: actor.name)
    }

    public static func automated(_ automation: Automation) -> MessageAuthor {
        MessageAuthor(kind: .automation, id: nil, name: "Fieldline", automation: automation)
    }

    /// Whether a person wrote it: only people answer a customer (CH2's "answered").
    public var isPerson: Bool { kind == .user || kind == .technician }
}

/// The life of a text. Inbound texts are `received`; outbound ones move forward only:
/// queued → sending → sent → delivered, or end as undelivered, failed or canceled.
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    case received
    /// Accepted by Fieldline, waiting in the outbox (also while quiet hours hold it).
    case queued
    /// Handed to the provider, which has not confirmed it left yet.
    case sending
    case sent
    case delivered
    /// The carrier could not deliver it (30006: a landline).
    case undelivered
    /// The provider refused or gave up.
    case failed
    /// Never handed to the provider: consent or the number changed while it waited.
    case canceled

    var rank: Int {
        switch self {
        case .received: 0
        case .queued: 1
        case .sending: 2
        case .sent: 3
        case .delivered, .undelivered, .failed, .canceled: 4
        }
    }

    public var isFinal: Bool { rank == 4 }

    /// Provider status callbacks arrive out of order and more than once; a status only replaces a
    /// less advanced one, and a final status is never replaced.
    public func canAdvance(to next: DeliveryStatus) -> Bool {
        next.rank > rank
    }

    /// Maps a Twilio `MessageStatus` onto ours; nil for states that tell nothing new.
    public static func fromProvider(_ raw: String) -> DeliveryStatus? {
        switch raw.lowercased() {
        case "accepted", "queued", "sending", "scheduled": .sending
        case "sent": .sent
        case "delivered", "read": .delivered
        case "undelivered": .undelivered
        case "failed", "canceled": .failed
        default: nil
        }
    }

    public var label: String {
        switch self {
        case .received: "Received"
        case .queued: "Queued"
        case .sending: "Sending"
        case .sent: "Sent"
        case .delivered: "Delivered"
        case .undelivered: "Undelivered"
        case .failed: "Failed"
        case .canceled: "Not sent"
        }
    }
}

/// Provider error codes that change what Fieldline knows about a number.
public enum ProviderErrorCode {
    /// The recipient is a landline or an unreachable carrier: not a texting number, never resend.
    public static let landline = "30006"
    /// The recipient has unsubscribed from this sender at the provider.
    public static let unsubscribed = "21610"
}

/// One text, in or out.
public struct Message: Sendable, Equatable, Codable {
    public var id: MessageID
    public var accountID: AccountID
    public var conversationID: ConversationID?
    public var direction: MessageDirection
    public var disposition: InboundDisposition?
    /// The other party: the customer, unknown texter or employee.
    public var phone: PhoneNumber
    /// The account's own number it went through.
    public var ourNumber: PhoneNumber
    public var body: String
    public var purpose: MessagePurpose?
    public var author: MessageAuthor
    public var jobID: JobID?
    public var status: DeliveryStatus
    public var errorCode: String?
    public var errorMessage: String?
    public var provider: String
    public var providerMessageID: String?
    public var segments: Int
    public var encoding: MessageText.Encoding
    public var mediaCount: Int
    public var resendOf: MessageID?
    public var createdAt: Date
    public var statusAt: Date
    /// When the account's retention removed this text's words and pictures (OP3); nil while kept.
    public var redactedAt: Date?

    public init(
        id: MessageID, accountID: AccountID, conversationID: ConversationID?, direction: MessageDirection,
        disposition: InboundDisposition?, phone: PhoneNumber, ourNumber: PhoneNumber, body: String,
        purpose: MessagePurpose?, author: MessageAuthor, jobID: JobID?, status: DeliveryStatus, errorCode: String?,
        errorMessage: String?, provider: String, providerMessageID: String?, segments: Int,
        encoding: MessageText.Encoding, mediaCount: Int, resendOf: MessageID?, createdAt: Date, statusAt: Date,
        redactedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.conversationID = conversationID
        self.direction = direction
        self.disposition = disposition
        self.phone = phone
        self.ourNumber = ourNumber
        self.body = body
        self.purpose = purpose
        self.author = author
        self.jobID = jobID
        self.status = status
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.provider = provider
        self.providerMessageID = providerMessageID
        self.segments = segments
        self.encoding = encoding
        self.mediaCount = mediaCount
        self.resendOf = resendOf
        self.createdAt = createdAt
        self.statusAt = statusAt
        self.redactedAt = redactedAt
    }

    /// CH12: an undelivered or failed text may be sent again, except to a landline (30006), which
    /// will never receive it, and except texts nobody handed to the provider (canceled).
    public var isResendable: Bool {
        direction == .outbound && (status == .undelivered || status == .failed)
            && errorCode != ProviderErrorCode.landline && errorCode != ProviderErrorCode.unsubscribed
    }
}

/// A picture or video a customer sent (CH14).
public struct MessageMedia: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        /// Waiting to be downloaded from the provider.
        case pending
        case stored
        /// Download failed for good (the provider's copy is gone, or too large).
        case failed
        /// Sent to a number of ours that cannot receive media; recorded, not fetched.
        case notSupported = "not_supported"
    }

    public var id: MediaID
    public var accountID: AccountID
    public var messageID: MessageID
    public var position: Int
    public var contentType: String
    public var sourceURL: String
    public var state: State
    public var byteCount: Int?
    public var createdAt: Date

    public init(
        id: MediaID, accountID: AccountID, messageID: MessageID, position: Int, contentType: String,
        sourceURL: String, state: State, byteCount: Int?, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.messageID = messageID
        self.position = position
        self.contentType = contentType
        self.sourceURL = sourceURL
        self.state = state
        self.byteCount = byteCount
        self.createdAt = createdAt
    }

    /// The largest media file Fieldline keeps (the carriers' MMS limit).
    public static let maximumBytes = 5 * 1024 * 1024
}

/// A picture or video a customer sent, kept with a job (CH14); sent to ServiceChannel with the job's
/// attachments on completion (SV9).
public struct JobAttachment: Sendable, Equatable {
    public var id: String
    public var jobID: JobID
    public var media: MessageMedia
    public var addedBy: String
    public var addedAt: Date

    public init(id: String, jobID: JobID, media: MessageMedia, addedBy: String, addedAt: Date) {
        self.id = id
        self.jobID = jobID
        self.media = media
        self.addedBy = addedBy
        self.addedAt = addedAt
    }
}
