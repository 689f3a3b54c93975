import Foundation

public enum ConversationStatus: String, Sendable, Codable, CaseIterable {
    case open, closed
}

/// The one chat thread between the account and one phone number (CH1). Its state is shared: every
/// permitted user sees the same unread, answered and closed state (CH4).
public struct Conversation: Sendable, Equatable, Codable {
    public var id: ConversationID
    public var accountID: AccountID
    /// The other party's number.
    public var phone: PhoneNumber
    /// The account number the customer texts; replies go out from it.
    public var senderNumberID: SenderNumberID?
    /// The job the thread is about (CH8): set when started from a job or location, or from the
    /// customer's next upcoming job.
    public var jobID: JobID?
    public var status: ConversationStatus
    public var unread: Bool
    /// The customer wrote last and no person has answered yet.
    public var awaitingReply: Bool
    public var lastMessageAt: Date
    public var lastMessagePreview: String
    public var lastMessageDirection: MessageDirection
    /// The closed period (CH17) the autoresponder last answered this thread in.
    public var autoreplyPeriod: String?
    public var createdAt: Date
    public var closedAt: Date?

    public init(
        id: ConversationID, accountID: AccountID, phone: PhoneNumber, senderNumberID: SenderNumberID?, jobID: JobID?,
        status: ConversationStatus, unread: Bool, awaitingReply: Bool, lastMessageAt: Date,
        lastMessagePreview: String, lastMessageDirection: MessageDirection, autoreplyPeriod: String?,
        createdAt: Date, closedAt: Date?
    ) {
        self.id = id
        self.accountID = accountID
        self.phone = phone
        self.senderNumberID = senderNumberID
        self.jobID = jobID
        self.status = status
        self.unread = unread
        self.awaitingReply = awaitingReply
        self.lastMessageAt = lastMessageAt
        self.lastMessagePreview = lastMessagePreview
        self.lastMessageDirection = lastMessageDirection
        self.autoreplyPeriod = autoreplyPeriod
        self.createdAt = createdAt
        self.closedAt = closedAt
    }

    /// Where the thread sits in the Open tab (CH2).
    public var inboxState: InboxState {
        InboxState(unread: unread, awaitingReply: awaitingReply)
    }

    public static func preview(of body: String) -> String {
        let flat = body.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count <= 140 ? flat : String(flat.prefix(139)) + "…"
    }
}

/// The three visual states of the Open tab, in the order CH2 lists them.
public enum InboxState: Int, Sendable, Codable, Comparable, CaseIterable {
    /// Unread (and not answered, or marked unread again): bold, with an accent bar, on top.
    case unread = 0
    /// Read but not answered yet.
    case awaitingReply = 1
    /// A person answered last: marked as replied.
    case answered = 2

    public init(unread: Bool, awaitingReply: Bool) {
        self = unread ? .unread : awaitingReply ? .awaitingReply : .answered
    }

    public static func < (lhs: InboxState, rhs: InboxState) -> Bool { lhs.rawValue < rhs.rawValue }

    public var label: String {
        switch self {
        case .unread: "Unread"
        case .awaitingReply: "Waiting for a reply"
        case .answered: "Replied"
        }
    }
}

public enum InboxOrder {
    /// CH2: by state (unread, then awaiting a reply, then answered), newest first within each.
    /// Ties on time fall back to the id (descending, like the time, so one index serves the
    /// whole order) so paging is stable.
    public static func precedes(_ lhs: Conversation, _ rhs: Conversation) -> Bool {
        if lhs.inboxState != rhs.inboxState { return lhs.inboxState < rhs.inboxState }
        if lhs.lastMessageAt != rhs.lastMessageAt { return lhs.lastMessageAt > rhs.lastMessageAt }
        return lhs.id.rawValue > rhs.id.rawValue
    }
}

/// A number blocked as spam (CH15): its texts are kept for the record but never reach the inbox.
public struct BlockedNumber: Sendable, Equatable {
    public var phone: PhoneNumber
    public var blockedBy: String
    public var blockedAt: Date

    public init(phone: PhoneNumber, blockedBy: String, blockedAt: Date) {
        self.phone = phone
        self.blockedBy = blockedBy
        self.blockedAt = blockedAt
    }
}
