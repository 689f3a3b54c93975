import FieldlineCore

// Migration 1: accounts, people, customers, jobs, bookings, audit.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
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
}
