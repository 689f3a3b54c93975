import FieldlineCore

// Migration 14: API idempotency keys.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    /// An API client's `Idempotency-Key` per account for 24 hours, with the answer its request got:
    /// a retry with the key gets that answer again instead of a second text or record.
    @Sendable static func idempotencyKeys(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            """
            CREATE TABLE idempotency_keys (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                idempotency_key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                attempt TEXT NOT NULL,
                status BIGINT,
                content_type TEXT,
                body TEXT,
                created_at \(ts) NOT NULL,
                PRIMARY KEY (account_id, idempotency_key)
            )
            """,
            "CREATE INDEX idempotency_keys_age ON idempotency_keys (account_id, created_at)",
        ]
    }
}
