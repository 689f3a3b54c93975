import Foundation

/// Who a marketing campaign is for (SC6). Empty filters mean every number with explicit
/// marketing consent; filters only narrow it, they never add anyone without consent.
public struct CampaignAudience: Sendable, Equatable, Codable {
    /// Customers with any of these tags.
    public var tags: [String]
    /// Customers whose last completed job was on or after this instant.
    public var lastServiceFrom: Date?
    /// Customers whose last completed job was before this instant (serviced, but not since).
    public var lastServiceBefore: Date?

    public init(tags: [String] = [], lastServiceFrom: Date? = nil, lastServiceBefore: Date? = nil) {
        self.tags = tags
        self.lastServiceFrom = lastServiceFrom
        self.lastServiceBefore = lastServiceBefore
    }

    public var filtersOnService: Bool { lastServiceFrom != nil || lastServiceBefore != nil }
}

public enum CampaignStatus: String, Sendable, Codable, CaseIterable {
    case draft
    /// Waiting for its time; `sendNow` schedules it for the current instant.
    case scheduled
    /// Its recipients are being resolved and queued.
    case queuing
    /// Every recipient is queued or skipped; the outbox sends at the number's rate.
    case queued
    case canceled

    public var label: String {
        switch self {
        case .draft: "Draft"
        case .scheduled: "Scheduled"
        case .queuing: "Preparing"
        case .queued: "Sending"
        case .canceled: "Canceled"
        }
    }
}

public struct Campaign: Sendable, Equatable {
    public var id: CampaignID
    public var accountID: AccountID
    public var name: String
    /// What the marketer wrote; the opt-out line is added when it is sent.
    public var body: String
    public var audience: CampaignAudience
    public var status: CampaignStatus
    public var scheduledAt: Date?
    public var queuedAt: Date?
    /// Why queuing stopped (registrations revoked, the marketing number removed): the campaign
    /// is a draft again, with what to fix.
    public var problem: String?
    public var createdBy: ActorRef
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: CampaignID, accountID: AccountID, name: String, body: String, audience: CampaignAudience,
        status: CampaignStatus, scheduledAt: Date?, queuedAt: Date?, problem: String? = nil, createdBy: ActorRef,
        createdAt: Date, updatedAt: Date
    ) {
        self.problem = problem
        self.id = id
        self.accountID = accountID
        self.name = name
        self.body = body
        self.audience = audience
        self.status = status
        self.scheduledAt = scheduledAt
        self.queuedAt = queuedAt
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The text each recipient gets.
    public var textBody: String { CampaignRules.composed(body) }
}

/// Where one recipient of a campaign stands, as its page counts them.
public enum RecipientState: String, Sendable, Codable, CaseIterable {
    /// In the outbox, due now: waiting only for the marketing number's rate.
    case queued
    /// In the outbox, waiting for the recipient's quiet hours to end.
    case held
    case sent
    case delivered
    case failed
    /// Refused by the consent gate (at queuing, or at sending when consent changed meanwhile).
    case skipped
}

/// A running or finished campaign's numbers (SC6): one count per state, and why recipients were
/// skipped.
public struct CampaignProgress: Sendable, Equatable, Codable {
    public var total: Int
    public var counts: [RecipientState: Int]
    public var skippedReasons: [String: Int]

    public init(total: Int = 0, counts: [RecipientState: Int] = [:], skippedReasons: [String: Int] = [:]) {
        self.total = total
        self.counts = counts
        self.skippedReasons = skippedReasons
    }

    public func count(_ state: RecipientState) -> Int { counts[state] ?? 0 }

    /// Nothing is left to send.
    public var isFinished: Bool { count(.queued) == 0 && count(.held) == 0 }
}

/// The campaign rules, pure.
public enum CampaignRules {
    /// Appended to every marketing text (SC6); it counts toward the 160 characters.
    public static let optOutLine = "Reply STOP to opt out"

    public static func composed(_ body: String) -> String {
        "\(body)\n\(optOutLine)"
    }

    /// The most a marketer can write: the opt-out line and its line break take the rest.
    public static let maximumBodyCharacters = MessageText.maximumCharacters - optOutLine.count - 1

    public static func validatedName(_ input: String?) throws(FieldlineError) -> String {
        try Text.required(input, field: "name", label: "Campaign name", maxLength: 120)
    }

    /// The body, trimmed, checked to fit one text together with the opt-out line.
    public static func validatedBody(_ input: String?) throws(FieldlineError) -> String {
        let body = (input ?? "").trimmingWhitespace()
        guard !body.isEmpty else {
            throw .invalid(field: "body", message: "Write the campaign's text first.")
        }
        guard body.count <= maximumBodyCharacters else {
            throw .invalid(
                field: "body",
                message: "A campaign text is at most \(maximumBodyCharacters) characters, so that \"\(optOutLine)\" "
                    + "fits in the same 160; this one has \(body.count).")
        }
        let text = MessageText(composed(body))
        if text.segments > 1, text.encoding == .gsm7 {
            throw .invalid(
                field: "body",
                message: "Some characters (€ [ ] { } ~ | ^ \\) take the room of two in a text; "
                    + "shorten it by \(text.units - 160) to fit one text with the opt-out line.")
        }
        guard text.segments == 1 else {
            throw .invalid(
                field: "body",
                message: "This text has characters outside the basic SMS alphabet (emoji or special letters), "
                    + "which limits one text to 70 characters including the opt-out line. "
                    + "Shorten it to \(70 - optOutLine.count - 1) or use plain letters.")
        }
        return body
    }

    public static func validatedAudience(_ audience: CampaignAudience) throws(FieldlineError) -> CampaignAudience {
        var cleaned = audience
        cleaned.tags = try Customer.validatedTags(audience.tags)
        if let from = audience.lastServiceFrom, let before = audience.lastServiceBefore, from >= before {
            throw .invalid(
                field: "lastServiceBefore", message: "\"Last service before\" must be later than \"last service from\"."
            )
        }
        return cleaned
    }

    /// A schedule in the past (beyond a minute's grace for a slow form) is a mistake, not "now".
    public static func validatedSchedule(_ instant: Date, now: Date) throws(FieldlineError) -> Date {
        guard instant >= now.addingTimeInterval(-60) else {
            throw .invalid(field: "scheduledAt", message: "Choose a time in the future, or send it now.")
        }
        guard instant <= now.addingTimeInterval(366 * 24 * 3600) else {
            throw .invalid(field: "scheduledAt", message: "Campaigns can be scheduled up to a year ahead.")
        }
        return max(instant, now)
    }

    /// Only drafts and scheduled campaigns change; what was queued is sent (or canceled).
    public static func isEditable(_ status: CampaignStatus) -> Bool {
        status == .draft || status == .scheduled
    }
}
