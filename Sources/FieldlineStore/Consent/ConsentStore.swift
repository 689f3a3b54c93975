import FieldlineCore
import Foundation
import SQLKit

/// Texting consent per number (SC3, SC4) and its append-only ledger (SC7).
public struct ConsentStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    /// The number's consent; the default (implied consent, no marketing) when nothing was recorded.
    public func consent(of phone: PhoneNumber, in accountID: AccountID) async throws -> SMSConsent {
        guard
            let row = try await sql.select()
                .columns("opted_out", "marketing", "confirmation_owed", "double_opt_in_until").from("sms_consent")
                .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164).first()
        else { return SMSConsent(phone: phone) }
        return SMSConsent(
            phone: phone, optedOut: try row.decode(column: "opted_out", as: Bool.self),
            marketing: try MarketingConsent.stored(
                row.decode(column: "marketing", as: String.self), table: "sms_consent", column: "marketing"),
            confirmationOwed: try row.decode(column: "confirmation_owed", as: Bool.self),
            doubleOptInPendingUntil: try row.decode(column: "double_opt_in_until", as: Date?.self))
    }

    public func save(_ consent: SMSConsent, in accountID: AccountID, at instant: Date) async throws {
        try await sql.insert(into: "sms_consent")
            .columns(
                "account_id", "phone", "opted_out", "marketing", "confirmation_owed", "double_opt_in_until",
                "updated_at"
            )
            .values(
                SQLBind(accountID.rawValue), SQLBind(consent.phone.e164), SQLBind(consent.optedOut),
                SQLBind(consent.marketing.rawValue), SQLBind(consent.confirmationOwed),
                SQLBind(consent.doubleOptInPendingUntil), SQLBind(instant)
            )
            .onConflict(with: ["account_id", "phone"]) { conflict in
                conflict.set(excludedValueOf: "opted_out").set(excludedValueOf: "marketing")
                    .set(excludedValueOf: "confirmation_owed").set(excludedValueOf: "double_opt_in_until")
                    .set(excludedValueOf: "updated_at")
            }
            .run()
    }

    public struct LedgerEntry: Sendable, Equatable {
        public var id: String
        public var accountID: AccountID
        public var phone: PhoneNumber
        public var change: ConsentChange
        /// How it changed: `keyword`, `provider`, `customer_record`, `web_form` …
        public var method: String
        public var actor: ActorRef
        public var messageID: MessageID?
        public var occurredAt: Date

        public init(
            id: String, accountID: AccountID, phone: PhoneNumber, change: ConsentChange, method: String,
            actor: ActorRef, messageID: MessageID?, occurredAt: Date
        ) {
            self.id = id
            self.accountID = accountID
            self.phone = phone
            self.change = change
            self.method = method
            self.actor = actor
            self.messageID = messageID
            self.occurredAt = occurredAt
        }
    }

    public func append(_ entry: LedgerEntry) async throws {
        try await sql.insert(into: "consent_ledger")
            .columns(
                "id", "account_id", "phone", "scope", "from_state", "to_state", "method", "actor_kind", "actor_id",
                "actor_name", "message_id", "occurred_at"
            )
            .values(
                SQLBind(entry.id), SQLBind(entry.accountID.rawValue), SQLBind(entry.phone.e164),
                SQLBind(entry.change.scope.rawValue), SQLBind(entry.change.from), SQLBind(entry.change.to),
                SQLBind(entry.method), SQLBind(entry.actor.kind.rawValue), SQLBind(entry.actor.id),
                SQLBind(entry.actor.name), SQLBind(entry.messageID?.rawValue), SQLBind(entry.occurredAt)
            )
            .run()
    }

    static let ledgerColumns = [
        "id", "phone", "scope", "from_state", "to_state", "method", "actor_kind", "actor_id", "actor_name",
        "message_id", "occurred_at",
    ]

    /// A number's consent history, oldest first.
    public func ledger(of phone: PhoneNumber, in accountID: AccountID) async throws -> [LedgerEntry] {
        try await sql.select().columns(Self.ledgerColumns)
            .from("consent_ledger")
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164)
            .orderBy("occurred_at").orderBy("id")
            .all().map { try Self.entry($0, accountID: accountID) }
    }

    /// Where a page of the ledger ends: the next page starts after it.
    public struct LedgerCursor: Sendable, Equatable {
        public var occurredAt: Date
        public var id: String

        public init(occurredAt: Date, id: String) {
            self.occurredAt = occurredAt
            self.id = id
        }
    }

    /// The account's ledger rows from `start` (inclusive) to `end` (exclusive), in time order, one
    /// page after `cursor`: an export reads page by page, never the whole ledger at once.
    public func ledger(
        in accountID: AccountID, from start: Date, until end: Date, after cursor: LedgerCursor?, limit: Int
    ) async throws -> [LedgerEntry] {
        let query = sql.select().columns(Self.ledgerColumns).from("consent_ledger")
            .where("account_id", .equal, accountID.rawValue)
            .where("occurred_at", .greaterThanOrEqual, start).where("occurred_at", .lessThan, end)
        if let cursor {
            query.where { group in
                group.where("occurred_at", .greaterThan, cursor.occurredAt)
                    .orWhere { tie in
                        tie.where("occurred_at", .equal, cursor.occurredAt).where("id", .greaterThan, cursor.id)
                    }
            }
        }
        return try await query.orderBy("occurred_at").orderBy("id").limit(limit)
            .all().map { try Self.entry($0, accountID: accountID) }
    }

    static func entry(_ row: any SQLRow, accountID: AccountID) throws -> LedgerEntry {
        LedgerEntry(
            id: try row.decode(column: "id", as: String.self), accountID: accountID,
            phone: PhoneNumber(storedE164: try row.decode(column: "phone", as: String.self)),
            change: ConsentChange(
                scope: try ConsentScope.stored(
                    row.decode(column: "scope", as: String.self), table: "consent_ledger", column: "scope"),
                from: try row.decode(column: "from_state", as: String.self),
                to: try row.decode(column: "to_state", as: String.self)),
            method: try row.decode(column: "method", as: String.self),
            actor: ActorRef(
                kind: try ActorRef.Kind.stored(
                    row.decode(column: "actor_kind", as: String.self), table: "consent_ledger", column: "actor_kind"),
                id: try row.decode(column: "actor_id", as: String?.self),
                name: try row.decode(column: "actor_name", as: String.self)),
            messageID: try row.decode(column: "message_id", as: String?.self).map(MessageID.init),
            occurredAt: try row.decode(column: "occurred_at", as: Date.self))
    }
}
