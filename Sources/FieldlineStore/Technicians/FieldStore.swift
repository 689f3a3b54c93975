import FieldlineCore
import Foundation
import SQLKit

/// The technician's side of the data: the jobs they are on, how far they have read each job's
/// thread, and the positions their devices report.
public struct FieldStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    // MARK: Jobs

    /// Jobs the technician is assigned to with an appointment that ends after `start` and begins
    /// before `end`.
    public func jobIDs(
        assignedTo technicianID: TechnicianID, between start: Date, and end: Date, in accountID: AccountID
    ) async throws -> [JobID] {
        try await sql.select().distinct().column(SQLColumn("job_id", table: "s"))
            .from(SQLAlias(SQLIdentifier("assignments"), as: SQLIdentifier("s")))
            .join(
                SQLAlias(SQLIdentifier("appointments"), as: SQLIdentifier("a")), method: SQLJoinMethod.inner,
                on: SQLQueryString("a.id = s.appointment_id AND a.account_id = s.account_id")
            )
            .where(SQLColumn("account_id", table: "s"), .equal, SQLBind(accountID.rawValue))
            .where(SQLColumn("technician_id", table: "s"), .equal, SQLBind(technicianID.rawValue))
            .where(SQLColumn("ends_at", table: "a"), .greaterThan, SQLBind(start))
            .where(SQLColumn("starts_at", table: "a"), .lessThan, SQLBind(end))
            .all().map { JobID(try $0.decode(column: "job_id", as: String.self)) }
    }

    /// Whether the technician is on any appointment of the job, in any state (TC1, TC3).
    public func isAssigned(_ technicianID: TechnicianID, to jobID: JobID, in accountID: AccountID) async throws -> Bool
    {
        try await sql.select().column("id").from("assignments")
            .where("account_id", .equal, accountID.rawValue).where("job_id", .equal, jobID.rawValue)
            .where("technician_id", .equal, technicianID.rawValue).first() != nil
    }

    /// The technicians on the job a conversation is tied to: who a live event of that thread is for.
    public func technicians(
        onJobOf conversationID: ConversationID, in accountID: AccountID
    ) async throws
        -> Set<TechnicianID>
    {
        let rows = try await sql.select().distinct().column(SQLColumn("technician_id", table: "s"))
            .from(SQLAlias(SQLIdentifier("conversations"), as: SQLIdentifier("c")))
            .join(
                SQLAlias(SQLIdentifier("assignments"), as: SQLIdentifier("s")), method: SQLJoinMethod.inner,
                on: SQLQueryString("s.job_id = c.job_id AND s.account_id = c.account_id")
            )
            .where(SQLColumn("id", table: "c"), .equal, SQLBind(conversationID.rawValue))
            .where(SQLColumn("account_id", table: "c"), .equal, SQLBind(accountID.rawValue))
            .all()
        return Set(try rows.map { TechnicianID(try $0.decode(column: "technician_id", as: String.self)) })
    }

    // MARK: Threads

    /// The conversations tied to each job, open ones first and then the most recent: the first is
    /// the job's customer thread.
    public func threads(ofJobs jobIDs: [JobID], in accountID: AccountID) async throws -> [JobID: Conversation] {
        guard !jobIDs.isEmpty else { return [:] }
        let conversations = try await sql.select(ConversationStore.Row.self)
            .where("account_id", .equal, accountID.rawValue)
            .where("job_id", .in, Set(jobIDs.map(\.rawValue)).sorted())
            .orderBy("last_message_at", .descending).orderBy("id")
            .all().map { try $0.stored(ConversationStore.Row.self).conversation }
        var threads: [JobID: Conversation] = [:]
        for conversation in conversations {
            guard let jobID = conversation.jobID else { continue }
            if let chosen = threads[jobID], chosen.status == .open || conversation.status != .open { continue }
            threads[jobID] = conversation
        }
        return threads
    }

    /// Inbound texts in each conversation after the technician last read it (all of them if never).
    public func unreadCounts(
        of conversationIDs: [ConversationID], for technicianID: TechnicianID, in accountID: AccountID
    ) async throws -> [ConversationID: Int] {
        guard !conversationIDs.isEmpty else { return [:] }
        let rows = try await sql.select()
            .column(SQLColumn("conversation_id", table: "m"))
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(SQLAlias(SQLIdentifier("messages"), as: SQLIdentifier("m")))
            .join(
                SQLAlias(SQLIdentifier("technician_thread_reads"), as: SQLIdentifier("r")), method: SQLJoinMethod.left,
                on: SQLQueryString(
                    """
                    r.conversation_id = m.conversation_id AND r.account_id = m.account_id \
                    AND r.technician_id = \(bind: technicianID.rawValue)
                    """)
            )
            .where(SQLColumn("account_id", table: "m"), .equal, SQLBind(accountID.rawValue))
            .where(SQLColumn("conversation_id", table: "m"), .in, SQLBind.group(conversationIDs.map(\.rawValue)))
            .where(SQLColumn("direction", table: "m"), .equal, SQLBind(MessageDirection.inbound.rawValue))
            .where(SQLQueryString("(r.read_at IS NULL OR m.created_at > r.read_at)"))
            .groupBy(SQLColumn("conversation_id", table: "m"))
            .all()
        var counts: [ConversationID: Int] = [:]
        for row in rows {
            counts[ConversationID(try row.decode(column: "conversation_id", as: String.self))] = try row.decode(
                column: "n", as: Int.self)
        }
        return counts
    }

    struct ThreadReadRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "technician_thread_reads")

        var accountId: String
        var technicianId: String
        var conversationId: String
        var readAt: Date
    }

    /// Moves the technician's read mark forward to `instant` (never back).
    public func markRead(
        _ conversationID: ConversationID, by technicianID: TechnicianID, at instant: Date, in accountID: AccountID
    ) async throws {
        let updated = try await sql.update("technician_thread_reads").set("read_at", to: instant)
            .where("account_id", .equal, accountID.rawValue).where("technician_id", .equal, technicianID.rawValue)
            .where("conversation_id", .equal, conversationID.rawValue).where("read_at", .lessThan, instant)
            .returning("conversation_id").all()
        guard updated.isEmpty else { return }
        try await sql.insert(
            ThreadReadRow(
                accountId: accountID.rawValue, technicianId: technicianID.rawValue,
                conversationId: conversationID.rawValue, readAt: instant),
            unlessConflictOn: ["technician_id", "conversation_id"])
    }

    // MARK: Positions (DN7)

    struct PositionRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "technician_positions")

        var id: String
        var accountId: String
        var technicianId: String
        var latitude: Double
        var longitude: Double
        var accuracyMeters: Double?
        var recordedAt: Date
        var receivedAt: Date

        var position: TechnicianPosition {
            TechnicianPosition(
                technicianID: TechnicianID(technicianId), accountID: AccountID(accountId), latitude: latitude,
                longitude: longitude, accuracyMeters: accuracyMeters, recordedAt: recordedAt, receivedAt: receivedAt)
        }
    }

    public func insert(_ position: TechnicianPosition) async throws {
        try await sql.insert(
            PositionRow(
                id: UUID().uuidString.lowercased(), accountId: position.accountID.rawValue,
                technicianId: position.technicianID.rawValue, latitude: position.latitude,
                longitude: position.longitude, accuracyMeters: position.accuracyMeters,
                recordedAt: position.recordedAt, receivedAt: position.receivedAt))
    }

    /// The technician's most recent fix by the device's own time.
    public func latestPosition(
        of technicianID: TechnicianID, in accountID: AccountID
    ) async throws
        -> TechnicianPosition?
    {
        try await sql.select(PositionRow.self)
            .where("account_id", .equal, accountID.rawValue).where("technician_id", .equal, technicianID.rawValue)
            .orderBy("recorded_at", .descending).limit(1)
            .first()?.stored(PositionRow.self).position
    }
}
