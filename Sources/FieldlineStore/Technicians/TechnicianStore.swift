import FieldlineCore
import Foundation
import SQLKit

public struct TechnicianStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct TechnicianRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "technicians")

        var id: String
        var accountId: String
        var name: String
        var phone: String?
        var photoUrl: String?
        var rating: Double?
        var canViewChats: Bool
        var canReplyChats: Bool
        var active: Bool
        var createdAt: Date

        init(_ technician: Technician) {
            id = technician.id.rawValue
            accountId = technician.accountID.rawValue
            name = technician.name
            phone = technician.phone?.e164
            photoUrl = technician.photoURL
            rating = technician.rating
            canViewChats = technician.chat.canViewChats
            canReplyChats = technician.chat.canReplyChats
            active = technician.active
            createdAt = technician.createdAt
        }

        var technician: Technician {
            Technician(
                id: TechnicianID(id), accountID: AccountID(accountId), name: name,
                phone: phone.map(PhoneNumber.init(storedE164:)), photoURL: photoUrl, rating: rating,
                chat: TechnicianChatPermissions(canViewChats: canViewChats, canReplyChats: canReplyChats),
                active: active, createdAt: createdAt)
        }
    }

    public func insert(_ technician: Technician) async throws {
        do {
            try await sql.insert(TechnicianRow(technician))
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(
                code: .phoneTaken,
                message: "Another technician already uses \(technician.phone?.displayed ?? "this number").")
        }
    }

    /// Saves the technician; the account and creation time stay as stored.
    public func update(_ technician: Technician) async throws {
        let row = TechnicianRow(technician)
        do {
            try await sql.update(row, leaving: ["account_id", "created_at"])
                .where("account_id", .equal, row.accountId).run()
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(
                code: .phoneTaken,
                message: "Another technician already uses \(technician.phone?.displayed ?? "this number").")
        }
    }

    public func find(_ id: TechnicianID, in accountID: AccountID) async throws -> Technician? {
        try await sql.select(TechnicianRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(TechnicianRow.self).technician
    }

    public func all(in accountID: AccountID, includeInactive: Bool = true) async throws -> [Technician] {
        let select = sql.select(TechnicianRow.self).where("account_id", .equal, accountID.rawValue)
        if !includeInactive { select.where("active", .equal, true) }
        return try await select.orderBy("name").orderBy("id").all().map { try $0.stored(TechnicianRow.self).technician }
    }

    public func technicians(_ ids: [TechnicianID], in accountID: AccountID) async throws -> [TechnicianID: Technician] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select(TechnicianRow.self)
            .where("account_id", .equal, accountID.rawValue).where("id", .in, Set(ids.map(\.rawValue)).sorted())
            .all().map { try $0.stored(TechnicianRow.self).technician }
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
    }

    /// The name behind a technician id from any account: only for what customers may see anyway
    /// (the generated avatar on tracking pages and notifications).
    public func publicName(of id: TechnicianID) async throws -> String? {
        try await sql.select().column("name").from("technicians").where("id", .equal, id.rawValue)
            .first()?.decode(column: "name", as: String.self)
    }

    /// Who, among the account's active technicians and office users, texts from `phone` (FS7):
    /// their texts belong on the dispatch board, not in the customer inbox.
    public func employee(withPhone phone: PhoneNumber, in accountID: AccountID) async throws -> MessageAuthor? {
        if let row = try await sql.select().columns("id", "name").from("technicians")
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164)
            .where("active", .equal, true).first()
        {
            return MessageAuthor(
                kind: .employee, id: try row.decode(column: "id", as: String.self),
                name: try row.decode(column: "name", as: String.self))
        }
        if let row = try await sql.select().columns("id", "name").from("users")
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164)
            .where("active", .equal, true).first()
        {
            return MessageAuthor(
                kind: .employee, id: try row.decode(column: "id", as: String.self),
                name: try row.decode(column: "name", as: String.self))
        }
        return nil
    }
}
