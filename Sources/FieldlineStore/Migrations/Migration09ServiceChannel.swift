import FieldlineCore

// Migration 9: ServiceChannel connections, work orders, outgoing changes.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    @Sendable static func serviceChannel(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            """
            CREATE TABLE servicechannel_connections (
                account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
                environment TEXT NOT NULL,
                client_id TEXT NOT NULL,
                sealed_client_secret TEXT NOT NULL,
                username TEXT NOT NULL,
                sealed_password TEXT NOT NULL,
                sealed_webhook_secret TEXT,
                authorized_by_name TEXT NOT NULL,
                authorized_at \(ts) NOT NULL,
                connected_at \(ts) NOT NULL,
                sync_cursor \(ts),
                last_sync_at \(ts),
                last_sync_count BIGINT NOT NULL DEFAULT 0,
                last_error TEXT,
                last_error_at \(ts),
                last_throttled_at \(ts),
                poll_requested BOOLEAN NOT NULL DEFAULT FALSE,
                sync_claimed_at \(ts)
            )
            """,
            """
            CREATE TABLE servicechannel_work_orders (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                work_order_id BIGINT NOT NULL,
                number TEXT NOT NULL,
                purchase_number TEXT,
                subscriber_id BIGINT NOT NULL,
                subscriber_name TEXT,
                location_id BIGINT NOT NULL,
                location_name TEXT,
                location_address TEXT,
                priority TEXT,
                trade TEXT,
                category TEXT,
                description TEXT,
                nte DOUBLE PRECISION,
                currency TEXT,
                scheduled_date TEXT,
                status_primary TEXT NOT NULL,
                status_extended TEXT,
                updated_date TEXT NOT NULL,
                ignored BOOLEAN NOT NULL,
                booking_id TEXT REFERENCES bookings(id) ON DELETE SET NULL,
                job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
                last_note_id BIGINT NOT NULL DEFAULT 0,
                notice TEXT,
                first_seen_at \(ts) NOT NULL,
                PRIMARY KEY (account_id, work_order_id)
            )
            """,
            "CREATE INDEX servicechannel_work_orders_booking ON servicechannel_work_orders (booking_id)",
            "CREATE INDEX servicechannel_work_orders_job ON servicechannel_work_orders (job_id)",
            // The outgoing changes: a queue like the outbox; one dedupe key per work order.
            """
            CREATE TABLE servicechannel_changes (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                work_order_id BIGINT NOT NULL,
                booking_id TEXT REFERENCES bookings(id) ON DELETE SET NULL,
                job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
                kind TEXT NOT NULL,
                dedupe_key TEXT NOT NULL,
                note TEXT,
                status_primary TEXT,
                status_extended TEXT,
                decline_reason INTEGER,
                occurred_at \(ts) NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                not_before \(ts) NOT NULL,
                claimed_at \(ts),
                problem TEXT,
                created_at \(ts) NOT NULL,
                applied_at \(ts),
                sequence BIGINT NOT NULL,
                UNIQUE (account_id, work_order_id, dedupe_key)
            )
            """,
            "CREATE INDEX servicechannel_changes_due ON servicechannel_changes (state, not_before)",
            "CREATE INDEX servicechannel_changes_work_order ON servicechannel_changes (account_id, work_order_id, sequence)",
            """
            CREATE TABLE servicechannel_subscribers (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                subscriber_id BIGINT NOT NULL,
                name TEXT NOT NULL,
                note_sync BOOLEAN NOT NULL,
                check_in_instructions TEXT,
                check_in_pin TEXT,
                PRIMARY KEY (account_id, subscriber_id)
            )
            """,
            // Subscriber 0 holds the account's own mapping; others override it.
            """
            CREATE TABLE servicechannel_status_mappings (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                subscriber_id BIGINT NOT NULL,
                milestone TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                status_primary TEXT NOT NULL,
                status_extended TEXT,
                PRIMARY KEY (account_id, subscriber_id, milestone)
            )
            """,
            """
            CREATE TABLE servicechannel_rules (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                subscriber_id BIGINT,
                trade TEXT,
                priority TEXT,
                category TEXT,
                outcome TEXT NOT NULL,
                position INTEGER NOT NULL
            )
            """,
            "CREATE INDEX servicechannel_rules_account ON servicechannel_rules (account_id, position)",
            // Which customer and location a (subscriber, ServiceChannel location) pair is (SV6).
            """
            CREATE TABLE servicechannel_locations (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                subscriber_id BIGINT NOT NULL,
                sc_location_id BIGINT NOT NULL,
                customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                location_id TEXT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
                PRIMARY KEY (account_id, subscriber_id, sc_location_id)
            )
            """,
        ]
    }
}
