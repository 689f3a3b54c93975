import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation

/// Passwords people can manage: change their own, get a single-use link by email when they forgot
/// it, and have an admin force a new one. Every change ends the person's other sessions and closes
/// their live sockets.
public struct PasswordChanges: Sendable {
    let app: Fieldline

    /// How long a reset link works.
    public static let linkLifetime: TimeInterval = 3600
    /// Links a person can be sent per hour, however often the form is posted for their address.
    public static let linksPerHour = 3

    /// Changes the actor's own password after checking the current one; the session `keeping`
    /// (the one asking) stays signed in, every other ends.
    public func change(
        current: String?, new rawNew: String?, keeping sessionToken: String?, by actor: Actor
    ) async throws {
        let new = try PasswordPolicy.validate(rawNew, field: "newPassword")
        let stored = try await app.database.read { sql in
            try await AccountStore(sql).passwordHash(of: actor.userID, in: actor.accountID)
        }
        guard let stored, let current, !current.isEmpty, try await app.passwords.verify(current, against: stored)
        else {
            throw FieldlineError.invalid(field: "currentPassword", message: "The current password is not right.")
        }
        guard new != current else {
            throw FieldlineError.invalid(field: "newPassword", message: "Choose a password other than the current one.")
        }
        let hash = try await app.passwords.hash(new)
        let now = app.clock.now()
        try await app.transaction { sql, effects in
            let store = AccountStore(sql)
            try await store.setPasswordHash(hash, of: actor.userID, in: actor.accountID)
            try await store.deleteSessions(
                of: actor.userID, in: actor.accountID, except: sessionToken.map(SecureTokens.digest))
            try await store.retirePasswordResets(of: actor.userID, at: now)
            try await AuditStore(sql).append(AuditEntry(by: actor, .passwordChanged, subject: actor.name, at: now))
            effects.publish(.accessChanged(actor.userID), to: actor.accountID)
        }
    }

    /// "Forgot password": sends a reset link to the address if it signs in here. Callers answer
    /// the same whatever happens, so the form tells nobody which addresses have accounts.
    public func requestReset(email rawEmail: String?) async throws {
        guard let rawEmail, let email = try? EmailAddress.parse(rawEmail) else { return }
        guard
            let (user, _) = try await app.database.read({ sql in
                try await AccountStore(sql).userForSignIn(email: email)
            }), user.active
        else { return }
        try await sendLink(to: user, forced: false)
    }

    /// An admin makes a person choose a new password: the old one stops working at once, their
    /// sessions end, and they get a reset link.
    public func forceReset(_ userID: UserID, by actor: Actor) async throws {
        try actor.require(.manageUsers)
        guard
            let user = try await app.database.read({ sql in
                try await AccountStore(sql).user(userID, in: actor.accountID)
            })
        else { throw FieldlineError.notFound(entity: "user", id: userID.rawValue) }
        guard user.id != actor.userID else {
            throw FieldlineError.conflict(
                code: .ownPassword, message: "Change your own password from your account page instead.")
        }
        guard user.active else {
            throw FieldlineError.conflict(
                code: .userInactive, message: "\(user.name) cannot sign in; switch their access on first.")
        }
        // A password nobody knows: the old one no longer opens the account.
        let locked = try await app.passwords.hash(app.tokens.token(bytes: 32))
        try await app.transaction { sql, effects in
            let store = AccountStore(sql)
            try await store.setPasswordHash(locked, of: user.id, in: user.accountID)
            try await store.deleteSessions(of: user.id, in: user.accountID)
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .passwordResetForced, subject: "\(user.name) <\(user.email)>",
                    detail: "old password stopped working; reset link emailed", at: app.clock.now()))
            effects.publish(.accessChanged(user.id), to: user.accountID)
        }
        try await sendLink(to: user, forced: true)
    }

    /// Whether a reset link still works (for showing its form).
    public func linkIsValid(_ token: String) async throws -> Bool {
        guard Self.isWellFormed(token) else { return false }
        return try await app.database.read { sql in
            try await AccountStore(sql).openPasswordReset(
                tokenDigest: SecureTokens.digest(token), at: app.clock.now()) != nil
        }
    }

    /// Sets a new password through a reset link; the link works once. Every session ends, the
    /// other links stop working, and failed sign-ins are forgotten.
    /// `address` is the client's, for the audit log.
    public func reset(token: String, new rawNew: String?, from address: String? = nil) async throws {
        let new = try PasswordPolicy.validate(rawNew, field: "newPassword")
        let expired = FieldlineError.conflict(
            code: .resetLinkExpired,
            message: "This reset link has expired or was used already. Ask for a new one.")
        guard Self.isWellFormed(token) else { throw expired }
        let hash = try await app.passwords.hash(new)
        let now = app.clock.now()
        let digest = SecureTokens.digest(token)
        try await app.transaction { sql, effects in
            let store = AccountStore(sql)
            guard let (userID, accountID) = try await store.openPasswordReset(tokenDigest: digest, at: now),
                try await store.usePasswordReset(tokenDigest: digest, at: now),
                let user = try await store.user(userID, in: accountID)
            else { throw expired }
            try await store.setPasswordHash(hash, of: userID, in: accountID)
            try await store.deleteSessions(of: userID, in: accountID)
            try await store.retirePasswordResets(of: userID, at: now)
            try await store.clearSignInFailures(of: user.email)
            try await AuditStore(sql).append(
                AuditEntry(
                    accountID: accountID, userID: userID, actorName: user.name, action: .passwordReset,
                    subject: "\(user.name) <\(user.email)>", detail: nil, address: address, occurredAt: now))
            effects.publish(.accessChanged(userID), to: accountID)
        }
    }

    /// A new link for the user, by email through the one email gate, unless they were sent
    /// `linksPerHour` in the last hour.
    private func sendLink(to user: User, forced: Bool) async throws {
        let token = app.tokens.token(bytes: 32)
        let now = app.clock.now()
        let link = "\(app.publicURL)/reset-password/\(token)"
        try await app.transaction { sql, effects in
            let store = AccountStore(sql)
            guard try await store.passwordResets(of: user.id, since: now.addingTimeInterval(-3600)) < Self.linksPerHour
            else { return }
            try await store.insertPasswordReset(
                tokenDigest: SecureTokens.digest(token), userID: user.id, accountID: user.accountID, at: now,
                expiresAt: now.addingTimeInterval(Self.linkLifetime))
            let why =
                forced
                ? "An admin asked you to choose a new password for Fieldline; your old one no longer works."
                : "Someone, probably you, asked to reset your Fieldline password."
            let text = """
                Hello \(user.name),

                \(why) Choose a new one here within the hour:

                \(link)

                The link works once. If you did not ask for this, ignore this email; your password stays as it is.
                """
            let html = """
                <p>Hello \(HTMLText.escape(user.name)),</p>
                <p>\(HTMLText.escape(why)) Choose a new one within the hour:</p>
                <p><a href="\(HTMLText.escape(link))">Choose a new password</a></p>
                <p>The link works once. If you did not ask for this, ignore this email; your password stays as it is.</p>
                """
            try await app.messenger.send(
                OutboundEmail(
                    accountID: user.accountID, to: user.email, subject: "Choose a new Fieldline password", html: html,
                    text: text, purpose: .compliance, automation: nil, jobID: nil),
                in: sql, effects: effects)
        }
    }

    static func isWellFormed(_ token: String) -> Bool {
        token.count == 43 && token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}

extension Fieldline {
    public var passwordChanges: PasswordChanges { PasswordChanges(app: self) }
}
