import FieldlineCore

// Migration 15: the index migration 8 gained after it landed.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
    /// A database that applied migration 8 before it was edited lacks the index the outbox uses to
    /// find a message's triggered run; one that applied it after already has it.
    @Sendable static func triggeredRunsMessageIndex(_ engine: DatabaseEngine) -> [String] {
        ["CREATE INDEX IF NOT EXISTS triggered_runs_message ON triggered_runs (message_id)"]
    }
}
