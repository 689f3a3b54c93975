import FieldlineCore
import Foundation
import SQLKit

/// Texts in and out, and the media customers sent with them.
public struct MessageStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct Row: StoredRow {
        static let mapping = TableMapping<Self>(table: "messages")

        var id: String
        var accountId: String
        var conversationId: String?
        var direction: String
        var disposition: String?
        var phone: String
        var ourNumber: String
        var body: String
        var purpose: String?
        var authorKind: String
        var authorId: String?
        var authorName: String
        var automation: String?
        var jobId: String?
        var status: String
        var errorCode: String?
        var errorMessage: String?
        var provider: String
        var providerMessageId: String?
        var segments: Int
        var encoding: String
        var mediaCount: Int
        var resendOf: String?
        var createdAt: Date
        var statusAt: Date
        var redactedAt: Date?

        init(_ message: Message) {
            id = message.id.rawValue
            accountId = message.accountID.rawValue
            conversationId = message.conversationID?.rawValue
            direction = message.direction.rawValue
            disposition = message.disposition?.rawValue
            phone = message.phone.e164
            ourNumber = message.ourNumber.e164
            body = message.body
            purpose = message.purpose?.rawValue
            authorKind = message.author.kind.rawValue
            authorId = message.author.id
            authorName = message.author.name
            automation = message.author.automation?.rawValue
            jobId = message.jobID?.rawValue
            status = message.status.rawValue
            errorCode = message.errorCode
            errorMessage = message.errorMessage
            provider = message.provider
            providerMessageId = message.providerMessageID
            segments = message.segments
            encoding = message.encoding.rawValue
            mediaCount = message.mediaCount
            resendOf = message.resendOf?.rawValue
            createdAt = message.createdAt
            statusAt = message.statusAt
            redactedAt = message.redactedAt
        }

        var message: Message {
            get throws {
                Message(
                    id: MessageID(id), accountID: AccountID(accountId),
                    conversationID: conversationId.map(ConversationID.init),
                    direction: try MessageDirection.stored(direction, table: "messages", column: "direction"),
                    disposition: try InboundDisposition.stored(
                        ifAny: disposition, table: "messages", column: "disposition"),
                    phone: PhoneNumber(storedE164: phone), ourNumber: PhoneNumber(storedE164: ourNumber), body: body,
                    purpose: try MessagePurpose.stored(ifAny: purpose, table: "messages", column: "purpose"),
                    author: MessageAuthor(
                        kind: try AuthorKind.stored(authorKind, table: "messages", column: "author_kind"), id: authorId,
                        name: authorName,
                        automation: try Automation.stored(ifAny: automation, table: "messages", column: "automation")),
                    jobID: jobId.map(JobID.init),
                    status: try DeliveryStatus.stored(status, table: "messages", column: "status"),
                    errorCode: errorCode,
                    errorMessage: errorMessage, provider: provider, providerMessageID: providerMessageId,
                    segments: segments,
                    encoding: try MessageText.Encoding.stored(encoding, table: "messages", column: "encoding"),
                    mediaCount: mediaCount,
                    resendOf: resendOf.map(MessageID.init), createdAt: createdAt, statusAt: statusAt,
                    redactedAt: redactedAt)
            }
        }
    }

    /// Messages written in the same instant (an inbound STOP and its confirmation share one
    /// transaction) keep the order they were written in: SQLite's rowid, PostgreSQL's sequence.
    var insertionOrder: SQLColumn {
        SQLColumn(sql.dialect.name == "postgresql" ? "seq" : "rowid")
    }

    /// Inserts a message; false when a message with the same provider id exists (a retried webhook).
    @discardableResult
    public func insert(_ message: Message) async throws -> Bool {
        do {
            try await sql.insert(Row(message))
            return true
        } catch  where StoreErrors.isUniqueViolation(error) && message.providerMessageID != nil {
            return false
        }
    }

    /// Inserts copies of `template` that differ only in id and recipient: a campaign's slice. The
    /// template's columns are bound once per statement and only (id, phone) per text, from a
    /// `VALUES` list (its columns are `column1`, `column2` on both engines): binding every column of
    /// every text cost more than the database's own work.
    public func insert(copiesOf template: Message, to recipients: [(id: MessageID, phone: PhoneNumber)]) async throws {
        try await sql.insert(copiesOf: Row(template), varying: ["id", "phone"], for: recipients) { row, recipient in
            row.id = recipient.id.rawValue
            row.phone = recipient.phone.e164
        }
    }

    public func find(_ id: MessageID, in accountID: AccountID) async throws -> Message? {
        try await sql.select(Row.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(Row.self).message
    }

    /// A message by its provider id, within the account the id came with (a status callback's
    /// verified account): provider ids are unique per account, not across them.
    public func find(providerMessageID: String, in accountID: AccountID) async throws -> Message? {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("provider_message_id", .equal, providerMessageID)
            .first()?.stored(Row.self).message
    }

    /// A thread's messages, newest first, before `before` when paging back.
    public func messages(
        ofConversation id: ConversationID, in accountID: AccountID, before: Date? = nil, limit: Int
    ) async throws -> [Message] {
        let query = sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("conversation_id", .equal, id.rawValue)
        if let before { query.where("created_at", .lessThan, before) }
        return try await query.orderBy("created_at", .descending)
            .orderBy(SQLOrderBy(expression: insertionOrder, direction: SQLDirection.descending)).limit(limit)
            .all().map { try $0.stored(Row.self).message }
    }

    /// Every text tied to a job (CH19), oldest first.
    public func messages(ofJob id: JobID, in accountID: AccountID, limit: Int = 500) async throws -> [Message] {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("job_id", .equal, id.rawValue)
            .orderBy("created_at").orderBy(SQLOrderBy(expression: insertionOrder, direction: SQLDirection.ascending))
            .limit(limit)
            .all().map { try $0.stored(Row.self).message }
    }

    /// Every text between one phone and one of the account's numbers, newest first: what that
    /// phone itself would show.
    public func messages(
        between phone: PhoneNumber, and ourNumber: PhoneNumber, in accountID: AccountID, limit: Int
    ) async throws -> [Message] {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164)
            .where("our_number", .equal, ourNumber.e164)
            .orderBy("created_at", .descending)
            .orderBy(SQLOrderBy(expression: insertionOrder, direction: SQLDirection.descending))
            .limit(limit)
            .all().map { try $0.stored(Row.self).message }
    }

    /// Inbound texts that went somewhere other than the inbox, newest first.
    public func messages(
        disposition: InboundDisposition, in accountID: AccountID, limit: Int, offset: Int
    ) async throws -> [Message] {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("disposition", .equal, disposition.rawValue)
            .orderBy("created_at", .descending)
            .orderBy(SQLOrderBy(expression: insertionOrder, direction: SQLDirection.descending))
            .limit(limit).offset(offset)
            .all().map { try $0.stored(Row.self).message }
    }

    /// Which of these provider ids Fieldline already recorded, for reconciling a lost send.
    /// Marketing texts queued or sent to `phone` since `since` (CP4): what the frequency limit
    /// counts. Failed, undelivered and canceled ones never reached the customer. Reads
    /// `messages_phone`.
    public func marketingCount(to phone: PhoneNumber, since: Date, in accountID: AccountID) async throws -> Int {
        let row = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("messages")
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164)
            .where("created_at", .greaterThanOrEqual, since)
            .where("purpose", .equal, MessagePurpose.marketing.rawValue)
            .where("direction", .equal, MessageDirection.outbound.rawValue)
            .where(
                "status", .notIn,
                [DeliveryStatus.failed.rawValue, DeliveryStatus.canceled.rawValue, DeliveryStatus.undelivered.rawValue]
            )
            .first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    public func knownProviderIDs(_ ids: [String], in accountID: AccountID) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let rows = try await sql.select().column("provider_message_id").from("messages")
            .where("account_id", .equal, accountID.rawValue).where("provider_message_id", .in, ids).all()
        return Set(try rows.map { try $0.decode(column: "provider_message_id", as: String.self) })
    }

    /// The provider's id for a text it accepted.
    public func recordProviderID(_ providerID: String, of id: MessageID) async throws {
        try await sql.update("messages").set("provider_message_id", to: providerID).where("id", .equal, id.rawValue)
            .run()
    }

    public func setError(message text: String, of id: MessageID) async throws {
        try await sql.update("messages").set("error_message", to: text).where("id", .equal, id.rawValue).run()
    }

    /// A message this version cannot read (`CorruptRow`) fails for good with that reason, whatever
    /// its stored status: the outbox never sends it as something it is not.
    public func failUnreadable(_ id: MessageID, reason: CorruptRow, at instant: Date) async throws {
        try await sql.update("messages").set("status", to: DeliveryStatus.failed.rawValue)
            .set("status_at", to: instant).set("error_code", to: ErrorCode.corruptRow.rawValue)
            .set("error_message", to: reason.description).where("id", .equal, id.rawValue).run()
    }

    /// Moves a message to `status` unless it already reached that stage or a later one (callbacks
    /// come out of order). Returns whether it changed.
    @discardableResult
    public func advance(
        _ id: MessageID, to status: DeliveryStatus, errorCode: String? = nil, errorMessage: String? = nil,
        providerMessageID: String? = nil, at instant: Date
    ) async throws -> Bool {
        let earlier = DeliveryStatus.allCases.filter { $0.canAdvance(to: status) }.map(\.rawValue)
        guard !earlier.isEmpty else { return false }
        let update = sql.update("messages").set("status", to: status.rawValue).set("status_at", to: instant)
        if let errorCode { update.set("error_code", to: errorCode) }
        if let errorMessage { update.set("error_message", to: errorMessage) }
        if let providerMessageID { update.set("provider_message_id", to: providerMessageID) }
        let rows = try await update.where("id", .equal, id.rawValue).where("status", .in, earlier)
            .returning("id").all()
        return !rows.isEmpty
    }

    // MARK: Delivery reports that arrived before their message's provider id was recorded

    public struct DeliveryReport: Sendable, Equatable {
        public var providerMessageID: String
        public var status: String
        public var errorCode: String?
        public var errorMessage: String?

        public init(providerMessageID: String, status: String, errorCode: String?, errorMessage: String?) {
            self.providerMessageID = providerMessageID
            self.status = status
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    /// Serializes, until the transaction ends, everything done about one provider message id: a
    /// status callback racing the worker that records the id. Under PostgreSQL's read-committed
    /// isolation each would otherwise miss the other's uncommitted row (the report held, the id
    /// recorded) and the report would never be applied. SQLite runs one writer at a time already.
    public func lockProviderID(_ providerMessageID: String, in accountID: AccountID) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        let key = accountID.rawValue + "/" + providerMessageID
        try await sql.raw("SELECT pg_advisory_xact_lock(hashtextextended(\(bind: key), 0))").run()
    }

    struct HeldReportRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "held_delivery_reports")

        var accountId: String
        var providerMessageId: String
        var status: String
        var errorCode: String?
        var errorMessage: String?
        var receivedAt: Date

        var report: DeliveryReport {
            DeliveryReport(
                providerMessageID: providerMessageId, status: status, errorCode: errorCode, errorMessage: errorMessage)
        }
    }

    /// The report held for a provider id of the account, if one came early.
    public func heldReport(providerMessageID: String, in accountID: AccountID) async throws -> DeliveryReport? {
        try await sql.select(HeldReportRow.self).where("account_id", .equal, accountID.rawValue)
            .where("provider_message_id", .equal, providerMessageID).first()?.stored(HeldReportRow.self).report
    }

    public func holdReport(_ report: DeliveryReport, in accountID: AccountID, at instant: Date) async throws {
        try await sql.upsert(
            HeldReportRow(
                accountId: accountID.rawValue, providerMessageId: report.providerMessageID, status: report.status,
                errorCode: report.errorCode, errorMessage: report.errorMessage, receivedAt: instant),
            onConflict: ["account_id", "provider_message_id"])
    }

    public func pruneHeldReports(before instant: Date) async throws {
        try await sql.delete(from: "held_delivery_reports").where("received_at", .lessThan, instant).run()
    }

    /// Takes the held report for a provider id, if one came early.
    public func takeHeldReport(providerMessageID: String, in accountID: AccountID) async throws -> DeliveryReport? {
        guard let report = try await heldReport(providerMessageID: providerMessageID, in: accountID) else {
            return nil
        }
        try await sql.delete(from: "held_delivery_reports").where("account_id", .equal, accountID.rawValue)
            .where("provider_message_id", .equal, providerMessageID).run()
        return report
    }

    // MARK: Media

    /// The media's bytes (`data`) are read and written on their own, never with the row.
    struct MediaRow: QueueRow {
        typealias Key = String
        static let mapping = TableMapping<Self>(table: "message_media")
        /// A download being fetched stays `pending` to the rest of the product: its claim moves
        /// `next_attempt_at` past the lease, where a claim whose fetcher stopped falls due again.
        static let queue = WorkQueue<Self>(
            stateColumn: "state", waiting: MessageMedia.State.pending.rawValue,
            working: MessageMedia.State.pending.rawValue, failed: MessageMedia.State.failed.rawValue,
            dueColumn: "next_attempt_at", reasonColumn: "last_error", order: ["q.created_at", "q.id"])

        var id: String
        var accountId: String
        var messageId: String
        var position: Int
        var contentType: String
        var sourceUrl: String
        var state: String
        var byteCount: Int?
        var attempts: Int
        var nextAttemptAt: Date
        var lastError: String?
        var createdAt: Date

        /// A new download, due at once.
        init(_ media: MessageMedia) {
            id = media.id.rawValue
            accountId = media.accountID.rawValue
            messageId = media.messageID.rawValue
            position = media.position
            contentType = media.contentType
            sourceUrl = media.sourceURL
            state = media.state.rawValue
            byteCount = media.byteCount
            attempts = 0
            nextAttemptAt = media.createdAt
            lastError = nil
            createdAt = media.createdAt
        }

        var media: MessageMedia {
            get throws {
                MessageMedia(
                    id: MediaID(id), accountID: AccountID(accountId), messageID: MessageID(messageId),
                    position: position,
                    contentType: contentType, sourceURL: sourceUrl,
                    state: try MessageMedia.State.stored(state, table: "message_media", column: "state"),
                    byteCount: byteCount, createdAt: createdAt)
            }
        }
    }

    public func insert(_ media: MessageMedia) async throws {
        try await sql.insert(MediaRow(media))
    }

    public func media(ofMessages ids: [MessageID], in accountID: AccountID) async throws -> [MessageMedia] {
        guard !ids.isEmpty else { return [] }
        return try await sql.select(MediaRow.self)
            .where("account_id", .equal, accountID.rawValue).where("message_id", .in, ids.map(\.rawValue))
            .orderBy("message_id").orderBy("position")
            .all().map { try $0.stored(MediaRow.self).media }
    }

    public func media(_ id: MediaID, in accountID: AccountID) async throws -> MessageMedia? {
        try await sql.select(MediaRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(MediaRow.self).media
    }

    public func mediaData(_ id: MediaID, in accountID: AccountID) async throws -> (MessageMedia, Data)? {
        guard
            let row = try await sql.select(MediaRow.self).column("data")
                .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
                .where("state", .equal, MessageMedia.State.stored.rawValue).first()
        else { return nil }
        let media = try row.stored(MediaRow.self).media
        return (media, try row.decode(column: "data", as: Data.self))
    }

    /// Keeps a media file with a job; false when it already is.
    @discardableResult
    public func attach(
        _ media: MediaID, to job: JobID, by name: String, at instant: Date, in accountID: AccountID
    ) async throws -> Bool {
        do {
            try await sql.insert(
                AttachmentRow(
                    id: UUID().uuidString.lowercased(), accountId: accountID.rawValue, jobId: job.rawValue,
                    mediaId: media.rawValue, addedBy: name, addedAt: instant))
            return true
        } catch  where StoreErrors.isUniqueViolation(error) {
            return false
        }
    }

    struct AttachmentRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "job_attachments")

        var id: String
        var accountId: String
        var jobId: String
        var mediaId: String
        var addedBy: String
        var addedAt: Date
    }

    /// A job's attachments, oldest first.
    public func attachments(ofJob job: JobID, in accountID: AccountID) async throws -> [JobAttachment] {
        let query: SQLQueryString = """
            SELECT m.id AS m_id, m.message_id AS m_message_id, m.position AS m_position,
                   m.content_type AS m_content_type, m.source_url AS m_source_url, m.state AS m_state,
                   m.byte_count AS m_byte_count, m.created_at AS m_created_at,
                   a.id AS a_id, a.added_by AS a_added_by, a.added_at AS a_added_at
            FROM job_attachments a JOIN message_media m ON m.id = a.media_id AND m.account_id = a.account_id
            WHERE a.account_id = \(bind: accountID.rawValue) AND a.job_id = \(bind: job.rawValue)
            ORDER BY a.added_at, a.id
            """
        return try await sql.raw(query)
            .all().map { row in
                JobAttachment(
                    id: try row.decode(column: "a_id", as: String.self), jobID: job,
                    media: MessageMedia(
                        id: MediaID(try row.decode(column: "m_id", as: String.self)), accountID: accountID,
                        messageID: MessageID(try row.decode(column: "m_message_id", as: String.self)),
                        position: try row.decode(column: "m_position", as: Int.self),
                        contentType: try row.decode(column: "m_content_type", as: String.self),
                        sourceURL: try row.decode(column: "m_source_url", as: String.self),
                        state: try MessageMedia.State.stored(
                            row.decode(column: "m_state", as: String.self), table: "message_media", column: "state"),
                        byteCount: try row.decode(column: "m_byte_count", as: Int?.self),
                        createdAt: try row.decode(column: "m_created_at", as: Date.self)),
                    addedBy: try row.decode(column: "a_added_by", as: String.self),
                    addedAt: try row.decode(column: "a_added_at", as: Date.self))
            }
    }

    /// Claims up to `limit` media downloads that are due, oldest first, with the attempt each
    /// claim is (a claim older than `staleBefore` belongs to a fetcher that stopped).
    public func claimMedia(
        dueBy instant: Date, staleBefore: Date, limit: Int
    ) async throws -> [(media: MessageMedia, attempt: Int)] {
        try await MediaRow.queue.claim(in: sql, limit: limit, at: instant, staleBefore: staleBefore) {
            (try $0.media, $0.attempts)
        }
    }

    public func storeMedia(_ id: MediaID, contentType: String, data: Data) async throws {
        try await sql.update("message_media")
            .set("state", to: MessageMedia.State.stored.rawValue).set("content_type", to: contentType)
            .set("data", to: data).set("byte_count", to: data.count).set("last_error", to: String?.none)
            .where("id", .equal, id.rawValue).where("state", .equal, MessageMedia.State.pending.rawValue)
            .run()
    }

    /// Settles a failed download claimed as `attempt`: due again at `retryAt`, or failed for good
    /// when that is nil. A claim another fetcher took over since is left to it.
    public func failMedia(_ id: MediaID, attempt: Int, error: String, retryAt: Date?) async throws {
        let update = sql.update("message_media").set("last_error", to: error)
        if let retryAt {
            update.set("next_attempt_at", to: retryAt)
        } else {
            update.set("state", to: MessageMedia.State.failed.rawValue)
        }
        try await MediaRow.queue.stillClaimed(update.where("id", .equal, id.rawValue), attempts: attempt).run()
    }

    /// The most recent bodies an automatic sender wrote in an account, newest first.
    public func bodies(of automation: Automation, in accountID: AccountID, limit: Int) async throws -> [String] {
        try await sql.select().column("body").from("messages")
            .where("account_id", .equal, accountID.rawValue).where("automation", .equal, automation.rawValue)
            .orderBy("created_at", .descending).limit(limit).all()
            .map { try $0.decode(column: "body", as: String.self) }
    }
}

// MARK: Retention (OP3)

extension MessageStore {
    /// Removes the words and pictures of up to `limit` of the account's messages written before
    /// `cutoff`, oldest first; how many. A text still waiting in the outbox keeps its words (it
    /// has not gone yet). The row stays, so the thread and the delivery history keep their shape.
    public func redact(before cutoff: Date, in accountID: AccountID, at now: Date, limit: Int) async throws -> Int {
        let ids = try await sql.select().column("id").from(SQLAlias(SQLIdentifier("messages"), as: SQLIdentifier("m")))
            .where("account_id", .equal, accountID.rawValue)
            .where("created_at", .lessThan, cutoff)
            .where(SQLColumn("redacted_at", table: "m"), .is, SQLLiteral.null)
            .where(SQLQueryString("NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id)"))
            .orderBy("created_at").limit(limit)
            .all().map { try $0.decode(column: "id", as: String.self) }
        guard !ids.isEmpty else { return 0 }
        // A picture the office kept with a job stays with the job.
        try await sql.delete(from: SQLAlias(SQLIdentifier("message_media"), as: SQLIdentifier("mm")))
            .where("account_id", .equal, accountID.rawValue).where("message_id", .in, ids)
            .where(SQLQueryString("NOT EXISTS (SELECT 1 FROM job_attachments ja WHERE ja.media_id = mm.id)"))
            .run()
        try await sql.update("messages").set("body", to: "").set("redacted_at", to: now)
            .where("account_id", .equal, accountID.rawValue).where("id", .in, ids).run()
        // A thread whose last text is that old no longer shows its words in the inbox list.
        try await sql.update("conversations").set("last_message_preview", to: "")
            .where("account_id", .equal, accountID.rawValue).where("last_message_at", .lessThan, cutoff)
            .where("last_message_preview", .notEqual, "").run()
        return ids.count
    }
}
