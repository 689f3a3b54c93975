import FieldlineCore

// Migration 8: estimates, recurring services, triggered campaigns.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.
//
// Migration 8 was edited after it landed (commit 1dec416 added triggered_campaigns.follow_on_url
// and the triggered_runs_message index), before this rule was written down, as were migrations 1,
// 2 and 7. It stays exactly as it is now; see Schema.swift for what that means for old databases.

extension Schema {
    @Sendable static func triggeredCampaigns(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            """
            CREATE TABLE estimates (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                location_id TEXT REFERENCES locations(id) ON DELETE SET NULL,
                summary TEXT NOT NULL,
                amount_cents BIGINT,
                status TEXT NOT NULL,
                created_at \(ts) NOT NULL,
                decided_at \(ts)
            )
            """,
            "CREATE INDEX estimates_customer ON estimates (account_id, customer_id, created_at)",
            // The follow-up's scan: open estimates of an account by age.
            "CREATE INDEX estimates_open ON estimates (account_id, status, created_at)",
            """
            CREATE TABLE recurring_services (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                location_id TEXT REFERENCES locations(id) ON DELETE SET NULL,
                name TEXT NOT NULL,
                interval_months INTEGER NOT NULL,
                next_due TEXT NOT NULL,
                created_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX recurring_services_customer ON recurring_services (account_id, customer_id, created_at)",
            // The reminder's scan: an account's services by due day ("yyyy-MM-dd" sorts as days do).
            "CREATE INDEX recurring_services_due ON recurring_services (account_id, next_due)",
            """
            CREATE TABLE triggered_campaigns (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                template TEXT NOT NULL,
                days INTEGER,
                follow_on_url TEXT,
                updated_at \(ts) NOT NULL,
                PRIMARY KEY (account_id, kind)
            )
            """,
            // One row per time a trigger fired; the key makes each act at most once.
            """
            CREATE TABLE triggered_runs (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                occurrence TEXT NOT NULL,
                phone TEXT,
                message_id TEXT REFERENCES messages(id) ON DELETE SET NULL,
                skip_reason TEXT,
                created_at \(ts) NOT NULL,
                PRIMARY KEY (account_id, kind, subject, occurrence)
            )
            """,
            "CREATE INDEX triggered_runs_recent ON triggered_runs (account_id, kind, created_at)",
            // The outbox asks, for a follow-up or reminder about to go, whether it still applies.
            "CREATE INDEX triggered_runs_message ON triggered_runs (message_id)",
        ]
    }
}
