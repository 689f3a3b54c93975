import FieldlineCore

// Migration 3: technicians' read marks and positions.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    @Sendable static func field(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            // A job's customer thread is found by the job it is tied to (TC1).
            "CREATE INDEX conversations_job ON conversations (account_id, job_id)",
            // How far each technician has read each thread: their own unread dot, not the office's.
            """
            CREATE TABLE technician_thread_reads (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                technician_id TEXT NOT NULL REFERENCES technicians(id) ON DELETE CASCADE,
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                read_at \(ts) NOT NULL,
                PRIMARY KEY (technician_id, conversation_id)
            )
            """,
            // DN7: what technicians' devices report, for arrival tracking.
            """
            CREATE TABLE technician_positions (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                technician_id TEXT NOT NULL REFERENCES technicians(id) ON DELETE CASCADE,
                latitude DOUBLE PRECISION NOT NULL,
                longitude DOUBLE PRECISION NOT NULL,
                accuracy_meters DOUBLE PRECISION,
                recorded_at \(ts) NOT NULL,
                received_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX technician_positions_latest ON technician_positions (account_id, technician_id, recorded_at)",
        ]
    }
}
