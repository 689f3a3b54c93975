import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation

// The JSON shapes of the inbox, messages and the account's phone numbers (openapi.yaml).

struct ConversationJSON: Encodable {
    var id: String
    var phone: String
    var phoneDisplay: String
    var customerId: String?
    var customerName: String?
    var status: String
    /// CH2's three states: `unread`, `awaiting_reply`, `answered`.
    var state: String
    var unread: Bool
    var awaitingReply: Bool
    var lastMessageAt: Date
    var lastMessagePreview: String
    var lastMessageDirection: String
    var jobId: String?
    var senderNumberId: String?
    var closedAt: Date?

    init(_ conversation: Conversation, customerID: CustomerID? = nil, customerName: String? = nil) {
        id = conversation.id.rawValue
        phone = conversation.phone.e164
        phoneDisplay = conversation.phone.displayed
        customerId = customerID?.rawValue
        self.customerName = customerName
        status = conversation.status.rawValue
        state = Self.stateName(conversation.inboxState)
        unread = conversation.unread
        awaitingReply = conversation.awaitingReply
        lastMessageAt = conversation.lastMessageAt
        lastMessagePreview = conversation.lastMessagePreview
        lastMessageDirection = conversation.lastMessageDirection.rawValue
        jobId = conversation.jobID?.rawValue
        senderNumberId = conversation.senderNumberID?.rawValue
        closedAt = conversation.closedAt
    }

    init(_ item: Inbox.Item) {
        self.init(item.conversation, customerID: item.customerID, customerName: item.customerName)
    }

    static func stateName(_ state: InboxState) -> String {
        switch state {
        case .unread: "unread"
        case .awaitingReply: "awaiting_reply"
        case .answered: "answered"
        }
    }
}

struct RelevantJobJSON: Encodable {
    var job: JobJSON
    var upcoming: Bool
    var appointment: AppointmentJSON?
    var location: LocationJSON?
}

struct ConversationDetailJSON: Encodable {
    var conversation: ConversationJSON
    var customer: CustomerJSON?
    var locations: [LocationJSON]
    var relevantJobs: [RelevantJobJSON]
    var optedOut: Bool
    var marketingConsent: String
    var blocked: Bool
    var senderNumber: SenderNumberJSON?

    init(_ detail: Inbox.Detail) {
        conversation = ConversationJSON(
            detail.conversation, customerID: detail.customer?.id, customerName: detail.customer?.name)
        customer = detail.customer.map(CustomerJSON.init)
        locations = detail.locations.map(LocationJSON.init)
        relevantJobs = detail.relevantJobs.map {
            RelevantJobJSON(
                job: JobJSON($0.job), upcoming: $0.upcoming, appointment: $0.appointment.map { AppointmentJSON($0) },
                location: $0.location.map(LocationJSON.init))
        }
        optedOut = detail.consent.optedOut
        marketingConsent = detail.consent.marketing.rawValue
        blocked = detail.blocked
        senderNumber = detail.senderNumber.map(SenderNumberJSON.init)
    }
}

struct MessageAuthorJSON: Encodable {
    var kind: String
    var id: String?
    var name: String
    var automation: String?
}

struct MediaJSON: Encodable {
    var id: String
    var contentType: String
    var state: String
    var byteCount: Int?
    /// Where the file can be downloaded once stored.
    var url: String?

    init(_ media: MessageMedia) {
        id = media.id.rawValue
        contentType = media.contentType
        state = media.state.rawValue
        byteCount = media.byteCount
        url = media.state == .stored ? "/api/v1/media/\(media.id.rawValue)" : nil
    }
}

struct MessageJSON: Encodable {
    var id: String
    var conversationId: String?
    var direction: String
    var phone: String
    var ourNumber: String
    var body: String
    var purpose: String?
    var author: MessageAuthorJSON
    var jobId: String?
    var status: String
    var errorCode: String?
    var errorMessage: String?
    var resendable: Bool
    var segments: Int
    var encoding: String
    var characters: Int
    var media: [MediaJSON]
    var resendOf: String?
    var createdAt: Date
    var statusAt: Date
    /// When the account's retention removed the words and pictures (the body is then empty).
    var redactedAt: Date?

    init(_ message: Message, media: [MessageMedia] = []) {
        id = message.id.rawValue
        conversationId = message.conversationID?.rawValue
        direction = message.direction.rawValue
        phone = message.phone.e164
        ourNumber = message.ourNumber.e164
        body = message.body
        purpose = message.purpose?.rawValue
        author = MessageAuthorJSON(
            kind: message.author.kind.rawValue, id: message.author.id, name: message.author.name,
            automation: message.author.automation?.rawValue)
        jobId = message.jobID?.rawValue
        status = message.status.rawValue
        errorCode = message.errorCode
        errorMessage = message.errorMessage
        resendable = message.isResendable
        segments = message.segments
        encoding = message.encoding.rawValue
        characters = message.body.count
        self.media = media.map(MediaJSON.init)
        resendOf = message.resendOf?.rawValue
        createdAt = message.createdAt
        statusAt = message.statusAt
        redactedAt = message.redactedAt
    }

    init(_ entry: Inbox.Entry) {
        self.init(entry.message, media: entry.media)
    }
}

struct MessagePageJSON: Encodable {
    var items: [MessageJSON]
    var limit: Int
}

struct UnreadCountJSON: Encodable {
    var unread: Int
}

struct StartedConversationJSON: Encodable {
    var conversation: ConversationJSON
    var message: MessageJSON
}

struct ChatHistoryJSON: Encodable {
    var phone: String
    var hasConversation: Bool
    var conversationId: String?
    var lastMessageAt: Date?
}

struct BlockedNumberJSON: Encodable {
    var phone: String
    var phoneDisplay: String
    var blockedBy: String
    var blockedAt: Date
}

struct ReplyRequest: Decodable {
    var body: String?
    var attachments: [String]?
}

struct StartConversationRequest: Decodable {
    var phone: String?
    var body: String?
    var jobId: String?
    var locationId: String?
}

struct AttachRequest: Decodable {
    var customerId: String?
}

struct CustomerFromConversationRequest: Decodable {
    var name: String?
    var location: LocationInput?
}

struct SenderNumberJSON: Encodable {
    var id: String
    var number: String
    var numberDisplay: String
    var label: String
    var provider: String
    var chat: Bool
    var mms: Bool
    var marketing: Bool
    var isDefault: Bool
    var ratePerSecond: Double
    var providerAccountId: String?
    var messagingServiceId: String?
    var hasCredentials: Bool
    var createdAt: Date

    init(_ number: SenderNumber) {
        id = number.id.rawValue
        self.number = number.number.e164
        numberDisplay = number.number.displayed
        label = number.label
        provider = number.provider.rawValue
        chat = number.chat
        mms = number.mms
        marketing = number.marketing
        isDefault = number.isDefault
        ratePerSecond = number.ratePerSecond
        providerAccountId = number.providerAccountID
        messagingServiceId = number.messagingServiceID
        hasCredentials = number.hasCredentials
        createdAt = number.createdAt
    }
}

struct SenderNumberInput: Decodable {
    var number: String?
    var label: String?
    var provider: String?
    var chat: Bool?
    var mms: Bool?
    var marketing: Bool?
    var isDefault: Bool?
    var ratePerSecond: Double?
    var providerAccountId: String?
    var messagingServiceId: String?
    var authToken: String?

    var input: SenderNumbers.Input {
        .init(
            number: number, label: label, provider: provider, chat: chat, mms: mms, marketing: marketing,
            isDefault: isDefault, ratePerSecond: ratePerSecond, providerAccountID: providerAccountId,
            messagingServiceID: messagingServiceId, authToken: authToken)
    }
}
