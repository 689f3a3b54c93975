import FieldlineCore
import Foundation
import SQLKit

/// The account's own phone numbers, with their sealed provider credentials and send pacing.
public struct SenderNumberStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    /// A number as stored: the credentials stay sealed until the one call that needs them.
    public struct Stored: Sendable, Equatable {
        public var number: SenderNumber
        public var sealedSecret: String?
    }

    struct Row: StoredRow {
        static let mapping = TableMapping<Self>(table: "sender_numbers")

        var id: String
        var accountId: String
        var e164: String
        var label: String
        var provider: String
        var chat: Bool
        var mms: Bool
        var marketing: Bool
        var isDefault: Bool
        var ratePerSecond: Double
        var providerAccountId: String?
        var messagingServiceId: String?
        var sealedSecret: String?
        var nextSendAt: Date
        var createdAt: Date

        init(_ number: SenderNumber, sealedSecret: String?, nextSendAt: Date) {
            id = number.id.rawValue
            accountId = number.accountID.rawValue
            e164 = number.number.e164
            label = number.label
            provider = number.provider.rawValue
            chat = number.chat
            mms = number.mms
            marketing = number.marketing
            isDefault = number.isDefault
            ratePerSecond = number.ratePerSecond
            providerAccountId = number.providerAccountID
            messagingServiceId = number.messagingServiceID
            self.sealedSecret = sealedSecret
            self.nextSendAt = nextSendAt
            createdAt = number.createdAt
        }

        var stored: Stored {
            get throws {
                Stored(
                    number: SenderNumber(
                        id: SenderNumberID(id), accountID: AccountID(accountId), number: PhoneNumber(storedE164: e164),
                        label: label,
                        provider: try SMSProviderKind.stored(provider, table: "sender_numbers", column: "provider"),
                        chat: chat, mms: mms,
                        marketing: marketing, isDefault: isDefault, ratePerSecond: ratePerSecond,
                        providerAccountID: providerAccountId, messagingServiceID: messagingServiceId,
                        hasCredentials: sealedSecret != nil, createdAt: createdAt),
                    sealedSecret: sealedSecret)
            }
        }
    }

    public func insert(_ number: SenderNumber, sealedSecret: String?) async throws {
        do {
            try await sql.insert(Row(number, sealedSecret: sealedSecret, nextSendAt: number.createdAt))
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(
                code: .numberTaken, message: "\(number.number.displayed) is already set up in Fieldline.")
        }
    }

    /// Saves everything but the pacing slot; `sealedSecret` nil keeps the stored credentials.
    public func update(_ number: SenderNumber, sealedSecret: String?) async throws {
        let row = Row(number, sealedSecret: sealedSecret, nextSendAt: number.createdAt)
        var leaving: Set<String> = ["account_id", "e164", "next_send_at", "created_at"]
        if sealedSecret == nil { leaving.insert("sealed_secret") }
        try await sql.update(row, leaving: leaving).where("account_id", .equal, number.accountID.rawValue).run()
    }

    /// Makes `id` the account's only default number.
    public func makeDefault(_ id: SenderNumberID, in accountID: AccountID) async throws {
        try await sql.update("sender_numbers").set("is_default", to: false)
            .where("account_id", .equal, accountID.rawValue).where("id", .notEqual, id.rawValue).run()
        try await sql.update("sender_numbers").set("is_default", to: true)
            .where("account_id", .equal, accountID.rawValue).where("id", .equal, id.rawValue).run()
    }

    public func delete(_ id: SenderNumberID, in accountID: AccountID) async throws {
        try await sql.delete(from: "sender_numbers")
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue).run()
    }

    public func find(_ id: SenderNumberID, in accountID: AccountID) async throws -> Stored? {
        try await sql.select(Row.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(Row.self).stored
    }

    public func all(in accountID: AccountID) async throws -> [SenderNumber] {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).orderBy("is_default", .descending).orderBy("e164")
            .all().map { try $0.stored(Row.self).stored.number }
    }

    public func defaultNumber(in accountID: AccountID) async throws -> SenderNumber? {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("is_default", .equal, true)
            .first()?.stored(Row.self).stored.number
    }

    public func number(_ e164: PhoneNumber, in accountID: AccountID) async throws -> SenderNumber? {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("e164", .equal, e164.e164)
            .first()?.stored(Row.self).stored.number
    }

    // MARK: Webhook lookups (across accounts: the webhook names no account)

    /// The number behind a Twilio messaging service that includes `to`, or the service's only number.
    public func byMessagingService(_ serviceID: String, to: PhoneNumber?) async throws -> Stored? {
        let rows = try await sql.select(Row.self)
            .where("messaging_service_id", .equal, serviceID).limit(50)
            .all().map { try $0.stored(Row.self).stored }
        return rows.first { $0.number.number == to } ?? rows.first
    }

    /// The number `e164` if it belongs to the provider account `providerAccountID`.
    public func byProviderAccount(_ providerAccountID: String, number e164: PhoneNumber) async throws -> Stored? {
        try await sql.select(Row.self)
            .where("e164", .equal, e164.e164).where("provider_account_id", .equal, providerAccountID)
            .first()?.stored(Row.self).stored
    }

    public func byNumber(_ e164: PhoneNumber) async throws -> Stored? {
        try await sql.select(Row.self)
            .where("e164", .equal, e164.e164)
            .first()?.stored(Row.self).stored
    }

    // MARK: Pacing

    public struct Slot: Sendable {
        public var nextSendAt: Date
        public var ratePerSecond: Double
    }

    /// The number's pacing slot, locked until the transaction ends (PostgreSQL; SQLite's single
    /// writer serialises it anyway), so two workers cannot take the same slot.
    public func lockedSlot(of id: SenderNumberID) async throws -> Slot? {
        let query = sql.select().columns("next_send_at", "rate_per_second").from("sender_numbers")
            .where("id", .equal, id.rawValue)
        if sql.dialect.name == "postgresql" { query.lockingClause(SQLLockingClause.update) }
        guard let row = try await query.first() else { return nil }
        return Slot(
            nextSendAt: try row.decode(column: "next_send_at", as: Date.self),
            ratePerSecond: try row.decode(column: "rate_per_second", as: Double.self))
    }

    public func setNextSendAt(_ next: Date, of id: SenderNumberID) async throws {
        try await sql.update("sender_numbers").set("next_send_at", to: next).where("id", .equal, id.rawValue).run()
    }
}
