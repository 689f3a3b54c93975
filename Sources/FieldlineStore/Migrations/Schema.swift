import FieldlineCore

/// The schema, as static DDL. Types are chosen to mean the same on both engines: TEXT ids,
/// BIGINT integers, BOOLEAN (an integer in SQLite), DOUBLE PRECISION, and instants as TIMESTAMPTZ
/// on PostgreSQL and REAL epoch seconds on SQLite (SQLiteNIO's encoding of `Date`).
///
/// One file per migration (`MigrationNNName.swift`), never edited once landed; this list names them
/// in order. Migrations 1, 2, 7 and 8 were edited after they first landed, in the project's first
/// days, before this rule was written down; they stay exactly as they are now. A database created
/// before those edits (before 2026-12-02 02:00 UTC) is not supported: it lacks columns and indexes
/// the later text added, and no migration can add a SQLite column only where it is missing.
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
        Migration(version: 15, name: "audit log", statements: auditLog),
        Migration(version: 16, name: "message retention, customer erasure", statements: retention),
        Migration(version: 17, name: "customer imports", statements: customerImports),
        Migration(version: 18, name: "marketing frequency limits", statements: marketingLimits),
    ]

    static func timestampType(_ engine: DatabaseEngine) -> String {
        engine == .postgres ? "TIMESTAMPTZ" : "REAL"
    }

    static func blobType(_ engine: DatabaseEngine) -> String {
        engine == .postgres ? "BYTEA" : "BLOB"
    }

}
