import FieldlineCore

// Migration 7: registrations, customer tags, campaigns.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    @Sendable static func campaigns(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            // SC1: one row per account and kind; the details as JSON, read and written whole.
            """
            CREATE TABLE registrations (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                details TEXT NOT NULL,
                status TEXT NOT NULL,
                rejection_reason TEXT,
                submitted_at \(ts),
                decided_at \(ts),
                updated_at \(ts) NOT NULL,
                PRIMARY KEY (account_id, kind)
            )
            """,
            // Tags between bars ("|vip|plan|") so one LIKE finds a whole tag and never part of one.
            "ALTER TABLE customers ADD COLUMN tags TEXT NOT NULL DEFAULT ''",
            """
            CREATE TABLE campaigns (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                body TEXT NOT NULL,
                audience TEXT NOT NULL,
                status TEXT NOT NULL,
                scheduled_at \(ts),
                queued_at \(ts),
                problem TEXT,
                created_by_kind TEXT NOT NULL,
                created_by_id TEXT,
                created_by_name TEXT NOT NULL,
                created_at \(ts) NOT NULL,
                updated_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX campaigns_account ON campaigns (account_id, created_at)",
            "CREATE INDEX campaigns_due ON campaigns (status, scheduled_at)",
            // One row per number a campaign reached for: its text, or why the gate refused it.
            """
            CREATE TABLE campaign_recipients (
                campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
                phone TEXT NOT NULL,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                message_id TEXT REFERENCES messages(id) ON DELETE SET NULL,
                skip_reason TEXT,
                PRIMARY KEY (campaign_id, phone)
            )
            """,
            // The outbox asks, for a campaign text about to go, whether its campaign was canceled.
            "CREATE INDEX campaign_recipients_message ON campaign_recipients (message_id)",
            // A service location's state sets a recipient's quiet hours: the first location, read
            // from the index alone.
            "CREATE INDEX locations_first ON locations (account_id, customer_id, created_at, id, state)",
            // Replies, keyword answers and job notices go before a campaign's backlog on a number.
            "ALTER TABLE outbox ADD COLUMN priority BIGINT NOT NULL DEFAULT 0",
            "DROP INDEX outbox_due",
            "CREATE INDEX outbox_due ON outbox (sender_number_id, state, priority, not_before, id)",
        ]
    }
}
