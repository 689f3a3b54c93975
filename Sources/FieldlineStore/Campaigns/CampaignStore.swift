import FieldlineCore
import Foundation
import SQLKit

/// Marketing campaigns (SC6) and, per campaign, each number it reached for.
public struct CampaignStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct Row: StoredRow {
        static let mapping = TableMapping<Self>(table: "campaigns")

        var id: String
        var accountId: String
        var name: String
        var body: String
        var audience: String
        var status: String
        var scheduledAt: Date?
        var queuedAt: Date?
        var problem: String?
        var createdByKind: String
        var createdById: String?
        var createdByName: String
        var createdAt: Date
        var updatedAt: Date

        init(_ campaign: Campaign) throws {
            id = campaign.id.rawValue
            accountId = campaign.accountID.rawValue
            name = campaign.name
            body = campaign.body
            audience = try JSONColumn.encode(campaign.audience)
            status = campaign.status.rawValue
            scheduledAt = campaign.scheduledAt
            queuedAt = campaign.queuedAt
            problem = campaign.problem
            createdByKind = campaign.createdBy.kind.rawValue
            createdById = campaign.createdBy.id
            createdByName = campaign.createdBy.name
            createdAt = campaign.createdAt
            updatedAt = campaign.updatedAt
        }

        func campaign() throws -> Campaign {
            Campaign(
                id: CampaignID(id), accountID: AccountID(accountId), name: name, body: body,
                audience: try JSONColumn.decode(CampaignAudience.self, from: audience),
                status: try CampaignStatus.stored(status, table: "campaigns", column: "status"),
                scheduledAt: scheduledAt, queuedAt: queuedAt,
                problem: problem,
                createdBy: ActorRef(
                    kind: try ActorRef.Kind.stored(createdByKind, table: "campaigns", column: "created_by_kind"),
                    id: createdById, name: createdByName),
                createdAt: createdAt, updatedAt: updatedAt)
        }
    }

    public func insert(_ campaign: Campaign) async throws {
        try await sql.insert(try Row(campaign))
    }

    /// Saves a campaign only if it is still in `expected` status: two marketers (or a marketer and
    /// the scheduler) cannot both move it. False when it moved meanwhile. Who created it and when
    /// never change, and are not written.
    @discardableResult
    public func update(_ campaign: Campaign, expecting expected: [CampaignStatus]) async throws -> Bool {
        let row = try Row(campaign)
        let unchanging: Set = ["account_id", "created_by_kind", "created_by_id", "created_by_name", "created_at"]
        let changed = try await sql.update(row, leaving: unchanging).where("account_id", .equal, row.accountId)
            .where("status", in: expected.map(\.rawValue))
            .returning("id")
        return !changed.isEmpty
    }

    public func find(_ id: CampaignID, in accountID: AccountID) async throws -> Campaign? {
        try await sql.select(Row.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(Row.self).campaign()
    }

    /// Newest first.
    public func all(in accountID: AccountID, limit: Int, offset: Int) async throws -> [Campaign] {
        try await sql.select(Row.self).where("account_id", .equal, accountID.rawValue)
            .orderBy("created_at", .descending).orderBy("id", .descending).limit(limit)
            .offset(offset)
            .all().map { try $0.stored(Row.self).campaign() }
    }

    // MARK: Scheduling

    /// A campaign whose time has come, or one whose queuing stopped (its server died) and whose
    /// lease ran out: `claim` it before working on it.
    public func nextDue(at now: Date, staleBefore: Date) async throws -> (CampaignID, AccountID)? {
        let row = try await sql.select().columns("id", "account_id").from("campaigns")
            .where(Self.dueOrStale(now: now, staleBefore: staleBefore))
            .orderBy("scheduled_at").limit(1).first()
        guard let row else { return nil }
        return (
            CampaignID(try row.decode(column: "id", as: String.self)),
            AccountID(try row.decode(column: "account_id", as: String.self))
        )
    }

    /// The earliest scheduled campaign's time, so the scheduler sleeps until then.
    public func nextScheduledAt() async throws -> Date? {
        try await sql.select().column("scheduled_at").from("campaigns")
            .where("status", .equal, CampaignStatus.scheduled.rawValue).orderBy("scheduled_at").limit(1)
            .first()?.decode(column: "scheduled_at", as: Date?.self)
    }

    /// Takes a due campaign for queuing (or takes over a stale one). Only one server wins.
    public func claim(_ id: CampaignID, at now: Date, staleBefore: Date) async throws -> Bool {
        let rows = try await sql.update("campaigns")
            .set("status", to: CampaignStatus.queuing.rawValue).set("updated_at", to: now)
            .where("id", .equal, id.rawValue)
            .where(Self.dueOrStale(now: now, staleBefore: staleBefore))
            .returning("id").all()
        return !rows.isEmpty
    }

    static func dueOrStale(now: Date, staleBefore: Date) -> SQLQueryString {
        """
        ((status = \(bind: CampaignStatus.scheduled.rawValue) AND scheduled_at <= \(bind: now))
         OR (status = \(bind: CampaignStatus.queuing.rawValue) AND updated_at < \(bind: staleBefore)))
        """
    }

    /// Renews the queuing lease; false when the campaign is no longer queuing (canceled).
    public func renew(_ id: CampaignID, at now: Date) async throws -> Bool {
        let rows = try await sql.update("campaigns").set("updated_at", to: now)
            .where("id", .equal, id.rawValue).where("status", .equal, CampaignStatus.queuing.rawValue)
            .returning("id").all()
        return !rows.isEmpty
    }

    // MARK: Audience

    /// A number with explicit marketing consent and every fact the consent gate judges it by,
    /// read in one pass: a campaign's audience is the largest read Fieldline makes.
    public struct AudienceMember: Sendable, Equatable {
        public var consent: SMSConsent
        /// The customer's stored number, when it belongs to one (people who signed up by the
        /// form or the opt-in link may not be customers).
        public var customerID: CustomerID?
        public var kind: PhoneKind?
        public var preferences: NotificationPreferences?
        public var blocked: Bool
        /// The state of the customer's first service location, for quiet hours.
        public var state: String?
        /// Marketing texts queued or sent to the number since the audience's `marketingSince` (CP4).
        public var recentMarketing: Int = 0
        /// Its conversation is open and waiting for the office's answer.
        public var awaitingOurReply: Bool = false

        public var phone: PhoneNumber { consent.phone }
    }

    /// Numbers with explicit marketing consent, narrowed by `audience`, not yet taken by
    /// `campaign`, in number order after `after`, each with its marketing texts since
    /// `marketingSince` and whether its thread waits for our answer (CP4). The Messenger's gate
    /// still judges each one.
    public func audience(
        _ audience: CampaignAudience, in accountID: AccountID, excludingTakenBy campaign: CampaignID?,
        after: PhoneNumber?, limit: Int, marketingSince: Date
    ) async throws -> [AudienceMember] {
        var query = SQLQueryString(
            """
            SELECT s.phone, s.opted_out, s.marketing, s.confirmation_owed, s.double_opt_in_until,
                   p.customer_id, p.kind, p.job_notifications, p.marketing_updates,
                   (SELECT l.state FROM locations l WHERE l.account_id = s.account_id AND l.customer_id = p.customer_id
                    ORDER BY l.created_at, l.id LIMIT 1) AS state,
                   CASE WHEN EXISTS (SELECT 1 FROM blocked_numbers b WHERE b.account_id = s.account_id
                                     AND b.phone = s.phone) THEN 1 ELSE 0 END AS blocked,
                   (SELECT COUNT(*) FROM messages m WHERE m.account_id = s.account_id AND m.phone = s.phone
                    AND m.created_at >= \(bind: marketingSince) AND m.purpose = 'marketing'
                    AND m.direction = 'outbound' AND m.status NOT IN ('failed', 'canceled', 'undelivered')) AS recent_marketing,
                   CASE WHEN EXISTS (SELECT 1 FROM conversations cv WHERE cv.account_id = s.account_id
                                     AND cv.phone = s.phone AND cv.status = 'open' AND cv.awaiting_reply = \(bind: true))
                        THEN 1 ELSE 0 END AS awaiting_reply
            FROM sms_consent s
            LEFT JOIN phone_contacts p ON p.account_id = s.account_id AND p.e164 = s.phone
            """)
        if !audience.tags.isEmpty {
            query.appendInterpolation(
                unsafeRaw: " JOIN customers c ON c.id = p.customer_id AND c.account_id = s.account_id")
        }
        query.appendInterpolation(unsafeRaw: " WHERE s.account_id = ")
        query.appendInterpolation(bind: accountID.rawValue)
        query.appendInterpolation(unsafeRaw: " AND s.marketing = ")
        query.appendInterpolation(bind: MarketingConsent.optedIn.rawValue)
        query.appendInterpolation(unsafeRaw: " AND s.phone > ")
        query.appendInterpolation(bind: after?.e164 ?? "")
        if !audience.tags.isEmpty {
            query.appendInterpolation(unsafeRaw: " AND (")
            for (index, tag) in audience.tags.enumerated() {
                if index > 0 { query.appendInterpolation(unsafeRaw: " OR ") }
                query.appendInterpolation(unsafeRaw: "c.tags LIKE ")
                query.appendInterpolation(bind: SearchPattern.contains("|\(tag)|"))
                query.appendInterpolation(unsafeRaw: " ESCAPE '\\'")
            }
            query.appendInterpolation(unsafeRaw: ")")
        }
        if audience.filtersOnService {
            // A visit's completion is the service; a later edit of the job does not move it.
            let lastService = """
                (SELECT max(a.completed_at) FROM assignments a JOIN jobs j ON j.id = a.job_id
                 WHERE j.account_id = s.account_id AND j.customer_id = p.customer_id AND a.completed_at IS NOT NULL)
                """
            if let from = audience.lastServiceFrom {
                query.appendInterpolation(unsafeRaw: " AND \(lastService) >= ")
                query.appendInterpolation(bind: from)
            }
            if let before = audience.lastServiceBefore {
                query.appendInterpolation(unsafeRaw: " AND \(lastService) < ")
                query.appendInterpolation(bind: before)
            }
        }
        if let campaign {
            query.appendInterpolation(
                unsafeRaw: " AND NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = ")
            query.appendInterpolation(bind: campaign.rawValue)
            query.appendInterpolation(unsafeRaw: " AND r.account_id = s.account_id AND r.phone = s.phone)")
        }
        query.appendInterpolation(unsafeRaw: " ORDER BY s.phone LIMIT ")
        query.appendInterpolation(bind: limit)
        return try await sql.raw(query).all().map { row in
            let phone = PhoneNumber(storedE164: try row.decode(column: "phone", as: String.self))
            let customer = try row.decode(column: "customer_id", as: String?.self)
            let kind = try row.decode(column: "kind", as: String?.self)
            var preferences: NotificationPreferences?
            if customer != nil {
                preferences = NotificationPreferences(
                    jobNotifications: try row.decode(column: "job_notifications", as: Bool.self),
                    marketingUpdates: try row.decode(column: "marketing_updates", as: Bool.self))
            }
            return AudienceMember(
                consent: SMSConsent(
                    phone: phone, optedOut: try row.decode(column: "opted_out", as: Bool.self),
                    marketing: MarketingConsent(rawValue: try row.decode(column: "marketing", as: String.self))
                        ?? .none,
                    confirmationOwed: try row.decode(column: "confirmation_owed", as: Bool.self),
                    doubleOptInPendingUntil: try row.decode(column: "double_opt_in_until", as: Date?.self)),
                customerID: customer.map(CustomerID.init),
                kind: try PhoneKind.stored(ifAny: kind, table: "phone_contacts", column: "kind"),
                preferences: preferences, blocked: try row.decode(column: "blocked", as: Int.self) == 1,
                state: try row.decode(column: "state", as: String?.self),
                recentMarketing: try row.decode(column: "recent_marketing", as: Int.self),
                awaitingOurReply: try row.decode(column: "awaiting_reply", as: Int.self) == 1)
        }
    }

    // MARK: Recipients

    public struct Recipient: Sendable, Equatable {
        public var phone: PhoneNumber
        public var messageID: MessageID?
        public var skipReason: String?

        public init(phone: PhoneNumber, messageID: MessageID?, skipReason: String?) {
            self.phone = phone
            self.messageID = messageID
            self.skipReason = skipReason
        }
    }

    struct RecipientRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "campaign_recipients")

        var campaignId: String
        var phone: String
        var accountId: String
        var messageId: String?
        var skipReason: String?
    }

    /// A campaign reaches for up to 100,000 numbers: the campaign and account are bound once per
    /// statement and only (phone, message, skip reason) per recipient.
    public func insertRecipients(
        _ recipients: [Recipient], of campaign: CampaignID, in accountID: AccountID
    ) async throws {
        let template = RecipientRow(
            campaignId: campaign.rawValue, phone: "", accountId: accountID.rawValue, messageId: nil, skipReason: nil)
        let varying = ["phone", "message_id", "skip_reason"]
        try await sql.insert(copiesOf: template, varying: varying, for: recipients) { row, recipient in
            row.phone = recipient.phone.e164
            row.messageId = recipient.messageID?.rawValue
            row.skipReason = recipient.skipReason
        }
    }

    /// After a campaign's queuing has grown these tables by orders of magnitude, PostgreSQL's
    /// planner still believes their old sizes until autovacuum catches up, and plans the progress
    /// query as nested loops over "a few" rows (measured: minutes instead of a fraction of a
    /// second for 100,000 recipients). SQLite plans from its indexes and needs nothing.
    public func refreshStatistics() async throws {
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("ANALYZE campaign_recipients, messages, outbox, sms_consent").run()
    }

    /// Whether the campaign that queued this text was canceled since: the outbox's last check.
    public func isCanceled(message id: MessageID, in accountID: AccountID) async throws -> Bool {
        try await sql.raw(
            """
            SELECT 1 AS canceled FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
            WHERE r.message_id = \(bind: id.rawValue) AND r.account_id = \(bind: accountID.rawValue)
              AND c.status = \(bind: CampaignStatus.canceled.rawValue)
            """
        ).first() != nil
    }

    /// Where each recipient stands: skipped at queuing, or its message's state (a text the
    /// outbox canceled on its last check counts as skipped, with the gate's reason).
    public func progress(
        of campaign: CampaignID, in accountID: AccountID, at now: Date
    ) async throws -> CampaignProgress {
        let rows = try await sql.raw(
            """
            SELECT r.skip_reason, m.status, m.error_code, CASE WHEN o.not_before > \(bind: now) THEN 1 ELSE 0 END AS later,
                   count(*) AS n
            FROM campaign_recipients r
            LEFT JOIN messages m ON m.id = r.message_id
            LEFT JOIN outbox o ON o.message_id = r.message_id
            WHERE r.campaign_id = \(bind: campaign.rawValue) AND r.account_id = \(bind: accountID.rawValue)
            GROUP BY 1, 2, 3, 4
            """
        ).all()
        var progress = CampaignProgress()
        for row in rows {
            let count = try row.decode(column: "n", as: Int.self)
            let skipReason = try row.decode(column: "skip_reason", as: String?.self)
            let status = try DeliveryStatus.stored(
                ifAny:
                    row.decode(column: "status", as: String?.self), table: "messages", column: "status")
            let errorCode = try row.decode(column: "error_code", as: String?.self)
            let later = try row.decode(column: "later", as: Int.self) == 1
            let state: RecipientState
            var reason: String?
            switch (skipReason, status) {
            case (let skipped?, _):
                state = .skipped
                reason = skipped
            case (nil, .queued?):
                state = later ? .held : .queued
            case (nil, .sending?), (nil, .sent?):
                // Handed to the provider: the carrier's report may still come.
                state = .sent
            case (nil, .delivered?):
                state = .delivered
            case (nil, .canceled?):
                state = .skipped
                reason = errorCode ?? "canceled"
            default:
                state = .failed
            }
            progress.total += count
            progress.counts[state, default: 0] += count
            if let reason { progress.skippedReasons[reason, default: 0] += count }
        }
        return progress
    }

    /// The campaign's texts still waiting in the outbox and not yet claimed by a worker.
    public func pendingMessages(of campaign: CampaignID, in accountID: AccountID) async throws -> [MessageID] {
        try await sql.raw(
            """
            SELECT o.message_id FROM outbox o
            JOIN campaign_recipients r ON r.message_id = o.message_id
            WHERE r.campaign_id = \(bind: campaign.rawValue) AND r.account_id = \(bind: accountID.rawValue)
              AND o.state = 'pending'
            """
        ).all().map { MessageID(try $0.decode(column: "message_id", as: String.self)) }
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
