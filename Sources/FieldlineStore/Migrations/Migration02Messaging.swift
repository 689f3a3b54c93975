import FieldlineCore

// Migration 2: sender numbers, conversations, messages, outbox, consent.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
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
}
