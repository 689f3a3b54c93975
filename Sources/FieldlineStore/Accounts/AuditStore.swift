import FieldlineCore
import Foundation
import SQLKit

/// The audit log (OP4). Entries are only ever appended: the store has no update or delete, and
/// the database refuses both (migration 15).
public struct AuditStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct Row: StoredRow {
        static let mapping = TableMapping<Self>(table: "audit_log", assignedByDatabase: ["id"])

        var id: Int64
        var accountId: String
        var userId: String?
        var actorName: String
        var action: String
        var subject: String?
        var detail: String?
        var address: String?
        var occurredAt: Date

        init(_ entry: AuditEntry) {
            id = entry.id
            accountId = entry.accountID.rawValue
            userId = entry.userID?.rawValue
            actorName = entry.actorName
            action = entry.action.rawValue
            subject = AuditEntry.clipped(entry.subject)
            detail = AuditEntry.clipped(entry.detail)
            address = entry.address
            occurredAt = entry.occurredAt
        }

        var entry: AuditEntry {
            get throws {
                AuditEntry(
                    id: id, accountID: AccountID(accountId), userID: userId.map(UserID.init),
                    actorName: actorName, action: try AuditAction.stored(action, table: "audit_log", column: "action"),
                    subject: subject, detail: detail, address: address, occurredAt: occurredAt)
            }
        }
    }

    /// Appends an entry, in the transaction of the action it records: the entry exists exactly
    /// when the action took effect.
    public func append(_ entry: AuditEntry) async throws {
        try await sql.insert(Row(entry))
    }

    /// Where an export's next page starts: the last entry written out (newest first).
    public struct Cursor: Sendable, Equatable {
        public var id: Int64

        public init(id: Int64) {
            self.id = id
        }
    }

    /// A page of an export, newest first, after `cursor`.
    public func entries(
        matching filter: AuditFilter, in accountID: AccountID, after cursor: Cursor?, limit: Int
    ) async throws -> [AuditEntry] {
        let select = filtered(filter, in: accountID)
        if let cursor { select.where("id", .lessThan, cursor.id) }
        return try await select.orderBy("id", .descending).limit(limit)
            .all().map { try $0.stored(Row.self).entry }
    }

    private func filtered(_ filter: AuditFilter, in accountID: AccountID) -> SQLSelectBuilder {
        let select = sql.select(Row.self).where("account_id", .equal, accountID.rawValue)
        if let action = filter.action { select.where("action", .equal, action.rawValue) }
        if let userID = filter.userID { select.where("user_id", .equal, userID.rawValue) }
        if let since = filter.since { select.where("occurred_at", .greaterThanOrEqual, since) }
        if let until = filter.until { select.where("occurred_at", .lessThan, until) }
        return select
    }

    /// Newest first: in the order they were appended.
    public func entries(
        matching filter: AuditFilter, in accountID: AccountID, limit: Int, offset: Int
    ) async throws -> [AuditEntry] {
        try await filtered(filter, in: accountID).orderBy("id", .descending).limit(limit).offset(offset)
            .all().map { try $0.stored(Row.self).entry }
    }
}
