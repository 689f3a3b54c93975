import FieldlineCore

// Migration 15: the audit log.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    /// People's actions (OP4), append-only: the database itself refuses to change or remove an
    /// entry, whatever code or hand runs the statement. The id is the log's order.
    @Sendable static func auditLog(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        let table = """
            CREATE TABLE audit_log (
                id \(engine == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                user_id TEXT,
                actor_name TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT,
                detail TEXT,
                address TEXT,
                occurred_at \(ts) NOT NULL
            )
            """
        let index = "CREATE INDEX audit_log_account_time ON audit_log (account_id, occurred_at)"
        switch engine {
        case .sqlite:
            return [
                table, index,
                """
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
                """,
                """
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
                """,
            ]
        case .postgres:
            return [
                table, index,
                """
                CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the audit log is append-only'; END
                $$
                """,
                """
                CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
                """,
                """
                CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
                """,
            ]
        }
    }
}
