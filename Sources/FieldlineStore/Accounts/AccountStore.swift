import FieldlineCore
import Foundation
import SQLKit

/// Accounts, their users and sign-in sessions.
public struct AccountStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct AccountRow: Codable {
        var id: String
        var name: String
        var timeZone: String
        var businessHours: String
        var isDemo: Bool
        var createdAt: Date

        func account() throws -> Account {
            Account(
                id: AccountID(id), name: name, timeZone: timeZone,
                businessHours: try JSONColumn.decode(BusinessHours.self, from: businessHours), createdAt: createdAt)
        }
    }

    public func insert(_ account: Account, isDemo: Bool = false) async throws {
        let row = AccountRow(
            id: account.id.rawValue, name: account.name, timeZone: account.timeZone,
            businessHours: try JSONColumn.encode(account.businessHours), isDemo: isDemo, createdAt: account.createdAt)
        try await sql.insert(into: "accounts").record(row).run()
    }

    public func update(_ account: Account) async throws {
        try await sql.update("accounts")
            .set("name", to: account.name)
            .set("time_zone", to: account.timeZone)
            .set("business_hours", to: try JSONColumn.encode(account.businessHours))
            .where("id", .equal, account.id.rawValue)
            .run()
    }

    public func find(_ id: AccountID) async throws -> Account? {
        try await sql.select().columns("id", "name", "time_zone", "business_hours", "is_demo", "created_at")
            .from("accounts").where("id", .equal, id.rawValue)
            .first()?.record(AccountRow.self).account()
    }

    public func demoAccount() async throws -> Account? {
        try await sql.select().columns("id", "name", "time_zone", "business_hours", "is_demo", "created_at")
            .from("accounts").where("is_demo", .equal, true).orderBy("created_at")
            .first()?.record(AccountRow.self).account()
    }

    public func all() async throws -> [Account] {
        try await sql.select().columns("id", "name", "time_zone", "business_hours", "is_demo", "created_at")
            .from("accounts").orderBy("name")
            .all().map { try $0.record(AccountRow.self).account() }
    }

    /// The next job number of the account. The row update takes the row lock, so concurrent
    /// bookings never share a number.
    public func allocateJobNumber(_ accountID: AccountID) async throws -> Int {
        let row = try await sql.raw(
            """
            UPDATE accounts SET next_job_number = next_job_number + 1
            WHERE id = \(bind: accountID.rawValue) RETURNING next_job_number
            """
        ).first()
        guard let row else { throw FieldlineError.notFound(entity: "account", id: accountID.rawValue) }
        return try row.decode(column: "next_job_number", as: Int.self) - 1
    }

    // MARK: Users

    struct UserRow: Codable {
        var id: String
        var accountId: String
        var email: String
        var name: String
        var role: String
        var phone: String?
        var technicianId: String?
        var passwordHash: String
        var createdAt: Date

        func user() throws -> User {
            guard let role = Role(rawValue: role) else {
                throw FieldlineError.conflict(code: "corrupt_user", message: "User \(id) has an unknown role \(role).")
            }
            return User(
                id: UserID(id), accountID: AccountID(accountId), email: EmailAddress(storedValue: email), name: name,
                role: role, phone: phone.map(PhoneNumber.init(storedE164:)),
                technicianID: technicianId.map(TechnicianID.init),
                createdAt: createdAt)
        }
    }

    static let userColumns = [
        "id", "account_id", "email", "name", "role", "phone", "technician_id", "password_hash", "created_at",
    ]

    public func insert(_ user: User, passwordHash: String) async throws {
        let row = UserRow(
            id: user.id.rawValue, accountId: user.accountID.rawValue, email: user.email.value, name: user.name,
            role: user.role.rawValue, phone: user.phone?.e164, technicianId: user.technicianID?.rawValue,
            passwordHash: passwordHash, createdAt: user.createdAt)
        do {
            try await sql.insert(into: "users").record(row).run()
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(
                code: "email_taken", message: "A user with the email \(user.email) already exists.")
        }
    }

    /// The user with this email on any account, with the password hash to check a sign-in against.
    public func userForSignIn(email: EmailAddress) async throws -> (User, passwordHash: String)? {
        guard
            let row = try await sql.select().columns(Self.userColumns).from("users")
                .where("email", .equal, email.value).first()?.record(UserRow.self)
        else { return nil }
        return (try row.user(), row.passwordHash)
    }

    public func user(_ id: UserID, in accountID: AccountID) async throws -> User? {
        try await sql.select().columns(Self.userColumns).from("users")
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.record(UserRow.self).user()
    }

    public func users(in accountID: AccountID) async throws -> [User] {
        try await sql.select().columns(Self.userColumns).from("users")
            .where("account_id", .equal, accountID.rawValue).orderBy("name")
            .all().map { try $0.record(UserRow.self).user() }
    }

    public func userForTechnician(_ technicianID: TechnicianID, in accountID: AccountID) async throws -> User? {
        try await sql.select().columns(Self.userColumns).from("users")
            .where("technician_id", .equal, technicianID.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.record(UserRow.self).user()
    }

    // MARK: Sessions

    public struct Session: Sendable, Equatable {
        public var accountID: AccountID
        public var userID: UserID
        public var kind: String
        public var csrfToken: String
        public var expiresAt: Date
    }

    struct SessionRow: Codable {
        var tokenDigest: String
        var accountId: String
        var userId: String
        var kind: String
        var csrfToken: String
        var createdAt: Date
        var expiresAt: Date
    }

    public func insertSession(
        tokenDigest: String, accountID: AccountID, userID: UserID, kind: String, csrfToken: String, createdAt: Date,
        expiresAt: Date
    ) async throws {
        let row = SessionRow(
            tokenDigest: tokenDigest, accountId: accountID.rawValue, userId: userID.rawValue, kind: kind,
            csrfToken: csrfToken, createdAt: createdAt, expiresAt: expiresAt)
        try await sql.insert(into: "sessions").record(row).run()
    }

    public func session(tokenDigest: String, at now: Date) async throws -> Session? {
        guard
            let row = try await sql.select()
                .columns("token_digest", "account_id", "user_id", "kind", "csrf_token", "created_at", "expires_at")
                .from("sessions").where("token_digest", .equal, tokenDigest).where("expires_at", .greaterThan, now)
                .first()?.record(SessionRow.self)
        else { return nil }
        return Session(
            accountID: AccountID(row.accountId), userID: UserID(row.userId), kind: row.kind, csrfToken: row.csrfToken,
            expiresAt: row.expiresAt)
    }

    public func deleteSession(tokenDigest: String) async throws {
        try await sql.delete(from: "sessions").where("token_digest", .equal, tokenDigest).run()
    }

    public func deleteExpiredSessions(before now: Date) async throws {
        try await sql.delete(from: "sessions").where("expires_at", .lessThanOrEqual, now).run()
    }
}
