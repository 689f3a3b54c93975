import FieldlineCore

// Migration 4: inbox indexes in the inbox's own order.
// A migration is never edited once it has landed: a database that applied it would never see the
// change. What needs changing goes in a new migration.

extension Schema {
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
}
