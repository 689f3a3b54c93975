import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import SQLKit

extension Customers {
    /// "Erase this customer" (OP3): admins, confirming by typing the customer's name. Removes the
    /// customer's numbers, emails, messages and pictures, conversations, locations, estimates and
    /// tracking links; keeps the jobs for the business's books, with the customer shown as
    /// "Erased customer"; keeps the consent ledger with each number replaced by a keyed hash, so
    /// the number's history still proves itself when the number is known again. Irreversible,
    /// and written in the audit log (without the name).
    public func erase(
        _ id: CustomerID, confirmingName typed: String?, by actor: Actor
    ) async throws -> CustomerStore.Erased {
        try actor.require(.manageAccount)
        let now = app.clock.now()
        return try await app.database.write { sql in
            let store = CustomerStore(sql)
            let customer = try await Self.living(id, store: store, in: actor.accountID)
            let typed = (typed ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !typed.isEmpty, typed.caseInsensitiveCompare(customer.name) == .orderedSame else {
                throw FieldlineError.invalid(
                    field: "confirmName",
                    message:
                        "Type the customer's name, \(customer.name), exactly, to erase them. This cannot be undone.")
            }
            let key = try await AccountStore(sql).erasureKey(of: actor.accountID, orNew: ErasureHash.newAccountKey())
            let secrets = app.secrets
            let erased = try await store.erase(
                customer, hash: { ErasureHash.of($0, accountKey: key, secrets: secrets) }, at: now)
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .customerErased, subject: "customer \(id.rawValue)", detail: erased.summary, at: now))
            return erased
        }
    }

    /// What the number would be hashed to had its customer been erased; nil while the account
    /// has erased no one.
    func erasedHash(of phone: PhoneContact, _ sql: any SQLDatabase) async throws -> String? {
        try await erasedHash(of: phone.number, in: phone.accountID, sql)
    }

    func erasedHash(of number: PhoneNumber, in accountID: AccountID, _ sql: any SQLDatabase) async throws -> String? {
        guard let key = try await AccountStore(sql).existingErasureKey(of: accountID) else { return nil }
        return ErasureHash.of(number.e164, accountKey: key, secrets: app.secrets)
    }
}
