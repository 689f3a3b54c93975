import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation

/// Accounts, users and signing in.
public struct Accounts: Sendable {
    let app: Fieldline

    public static let webSessionLifetime: TimeInterval = 14 * 24 * 3600
    public static let apiTokenLifetime: TimeInterval = 90 * 24 * 3600

    public struct NewAccount: Sendable {
        public var name: String?
        public var timeZone: String?
        public var businessHours: BusinessHours?

        public init(name: String?, timeZone: String?, businessHours: BusinessHours? = nil) {
            self.name = name
            self.timeZone = timeZone
            self.businessHours = businessHours
        }
    }

    public func create(_ input: NewAccount, isDemo: Bool = false) async throws -> Account {
        let account = Account(
            id: .generate(), name: try Account.validatedName(input.name),
            timeZone: try Account.validatedTimeZone(input.timeZone),
            businessHours: try (input.businessHours ?? .standard).validated(), createdAt: app.clock.now())
        try await app.database.write { sql in try await AccountStore(sql).insert(account, isDemo: isDemo) }
        return account
    }

    public func find(_ id: AccountID) async throws -> Account {
        guard let account = try await app.database.read({ sql in try await AccountStore(sql).find(id) }) else {
            throw FieldlineError.notFound(entity: "account", id: id.rawValue)
        }
        return account
    }

    public func demoAccount() async throws -> Account? {
        try await app.database.read { sql in try await AccountStore(sql).demoAccount() }
    }

    public func all() async throws -> [Account] {
        try await app.database.read { sql in try await AccountStore(sql).all() }
    }

    public struct AccountChanges: Sendable {
        public var name: String?
        public var timeZone: String?
        public var businessHours: BusinessHours?
        public var autoreplyEnabled: Bool?
        public var autoreplyText: String?
        /// Months to keep messages' words and pictures; 0 keeps them for ever; nil leaves it.
        public var messageRetentionMonths: Int?
        /// The marketing frequency limit (CP4); nil leaves it.
        public var marketingLimit: MarketingLimit?

        public init(
            name: String? = nil, timeZone: String? = nil, businessHours: BusinessHours? = nil,
            autoreplyEnabled: Bool? = nil, autoreplyText: String? = nil, messageRetentionMonths: Int? = nil,
            marketingLimit: MarketingLimit? = nil
        ) {
            self.name = name
            self.timeZone = timeZone
            self.businessHours = businessHours
            self.autoreplyEnabled = autoreplyEnabled
            self.autoreplyText = autoreplyText
            self.messageRetentionMonths = messageRetentionMonths
            self.marketingLimit = marketingLimit
        }
    }

    public func update(_ changes: AccountChanges, by actor: Actor) async throws -> Account {
        try actor.require(.manageAccount)
        var account = try await find(actor.accountID)
        if let name = changes.name { account.name = try Account.validatedName(name) }
        if let timeZone = changes.timeZone { account.timeZone = try Account.validatedTimeZone(timeZone) }
        if let hours = changes.businessHours { account.businessHours = try hours.validated() }
        if let enabled = changes.autoreplyEnabled { account.autoreply.enabled = enabled }
        if let months = changes.messageRetentionMonths {
            account.messageRetentionMonths = try Account.validatedRetention(months)
        }
        if let limit = changes.marketingLimit { account.marketingLimit = try limit.validated() }
        if let text = changes.autoreplyText {
            do {
                account.autoreply.text = try MessageText.validatedOutbound(text).body
            } catch {
                throw FieldlineError.invalid(
                    field: "autoreplyText",
                    message: "The after-hours reply is one text of 1 to 160 characters (\(error.message))")
            }
        }
        let updated = account
        let before = try await find(actor.accountID)
        let changed = [
            before.name != updated.name ? "name \"\(before.name)\" → \"\(updated.name)\"" : nil,
            before.timeZone != updated.timeZone ? "time zone \(before.timeZone) → \(updated.timeZone)" : nil,
            before.businessHours != updated.businessHours ? "open hours" : nil,
            before.autoreply.enabled != updated.autoreply.enabled
                ? "after-hours reply \(updated.autoreply.enabled ? "on" : "off")" : nil,
            before.autoreply.text != updated.autoreply.text ? "after-hours reply text" : nil,
            before.marketingLimit.texts != updated.marketingLimit.texts
                || before.marketingLimit.days != updated.marketingLimit.days
                ? "marketing limit \(before.marketingLimit.summary) → \(updated.marketingLimit.summary)" : nil,
            before.marketingLimit.skipOpenConversations != updated.marketingLimit.skipOpenConversations
                ? "campaigns \(updated.marketingLimit.skipOpenConversations ? "skip" : "include") open conversations"
                : nil,
        ].compactMap { $0 }
        let retentionChanged = before.messageRetentionMonths != updated.messageRetentionMonths
        let retention = [before.messageRetentionMonths, updated.messageRetentionMonths]
            .map { $0.map { "\($0) months" } ?? "for ever" }
        let now = app.clock.now()
        try await app.database.write { sql in
            try await AccountStore(sql).update(updated)
            if !changed.isEmpty {
                try await AuditStore(sql).append(
                    AuditEntry(by: actor, .settingsChanged, detail: changed.joined(separator: "; "), at: now))
            }
            if retentionChanged {
                try await AuditStore(sql).append(
                    AuditEntry(
                        by: actor, .retentionChanged,
                        detail:
                            "messages kept \(retention[0]) → \(retention[1])",
                        at: now))
            }
        }
        return updated
    }

    // MARK: Users

    public struct NewUser: Sendable {
        public var email: String?
        public var name: String?
        public var role: String?
        public var password: String?
        public var phone: String?
        public var technicianID: TechnicianID?

        public init(
            email: String?, name: String?, role: String?, password: String?, phone: String? = nil,
            technicianID: TechnicianID? = nil
        ) {
            self.email = email
            self.name = name
            self.role = role
            self.password = password
            self.phone = phone
            self.technicianID = technicianID
        }
    }

    /// Adds a user to an account. `actor` is nil only for the operator's CLI and the demo seed.
    public func createUser(_ input: NewUser, in accountID: AccountID, by actor: Actor?) async throws -> User {
        if let actor {
            try actor.require(.manageUsers)
            guard actor.accountID == accountID else { throw FieldlineError.forbidden(permission: "manage_users") }
        }
        let email = try EmailAddress.parse(input.email ?? "")
        let name = try Text.required(input.name, field: "name", label: "Name", maxLength: 120)
        guard let roleName = input.role, let role = Role(rawValue: roleName.lowercased()) else {
            throw FieldlineError.invalid(
                field: "role",
                message: "Role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let password = try PasswordPolicy.validate(input.password)
        let phone = try input.phone.flatMap { $0.isEmpty ? nil : $0 }.map { raw throws(FieldlineError) in
            try PhoneNumber.parse(raw)
        }
        if role == .technician, input.technicianID == nil {
            throw FieldlineError.invalid(
                field: "technicianId", message: "A technician's sign-in must be linked to a technician record.")
        }
        let user = User(
            id: .generate(), accountID: accountID, email: email, name: name, role: role, phone: phone,
            technicianID: input.technicianID, createdAt: app.clock.now())
        let hash = try await app.passwords.hash(password)
        try await app.database.write { sql in
            guard try await AccountStore(sql).find(accountID) != nil else {
                throw FieldlineError.notFound(entity: "account", id: accountID.rawValue)
            }
            if let technicianID = user.technicianID,
                try await TechnicianStore(sql).find(technicianID, in: accountID) == nil
            {
                throw FieldlineError.notFound(entity: "technician", id: technicianID.rawValue)
            }
            // An email address is one person's sign-in on this server, so it cannot be in two
            // businesses. Whether another business uses it is not this business's to learn: the
            // refusal then names nothing but the address being unavailable.
            if let (existing, _) = try await AccountStore(sql).userForSignIn(email: user.email) {
                throw existing.accountID == accountID
                    ? FieldlineError.conflict(
                        code: .emailTaken, message: "\(existing.name) already signs in with \(user.email).")
                    : FieldlineError.conflict(
                        code: .emailUnavailable,
                        message: "\(user.email) cannot be used for a new person. Use another email address.")
            }
            try await AccountStore(sql).insert(user, passwordHash: hash)
            try await AuditStore(sql).append(
                AuditEntry(
                    accountID: accountID, userID: actor?.userID, actorName: actor?.name ?? "Setup (command line)",
                    action: .userAdded, subject: "\(user.name) <\(user.email)>", detail: "role \(user.role.label)",
                    address: actor?.address, occurredAt: user.createdAt))
        }
        return user
    }

    public struct UserChanges: Sendable {
        public var name: String?
        public var role: String?
        public var phone: String?
        public var active: Bool?
        /// `none`, `view`, `full`, or `role` to follow the role again (CH18).
        public var chatAccess: String?

        public init(
            name: String? = nil, role: String? = nil, phone: String? = nil, active: Bool? = nil,
            chatAccess: String? = nil
        ) {
            self.name = name
            self.role = role
            self.phone = phone
            self.active = active
            self.chatAccess = chatAccess
        }
    }

    /// Renames, changes the role or phone of, or deactivates a user. Deactivating ends their sessions
    /// at once. Admins cannot lock themselves out by deactivating or demoting their own user.
    public func updateUser(_ id: UserID, _ changes: UserChanges, by actor: Actor) async throws -> User {
        try actor.require(.manageUsers)
        return try await app.transaction { sql, effects in
            let store = AccountStore(sql)
            guard var user = try await store.user(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "user", id: id.rawValue)
            }
            let before = user
            if let name = changes.name {
                user.name = try Text.required(name, field: "name", label: "Name", maxLength: 120)
            }
            if let raw = changes.role {
                guard let role = Role(rawValue: raw.lowercased()) else {
                    throw FieldlineError.invalid(
                        field: "role",
                        message: "Role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                if role == .technician, user.technicianID == nil {
                    throw FieldlineError.invalid(
                        field: "role",
                        message: "Only a user linked to a technician record can have the technician role.")
                }
                user.role = role
            }
            if let phone = changes.phone {
                user.phone = phone.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try PhoneNumber.parse(phone)
            }
            if let active = changes.active { user.active = active }
            if let raw = changes.chatAccess {
                if raw == "role" {
                    user.chatAccess = nil
                } else {
                    guard let access = ChatAccess(rawValue: raw) else {
                        throw FieldlineError.invalid(
                            field: "chatAccess", message: "Chat access is none, view, full, or role (follow the role).")
                    }
                    guard ChatAccess.appliesTo(user.role) else {
                        throw FieldlineError.invalid(
                            field: "chatAccess",
                            message: "Admins always have full chat access and technicians have their own chat switches."
                        )
                    }
                    user.chatAccess = access
                }
            }
            if user.id == actor.userID, !user.active || user.role != .admin {
                throw FieldlineError.conflict(
                    code: .selfLockout, message: "You cannot deactivate or demote yourself; ask another admin.")
            }
            try await store.update(user)
            if !user.active { try await store.deleteSessions(of: user.id, in: user.accountID) }
            let changed = Self.describeChanges(from: before, to: user)
            if !changed.isEmpty {
                try await AuditStore(sql).append(
                    AuditEntry(
                        by: actor, .userChanged, subject: before.name, detail: changed.joined(separator: "; "),
                        at: app.clock.now()))
            }
            if user.active != before.active || user.role != before.role || user.chatAccess != before.chatAccess {
                effects.publish(.accessChanged(user.id), to: user.accountID)
            }
            return user
        }
    }

    /// A person's changes in words, for the audit log.
    static func describeChanges(from before: User, to after: User) -> [String] {
        func access(_ user: User) -> String { user.chatAccess?.rawValue ?? "as the role" }
        return [
            before.name != after.name ? "name \"\(before.name)\" → \"\(after.name)\"" : nil,
            before.role != after.role ? "role \(before.role.label) → \(after.role.label)" : nil,
            before.phone != after.phone ? "phone \(after.phone?.displayed ?? "removed")" : nil,
            before.active != after.active ? (after.active ? "switched back on" : "switched off") : nil,
            before.chatAccess != after.chatAccess ? "chat access \(access(before)) → \(access(after))" : nil,
        ].compactMap { $0 }
    }

    public func users(by actor: Actor) async throws -> [User] {
        try actor.require(.manageUsers)
        return try await app.database.read { sql in try await AccountStore(sql).users(in: actor.accountID) }
    }

    // MARK: Signing in

    public enum SessionKind: String, Sendable {
        case web, api
    }

    public struct IssuedSession: Sendable {
        public var token: String
        public var csrfToken: String
        public var expiresAt: Date
        public var user: User
    }

    /// Checks the password and opens a session. The same message answers an unknown email and a
    /// wrong password, so sign-in cannot be used to discover who has an account.
    /// `address` is the client's, for the audit log.
    public func signIn(
        email rawEmail: String?, password: String?, kind: SessionKind, from address: String? = nil
    ) async throws -> IssuedSession {
        let failure = FieldlineError.unauthenticated(message: "The email or password is incorrect.")
        guard let rawEmail, let password, !password.isEmpty, let email = try? EmailAddress.parse(rawEmail) else {
            throw failure
        }
        let now = app.clock.now()
        // The attempt is taken (and counted as a failure) before the password is checked, in one
        // transaction per address: sixty parallel guesses get five checks, not sixty.
        let locking = try await app.database.write { sql in
            try await AccountStore(sql).takeSignInAttempt(of: email, at: now, window: SignInThrottle.window) {
                SignInThrottle.lockedUntil(failures: $0, now: now) != nil
            }
        }
        if let locking, let until = SignInThrottle.lockedUntil(failures: locking, now: now) {
            throw FieldlineError.rateLimited(
                message: SignInThrottle.message(until: until, now: now),
                retryAfter: max(1, Int(until.timeIntervalSince(now).rounded(.up))))
        }
        let found = try await app.database.read { sql in try await AccountStore(sql).userForSignIn(email: email) }
        // An unknown or switched-off address costs the same bcrypt work as a wrong password.
        let verified =
            if let (user, hash) = found, user.active {
                try await app.passwords.verify(password, against: hash)
            } else {
                try await app.passwords.verifyDecoy(password)
            }
        guard verified, let (user, _) = found else {
            // A wrong password for a person of a business is that business's to see; an address
            // no one signs in with belongs to no business.
            if let (user, _) = found {
                try await app.database.write { sql in
                    try await AuditStore(sql).append(
                        AuditEntry(
                            accountID: user.accountID, userID: nil, actorName: "Someone", action: .signInFailed,
                            subject: "\(user.name) <\(user.email)>",
                            detail: user.active ? "wrong password" : "the person is switched off", address: address,
                            occurredAt: now))
                }
            }
            throw failure
        }
        try await app.database.write { sql in try await AccountStore(sql).clearSignInFailures(of: email) }
        let token = app.tokens.token(bytes: 32)
        let csrf = app.tokens.token(bytes: 24)
        let expiresAt = now.addingTimeInterval(kind == .web ? Self.webSessionLifetime : Self.apiTokenLifetime)
        try await app.database.write { sql in
            let store = AccountStore(sql)
            try await store.deleteExpiredSessions(before: now)
            try await store.insertSession(
                tokenDigest: SecureTokens.digest(token), accountID: user.accountID, userID: user.id,
                kind: kind.rawValue,
                csrfToken: csrf, createdAt: now, expiresAt: expiresAt)
            try await AuditStore(sql).append(
                AuditEntry(
                    accountID: user.accountID, userID: user.id, actorName: user.name, action: .signedIn,
                    subject: nil, detail: kind == .web ? "web" : "API token", address: address, occurredAt: now))
        }
        return IssuedSession(token: token, csrfToken: csrf, expiresAt: expiresAt, user: user)
    }

    public struct Authenticated: Sendable {
        public var actor: Actor
        public var user: User
        public var account: Account
        public var csrfToken: String
        public var kind: SessionKind
    }

    /// The person behind a session or bearer token, with their current permissions.
    public func authenticate(token: String, kind: SessionKind) async throws -> Authenticated {
        let now = app.clock.now()
        let found = try await app.database.read { sql in
            try await AccountStore(sql).signedIn(tokenDigest: SecureTokens.digest(token), at: now)
        }
        let result = found.flatMap { signedIn -> Authenticated? in
            guard signedIn.session.kind == kind.rawValue else { return nil }
            return Authenticated(
                actor: Actor(user: signedIn.user, technicianChat: signedIn.technicianChat), user: signedIn.user,
                account: signedIn.account, csrfToken: signedIn.session.csrfToken, kind: kind)
        }
        guard let result else {
            throw FieldlineError.unauthenticated(
                message: "Your session has expired or the token is not valid; sign in again.")
        }
        return result
    }

    public func signOut(token: String) async throws {
        try await app.transaction { sql, effects in
            let store = AccountStore(sql)
            let digest = SecureTokens.digest(token)
            if let (userID, accountID) = try await store.sessionUser(tokenDigest: digest) {
                effects.publish(.accessChanged(userID), to: accountID)
            }
            try await store.deleteSession(tokenDigest: digest)
        }
    }
}
