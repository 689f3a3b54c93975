import FieldlineCore

// Migration 12: provider message ids per account.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    @Sendable static func providerIDsPerAccount(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            "DROP INDEX messages_provider_id",
            "CREATE UNIQUE INDEX messages_provider_id ON messages (account_id, provider_message_id)",
            "DROP TABLE unmatched_delivery_reports",
            """
            CREATE TABLE held_delivery_reports (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                provider_message_id TEXT NOT NULL,
                status TEXT NOT NULL,
                error_code TEXT,
                error_message TEXT,
                received_at \(ts) NOT NULL,
                PRIMARY KEY (account_id, provider_message_id)
            )
            """,
            "CREATE INDEX held_delivery_reports_age ON held_delivery_reports (received_at)",
        ]
    }
}
