import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation

/// API requests made safe to retry (`Idempotency-Key`): within one account and 24 hours, a request
/// with a key already used gets the first answer again and changes nothing; the same key with
/// another request is refused. Only a change that committed takes a key (see `IdempotencyClaim`),
/// so a request that failed before changing anything may simply be sent again.
public struct IdempotentRequests: Sendable {
    let app: Fieldline

    /// An answer as sent, to keep and to give again.
    public struct Answer: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: String
        /// Given again from an earlier attempt.
        public var replayed: Bool

        public init(status: Int, contentType: String?, body: String, replayed: Bool = false) {
            self.status = status
            self.contentType = contentType
            self.body = body
            self.replayed = replayed
        }
    }

    /// Runs `perform` for `request` (method and path) with `body` at most once per key. Answers of
    /// 500 and above are not kept: the attempt failed on our side and a retry should run, unless
    /// its change committed, when the retry is told so instead of running twice.
    public func run(
        key rawKey: String, accountID: AccountID, request: String, body: String,
        perform: @Sendable () async throws -> Answer
    ) async throws -> Answer {
        let key = rawKey.trimmingCharacters(in: .whitespaces)
        guard (1...255).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) })
        else {
            throw FieldlineError.invalid(
                field: "idempotencyKey",
                message: "An Idempotency-Key is 1 to 255 printable ASCII characters (a UUID, say).")
        }
        let fingerprint = SecureTokens.digest(request + "\n" + body)
        let now = app.clock.now()
        let since = now.addingTimeInterval(-IdempotencyClaimingDatabase.lifetime)
        if let earlier = try await app.database.read({ sql in
            try await IdempotencyStore(sql).find(key, in: accountID, since: since)
        }) {
            return try Self.answer(from: earlier, fingerprint: fingerprint)
        }
        let claim = IdempotencyClaim(
            accountID: accountID, key: key, fingerprint: fingerprint, attempt: app.tokens.token(bytes: 12))
        let answer: Answer
        do {
            answer = try await IdempotencyClaim.$current.withValue(claim) { try await perform() }
        } catch is IdempotencyKeyInUse {
            // Another attempt took the key between our look and our first write.
            guard
                let earlier = try await app.database.read({ sql in
                    try await IdempotencyStore(sql).find(key, in: accountID, since: since)
                })
            else { throw Self.inUse }
            return try Self.answer(from: earlier, fingerprint: fingerprint)
        }
        if answer.status < 500 {
            try await app.database.write { sql in
                try await IdempotencyStore(sql).keep(
                    claim, status: answer.status, contentType: answer.contentType, body: answer.body, at: now)
            }
        }
        return answer
    }

    static func answer(from earlier: IdempotencyStore.Record, fingerprint: String) throws -> Answer {
        guard earlier.fingerprint == fingerprint else {
            throw FieldlineError.invalid(
                field: "idempotencyKey",
                message: "This Idempotency-Key was used for another request in the last 24 hours; use a new key.")
        }
        guard let status = earlier.status else { throw inUse }
        return Answer(status: status, contentType: earlier.contentType, body: earlier.body ?? "", replayed: true)
    }

    static let inUse = FieldlineError.conflict(
        code: .idempotencyKeyInUse,
        message:
            "A request with this Idempotency-Key is still running, or was cut off after it took effect; "
            + "look the record up before trying again.")
}
