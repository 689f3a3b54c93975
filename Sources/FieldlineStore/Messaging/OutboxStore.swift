import FieldlineCore
import Foundation
import SQLKit

/// Texts waiting to be handed to their provider. A row is `pending` until a worker claims it
/// (`in_flight`, with the worker's id), and deleted once the provider has it; a row claimed by a
/// worker that stopped beating is reconciled with the provider before it is tried again.
public struct OutboxStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    public enum State: String, Sendable {
        case pending
        case inFlight = "in_flight"
    }

    public struct Entry: Sendable, Equatable {
        /// Increasing in the order texts were queued, which is the order they go out in.
        public var id: Int64
        public var accountID: AccountID
        public var messageID: MessageID
        public var senderNumberID: SenderNumberID
        public var state: State
        public var notBefore: Date
        public var attempts: Int
        public var claimedBy: String?
        public var claimedAt: Date?
        public var createdAt: Date
        /// 0 goes before 1 among a number's due texts: a campaign's backlog (1) never holds up a
        /// reply or the confirmation of a STOP (0).
        public var priority: Int

        public init(
            id: Int64, accountID: AccountID, messageID: MessageID, senderNumberID: SenderNumberID, state: State,
            notBefore: Date, attempts: Int, claimedBy: String?, claimedAt: Date?, createdAt: Date, priority: Int = 0
        ) {
            self.priority = priority
            self.id = id
            self.accountID = accountID
            self.messageID = messageID
            self.senderNumberID = senderNumberID
            self.state = state
            self.notBefore = notBefore
            self.attempts = attempts
            self.claimedBy = claimedBy
            self.claimedAt = claimedAt
            self.createdAt = createdAt
        }
    }

    struct Row: QueueRow {
        typealias Key = Int64
        static let mapping = TableMapping<Self>(table: "outbox", assignedByDatabase: ["id"])
        /// A row leaves the outbox when its text is handed over or given up on (the message keeps
        /// the outcome), so `failed` is never stored: the only enum column is the state the claim
        /// itself writes. A claim does not go stale by time: a worker that stopped beating has its
        /// texts reconciled with the provider (`abandoned`) before they are tried again.
        static let queue = WorkQueue<Self>(
            stateColumn: "state", waiting: State.pending.rawValue, working: State.inFlight.rawValue, failed: "failed",
            dueColumn: "not_before", reasonColumn: "last_error", order: ["q.priority", "q.not_before", "q.id"])

        var id: Int64
        var accountId: String
        var messageId: String
        var senderNumberId: String
        var state: String
        var notBefore: Date
        var attempts: Int
        var claimedBy: String?
        var claimedAt: Date?
        var lastError: String?
        var createdAt: Date
        var priority: Int

        init(_ entry: Entry) {
            id = entry.id
            accountId = entry.accountID.rawValue
            messageId = entry.messageID.rawValue
            senderNumberId = entry.senderNumberID.rawValue
            state = entry.state.rawValue
            notBefore = entry.notBefore
            attempts = entry.attempts
            claimedBy = entry.claimedBy
            claimedAt = entry.claimedAt
            lastError = nil
            createdAt = entry.createdAt
            priority = entry.priority
        }

        var entry: Entry {
            get throws {
                Entry(
                    id: id, accountID: AccountID(accountId), messageID: MessageID(messageId),
                    senderNumberID: SenderNumberID(senderNumberId),
                    state: try State.stored(state, table: "outbox", column: "state"),
                    notBefore: notBefore, attempts: attempts, claimedBy: claimedBy, claimedAt: claimedAt,
                    createdAt: createdAt, priority: priority)
            }
        }
    }

    var isPostgres: Bool { sql.dialect.name == "postgresql" }

    /// Queues a text; the entry's `id` is ignored and the assigned one returned.
    @discardableResult
    public func insert(_ entry: Entry) async throws -> Int64 {
        let row = try await sql.insert(Row(entry), returning: "id")
        return try row?.decode(column: "id", as: Int64.self) ?? 0
    }

    /// Queues copies of `template` for many texts, each with its own time, in the order given
    /// (which is the order they go out in). The template's columns are bound once per statement.
    public func insert(copiesOf template: Entry, for texts: [(message: MessageID, notBefore: Date)]) async throws {
        // The VALUES order is the queue order: the ids are assigned in it.
        try await sql.insert(copiesOf: Row(template), varying: ["message_id", "not_before"], for: texts) { row, text in
            row.messageId = text.message.rawValue
            row.notBefore = text.notBefore
        }
    }

    /// Takes back texts no worker has claimed yet; the ids of those it took.
    public func removePending(messages ids: [MessageID]) async throws -> [MessageID] {
        var removed: [MessageID] = []
        for chunk in ids.chunked(into: 1000) {
            removed += try await sql.delete(from: "outbox").where("state", .equal, State.pending.rawValue)
                .where("message_id", .in, chunk.map(\.rawValue)).returning("message_id").all()
                .map { MessageID(try $0.decode(column: "message_id", as: String.self)) }
        }
        return removed
    }

    /// Each sender number with pending texts, and when its earliest one is due.
    public func pendingSenders() async throws -> [(SenderNumberID, Date)] {
        try await sql.select().column("sender_number_id")
            .column(SQLFunction("MIN", args: SQLColumn("not_before")), as: "due")
            .from("outbox").where("state", .equal, State.pending.rawValue)
            .groupBy("sender_number_id")
            .all().map { row in
                (
                    SenderNumberID(try row.decode(column: "sender_number_id", as: String.self)),
                    try row.decode(column: "due", as: Date.self)
                )
            }
    }

    /// The oldest due text of a sender, claimed for `worker`.
    public func claimNext(for sender: SenderNumberID, at instant: Date, worker: String) async throws -> Entry? {
        try await claimBatch(for: sender, limit: 1, at: instant, worker: worker).first
    }

    /// The texts waiting to go out from a sender number.
    public func messages(of sender: SenderNumberID) async throws -> [MessageID] {
        try await sql.select().column("message_id").from("outbox").where("sender_number_id", .equal, sender.rawValue)
            .all().map { MessageID(try $0.decode(column: "message_id", as: String.self)) }
    }

    /// Up to `limit` of a sender's due texts, oldest first, claimed for `worker` at once.
    public func claimBatch(
        for sender: SenderNumberID, limit: Int, at instant: Date, worker: String
    ) async throws
        -> [Entry]
    {
        try await Row.queue.claim(
            in: sql, limit: limit, at: instant, staleBefore: nil,
            filter: "q.sender_number_id = \(bind: sender.rawValue)",
            alsoSet: [("claimed_by", worker)]
        ) { try $0.entry }
    }

    /// Claimed rows a stopping worker never handed to the provider go back to the queue.
    public func unclaim(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await sql.update("outbox")
            .set("state", to: State.pending.rawValue).set("claimed_by", to: String?.none)
            .set("claimed_at", to: Date?.none).set(SQLIdentifier("attempts"), to: SQLRaw("attempts - 1"))
            .where("id", .in, ids).run()
    }

    /// A claimed text that may not go yet (its recipient's quiet hours began while it waited)
    /// goes back to the queue until `instant`; the claim does not count as an attempt.
    public func hold(_ id: Int64, until instant: Date) async throws {
        try await sql.update("outbox")
            .set("state", to: State.pending.rawValue).set("not_before", to: instant)
            .set("claimed_by", to: String?.none).set("claimed_at", to: Date?.none)
            .set(SQLIdentifier("attempts"), to: SQLRaw("attempts - 1"))
            .where("id", .equal, id).run()
    }

    public func find(message id: MessageID) async throws -> Entry? {
        try await sql.select(Row.self).where("message_id", .equal, id.rawValue)
            .first()?.stored(Row.self).entry
    }

    /// The text reached the provider (or was given up on): the row is done.
    public func remove(_ id: Int64) async throws {
        try await sql.delete(from: "outbox").where("id", .equal, id).run()
    }

    /// Back to the queue, to be tried at `notBefore`.
    public func release(_ id: Int64, notBefore: Date, error: String?) async throws {
        try await sql.update("outbox")
            .set("state", to: State.pending.rawValue).set("not_before", to: notBefore)
            .set("claimed_by", to: String?.none).set("claimed_at", to: Date?.none).set("last_error", to: error)
            .where("id", .equal, id).run()
    }

    /// Claimed rows whose worker is not among `liveWorkers`: the process died mid-send. Locked
    /// (PostgreSQL) so only one surviving worker reconciles each.
    public func abandoned(liveWorkers: [String], limit: Int) async throws -> [Entry] {
        let query = sql.select(Row.self)
            .where("state", .equal, State.inFlight.rawValue)
        if !liveWorkers.isEmpty { query.where("claimed_by", .notIn, liveWorkers) }
        query.orderBy("claimed_at").limit(limit)
        if isPostgres { query.lockingClause(SQLRaw("FOR UPDATE SKIP LOCKED")) }
        return try await query.all().map { try $0.stored(Row.self).entry }
    }

    /// Hands a claimed row over to `worker` (for reconciling). The claim time stays: it bounds
    /// the window in which the provider may have created the text.
    public func adopt(_ id: Int64, worker: String) async throws {
        try await sql.update("outbox").set("claimed_by", to: worker).where("id", .equal, id).run()
    }

    public func count(state: State? = nil) async throws -> Int {
        let query = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("outbox")
        if let state { query.where("state", .equal, state.rawValue) }
        return try await query.first()?.decode(column: "n", as: Int.self) ?? 0
    }

    // MARK: Worker liveness

    struct WorkerRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "outbox_workers")

        var id: String
        var heartbeatAt: Date
    }

    public func heartbeat(worker: String, at instant: Date) async throws {
        try await sql.upsert(WorkerRow(id: worker, heartbeatAt: instant), onConflict: ["id"])
    }

    public func liveWorkers(since instant: Date) async throws -> [String] {
        try await sql.select().column("id").from("outbox_workers").where("heartbeat_at", .greaterThanOrEqual, instant)
            .all().map { try $0.decode(column: "id", as: String.self) }
    }

    public func removeWorker(_ worker: String) async throws {
        try await sql.delete(from: "outbox_workers").where("id", .equal, worker).run()
    }

    /// Forgets workers that stopped beating long ago.
    public func pruneWorkers(before instant: Date) async throws {
        try await sql.delete(from: "outbox_workers").where("heartbeat_at", .lessThan, instant).run()
    }
}
