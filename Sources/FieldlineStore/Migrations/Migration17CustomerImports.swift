import FieldlineCore

// Migration 17: importing customers from CSV.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    /// OP1: an import (its mapping, state and counts, claimed by one worker at a time like the
    /// other queues), the uploaded file in chunks (read back a chunk at a time, removed when the
    /// import ends), and the rows that failed or were skipped, for the report.
    @Sendable static func customerImports(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            """
            CREATE TABLE customer_imports (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                created_by TEXT,
                created_by_name TEXT NOT NULL,
                file_name TEXT NOT NULL,
                byte_count BIGINT NOT NULL,
                encoding TEXT NOT NULL,
                delimiter TEXT NOT NULL,
                headers TEXT NOT NULL,
                mapping TEXT NOT NULL,
                duplicates TEXT NOT NULL,
                state TEXT NOT NULL,
                total_rows BIGINT NOT NULL,
                rows_done BIGINT NOT NULL,
                created_count BIGINT NOT NULL,
                merged_count BIGINT NOT NULL,
                skipped_count BIGINT NOT NULL,
                failed_count BIGINT NOT NULL,
                failure TEXT,
                attempts BIGINT NOT NULL,
                next_attempt_at \(ts) NOT NULL,
                claimed_at \(ts),
                created_at \(ts) NOT NULL,
                started_at \(ts),
                finished_at \(ts)
            )
            """,
            "CREATE INDEX customer_imports_account ON customer_imports (account_id, created_at)",
            "CREATE INDEX customer_imports_state ON customer_imports (state, next_attempt_at)",
            // An import matches duplicates on email as well as phone; the unique index on emails
            // leads with the customer, so it cannot answer "who has this address".
            "CREATE INDEX email_contacts_lookup ON email_contacts (account_id, address)",
            """
            CREATE TABLE customer_import_chunks (
                import_id TEXT NOT NULL REFERENCES customer_imports(id) ON DELETE CASCADE,
                seq BIGINT NOT NULL,
                data \(blobType(engine)) NOT NULL,
                PRIMARY KEY (import_id, seq)
            )
            """,
            """
            CREATE TABLE customer_import_problems (
                import_id TEXT NOT NULL REFERENCES customer_imports(id) ON DELETE CASCADE,
                line BIGINT NOT NULL,
                kind TEXT NOT NULL,
                message TEXT NOT NULL,
                cells TEXT NOT NULL,
                PRIMARY KEY (import_id, line)
            )
            """,
        ]
    }
}
