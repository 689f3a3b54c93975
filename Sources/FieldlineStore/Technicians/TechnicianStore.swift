import FieldlineCore
import Foundation
import SQLKit

public struct TechnicianStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct TechnicianRow: Codable {
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

    static let columns = [
        "id", "account_id", "name", "phone", "photo_url", "rating", "can_view_chats", "can_reply_chats", "active",
        "created_at",
    ]

    public func insert(_ technician: Technician) async throws {
        do {
            try await sql.insert(into: "technicians").record(TechnicianRow(technician)).run()
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(
                code: .phoneTaken,
                message: "Another technician already uses \(technician.phone?.displayed ?? "this number").")
        }
    }

    public func update(_ technician: Technician) async throws {
        let row = TechnicianRow(technician)
        do {
            try await sql.update("technicians")
                .set("name", to: row.name).set("phone", to: row.phone).set("photo_url", to: row.photoUrl)
                .set("rating", to: row.rating).set("can_view_chats", to: row.canViewChats)
                .set("can_reply_chats", to: row.canReplyChats).set("active", to: row.active)
                .where("id", .equal, row.id).where("account_id", .equal, row.accountId)
                .run()
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(
                code: .phoneTaken,
                message: "Another technician already uses \(technician.phone?.displayed ?? "this number").")
        }
    }

    public func find(_ id: TechnicianID, in accountID: AccountID) async throws -> Technician? {
        try await sql.select().columns(Self.columns).from("technicians")
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.record(TechnicianRow.self).technician
    }

    public func all(in accountID: AccountID, includeInactive: Bool = true) async throws -> [Technician] {
        let select = sql.select().columns(Self.columns).from("technicians")
            .where("account_id", .equal, accountID.rawValue)
        if !includeInactive { select.where("active", .equal, true) }
        return try await select.orderBy("name").orderBy("id").all().map { try $0.record(TechnicianRow.self).technician }
    }

    public func technicians(_ ids: [TechnicianID], in accountID: AccountID) async throws -> [TechnicianID: Technician] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select().columns(Self.columns).from("technicians")
            .where("account_id", .equal, accountID.rawValue).where("id", .in, Set(ids.map(\.rawValue)).sorted())
            .all().map { try $0.record(TechnicianRow.self).technician }
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
