import FieldlineCore

// Migration 16: retention and erasure.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    /// OP3: how long an account keeps what was texted (NULL: forever), when a message's words and
    /// pictures were removed under it, when a customer was erased, and the account's own key for
    /// the hashes that stand in for an erased customer's numbers.
    @Sendable static func retention(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            "ALTER TABLE accounts ADD COLUMN message_retention_months BIGINT",
            "ALTER TABLE accounts ADD COLUMN erasure_key TEXT",
            "ALTER TABLE messages ADD COLUMN redacted_at \(ts)",
            "ALTER TABLE customers ADD COLUMN erased_at \(ts)",
            // The retention sweep walks each account's messages by age.
            "CREATE INDEX messages_account_age ON messages (account_id, created_at)",
        ]
    }
}
