import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// Changes of texting consent and their ledger (SC7). Every change of a number's consent goes
/// through `apply`, so the state and its history cannot disagree.
public struct ConsentBook: Sendable {
    let app: Fieldline

    /// Saves `next` for its number and writes one ledger row per scope that changed.
    func apply(
        _ next: SMSConsent, changes: [ConsentChange], method: String, actor: ActorRef, messageID: MessageID?,
        accountID: AccountID, in sql: any SQLDatabase
    ) async throws {
        let now = app.clock.now()
        let store = ConsentStore(sql)
        try await store.save(next, in: accountID, at: now)
        for change in changes {
            try await store.append(
                ConsentStore.LedgerEntry(
                    id: UUID().uuidString.lowercased(), accountID: accountID, phone: next.phone, change: change,
                    method: method, actor: actor, messageID: messageID, occurredAt: now))
        }
    }

    /// The provider itself reports the number unsubscribed (Twilio 21610): record the opt-out it
    /// already enforces, without a confirmation (the provider sent its own).
    func providerOptOut(
        _ phone: PhoneNumber, scope: ConsentScope, messageID: MessageID, accountID: AccountID, in sql: any SQLDatabase
    ) async throws {
        let current = try await ConsentStore(sql).consent(of: phone, in: accountID)
        var outcome = ConsentRules.apply(.optOut, scope: scope, to: current, at: app.clock.now())
        outcome.consent.confirmationOwed = false
        guard !outcome.changes.isEmpty else { return }
        try await apply(
            outcome.consent, changes: outcome.changes, method: "provider", actor: ActorRef.system,
            messageID: messageID, accountID: accountID, in: sql)
    }

    public func consent(of phone: PhoneNumber, by actor: Actor) async throws -> SMSConsent {
        guard actor.can(.viewCustomers) || actor.can(.viewCustomerChats) else {
            throw FieldlineError.forbidden(permission: Permission.viewCustomers.rawValue)
        }
        return try await app.database.read { sql in
            try await ConsentStore(sql).consent(of: phone, in: actor.accountID)
        }
    }

    public func ledger(of phone: PhoneNumber, by actor: Actor) async throws -> [ConsentStore.LedgerEntry] {
        guard actor.can(.viewCustomers) || actor.can(.viewCustomerChats) else {
            throw FieldlineError.forbidden(permission: Permission.viewCustomers.rawValue)
        }
        return try await app.database.read { sql in try await ConsentStore(sql).ledger(of: phone, in: actor.accountID) }
    }
}
