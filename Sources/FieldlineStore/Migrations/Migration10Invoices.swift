import FieldlineCore

// Migration 10: invoices; ServiceChannel files, invoices, decline comments, keyset cursor.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    @Sendable static func invoices(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            // One invoice per job.
            """
            CREATE TABLE invoices (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                number TEXT NOT NULL,
                issued_on TEXT NOT NULL,
                labor_cents BIGINT NOT NULL,
                material_cents BIGINT NOT NULL,
                travel_cents BIGINT NOT NULL,
                freight_cents BIGINT NOT NULL,
                other_cents BIGINT NOT NULL,
                tax_cents BIGINT NOT NULL,
                status TEXT NOT NULL,
                exported_at \(ts),
                created_at \(ts) NOT NULL,
                updated_at \(ts) NOT NULL,
                UNIQUE (account_id, job_id)
            )
            """,
            // What an attachment or invoice change sends.
            "ALTER TABLE servicechannel_changes ADD COLUMN media_id TEXT",
            "ALTER TABLE servicechannel_changes ADD COLUMN invoice_id TEXT",
            "ALTER TABLE servicechannel_changes ADD COLUMN decline_comment TEXT",
            // The Action Required note a refusal added, so the sync does not copy it back.
            "ALTER TABLE servicechannel_changes ADD COLUMN action_note TEXT",
            // When a poll was last tried (due a minute later, whether it worked or not), and the
            // id of the last work order read at the cursor's UpdatedDate (keyset paging).
            "ALTER TABLE servicechannel_connections ADD COLUMN last_poll_at \(ts)",
            "ALTER TABLE servicechannel_connections ADD COLUMN sync_cursor_id BIGINT",
        ]
    }
}
