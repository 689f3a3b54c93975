import FieldlineCore
import Foundation
import SQLKit
import Synchronization

/// An API request's `Idempotency-Key` while its handler runs. The request's first write
/// transaction takes the key inside that same transaction (`IdempotencyClaimingDatabase`), so the
/// key is taken exactly when the request's first change commits: a request killed before its
/// commit left nothing and runs again when retried; one killed after it is never run twice.
public final class IdempotencyClaim: Sendable {
    public let accountID: AccountID
    public let key: String
    /// What the request asked for (method, path and body, digested): the same key with another
    /// request is refused.
    public let fingerprint: String
    /// This attempt, to tell its own claim from another attempt's.
    public let attempt: String
    private let taken = Mutex(false)
    private let lost = Mutex(false)

    @TaskLocal public static var current: IdempotencyClaim?

    public init(accountID: AccountID, key: String, fingerprint: String, attempt: String) {
        self.accountID = accountID
        self.key = key
        self.fingerprint = fingerprint
        self.attempt = attempt
    }

    /// A transaction of this request has committed with the key taken.
    public var isTaken: Bool { taken.withLock { $0 } }

    func markTaken() { taken.withLock { $0 = true } }

    /// Another attempt with the same key took it first (its first write found the key held).
    public var lostToAnotherAttempt: Bool { lost.withLock { $0 } }

    func markLost() { lost.withLock { $0 = true } }
}

/// The keys of the last 24 hours per account, with the answer each request got.
public struct IdempotencyStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    public struct Record: Sendable, Equatable {
        public var fingerprint: String
        public var attempt: String
        /// The answer, once stored; nil while the request runs, or when it was cut off after its
        /// change committed.
        public var status: Int?
        public var contentType: String?
        public var body: String?
    }

    struct Row: StoredRow {
        static let mapping = TableMapping<Self>(table: "idempotency_keys")

        var accountId: String
        var idempotencyKey: String
        var fingerprint: String
        var attempt: String
        var status: Int?
        var contentType: String?
        var body: String?
        var createdAt: Date
    }

    public func find(_ key: String, in accountID: AccountID, since: Date) async throws -> Record? {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("idempotency_key", .equal, key)
            .where("created_at", .greaterThanOrEqual, since)
            .first()
            .map { try $0.stored(Row.self) }
            .map {
                Record(
                    fingerprint: $0.fingerprint, attempt: $0.attempt, status: $0.status, contentType: $0.contentType,
                    body: $0.body)
            }
    }

    /// Takes the key for `claim` unless another attempt holds it (then throws a conflict). Keys
    /// older than `expiredBefore` are forgotten first, the account's all at once.
    public func take(_ claim: IdempotencyClaim, at now: Date, expiredBefore: Date) async throws {
        try await sql.delete(from: "idempotency_keys")
            .where("account_id", .equal, claim.accountID.rawValue).where("created_at", .lessThan, expiredBefore)
            .run()
        try await sql.insert(
            Row(
                accountId: claim.accountID.rawValue, idempotencyKey: claim.key, fingerprint: claim.fingerprint,
                attempt: claim.attempt, status: nil, contentType: nil, body: nil, createdAt: now),
            unlessConflictOn: ["account_id", "idempotency_key"])
        let holder = try await sql.select().column("attempt").from("idempotency_keys")
            .where("account_id", .equal, claim.accountID.rawValue).where("idempotency_key", .equal, claim.key)
            .first()?.decode(column: "attempt", as: String.self)
        guard holder == claim.attempt else {
            claim.markLost()
            throw IdempotencyStore.inUse
        }
    }

    /// Another attempt with the same key holds it: it is running, or was cut off after its change
    /// committed.
    public static let inUse = FieldlineError.conflict(
        code: .idempotencyKeyInUse,
        message:
            "A request with this Idempotency-Key is still running, or was cut off after it took effect; "
            + "look the record up before trying again.")

    /// Keeps the answer of the attempt that took the key.
    public func keep(_ claim: IdempotencyClaim, status: Int, contentType: String?, body: String) async throws {
        try await sql.update("idempotency_keys")
            .set("status", to: status).set("content_type", to: contentType).set("body", to: body)
            .where("account_id", .equal, claim.accountID.rawValue)
            .where("idempotency_key", .equal, claim.key).where("attempt", .equal, claim.attempt)
            .run()
    }
}

/// The application's database: every write transaction run while an `IdempotencyClaim` is current
/// (an API request with a key) takes the key first, in the same transaction, until one commits.
public struct IdempotencyClaimingDatabase: Database {
    let base: any Database
    let now: @Sendable () -> Date

    public static let lifetime: TimeInterval = 24 * 3600

    public init(_ base: any Database, now: @escaping @Sendable () -> Date) {
        self.base = base
        self.now = now
    }

    public var engine: DatabaseEngine { base.engine }
    public var notifications: (any DatabaseNotifications)? { base.notifications }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await base.read(body)
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        // The body may run on another task (SQLite's group commit): the claim is read here.
        guard let claim = IdempotencyClaim.current, !claim.isTaken else { return try await base.write(body) }
        let instant = now()
        let result = try await base.write { sql in
            try await IdempotencyStore(sql).take(
                claim, at: instant, expiredBefore: instant.addingTimeInterval(-Self.lifetime))
            return try await body(sql)
        }
        claim.markTaken()
        return result
    }

    public func close() async {
        await base.close()
    }
}
