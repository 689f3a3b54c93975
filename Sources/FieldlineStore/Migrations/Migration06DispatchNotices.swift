import FieldlineCore

// Migration 6: dispatch notices, tracking links, email outbox.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    @Sendable static func dispatchNotices(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            // One row per account, the settings as JSON: they are read and written whole.
            """
            CREATE TABLE dispatch_notice_settings (
                account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
                settings TEXT NOT NULL,
                updated_at \(ts) NOT NULL
            )
            """,
            // DN6: the token's SHA-256 is the key, as for session and API tokens; the token itself is
            // only in the notice that carried it to the customer.
            """
            CREATE TABLE tracking_links (
                token_digest TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                assignment_id TEXT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
                technician_id TEXT NOT NULL REFERENCES technicians(id) ON DELETE CASCADE,
                created_at \(ts) NOT NULL,
                expires_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX tracking_links_assignment ON tracking_links (account_id, assignment_id)",
            // Every email, and the queue the email worker drains (like the SMS outbox, one row each).
            """
            CREATE TABLE emails (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
                purpose TEXT NOT NULL,
                automation TEXT,
                to_address TEXT NOT NULL,
                from_name TEXT NOT NULL,
                subject TEXT NOT NULL,
                html_body TEXT NOT NULL,
                text_body TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                not_before \(ts) NOT NULL,
                claimed_at \(ts),
                provider_message_id TEXT,
                error_message TEXT,
                created_at \(ts) NOT NULL,
                sent_at \(ts)
            )
            """,
            "CREATE INDEX emails_queue ON emails (status, not_before)",
            "CREATE INDEX emails_job ON emails (account_id, job_id)",
        ]
    }
}
