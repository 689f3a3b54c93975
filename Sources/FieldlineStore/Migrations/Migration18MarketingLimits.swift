import FieldlineCore

// Migration 18: marketing frequency limits (CP4).
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    /// At most so many marketing texts per number in so many days, and whether campaigns pass over
    /// conversations waiting for the office's answer. Counting reads `messages_phone`.
    @Sendable static func marketingLimits(_ engine: DatabaseEngine) -> [String] {
        [
            "ALTER TABLE accounts ADD COLUMN marketing_limit_texts BIGINT NOT NULL DEFAULT 4",
            "ALTER TABLE accounts ADD COLUMN marketing_limit_days BIGINT NOT NULL DEFAULT 30",
            "ALTER TABLE accounts ADD COLUMN campaigns_skip_open_threads BOOLEAN NOT NULL DEFAULT TRUE",
        ]
    }
}
