import FieldlineCore

// Migration 5: failed sign-ins.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    /// Wrong passwords per email address (any address, with or without an account), for
    /// `SignInThrottle`; kept for the throttle's window only.
    @Sendable static func signInFailures(_ engine: DatabaseEngine) -> [String] {
        [
            "CREATE TABLE sign_in_failures (email TEXT NOT NULL, failed_at \(timestampType(engine)) NOT NULL)",
            "CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at)",
        ]
    }
}
