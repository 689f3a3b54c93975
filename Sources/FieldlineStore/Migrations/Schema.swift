import FieldlineCore

/// The schema, as static DDL. Types are chosen to mean the same on both engines: TEXT ids,
/// BIGINT integers, BOOLEAN (an integer in SQLite), DOUBLE PRECISION, and instants as TIMESTAMPTZ
/// on PostgreSQL and REAL epoch seconds on SQLite (SQLiteNIO's encoding of `Date`).
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "accounts, people, customers, jobs, bookings, audit", statements: foundation),
        Migration(version: 2, name: "sender numbers, conversations, messages, outbox, consent", statements: messaging),
        Migration(version: 3, name: "technicians' read marks and positions", statements: field),
        Migration(version: 4, name: "inbox indexes in the inbox's own order", statements: inboxOrder),
        Migration(version: 5, name: "failed sign-ins", statements: signInFailures),
        Migration(version: 6, name: "dispatch notices, tracking links, email outbox", statements: dispatchNotices),
        Migration(version: 7, name: "registrations, customer tags, campaigns", statements: campaigns),
        Migration(
            version: 8, name: "estimates, recurring services, triggered campaigns", statements: triggeredCampaigns),
        Migration(
            version: 9, name: "ServiceChannel connections, work orders, outgoing changes", statements: serviceChannel),
        Migration(
            version: 10, name: "invoices; ServiceChannel files, invoices, decline comments, keyset cursor",
            statements: invoices),
        Migration(version: 11, name: "location access notes", statements: locationNotes),
        Migration(version: 12, name: "provider message ids per account", statements: providerIDsPerAccount),
        Migration(version: 13, name: "password reset links", statements: passwordResets),
        Migration(version: 14, name: "API idempotency keys", statements: idempotencyKeys),
    ]

    /// An API client's `Idempotency-Key` per account for 24 hours, with the answer its request got:
    /// a retry with the key gets that answer again instead of a second text or record.
    @Sendable static func idempotencyKeys(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            """
            CREATE TABLE idempotency_keys (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                idempotency_key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                attempt TEXT NOT NULL,
                status BIGINT,
                content_type TEXT,
                body TEXT,
                created_at \(ts) NOT NULL,
                PRIMARY KEY (account_id, idempotency_key)
            )
            """,
            "CREATE INDEX idempotency_keys_age ON idempotency_keys (account_id, created_at)",
        ]
    }

    /// What a technician needs to know to get in and work at a place ("gate code 4411", "dog in the
    /// backyard"), kept with the location rather than the customer.
    @Sendable static func locationNotes(_ engine: DatabaseEngine) -> [String] {
        ["ALTER TABLE locations ADD COLUMN notes TEXT"]
    }

    /// A provider's message id means something only within the account whose credentials it came
    /// with: a status callback signed by one account must find nothing of another's. Reports held
    /// for a message not yet recorded wait seconds at most and name no account; they are dropped.
    /// Single-use password reset links: only the token's digest is kept, like sessions.
    @Sendable static func passwordResets(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            """
            CREATE TABLE password_resets (
                token_digest TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                created_at \(ts) NOT NULL,
                expires_at \(ts) NOT NULL,
                used_at \(ts)
            )
            """,
            "CREATE INDEX password_resets_user ON password_resets (user_id, created_at)",
        ]
    }

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

    static func timestampType(_ engine: DatabaseEngine) -> String {
        engine == .postgres ? "TIMESTAMPTZ" : "REAL"
    }

    static func blobType(_ engine: DatabaseEngine) -> String {
        engine == .postgres ? "BYTEA" : "BLOB"
    }

    @Sendable static func foundation(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                time_zone TEXT NOT NULL,
                business_hours TEXT NOT NULL,
                next_job_number BIGINT NOT NULL DEFAULT 1000,
                is_demo BOOLEAN NOT NULL DEFAULT FALSE,
                created_at \(ts) NOT NULL
            )
            """,
            """
            CREATE TABLE technicians (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                phone TEXT,
                photo_url TEXT,
                rating DOUBLE PRECISION,
                can_view_chats BOOLEAN NOT NULL DEFAULT FALSE,
                can_reply_chats BOOLEAN NOT NULL DEFAULT FALSE,
                active BOOLEAN NOT NULL DEFAULT TRUE,
                created_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX technicians_account ON technicians (account_id, name)",
            "CREATE UNIQUE INDEX technicians_phone ON technicians (account_id, phone)",
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                email TEXT NOT NULL,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                phone TEXT,
                technician_id TEXT REFERENCES technicians(id) ON DELETE SET NULL,
                password_hash TEXT NOT NULL,
                active BOOLEAN NOT NULL DEFAULT TRUE,
                created_at \(ts) NOT NULL
            )
            """,
            // Sign-in is by email alone, so an email is unique across the whole server.
            "CREATE UNIQUE INDEX users_email ON users (email)",
            "CREATE INDEX users_account ON users (account_id)",
            """
            CREATE TABLE sessions (
                token_digest TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                csrf_token TEXT NOT NULL,
                created_at \(ts) NOT NULL,
                expires_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX sessions_user ON sessions (user_id)",
            """
            CREATE TABLE customers (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                search_name TEXT NOT NULL,
                notes TEXT,
                created_at \(ts) NOT NULL,
                updated_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX customers_account_name ON customers (account_id, search_name)",
            """
            CREATE TABLE locations (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                name TEXT,
                street TEXT NOT NULL,
                unit TEXT,
                city TEXT NOT NULL,
                state TEXT NOT NULL,
                postal_code TEXT NOT NULL,
                search_text TEXT NOT NULL,
                verified BOOLEAN NOT NULL DEFAULT FALSE,
                latitude DOUBLE PRECISION,
                longitude DOUBLE PRECISION,
                created_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX locations_customer ON locations (account_id, customer_id)",
            """
            CREATE TABLE phone_contacts (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                e164 TEXT NOT NULL,
                kind TEXT NOT NULL,
                label TEXT,
                job_notifications BOOLEAN NOT NULL,
                marketing_updates BOOLEAN NOT NULL,
                created_at \(ts) NOT NULL
            )
            """,
            // One number belongs to one customer per account, so an inbound text has one owner.
            "CREATE UNIQUE INDEX phone_contacts_number ON phone_contacts (account_id, e164)",
            "CREATE INDEX phone_contacts_customer ON phone_contacts (account_id, customer_id)",
            """
            CREATE TABLE email_contacts (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
                address TEXT NOT NULL,
                job_notifications BOOLEAN NOT NULL,
                created_at \(ts) NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX email_contacts_address ON email_contacts (account_id, customer_id, address)",
            """
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                number BIGINT NOT NULL,
                customer_id TEXT NOT NULL REFERENCES customers(id),
                location_id TEXT NOT NULL REFERENCES locations(id),
                summary TEXT NOT NULL,
                status TEXT NOT NULL,
                custom_fields TEXT NOT NULL,
                created_at \(ts) NOT NULL,
                updated_at \(ts) NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX jobs_number ON jobs (account_id, number)",
            "CREATE INDEX jobs_customer ON jobs (account_id, customer_id)",
            "CREATE INDEX jobs_location ON jobs (account_id, location_id)",
            """
            CREATE TABLE appointments (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                starts_at \(ts) NOT NULL,
                ends_at \(ts) NOT NULL,
                arrival_window_start \(ts) NOT NULL,
                arrival_window_end \(ts) NOT NULL
            )
            """,
            "CREATE INDEX appointments_job ON appointments (account_id, job_id)",
            "CREATE INDEX appointments_start ON appointments (account_id, starts_at)",
            """
            CREATE TABLE assignments (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                appointment_id TEXT NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,
                technician_id TEXT NOT NULL REFERENCES technicians(id),
                status TEXT NOT NULL,
                dispatched_at \(ts),
                arrived_at \(ts),
                completed_at \(ts)
            )
            """,
            "CREATE UNIQUE INDEX assignments_unique ON assignments (appointment_id, technician_id)",
            "CREATE INDEX assignments_job ON assignments (account_id, job_id)",
            "CREATE INDEX assignments_technician ON assignments (account_id, technician_id, status)",
            """
            CREATE TABLE bookings (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                source TEXT NOT NULL,
                customer_id TEXT REFERENCES customers(id) ON DELETE SET NULL,
                location_id TEXT REFERENCES locations(id) ON DELETE SET NULL,
                contact_name TEXT,
                contact_phone TEXT,
                summary TEXT NOT NULL,
                details TEXT,
                requested_for \(ts),
                status TEXT NOT NULL,
                job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
                created_at \(ts) NOT NULL,
                updated_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX bookings_account ON bookings (account_id, status, created_at)",
            """
            CREATE TABLE job_events (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                sequence BIGINT NOT NULL,
                occurred_at \(ts) NOT NULL,
                actor_kind TEXT NOT NULL,
                actor_id TEXT,
                actor_name TEXT NOT NULL,
                kind TEXT NOT NULL,
                text TEXT NOT NULL
            )
            """,
            // The per-job sequence orders events written in the same instant; unique so two writers
            // racing on one job conflict instead of interleaving silently.
            "CREATE UNIQUE INDEX job_events_sequence ON job_events (job_id, sequence)",
            "CREATE INDEX job_events_job ON job_events (account_id, job_id, sequence)",
        ]
    }

    @Sendable static func messaging(_ engine: DatabaseEngine) -> [String] {
        let ts = timestampType(engine)
        return [
            "ALTER TABLE accounts ADD COLUMN autoreply_enabled BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE accounts ADD COLUMN autoreply_text TEXT",
            // Office users' chat access (CH18): NULL follows the role; none, view or full override it.
            "ALTER TABLE users ADD COLUMN chat_access TEXT",
            "CREATE INDEX users_phone ON users (account_id, phone)",
            """
            CREATE TABLE sender_numbers (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                e164 TEXT NOT NULL,
                label TEXT NOT NULL,
                provider TEXT NOT NULL,
                chat BOOLEAN NOT NULL,
                mms BOOLEAN NOT NULL,
                marketing BOOLEAN NOT NULL,
                is_default BOOLEAN NOT NULL,
                rate_per_second DOUBLE PRECISION NOT NULL,
                provider_account_id TEXT,
                messaging_service_id TEXT,
                sealed_secret TEXT,
                next_send_at \(ts) NOT NULL,
                created_at \(ts) NOT NULL
            )
            """,
            // A number rings in exactly one account, so an inbound text has one owner.
            "CREATE UNIQUE INDEX sender_numbers_e164 ON sender_numbers (e164)",
            "CREATE UNIQUE INDEX sender_numbers_default ON sender_numbers (account_id) WHERE is_default",
            "CREATE INDEX sender_numbers_service ON sender_numbers (messaging_service_id)",
            """
            CREATE TABLE conversations (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                phone TEXT NOT NULL,
                sender_number_id TEXT REFERENCES sender_numbers(id) ON DELETE SET NULL,
                job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
                status TEXT NOT NULL,
                unread BOOLEAN NOT NULL,
                awaiting_reply BOOLEAN NOT NULL,
                inbox_rank BIGINT NOT NULL,
                last_message_at \(ts) NOT NULL,
                last_message_preview TEXT NOT NULL,
                last_message_direction TEXT NOT NULL,
                autoreply_period TEXT,
                created_at \(ts) NOT NULL,
                closed_at \(ts)
            )
            """,
            "CREATE UNIQUE INDEX conversations_phone ON conversations (account_id, phone)",
            // inbox_rank is InboxState (unread 0, awaiting a reply 1, answered 2), stored so the Open
            // tab's first page is read in index order, not sorted from every open thread.
            "CREATE INDEX conversations_inbox ON conversations (account_id, status, inbox_rank, last_message_at, id)",
            "CREATE INDEX conversations_closed ON conversations (account_id, status, last_message_at, id)",
            """
            CREATE TABLE messages (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
                direction TEXT NOT NULL,
                disposition TEXT,
                phone TEXT NOT NULL,
                our_number TEXT NOT NULL,
                body TEXT NOT NULL,
                purpose TEXT,
                author_kind TEXT NOT NULL,
                author_id TEXT,
                author_name TEXT NOT NULL,
                automation TEXT,
                job_id TEXT REFERENCES jobs(id) ON DELETE SET NULL,
                status TEXT NOT NULL,
                error_code TEXT,
                error_message TEXT,
                provider TEXT NOT NULL,
                provider_message_id TEXT,
                segments BIGINT NOT NULL,
                encoding TEXT NOT NULL,
                media_count BIGINT NOT NULL,
                resend_of TEXT,
                created_at \(ts) NOT NULL,
                status_at \(ts) NOT NULL\(engine == .postgres ? ",\n    seq BIGSERIAL NOT NULL" : "")
            )
            """,
            // The provider's id is unique: a retried webhook finds its text already stored (DESIGN).
            "CREATE UNIQUE INDEX messages_provider_id ON messages (provider_message_id)",
            "CREATE INDEX messages_conversation ON messages (account_id, conversation_id, created_at)",
            "CREATE INDEX messages_job ON messages (account_id, job_id, created_at)",
            "CREATE INDEX messages_phone ON messages (account_id, phone, created_at)",
            "CREATE INDEX messages_disposition ON messages (account_id, disposition, created_at)",
            """
            CREATE TABLE message_media (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                position BIGINT NOT NULL,
                content_type TEXT NOT NULL,
                source_url TEXT NOT NULL,
                state TEXT NOT NULL,
                data \(blobType(engine)),
                byte_count BIGINT,
                attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at \(ts) NOT NULL,
                last_error TEXT,
                created_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX message_media_message ON message_media (account_id, message_id, position)",
            "CREATE INDEX message_media_pending ON message_media (state, next_attempt_at)",
            """
            CREATE TABLE outbox (
                id \(engine == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"),
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                sender_number_id TEXT NOT NULL REFERENCES sender_numbers(id) ON DELETE CASCADE,
                state TEXT NOT NULL,
                not_before \(ts) NOT NULL,
                attempts BIGINT NOT NULL,
                claimed_by TEXT,
                claimed_at \(ts),
                last_error TEXT,
                created_at \(ts) NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX outbox_message ON outbox (message_id)",
            "CREATE INDEX outbox_due ON outbox (sender_number_id, state, not_before, id)",
            "CREATE INDEX outbox_claims ON outbox (state, claimed_by)",
            // A status callback can beat the worker's own record of the provider id; it waits here.
            """
            CREATE TABLE unmatched_delivery_reports (
                provider_message_id TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                error_code TEXT,
                error_message TEXT,
                received_at \(ts) NOT NULL
            )
            """,
            """
            CREATE TABLE outbox_workers (
                id TEXT PRIMARY KEY,
                heartbeat_at \(ts) NOT NULL
            )
            """,
            // CH14: a picture or video a customer sent, kept with a job.
            """
            CREATE TABLE job_attachments (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                media_id TEXT NOT NULL REFERENCES message_media(id) ON DELETE CASCADE,
                added_by TEXT NOT NULL,
                added_at \(ts) NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX job_attachments_media ON job_attachments (job_id, media_id)",
            "CREATE INDEX job_attachments_job ON job_attachments (account_id, job_id, added_at)",
            """
            CREATE TABLE blocked_numbers (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                phone TEXT NOT NULL,
                blocked_by TEXT NOT NULL,
                blocked_at \(ts) NOT NULL,
                PRIMARY KEY (account_id, phone)
            )
            """,
            """
            CREATE TABLE sms_consent (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                phone TEXT NOT NULL,
                opted_out BOOLEAN NOT NULL,
                marketing TEXT NOT NULL,
                confirmation_owed BOOLEAN NOT NULL,
                double_opt_in_until \(ts),
                updated_at \(ts) NOT NULL,
                PRIMARY KEY (account_id, phone)
            )
            """,
            // SC7: append-only; a change of consent is a new row, never an edit.
            """
            CREATE TABLE consent_ledger (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                phone TEXT NOT NULL,
                scope TEXT NOT NULL,
                from_state TEXT NOT NULL,
                to_state TEXT NOT NULL,
                method TEXT NOT NULL,
                actor_kind TEXT NOT NULL,
                actor_id TEXT,
                actor_name TEXT NOT NULL,
                message_id TEXT,
                occurred_at \(ts) NOT NULL
            )
            """,
            "CREATE INDEX consent_ledger_phone ON consent_ledger (account_id, phone, occurred_at)",
            "CREATE INDEX consent_ledger_time ON consent_ledger (account_id, occurred_at)",
        ]
    }

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

    /// The Open tab reads rank ascending, then time and id descending; the Closed tab time and id
    /// descending. Indexes in exactly that order let both engines read the first page straight from
    /// the index instead of sorting every thread of the account (100,000 threads: a full sort).
    @Sendable static func inboxOrder(_ engine: DatabaseEngine) -> [String] {
        [
            "DROP INDEX conversations_inbox",
            "CREATE INDEX conversations_inbox ON conversations (account_id, status, inbox_rank, last_message_at DESC, id DESC)",
            "DROP INDEX conversations_closed",
            "CREATE INDEX conversations_closed ON conversations (account_id, status, last_message_at DESC, id DESC)",
        ]
    }

    /// Wrong passwords per email address (any address, with or without an account), for
    /// `SignInThrottle`; kept for the throttle's window only.
    @Sendable static func signInFailures(_ engine: DatabaseEngine) -> [String] {
        [
            "CREATE TABLE sign_in_failures (email TEXT NOT NULL, failed_at \(timestampType(engine)) NOT NULL)",
            "CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at)",
        ]
    }

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
