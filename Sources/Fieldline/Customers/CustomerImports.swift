import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import SQLKit

/// Importing customers from another system's CSV export (OP1): upload (streamed into stored
/// chunks, checked whole: encoding, delimiter, header, limits), mapping with a preview of the
/// first rows, then the import itself, a batch per transaction, by whichever worker claims it —
/// resumed after the last committed batch when a server stops midway. Imported numbers get no
/// marketing consent: an export is no proof that anyone agreed to promotions.
public struct CustomerImports: Sendable {
    let app: Fieldline

    /// How much of the file is stored per chunk, and read back at a time.
    public static let chunkSize = 256 * 1024
    /// Rows per transaction: a batch is imported whole or not at all, and is where a stopped import
    /// resumes.
    static let batchSize = 500
    /// A worker renews its claim with every batch; a claim this old belongs to a worker that stopped.
    static let lease: TimeInterval = 120

    // MARK: Upload

    /// Starts receiving a file. Feed it with `append`, then `finish`; on any error the partial
    /// upload is removed.
    public func beginUpload(fileName: String?, by actor: Actor) async throws -> Upload {
        try actor.require(.editCustomers)
        let now = app.clock.now()
        let value = CustomerImport(
            id: .generate(), accountID: actor.accountID, createdBy: actor.isIntegration ? nil : actor.userID,
            createdByName: actor.name, fileName: CustomerImport.displayName(fileName), byteCount: 0,
            encoding: .utf8, delimiter: .comma, headers: [], mapping: [], duplicates: .skip, state: .uploading,
            totalRows: 0, createdAt: now)
        try await app.database.write { sql in try await CustomerImportStore(sql).insert(value, at: now) }
        return Upload(app: app, value: value)
    }

    /// A file arriving in pieces. Bytes are stored a chunk at a time as they come, so the server
    /// never holds more than one chunk of it.
    public struct Upload: Sendable {
        let app: Fieldline
        var value: CustomerImport
        private var pending: [UInt8] = []
        private var head: [UInt8] = []
        private var check = CSVFileCheck()
        private var seq = 0

        init(app: Fieldline, value: CustomerImport) {
            self.app = app
            self.value = value
            pending.reserveCapacity(CustomerImports.chunkSize)
        }

        public var id: CustomerImportID { value.id }
        public var byteCount: Int { check.byteCount }

        public mutating func append(_ bytes: some Collection<UInt8>) async throws {
            do {
                check.feed(bytes)
                if check.byteCount > CustomerImport.maximumBytes {
                    throw FieldlineError.refused(
                        code: .bodyTooLarge,
                        message:
                            "This file is larger than \(CustomerImport.maximumBytes / 1024 / 1024) MB, the most one import takes. Split it into smaller files and import them one after another."
                    )
                }
                if head.count < 65_536 { head.append(contentsOf: bytes.prefix(65_536 - head.count)) }
                pending.append(contentsOf: bytes)
                while pending.count >= CustomerImports.chunkSize {
                    let chunk = Data(pending.prefix(CustomerImports.chunkSize))
                    pending.removeFirst(CustomerImports.chunkSize)
                    try await store(chunk)
                }
            } catch {
                await abandon()
                throw error
            }
        }

        /// The whole file has arrived: it is checked (text, header, rows within limits), its
        /// columns guessed, and it is ready to map.
        public mutating func finish() async throws -> CustomerImport {
            do {
                if !pending.isEmpty {
                    try await store(Data(pending))
                    pending = []
                }
                value.encoding = try check.finish()
                value.delimiter = CSVDelimiter.detect(in: head)
                value.byteCount = check.byteCount
                let scan = try await CustomerImports(app: app).scan(value)
                value.headers = scan.headers
                value.totalRows = scan.rows
                guard scan.rows > 0 else {
                    throw FieldlineError.invalid(
                        field: "file", message: "This file has a header line but no customers under it.")
                }
                guard scan.rows <= CustomerImport.maximumRows else {
                    throw FieldlineError.invalid(
                        field: "file",
                        message:
                            "This file has \(CustomerImports.rows(scan.rows)); one import takes at most \(CustomerImport.maximumRows.formatted()). Split it into smaller files."
                    )
                }
                value.mapping = ImportField.guesses(for: scan.headers)
                value.state = .mapping
                let ready = value
                try await app.database.write { sql in try await CustomerImportStore(sql).uploaded(ready) }
                return ready
            } catch {
                await abandon()
                throw error
            }
        }

        /// Removes what arrived of a refused or broken upload.
        public func abandon() async {
            let id = value.id
            do {
                try await app.database.write { sql in try await CustomerImportStore(sql).discard(id) }
            } catch {
                app.logger.error("Could not remove the partial upload \(id): \(error)")
            }
        }

        private mutating func store(_ chunk: Data) async throws {
            let (id, number) = (value.id, seq)
            try await app.database.write { sql in
                try await CustomerImportStore(sql).appendChunk(chunk, seq: number, to: id)
            }
            seq += 1
        }
    }

    /// Reads the stored file once through: its header and how many data rows it has. Any
    /// structural problem (a row too wide, a quote never closed) is found here, before anything
    /// is imported.
    func scan(_ value: CustomerImport) async throws -> (headers: [String], rows: Int) {
        var headers: [String]?
        var rows = 0
        try await records(of: value) { record in
            if headers == nil {
                headers = try ImportHeaders.validated(record)
            } else if !record.isBlank {
                rows += 1
            }
            return true
        }
        guard let headers else { return (try ImportHeaders.validated(nil), 0) }
        return (headers, rows)
    }

    /// Every record of the stored file in order (the header first), until `body` answers false.
    func records(of value: CustomerImport, _ body: (CSVRecord) async throws -> Bool) async throws {
        var reader = CSVReader(encoding: value.encoding, delimiter: value.delimiter)
        var seq = 0
        while true {
            let from = seq
            let chunks = try await app.database.read { sql in
                try await CustomerImportStore(sql).chunks(of: value.id, from: from, limit: 4)
            }
            if from == 0 && chunks.isEmpty {
                throw FieldlineError.invalid(
                    field: "file",
                    message:
                        "The uploaded file is no longer stored (an upload is kept until its import ends, and backups leave it out). Upload it again."
                )
            }
            for chunk in chunks {
                for record in try reader.feed(chunk.data) {
                    guard try await body(record) else { return }
                }
                seq = chunk.seq + 1
            }
            if chunks.count < 4 { break }
        }
        for record in try reader.finish() {
            guard try await body(record) else { return }
        }
    }

    // MARK: Mapping and preview

    public func find(_ id: CustomerImportID, by actor: Actor) async throws -> CustomerImport {
        try actor.require(.editCustomers)
        guard
            let value = try await app.database.read({ sql in
                try await CustomerImportStore(sql).find(id, in: actor.accountID)
            })
        else { throw FieldlineError.notFound(entity: "import", id: id.rawValue) }
        return value
    }

    public func recent(by actor: Actor, limit: Int = 20) async throws -> [CustomerImport] {
        try actor.require(.editCustomers)
        return try await app.database.read { sql in
            try await CustomerImportStore(sql).recent(in: actor.accountID, limit: limit)
        }
    }

    /// Sets how columns map and what duplicates do, while the import is being mapped.
    public func configure(
        _ id: CustomerImportID, mapping: [String]?, duplicates: String?, by actor: Actor
    ) async throws -> CustomerImport {
        var value = try await find(id, by: actor)
        guard value.state == .mapping else { throw Self.notEditable(value) }
        if let mapping {
            value.mapping = try ImportHeaders.validatedMapping(
                try mapping.map { raw throws(FieldlineError) in
                    guard let field = ImportField(rawValue: raw) else {
                        throw .invalid(
                            field: "mapping",
                            message:
                                "\"\(raw)\" is not a field; use one of \(ImportField.allCases.map(\.rawValue).joined(separator: ", "))."
                        )
                    }
                    return field
                }, headers: value.headers)
        }
        if let duplicates {
            guard let policy = DuplicatePolicy(rawValue: duplicates) else {
                throw FieldlineError.invalid(field: "duplicates", message: "Duplicates are either skip or merge.")
            }
            value.duplicates = policy
        }
        let changed = value
        let saved = try await app.database.write { sql in
            try await CustomerImportStore(sql).setMapping(
                changed.mapping, duplicates: changed.duplicates, of: id, in: actor.accountID)
        }
        guard saved else { throw Self.notEditable(try await find(id, by: actor)) }
        return value
    }

    /// What the first rows become under the import's mapping: a new customer, a duplicate of one
    /// (named), or the reason the row cannot be imported.
    public func preview(_ id: CustomerImportID, by actor: Actor) async throws -> [PreviewRow] {
        let value = try await find(id, by: actor)
        guard value.state != .uploading, !value.state.isFinished || value.state == .done else {
            return []
        }
        var rows: [(CSVRecord, Result<ImportedCustomer, FieldlineError>)] = []
        var header = true
        try await records(of: value) { record in
            if header {
                header = false
                return true
            }
            guard !record.isBlank else { return true }
            rows.append((record, Self.read(record, value)))
            return rows.count < CustomerImport.previewRows
        }
        let customers = rows.compactMap { try? $0.1.get() }
        let (phoneOwners, emailOwners, names) = try await app.database.read { sql in
            let store = CustomerStore(sql)
            let phones = try await store.phoneOwners(customers.flatMap { $0.phones.map(\.number) }, in: actor.accountID)
            let emails = try await store.emailOwners(customers.flatMap(\.emails), in: actor.accountID)
            let owners = try await store.customers(Array(Set(phones.values).union(emails.values)), in: actor.accountID)
            return (phones, emails, owners.mapValues(\.name))
        }
        var earlier: [String: Int] = [:]
        return rows.map { record, result in
            switch result {
            case .failure(let error):
                return PreviewRow(line: record.line, cells: record.fields, outcome: .failed(error.message))
            case .success(let customer):
                let owner =
                    customer.phones.lazy.compactMap { phoneOwners[$0.number] }.first
                    ?? customer.emails.lazy.compactMap { emailOwners[$0] }.first
                // Merged rows hand their new numbers and emails on, as the import does.
                let merging = value.duplicates == .merge
                if let owner {
                    if merging { for key in customer.keys where earlier[key] == nil { earlier[key] = -1 } }
                    return PreviewRow(
                        line: record.line, cells: record.fields,
                        outcome: .duplicate(of: names[owner] ?? "a customer", customer))
                }
                if let line = customer.keys.lazy.compactMap({ earlier[$0] }).first {
                    if merging { for key in customer.keys where earlier[key] == nil { earlier[key] = line } }
                    return PreviewRow(
                        line: record.line, cells: record.fields,
                        outcome: .duplicate(of: line < 0 ? "a customer" : "line \(line)", customer))
                }
                for key in customer.keys { earlier[key] = record.line }
                return PreviewRow(line: record.line, cells: record.fields, outcome: .create(customer))
            }
        }
    }

    public struct PreviewRow: Sendable, Equatable {
        public enum Outcome: Sendable, Equatable {
            case create(ImportedCustomer)
            case duplicate(of: String, ImportedCustomer)
            case failed(String)
        }

        public var line: Int
        public var cells: [String]
        public var outcome: Outcome
    }

    // MARK: Start, cancel, report

    /// Starts the import with its mapping; the work happens in the background.
    public func start(_ id: CustomerImportID, by actor: Actor) async throws -> CustomerImport {
        let found = try await find(id, by: actor)
        var value = found
        guard value.state == .mapping else { throw Self.notEditable(value) }
        _ = try ImportHeaders.validatedMapping(value.mapping, headers: value.headers)
        let now = app.clock.now()
        let started = try await app.database.write { sql in
            guard try await CustomerImportStore(sql).start(id, in: actor.accountID, at: now) else { return false }
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .customersImported, subject: found.fileName,
                    detail:
                        "\(Self.rows(found.totalRows)); duplicates: \(found.duplicates.rawValue); columns: \(Self.describe(found))",
                    at: now))
            return true
        }
        guard started else { throw Self.notEditable(try await find(id, by: actor)) }
        app.importSignal.signal()
        value.state = .queued
        value.startedAt = now
        return value
    }

    /// Stops an import: what was imported stays, the rest of the file is dropped.
    public func cancel(_ id: CustomerImportID, by actor: Actor) async throws -> CustomerImport {
        let value = try await find(id, by: actor)
        let now = app.clock.now()
        let cancelled = try await app.database.write { sql in
            guard try await CustomerImportStore(sql).cancel(id, in: actor.accountID, at: now) else { return false }
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .customerImportCancelled, subject: value.fileName,
                    detail: value.state == .mapping
                        ? "discarded before it started"
                        : "after \(value.rowsDone.formatted()) of \(Self.rows(value.totalRows))", at: now))
            return true
        }
        guard cancelled else {
            throw FieldlineError.conflict(
                code: .importFinished, message: "This import has already ended (\(value.state.label.lowercased())).")
        }
        return try await find(id, by: actor)
    }

    /// The rows that were not imported as new customers, with why, as CSV: the file's own
    /// columns after "Line" and "Problem", so the rows can be fixed and imported again. Recorded
    /// in the audit log (it holds customers' details); read with `reportPage`.
    public func report(_ id: CustomerImportID, by actor: Actor) async throws -> Report {
        let value = try await find(id, by: actor)
        try await app.database.write { sql in
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .importReportExported, subject: value.fileName,
                    detail: Self.rows(value.failed + value.skipped), at: app.clock.now()))
        }
        let base = value.fileName.lowercased().hasSuffix(".csv") ? String(value.fileName.dropLast(4)) : value.fileName
        let safe = base.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }.prefix(60)
        return Report(
            value: value, header: ImportProblem.reportHeader(value.headers),
            filename: "\(safe.isEmpty ? "import" : String(safe))-problems.csv")
    }

    public struct Report: Sendable {
        public var value: CustomerImport
        public var header: String
        public var filename: String
    }

    /// The report's lines after `line`, a thousand at a time, and where the next page starts.
    public func reportPage(_ report: Report, after line: Int?) async throws -> (csv: String, next: Int?) {
        let page = try await app.database.read { sql in
            try await CustomerImportStore(sql).problems(of: report.value.id, after: line ?? 0, limit: 1000)
        }
        return (page.map(\.reportLine).joined(), page.count == 1000 ? page.last?.line : nil)
    }

    static func notEditable(_ value: CustomerImport) -> FieldlineError {
        .conflict(
            code: value.state.isFinished ? .importFinished : .importStarted,
            message: value.state.isFinished
                ? "This import has ended (\(value.state.label.lowercased())); upload the file again to import it again."
                : value.state == .uploading
                    ? "This file is still being uploaded."
                    : "This import has started; its columns can no longer change.")
    }

    /// "1 row", "12,000 rows".
    public static func rows(_ count: Int) -> String {
        count == 1 ? "1 row" : "\(count.formatted()) rows"
    }

    static func describe(_ value: CustomerImport) -> String {
        zip(value.headers, value.mapping).filter { $0.1 != .ignore }.map { "\($0.0) → \($0.1.label)" }
            .joined(separator: ", ")
    }

    static func read(_ record: CSVRecord, _ value: CustomerImport) -> Result<ImportedCustomer, FieldlineError> {
        do {
            return .success(try ImportedCustomer.read(record.fields, mapping: value.mapping, headers: value.headers))
        } catch {
            return .failure(error)
        }
    }
}

extension CSVRecord {
    /// A line of nothing but delimiters (spreadsheets write them below the data).
    var isBlank: Bool { fields.allSatisfy { $0.trimmingWhitespace().isEmpty } }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
