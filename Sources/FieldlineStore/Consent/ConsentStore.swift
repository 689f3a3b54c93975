import FieldlineCore
import Foundation
import SQLKit

/// Texting consent per number (SC3, SC4) and its append-only ledger (SC7).
public struct ConsentStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct ConsentRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "sms_consent")

        var accountId: String
        var phone: String
        var optedOut: Bool
        var marketing: String
        var confirmationOwed: Bool
        var doubleOptInUntil: Date?
        var updatedAt: Date

        /// The consent of `phone`, the number it was looked up by.
        func consent(of phone: PhoneNumber) throws -> SMSConsent {
            SMSConsent(
                phone: phone, optedOut: optedOut,
                marketing: try MarketingConsent.stored(marketing, table: "sms_consent", column: "marketing"),
                confirmationOwed: confirmationOwed, doubleOptInPendingUntil: doubleOptInUntil)
        }
    }

    /// The number's consent; the default (implied consent, no marketing) when nothing was recorded.
    public func consent(of phone: PhoneNumber, in accountID: AccountID) async throws -> SMSConsent {
        try await recordedConsent(of: phone, in: accountID) ?? SMSConsent(phone: phone)
    }

    /// The number's consent as recorded; nil when nothing was.
    public func recordedConsent(of phone: PhoneNumber, in accountID: AccountID) async throws -> SMSConsent? {
        try await sql.select(ConsentRow.self)
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164).first()
            .map { try $0.stored(ConsentRow.self).consent(of: phone) }
    }

    public func save(_ consent: SMSConsent, in accountID: AccountID, at instant: Date) async throws {
        try await sql.upsert(
            ConsentRow(
                accountId: accountID.rawValue, phone: consent.phone.e164, optedOut: consent.optedOut,
                marketing: consent.marketing.rawValue, confirmationOwed: consent.confirmationOwed,
                doubleOptInUntil: consent.doubleOptInPendingUntil, updatedAt: instant),
            onConflict: ["account_id", "phone"])
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
        /// The text that caused the change, when one did and it is still kept (a number's history
        /// reads it; exports carry the message id).
        public var messageBody: String?

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

    struct LedgerRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "consent_ledger")

        var id: String
        var accountId: String
        var phone: String
        var scope: String
        var fromState: String
        var toState: String
        var method: String
        var actorKind: String
        var actorId: String?
        var actorName: String
        var messageId: String?
        var occurredAt: Date

        init(_ entry: LedgerEntry) {
            id = entry.id
            accountId = entry.accountID.rawValue
            phone = entry.phone.e164
            scope = entry.change.scope.rawValue
            fromState = entry.change.from
            toState = entry.change.to
            method = entry.method
            actorKind = entry.actor.kind.rawValue
            actorId = entry.actor.id
            actorName = entry.actor.name
            messageId = entry.messageID?.rawValue
            occurredAt = entry.occurredAt
        }

        var entry: LedgerEntry {
            get throws {
                LedgerEntry(
                    id: id, accountID: AccountID(accountId), phone: PhoneNumber(storedE164: phone),
                    change: ConsentChange(
                        scope: try ConsentScope.stored(scope, table: "consent_ledger", column: "scope"),
                        from: fromState, to: toState),
                    method: method,
                    actor: ActorRef(
                        kind: try ActorRef.Kind.stored(actorKind, table: "consent_ledger", column: "actor_kind"),
                        id: actorId, name: actorName),
                    messageID: messageId.map(MessageID.init), occurredAt: occurredAt)
            }
        }
    }

    public func append(_ entry: LedgerEntry) async throws {
        try await sql.insert(LedgerRow(entry))
    }

    /// A number's consent history, oldest first, with the texts that caused its changes.
    public func ledger(of phone: PhoneNumber, in accountID: AccountID) async throws -> [LedgerEntry] {
        var entries = try await sql.select(LedgerRow.self)
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164)
            .orderBy("occurred_at").orderBy("id")
            .all().map { try $0.stored(LedgerRow.self).entry }
        let messageIDs = Set(entries.compactMap { $0.messageID?.rawValue })
        guard !messageIDs.isEmpty else { return entries }
        var bodies: [String: String] = [:]
        for row in try await sql.select().column("id").column("body").from("messages")
            .where("account_id", .equal, accountID.rawValue).where("id", .in, Array(messageIDs)).all()
        {
            bodies[try row.decode(column: "id", as: String.self)] = try row.decode(column: "body", as: String.self)
        }
        for index in entries.indices {
            entries[index].messageBody = entries[index].messageID.flatMap { bodies[$0.rawValue] }
        }
        return entries
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
        let query = sql.select(LedgerRow.self)
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
            .all().map { try $0.stored(LedgerRow.self).entry }
    }
}

// MARK: Erasure (OP3)

extension ConsentStore {
    /// A number becomes known again after its customer was erased: the consent state kept under
    /// its hash (an opt-out above all) is its own again. The ledger's rows keep the hash: the
    /// number's history is its hash's and its own.
    /// Whether a kept state came back.
    @discardableResult
    public func relinkErased(_ number: PhoneNumber, hashed: String?, in accountID: AccountID) async throws -> Bool {
        guard let hashed else { return false }
        let current = try await sql.select().column("phone").from("sms_consent")
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, number.e164).first()
        guard current == nil else { return false }
        let kept = try await sql.select().column("phone").from("sms_consent")
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, hashed).first()
        guard kept != nil else { return false }
        try await sql.update("sms_consent").set("phone", to: number.e164)
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, hashed).run()
        return true
    }
}
