import FieldlineCore
import Foundation
import SQLKit

/// The one durable work queue: a table whose rows are the work (texts in the outbox, emails,
/// ServiceChannel changes, media downloads), each `waiting` until due, then claimed by one worker
/// (its state `working`, `claimed_at` set, `attempts` counted), then settled by that worker only.
/// A claim older than the queue's lease belongs to a worker that stopped and is claimed again.
/// The retry decisions themselves (how long to wait, when to give up) are `RetryPolicy`'s, in
/// Core; what is queue-specific (ordering, what else a claim must check) is the queue's filter.
///
/// Conventions every queue table keeps: an `id` key and an integer `attempts`, and a nullable
/// `claimed_at` where the claim is a state of its own. On PostgreSQL the due rows are locked with
/// SKIP LOCKED, so servers sharing a database claim different rows; SQLite's single writer
/// serialises claims anyway.
struct WorkQueue<Row: QueueRow>: Sendable {
    /// The column holding the row's state, and the states the queue moves it through.
    let stateColumn: String
    let waiting: String
    /// The claimed state. Where it equals `waiting` (the rest of the product reads the state, and a
    /// download being fetched is still "pending" to it), a claim moves the row's due time past the
    /// lease instead: a claim whose worker stopped simply falls due again.
    let working: String
    let failed: String
    /// When a waiting row is due.
    let dueColumn: String
    /// Where the reason a row failed or waits is kept.
    let reasonColumn: String
    /// The order rows are claimed in (qualified by the queue's alias `q` when they need to be).
    let order: [String]

    private var table: String { Row.mapping.table }

    /// Claims up to `limit` rows due at `now`, in the queue's order, and answers them as they are
    /// after the claim. Rows claimed before `staleBefore` are claimed again (nil: never — the
    /// outbox reconciles abandoned texts with the provider first). `filter` narrows the rows with
    /// the queue's own rules, written against the alias `q`. `alsoSet` records more about the
    /// claim (the outbox's worker id). A row this version cannot read is failed with that reason.
    func claim<T>(
        in sql: any SQLDatabase, limit: Int, at now: Date, staleBefore: Date?, filter: SQLQueryString? = nil,
        alsoSet: [(column: String, value: any Encodable & Sendable)] = [], decode: (Row) throws -> T
    ) async throws -> [T] {
        var select: SQLQueryString = "SELECT q.id FROM \(ident: table) q WHERE ("
        select += "(q.\(ident: stateColumn) = \(bind: waiting) AND q.\(ident: dueColumn) <= \(bind: now))"
        if let staleBefore, working != waiting {
            select += " OR (q.\(ident: stateColumn) = \(bind: working) AND q.claimed_at < \(bind: staleBefore))"
        }
        select += ")"
        if let filter { select += " AND (" + filter + ")" }
        select += "\(unsafeRaw: " ORDER BY " + order.joined(separator: ", ")) LIMIT \(bind: limit)"
        if sql.dialect.name == "postgresql" { select += " FOR UPDATE OF q SKIP LOCKED" }
        let ids = try await sql.raw(select).all().map { try $0.decode(column: "id", as: Row.Key.self) }
        guard !ids.isEmpty else { return [] }

        let update = sql.update(table).set(SQLIdentifier("attempts"), to: SQLRaw("attempts + 1"))
        if working == waiting {
            guard let staleBefore else { preconditionFailure("\(table): a claim that keeps its state needs a lease") }
            update.set(SQLColumn(dueColumn), to: SQLBind(now.addingTimeInterval(now.timeIntervalSince(staleBefore))))
        } else {
            update.set(SQLColumn(stateColumn), to: SQLBind(working)).set("claimed_at", to: now)
        }
        for (column, value) in alsoSet { update.set(SQLColumn(column), to: SQLBind(value)) }
        let rows = try await update.where("id", .in, ids).returning(Row.mapping.selection()).all()
        // RETURNING comes in no particular order: put the claims back in the queue's.
        let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let ordered = try rows.map { row in (try row.decode(column: "id", as: Row.Key.self), row) }
            .sorted { (position[$0.0] ?? 0) < (position[$1.0] ?? 0) }.map(\.1)
        return try await CorruptRow.readable(
            ordered, key: Row.Key.self, decode: { try decode(try $0.stored(Row.self)) }
        ) {
            id, reason in
            try await sql.update(table).set(SQLColumn(stateColumn), to: SQLBind(failed))
                .set(SQLColumn(reasonColumn), to: SQLBind(reason.description)).where("id", .equal, id).run()
        }
    }

    /// Narrows an update to the row as this worker claimed it (same state, same attempt): a claim
    /// another worker took over after it went stale is not overwritten.
    func stillClaimed(_ update: SQLUpdateBuilder, attempts: Int) -> SQLUpdateBuilder {
        update.where(SQLColumn(stateColumn), .equal, SQLBind(working)).where("attempts", .equal, attempts)
    }

    /// The same, for a whole-row update.
    func stillClaimed(_ update: RowUpdate, attempts: Int) -> RowUpdate {
        update.where(stateColumn, .equal, working).where("attempts", .equal, attempts)
    }

    /// When the next waiting row is due, if any.
    func nextDue(in sql: any SQLDatabase) async throws -> Date? {
        try await sql.select().column(SQLColumn(dueColumn)).from(table)
            .where(SQLColumn(stateColumn), .equal, SQLBind(waiting))
            .orderBy(SQLColumn(dueColumn)).limit(1).first()?.decode(column: dueColumn, as: Date.self)
    }
}

/// A queue row's key type (the outbox's is an integer the database assigns; the others' text).
protocol QueueRow: StoredRow {
    associatedtype Key: Codable & Hashable & Sendable
}
