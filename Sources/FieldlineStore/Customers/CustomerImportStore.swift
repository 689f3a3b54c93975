import FieldlineCore
import Foundation
import SQLKit

/// Customer imports (OP1): the import row (a queue row: claimed by one worker, resumed from
/// `rows_done` by another if that one stops), the uploaded file in chunks, and the rows that
/// failed or were skipped.
public struct CustomerImportStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct Row: QueueRow {
        typealias Key = String
        static let mapping = TableMapping<Self>(table: "customer_imports")
        static let queue = WorkQueue<Self>(
            stateColumn: "state", waiting: CustomerImportState.queued.rawValue,
            working: CustomerImportState.working.rawValue, failed: CustomerImportState.failed.rawValue,
            dueColumn: "next_attempt_at", reasonColumn: "failure", order: ["q.next_attempt_at", "q.id"])

        var id: String
        var accountId: String
        var createdBy: String?
        var createdByName: String
        var fileName: String
        var byteCount: Int
        var encoding: String
        var delimiter: String
        var headers: String
        var mapping: String
        var duplicates: String
        var state: String
        var totalRows: Int
        var rowsDone: Int
        var createdCount: Int
        var mergedCount: Int
        var skippedCount: Int
        var failedCount: Int
        var failure: String?
        var attempts: Int
        var nextAttemptAt: Date
        var claimedAt: Date?
        var createdAt: Date
        var startedAt: Date?
        var finishedAt: Date?

        init(_ value: CustomerImport, nextAttemptAt: Date) {
            id = value.id.rawValue
            accountId = value.accountID.rawValue
            createdBy = value.createdBy?.rawValue
            createdByName = value.createdByName
            fileName = value.fileName
            byteCount = value.byteCount
            encoding = value.encoding.rawValue
            delimiter = value.delimiter.rawValue
            headers = Self.json(value.headers)
            mapping = Self.json(value.mapping.map(\.rawValue))
            duplicates = value.duplicates.rawValue
            state = value.state.rawValue
            totalRows = value.totalRows
            rowsDone = value.rowsDone
            createdCount = value.created
            mergedCount = value.merged
            skippedCount = value.skipped
            failedCount = value.failed
            failure = value.failure
            attempts = value.attempts
            self.nextAttemptAt = nextAttemptAt
            claimedAt = nil
            createdAt = value.createdAt
            startedAt = value.startedAt
            finishedAt = value.finishedAt
        }

        static func json(_ strings: [String]) -> String {
            (try? String(decoding: JSONEncoder().encode(strings), as: UTF8.self)) ?? "[]"
        }

        static func strings(_ text: String, column: String) throws -> [String] {
            do {
                return try JSONDecoder().decode([String].self, from: Data(text.utf8))
            } catch {
                throw CorruptRow(table: "customer_imports", column: column, value: String(text.prefix(80)))
            }
        }

        var value: CustomerImport {
            get throws {
                let table = "customer_imports"
                return CustomerImport(
                    id: CustomerImportID(id), accountID: AccountID(accountId), createdBy: createdBy.map(UserID.init),
                    createdByName: createdByName, fileName: fileName, byteCount: byteCount,
                    encoding: try CSVEncoding.stored(encoding, table: table, column: "encoding"),
                    delimiter: try CSVDelimiter.stored(delimiter, table: table, column: "delimiter"),
                    headers: try Self.strings(headers, column: "headers"),
                    mapping: try Self.strings(mapping, column: "mapping").map {
                        try ImportField.stored($0, table: table, column: "mapping")
                    },
                    duplicates: try DuplicatePolicy.stored(duplicates, table: table, column: "duplicates"),
                    state: try CustomerImportState.stored(state, table: table, column: "state"),
                    totalRows: totalRows, rowsDone: rowsDone, created: createdCount, merged: mergedCount,
                    skipped: skippedCount, failed: failedCount, failure: failure, attempts: attempts,
                    createdAt: createdAt, startedAt: startedAt, finishedAt: finishedAt)
            }
        }
    }

    struct ChunkRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "customer_import_chunks")

        var importId: String
        var seq: Int
        var data: Data
    }

    struct ProblemRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "customer_import_problems")

        var importId: String
        var line: Int
        var kind: String
        var message: String
        var cells: String
    }

    // MARK: The import

    public func insert(_ value: CustomerImport, at now: Date) async throws {
        try await sql.insert(Row(value, nextAttemptAt: now))
    }

    public func find(_ id: CustomerImportID, in accountID: AccountID) async throws -> CustomerImport? {
        try await sql.select(Row.self).where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first().map { try $0.stored(Row.self).value }
    }

    /// The account's imports, newest first.
    public func recent(in accountID: AccountID, limit: Int) async throws -> [CustomerImport] {
        try await sql.select(Row.self).where("account_id", .equal, accountID.rawValue)
            .where("state", .notEqual, CustomerImportState.uploading.rawValue)
            .orderBy("created_at", .descending).orderBy("id", .descending).limit(limit).all()
            .map { try $0.stored(Row.self).value }
    }

    /// The upload is complete and checked: what it holds, ready to map.
    public func uploaded(_ value: CustomerImport) async throws {
        try await sql.update("customer_imports")
            .set("byte_count", to: value.byteCount).set("encoding", to: value.encoding.rawValue)
            .set("delimiter", to: value.delimiter.rawValue).set("headers", to: Row.json(value.headers))
            .set("mapping", to: Row.json(value.mapping.map(\.rawValue))).set("total_rows", to: value.totalRows)
            .set("state", to: CustomerImportState.mapping.rawValue)
            .where("id", .equal, value.id.rawValue).where("state", .equal, CustomerImportState.uploading.rawValue)
            .run()
    }

    /// Sets the mapping and the duplicate choice of an import still being mapped; false when it
    /// has moved on (started, cancelled).
    public func setMapping(
        _ mapping: [ImportField], duplicates: DuplicatePolicy, of id: CustomerImportID, in accountID: AccountID
    ) async throws -> Bool {
        !(try await sql.update("customer_imports")
            .set("mapping", to: Row.json(mapping.map(\.rawValue))).set("duplicates", to: duplicates.rawValue)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .where("state", .equal, CustomerImportState.mapping.rawValue).returning("id").all()).isEmpty
    }

    /// Queues an import that is being mapped; false when it is not in that state any more.
    public func start(_ id: CustomerImportID, in accountID: AccountID, at now: Date) async throws -> Bool {
        !(try await sql.update("customer_imports")
            .set("state", to: CustomerImportState.queued.rawValue).set("started_at", to: now)
            .set("next_attempt_at", to: now)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .where("state", .equal, CustomerImportState.mapping.rawValue).returning("id").all()).isEmpty
    }

    /// Stops an import that has not finished (the rows already imported stay) and drops its file;
    /// false when it had already ended.
    public func cancel(_ id: CustomerImportID, in accountID: AccountID, at now: Date) async throws -> Bool {
        let open = [CustomerImportState.mapping, .queued, .working].map(\.rawValue)
        let cancelled = try await sql.update("customer_imports")
            .set("state", to: CustomerImportState.cancelled.rawValue).set("finished_at", to: now)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .where("state", .in, open).returning("id").all()
        guard !cancelled.isEmpty else { return false }
        try await dropFile(of: id)
        return true
    }

    // MARK: The worker's side

    /// Claims the next import due, or one whose worker stopped (claimed before `staleBefore`).
    /// `only` narrows it to one import (the command line runs the one it started).
    public func claim(at now: Date, staleBefore: Date, only: CustomerImportID? = nil) async throws -> CustomerImport? {
        try await Row.queue.claim(
            in: sql, limit: 1, at: now, staleBefore: staleBefore, filter: only.map { "q.id = \(bind: $0.rawValue)" }
        ) { try $0.value }.first
    }

    /// Records a batch: the counts and how far the file has been read, and renews the claim.
    /// False when the claim is no longer this worker's (cancelled, or taken over after a stall):
    /// the caller rolls the batch back.
    public func recordBatch(_ value: CustomerImport, at now: Date) async throws -> Bool {
        let update = sql.update("customer_imports")
            .set("rows_done", to: value.rowsDone).set("created_count", to: value.created)
            .set("merged_count", to: value.merged).set("skipped_count", to: value.skipped)
            .set("failed_count", to: value.failed).set("claimed_at", to: now)
            .where("id", .equal, value.id.rawValue)
        return !(try await Row.queue.stillClaimed(update, attempts: value.attempts).returning("id").all()).isEmpty
    }

    /// Hands a claimed import back to the queue (its server is stopping), to be resumed from
    /// `rows_done` by the next worker.
    public func release(_ value: CustomerImport) async throws -> Bool {
        let update = sql.update("customer_imports")
            .set("state", to: CustomerImportState.queued.rawValue).set("claimed_at", to: SQLLiteral.null)
            .where("id", .equal, value.id.rawValue)
        return !(try await Row.queue.stillClaimed(update, attempts: value.attempts).returning("id").all()).isEmpty
    }

    /// Ends a claimed import (done, or failed with its reason) and drops its file.
    public func finish(_ value: CustomerImport, at now: Date) async throws -> Bool {
        let update = sql.update("customer_imports")
            .set("state", to: value.state.rawValue).set("failure", to: value.failure).set("finished_at", to: now)
            .set("rows_done", to: value.rowsDone)
            .where("id", .equal, value.id.rawValue)
        let finished = try await Row.queue.stillClaimed(update, attempts: value.attempts).returning("id").all()
        guard !finished.isEmpty else { return false }
        try await dropFile(of: value.id)
        return true
    }

    /// Uploads that never completed (a closed browser, a restart mid-upload), begun before `cutoff`.
    public func removeAbandonedUploads(before cutoff: Date) async throws -> Int {
        let ids = try await sql.select().column("id").from("customer_imports")
            .where("state", .equal, CustomerImportState.uploading.rawValue).where("created_at", .lessThan, cutoff)
            .all().map { try $0.decode(column: "id", as: String.self) }
        for slice in CustomerStore.slices(ids) {
            try await sql.delete(from: "customer_import_chunks").where("import_id", .in, slice).run()
            try await sql.delete(from: "customer_imports").where("id", .in, slice).run()
        }
        return ids.count
    }

    /// Housekeeping: imports left at the mapping step since `staleMapping` are cancelled (their
    /// file dropped), and the problem rows of imports that ended before `oldReports` are deleted —
    /// they hold customers' details, kept only as long as someone may still fix and re-import them.
    public func expire(mappingBefore staleMapping: Date, reportsBefore oldReports: Date, at now: Date) async throws {
        let stale = try await sql.select().column("id").from("customer_imports")
            .where("state", .equal, CustomerImportState.mapping.rawValue).where("created_at", .lessThan, staleMapping)
            .all().map { try $0.decode(column: "id", as: String.self) }
        for slice in CustomerStore.slices(stale) {
            try await sql.update("customer_imports").set("state", to: CustomerImportState.cancelled.rawValue)
                .set("finished_at", to: now).where("id", .in, slice).run()
            try await sql.delete(from: "customer_import_chunks").where("import_id", .in, slice).run()
        }
        let ended = try await sql.select().column("id").from("customer_imports")
            .where("finished_at", .lessThan, oldReports).all().map { try $0.decode(column: "id", as: String.self) }
        for slice in CustomerStore.slices(ended) {
            try await sql.delete(from: "customer_import_problems").where("import_id", .in, slice).run()
        }
    }

    /// Removes an import whose upload was refused, with what had arrived of it.
    public func discard(_ id: CustomerImportID) async throws {
        try await dropFile(of: id)
        try await sql.delete(from: "customer_imports").where("id", .equal, id.rawValue)
            .where("state", .equal, CustomerImportState.uploading.rawValue).run()
    }

    // MARK: The file

    public func appendChunk(_ data: Data, seq: Int, to id: CustomerImportID) async throws {
        try await sql.insert(ChunkRow(importId: id.rawValue, seq: seq, data: data))
    }

    /// The file's chunks from `seq` on, a few at a time (each up to `CustomerImports.chunkSize`).
    public func chunks(of id: CustomerImportID, from seq: Int, limit: Int) async throws -> [(seq: Int, data: Data)] {
        try await sql.select(ChunkRow.self).where("import_id", .equal, id.rawValue)
            .where("seq", .greaterThanOrEqual, seq).orderBy("seq").limit(limit).all()
            .map {
                let row = try $0.stored(ChunkRow.self); return (row.seq, row.data)
            }
    }

    private func dropFile(of id: CustomerImportID) async throws {
        try await sql.delete(from: "customer_import_chunks").where("import_id", .equal, id.rawValue).run()
    }

    // MARK: Problems

    public func insertProblems(_ problems: [ImportProblem], of id: CustomerImportID) async throws {
        guard !problems.isEmpty else { return }
        try await sql.insert(
            problems.map {
                ProblemRow(
                    importId: id.rawValue, line: $0.line, kind: $0.kind.rawValue, message: $0.message,
                    cells: Row.json($0.cells))
            })
    }

    /// Problems in line order, a page at a time (after `line`).
    public func problems(of id: CustomerImportID, after line: Int, limit: Int) async throws -> [ImportProblem] {
        try await sql.select(ProblemRow.self).where("import_id", .equal, id.rawValue)
            .where("line", .greaterThan, line).orderBy("line").limit(limit).all()
            .map { row in
                let row = try row.stored(ProblemRow.self)
                return ImportProblem(
                    line: row.line,
                    kind: try ImportProblem.Kind.stored(row.kind, table: "customer_import_problems", column: "kind"),
                    message: row.message, cells: try Row.strings(row.cells, column: "cells"))
            }
    }
}
