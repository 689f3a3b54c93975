import FieldlineCore

// Migration 13: password reset links.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    /// A provider's message id means something only within the account whose credentials it came
    /// with: a status callback signed by one account must find nothing of another's. Reports held
    /// for a message not yet recorded wait seconds at most and name no account; they are dropped.
    /// Single-use password reset links: only the token's digest is kept, like sessions.
    @Sendable static func passwordResets(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            """
            CREATE TABLE password_resets (
                token_digest TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                created_at \(ts) NOT NULL,
                expires_at \(ts) NOT NULL,
                used_at \(ts)
            )
            """,
            "CREATE INDEX password_resets_user ON password_resets (user_id, created_at)",
        ]
    }
}
