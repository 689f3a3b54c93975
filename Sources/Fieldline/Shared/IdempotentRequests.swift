import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation

/// API requests made safe to retry (`Idempotency-Key`): within one person's use of an account and
/// 24 hours, a request with a key already used gets the first answer again and changes nothing;
/// the same key with another request is refused. Only a change that committed takes a key (see
/// `IdempotencyClaim`), so a request that changed nothing (refused, or failed before its commit) is
/// simply run again when retried: a "try again in a minute" refusal is not replayed for a day.
public struct IdempotentRequests: Sendable {
    let app: Fieldline

    /// An answer as sent, to keep and to give again.
    public struct Answer: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: String
        /// Given again from an earlier attempt.
        public var replayed: Bool
        /// A rate limit's `Retry-After`, passed on to this attempt's client (a limited request
        /// changed nothing, so it is never kept).
        public var retryAfter: String?

        public init(
            status: Int, contentType: String?, body: String, replayed: Bool = false, retryAfter: String? = nil
        ) {
            self.status = status
            self.contentType = contentType
            self.body = body
            self.replayed = replayed
            self.retryAfter = retryAfter
        }
    }

    /// Runs `perform` for `request` (method and path) with `body` at most once per key of `userID`
    /// (keys are a person's: another person's same key is another request). The answer is kept
    /// when the request's change committed and it is below 500; a 500 after a commit is not kept,
    /// and its retry is told the request took effect instead of running twice.
    public func run(
        key rawKey: String, accountID: AccountID, userID: UserID, request: String, body: String,
        perform: @Sendable () async throws -> Answer
    ) async throws -> Answer {
        let typed = rawKey.trimmingCharacters(in: .whitespaces)
        guard (1...255).contains(typed.utf8.count),
            typed.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) })
        else {
            throw FieldlineError.invalid(
                field: "idempotencyKey",
                message: "An Idempotency-Key is 1 to 255 printable ASCII characters (a UUID, say).")
        }
        let key = userID.rawValue + " " + typed
        let fingerprint = SecureTokens.digest(request + "\n" + Self.withoutSecrets(body))
        let now = app.clock.now()
        let since = now.addingTimeInterval(-IdempotencyClaimingDatabase.lifetime)
        if let earlier = try await app.database.read({ sql in
            try await IdempotencyStore(sql).find(key, in: accountID, since: since)
        }) {
            return try Self.answer(from: earlier, fingerprint: fingerprint)
        }
        let claim = IdempotencyClaim(
            accountID: accountID, key: key, fingerprint: fingerprint, attempt: app.tokens.token(bytes: 12))
        let answer = try await IdempotencyClaim.$current.withValue(claim) { try await perform() }
        if claim.lostToAnotherAttempt {
            // Another attempt took the key between our look and our first write: its answer, once
            // it has one, is this request's too.
            guard
                let earlier = try await app.database.read({ sql in
                    try await IdempotencyStore(sql).find(key, in: accountID, since: since)
                })
            else { throw IdempotencyStore.inUse }
            return try Self.answer(from: earlier, fingerprint: fingerprint)
        }
        if answer.status < 500, claim.isTaken {
            try await app.database.write { sql in
                try await IdempotencyStore(sql).keep(
                    claim, status: answer.status, contentType: answer.contentType, body: answer.body)
            }
        }
        return answer
    }

    /// The body as the fingerprint sees it: a JSON object's password, secret and token fields
    /// left out, so the stored digest of a request that set a password is no fast hash of it. Such
    /// a field alone never tells two requests apart; everything else does.
    static func withoutSecrets(_ body: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            return body
        }
        let kept = object.filter { key, _ in
            let name = key.lowercased()
            return !(name.contains("password") || name.contains("secret") || name.contains("token"))
        }
        guard let data = try? JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys]) else { return body }
        return String(decoding: data, as: UTF8.self)
    }

    static func answer(from earlier: IdempotencyStore.Record, fingerprint: String) throws -> Answer {
        guard earlier.fingerprint == fingerprint else {
            throw FieldlineError.invalid(
                field: "idempotencyKey",
                message: "This Idempotency-Key was used for another request in the last 24 hours; use a new key.")
        }
        guard let status = earlier.status else { throw IdempotencyStore.inUse }
        return Answer(status: status, contentType: earlier.contentType, body: earlier.body ?? "", replayed: true)
    }

}
