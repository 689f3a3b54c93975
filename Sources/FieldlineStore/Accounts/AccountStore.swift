import FieldlineCore
import Foundation
import SQLKit

/// Accounts, their users and sign-in sessions.
public struct AccountStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    /// `next_job_number` stays out: it is the account's counter, moved only by `allocateJobNumber`.
    struct AccountRow: StoredRow {
        /// `next_job_number` is the database's: it starts at its default and only
        /// `allocateJobNumber`'s UPDATE moves it. Read, copied with a backup, never written here.
        static let mapping = TableMapping<Self>(table: "accounts", assignedByDatabase: ["next_job_number"])

        var id: String
        var name: String
        var timeZone: String
        var businessHours: String
        var autoreplyEnabled: Bool
        var autoreplyText: String?
        var isDemo: Bool
        var createdAt: Date
        var messageRetentionMonths: Int?
        /// The account's key for the hashes that stand in for erased customers' numbers (OP3);
        /// made at the first erasure, never shown.
        var erasureKey: String?
        var nextJobNumber: Int
        var marketingLimitTexts: Int
        var marketingLimitDays: Int
        var campaignsSkipOpenThreads: Bool

        func account() throws -> Account {
            Account(
                id: AccountID(id), name: name, timeZone: timeZone,
                businessHours: try JSONColumn.decode(BusinessHours.self, from: businessHours),
                autoreply: Autoreply(enabled: autoreplyEnabled, text: autoreplyText ?? Autoreply.defaultText),
                messageRetentionMonths: messageRetentionMonths,
                marketingLimit: MarketingLimit(
                    texts: marketingLimitTexts, days: marketingLimitDays,
                    skipOpenConversations: campaignsSkipOpenThreads),
                createdAt: createdAt)
        }
    }

    public func insert(_ account: Account, isDemo: Bool = false) async throws {
        try await sql.insert(try AccountRow(account, isDemo: isDemo))
    }

    /// Saves the account; whether it is the demo account and its creation time stay as stored.
    public func update(_ account: Account) async throws {
        let row = try AccountRow(account, isDemo: false)
        try await sql.update(row, leaving: ["is_demo", "created_at", "erasure_key", "next_job_number"]).run()
    }

    public func find(_ id: AccountID) async throws -> Account? {
        try await sql.select(AccountRow.self).where("id", .equal, id.rawValue)
            .first()?.stored(AccountRow.self).account()
    }

    public func demoAccount() async throws -> Account? {
        try await sql.select(AccountRow.self).where("is_demo", .equal, true).orderBy("created_at")
            .first()?.stored(AccountRow.self).account()
    }

    public func all() async throws -> [Account] {
        try await sql.select(AccountRow.self).orderBy("name")
            .all().map { try $0.stored(AccountRow.self).account() }
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

    struct UserRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "users")

        var id: String
        var accountId: String
        var email: String
        var name: String
        var role: String
        var phone: String?
        var technicianId: String?
        var passwordHash: String
        var active: Bool
        var chatAccess: String?
        var createdAt: Date

        func user() throws -> User {
            guard let role = Role(rawValue: role) else {
                throw FieldlineError.conflict(code: .corruptUser, message: "User \(id) has an unknown role \(role).")
            }
            return User(
                id: UserID(id), accountID: AccountID(accountId), email: EmailAddress(storedValue: email), name: name,
                role: role, phone: phone.map(PhoneNumber.init(storedE164:)),
                technicianID: technicianId.map(TechnicianID.init), active: active,
                chatAccess: try ChatAccess.stored(ifAny: chatAccess, table: "users", column: "chat_access"),
                createdAt: createdAt)
        }
    }

    public func insert(_ user: User, passwordHash: String) async throws {
        do {
            try await sql.insert(UserRow(user, passwordHash: passwordHash))
        } catch  where StoreErrors.isUniqueViolation(error) {
            // A race with another insert of the address; said without naming whose it is.
            throw FieldlineError.conflict(
                code: .emailUnavailable,
                message: "\(user.email) cannot be used for a new person. Use another email address.")
        }
    }

    /// The user with this email on any account, with the password hash to check a sign-in against.
    /// A technician whose technician record is switched off is as switched off as the user.
    public func userForSignIn(email: EmailAddress) async throws -> (User, passwordHash: String)? {
        guard
            let row = try await sql.select(UserRow.self)
                .where("email", .equal, email.value).first()?.stored(UserRow.self)
        else { return nil }
        var user = try row.user()
        if let technicianID = user.technicianID, user.active {
            let active = try await sql.select().column("active").from("technicians")
                .where("id", .equal, technicianID.rawValue).where("account_id", .equal, user.accountID.rawValue)
                .first()?.decode(column: "active", as: Bool.self)
            user.active = active ?? false
        }
        return (user, row.passwordHash)
    }

    /// The users signed in as this technician.
    public func users(ofTechnician technicianID: TechnicianID, in accountID: AccountID) async throws -> [User] {
        try await sql.select(UserRow.self)
            .where("account_id", .equal, accountID.rawValue).where("technician_id", .equal, technicianID.rawValue)
            .all().map { try $0.stored(UserRow.self).user() }
    }

    /// The user a session belongs to, if the session exists.
    public func sessionUser(tokenDigest: String) async throws -> (UserID, AccountID)? {
        guard
            let row = try await sql.select().columns("user_id", "account_id").from("sessions")
                .where("token_digest", .equal, tokenDigest).first()
        else { return nil }
        return (
            UserID(try row.decode(column: "user_id", as: String.self)),
            AccountID(try row.decode(column: "account_id", as: String.self))
        )
    }

    public func user(_ id: UserID, in accountID: AccountID) async throws -> User? {
        try await sql.select(UserRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(UserRow.self).user()
    }

    /// Saves the user; the account, email address, password hash and creation time stay as stored.
    public func update(_ user: User) async throws {
        let row = UserRow(user, passwordHash: "")
        try await sql.update(row, leaving: ["account_id", "email", "password_hash", "created_at"])
            .where("account_id", .equal, row.accountId).run()
    }

    public func deleteSessions(of userID: UserID, in accountID: AccountID, except kept: String? = nil) async throws {
        let delete = sql.delete(from: "sessions")
            .where("user_id", .equal, userID.rawValue).where("account_id", .equal, accountID.rawValue)
        if let kept { delete.where("token_digest", .notEqual, kept) }
        try await delete.run()
    }

    /// The stored bcrypt hash of a user's password.
    public func passwordHash(of userID: UserID, in accountID: AccountID) async throws -> String? {
        try await sql.select().column("password_hash").from("users")
            .where("id", .equal, userID.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.decode(column: "password_hash", as: String.self)
    }

    public func setPasswordHash(_ hash: String, of userID: UserID, in accountID: AccountID) async throws {
        try await sql.update("users").set("password_hash", to: hash)
            .where("id", .equal, userID.rawValue).where("account_id", .equal, accountID.rawValue).run()
    }

    // MARK: Password reset links

    struct PasswordResetRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "password_resets")

        var tokenDigest: String
        var accountId: String
        var userId: String
        var createdAt: Date
        var expiresAt: Date
        var usedAt: Date?
    }

    public func insertPasswordReset(
        tokenDigest: String, userID: UserID, accountID: AccountID, at instant: Date, expiresAt: Date
    ) async throws {
        try await sql.insert(
            PasswordResetRow(
                tokenDigest: tokenDigest, accountId: accountID.rawValue, userId: userID.rawValue, createdAt: instant,
                expiresAt: expiresAt, usedAt: nil))
    }

    /// How many reset links were made for the user since `instant` (for throttling).
    public func passwordResets(of userID: UserID, since instant: Date) async throws -> Int {
        try await sql.select().column("token_digest").from("password_resets")
            .where("user_id", .equal, userID.rawValue).where("created_at", .greaterThan, instant).all().count
    }

    /// The user a reset link opens, while it is unused and not expired.
    public func openPasswordReset(tokenDigest: String, at now: Date) async throws -> (UserID, AccountID)? {
        guard
            let row = try await sql.select().columns("user_id", "account_id").from("password_resets")
                .where("token_digest", .equal, tokenDigest).where("used_at", .is, SQLLiteral.null)
                .where("expires_at", .greaterThan, now).first()
        else { return nil }
        return (
            UserID(try row.decode(column: "user_id", as: String.self)),
            AccountID(try row.decode(column: "account_id", as: String.self))
        )
    }

    /// Uses a reset link: true for the one caller that marked it used while it was valid.
    public func usePasswordReset(tokenDigest: String, at now: Date) async throws -> Bool {
        let rows = try await sql.update("password_resets").set("used_at", to: now)
            .where("token_digest", .equal, tokenDigest).where("used_at", .is, SQLLiteral.null)
            .where("expires_at", .greaterThan, now).returning("token_digest").all()
        return !rows.isEmpty
    }

    /// Every other link of the user stops working once one was used, or a new password was set.
    public func retirePasswordResets(of userID: UserID, at now: Date) async throws {
        try await sql.update("password_resets").set("used_at", to: now)
            .where("user_id", .equal, userID.rawValue).where("used_at", .is, SQLLiteral.null).run()
    }

    public func users(in accountID: AccountID) async throws -> [User] {
        try await sql.select(UserRow.self)
            .where("account_id", .equal, accountID.rawValue).orderBy("name")
            .all().map { try $0.stored(UserRow.self).user() }
    }

    // MARK: Sessions

    public struct Session: Sendable, Equatable {
        public var accountID: AccountID
        public var userID: UserID
        public var kind: String
        public var csrfToken: String
        public var expiresAt: Date
    }

    struct SessionRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "sessions")

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
        try await sql.insert(row)
    }

    /// Everything a request needs to know about who is calling, in one round trip: the live
    /// session, its user and account, and the technician's chat switches when the user is one.
    public struct SignedIn: Sendable {
        public var session: Session
        public var user: User
        public var account: Account
        public var technicianChat: TechnicianChatPermissions?
    }

    struct SignedInRow: Decodable {
        var kind: String
        var csrfToken: String
        var expiresAt: Date
        var userId: String
        var accountId: String
        var email: String
        var userName: String
        var role: String
        var phone: String?
        var technicianId: String?
        var chatAccess: String?
        var userCreatedAt: Date
        var canViewChats: Bool?
        var canReplyChats: Bool?
    }

    /// The account's columns in the session query, each as `a_<column>`: every column the
    /// mapping has, so one added to the table is read here too.
    static let signedInAccountColumns = AccountRow.mapping.columns.map { "a.\"\($0)\" AS \"a_\($0)\"" }
        .joined(separator: ", ")

    public func signedIn(tokenDigest: String, at now: Date) async throws -> SignedIn? {
        let query: SQLQueryString = """
            SELECT s.kind, s.csrf_token, s.expires_at,
                   u.id AS user_id, u.account_id, u.email, u.name AS user_name, u.role, u.phone, u.technician_id,
                   u.chat_access, u.created_at AS user_created_at,
                   \(unsafeRaw: Self.signedInAccountColumns),
                   t.can_view_chats, t.can_reply_chats
            FROM sessions s
            JOIN users u ON u.id = s.user_id AND u.account_id = s.account_id
            JOIN accounts a ON a.id = s.account_id
            LEFT JOIN technicians t ON t.id = u.technician_id AND t.account_id = u.account_id
            WHERE s.token_digest = \(bind: tokenDigest) AND s.expires_at > \(bind: now) AND u.active = \(bind: true)
              AND (u.technician_id IS NULL OR t.active = \(bind: true))
            """
        guard let found = try await sql.raw(query).first() else { return nil }
        let row = try found.record(SignedInRow.self)
        let user = try UserRow(
            id: row.userId, accountId: row.accountId, email: row.email, name: row.userName, role: row.role,
            phone: row.phone,
            technicianId: row.technicianId, passwordHash: "", active: true, chatAccess: row.chatAccess,
            createdAt: row.userCreatedAt
        ).user()
        let account = try found.decode(model: AccountRow.self, prefix: "a_", keyDecodingStrategy: .convertFromSnakeCase)
            .account()
        let chat = row.canViewChats.map {
            TechnicianChatPermissions(canViewChats: $0, canReplyChats: row.canReplyChats ?? false)
        }
        return SignedIn(
            session: Session(
                accountID: account.id, userID: user.id, kind: row.kind, csrfToken: row.csrfToken,
                expiresAt: row.expiresAt),
            user: user, account: account, technicianChat: chat)
    }

    public func deleteSession(tokenDigest: String) async throws {
        try await sql.delete(from: "sessions").where("token_digest", .equal, tokenDigest).run()
    }

    public func deleteExpiredSessions(before now: Date) async throws {
        try await sql.delete(from: "sessions").where("expires_at", .lessThanOrEqual, now).run()
    }

    // MARK: Failed sign-ins

    struct SignInFailureRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "sign_in_failures")

        var email: String
        var failedAt: Date
    }

    public func signInFailures(of email: EmailAddress, since instant: Date) async throws -> [Date] {
        try await sql.select().column("failed_at").from("sign_in_failures")
            .where("email", .equal, email.value).where("failed_at", .greaterThan, instant)
            .all().map { try $0.decode(column: "failed_at", as: Date.self) }
    }

    /// Takes a sign-in attempt for `email` before its password is checked, atomically: while the
    /// address is locked it takes nothing and returns the failures that lock it; otherwise it
    /// records the attempt as a failure (cleared if the password turns out right) and returns nil.
    /// Parallel guesses for one address queue here (a row lock-alike on PostgreSQL, the single
    /// writer on SQLite), so no more than the allowed number ever reach the password check.
    public func takeSignInAttempt(
        of email: EmailAddress, at instant: Date, window: TimeInterval, isLocked: ([Date]) -> Bool
    ) async throws -> [Date]? {
        if sql.dialect.name == "postgresql" {
            try await sql.raw("SELECT pg_advisory_xact_lock(hashtextextended(\(bind: "sign-in/" + email.value), 0))")
                .run()
        }
        let failures = try await signInFailures(of: email, since: instant.addingTimeInterval(-window))
        if isLocked(failures) { return failures }
        try await recordSignInFailure(of: email, at: instant, forgetBefore: instant.addingTimeInterval(-window))
        return nil
    }

    /// Records a wrong password and forgets failures older than `forgetBefore` (of any address).
    public func recordSignInFailure(of email: EmailAddress, at instant: Date, forgetBefore: Date) async throws {
        try await sql.delete(from: "sign_in_failures").where("failed_at", .lessThan, forgetBefore).run()
        try await sql.insert(SignInFailureRow(email: email.value, failedAt: instant))
    }

    public func clearSignInFailures(of email: EmailAddress) async throws {
        try await sql.delete(from: "sign_in_failures").where("email", .equal, email.value).run()
    }
}

// In extensions, so the rows keep their memberwise initializers (`signedIn` builds both from its join).

extension AccountStore.AccountRow {
    init(_ account: Account, isDemo: Bool) throws {
        self.init(
            id: account.id.rawValue, name: account.name, timeZone: account.timeZone,
            businessHours: try JSONColumn.encode(account.businessHours), autoreplyEnabled: account.autoreply.enabled,
            autoreplyText: account.autoreply.text, isDemo: isDemo, createdAt: account.createdAt,
            messageRetentionMonths: account.messageRetentionMonths, erasureKey: nil, nextJobNumber: 0,
            marketingLimitTexts: account.marketingLimit.texts, marketingLimitDays: account.marketingLimit.days,
            campaignsSkipOpenThreads: account.marketingLimit.skipOpenConversations)
    }
}

extension AccountStore.UserRow {
    init(_ user: User, passwordHash: String) {
        self.init(
            id: user.id.rawValue, accountId: user.accountID.rawValue, email: user.email.value, name: user.name,
            role: user.role.rawValue, phone: user.phone?.e164, technicianId: user.technicianID?.rawValue,
            passwordHash: passwordHash, active: user.active, chatAccess: user.chatAccess?.rawValue,
            createdAt: user.createdAt)
    }
}

// MARK: Retention and erasure (OP3)

extension AccountStore {
    /// The accounts that keep messages for a limited time, with that time in months.
    public func retentions() async throws -> [(AccountID, Int)] {
        try await sql.select().columns("id", "message_retention_months").from("accounts")
            .where("message_retention_months", .isNot, SQLLiteral.null)
            .all().map {
                (
                    AccountID(try $0.decode(column: "id", as: String.self)),
                    try $0.decode(column: "message_retention_months", as: Int.self)
                )
            }
    }

    /// The account's erasure key, if it has erased anyone.
    public func existingErasureKey(of accountID: AccountID) async throws -> String? {
        try await sql.select().column("erasure_key").from("accounts").where("id", .equal, accountID.rawValue)
            .first()?.decode(column: "erasure_key", as: String?.self)
    }

    /// The account's erasure key, made (from `fresh`) the first time it is asked for.
    public func erasureKey(of accountID: AccountID, orNew fresh: String) async throws -> String {
        try await sql.update("accounts").set("erasure_key", to: fresh)
            .where("id", .equal, accountID.rawValue).where("erasure_key", .is, SQLLiteral.null).run()
        guard
            let key = try await sql.select().column("erasure_key").from("accounts")
                .where("id", .equal, accountID.rawValue).first()?.decode(column: "erasure_key", as: String?.self)
        else { throw FieldlineError.notFound(entity: "account", id: accountID.rawValue) }
        return key
    }
}
