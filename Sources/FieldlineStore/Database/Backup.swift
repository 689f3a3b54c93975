import Foundation
import Logging
import SQLKit

/// Backups and restores (OP2). A backup is one SQLite database file at this release's schema,
/// whichever engine it came from, so it can be opened with any SQLite tool, restored into either
/// engine, and used to move a business from the embedded SQLite to PostgreSQL.
///
/// - From SQLite, `VACUUM INTO` writes the copy: SQLite's own online backup, one read transaction,
///   so the server keeps writing (WAL) while it runs and the copy is the database at one instant.
/// - From PostgreSQL, every table is read inside one `REPEATABLE READ, READ ONLY` transaction, so
///   the copy is one snapshot while the servers keep writing, and paged by `ctid` so memory stays
///   bounded however large a table is.
///
/// A restore goes into an empty database, in one transaction: it lands whole or not at all. A
/// backup from an earlier release is brought up to this schema first (on a private copy; the file
/// itself is never changed); one from a newer release is refused.
public enum Backup {
    /// How many rows a page reads and inserts at a time.
    static let pageSize = 2_000

    public struct TableCount: Sendable, Equatable {
        public let table: String
        public let rows: Int
    }

    public struct Summary: Sendable {
        /// Every table's rows, in creation order.
        public let tables: [TableCount]
        public let schemaVersion: Int
        public var rows: Int { tables.reduce(0) { $0 + $1.rows } }
    }

    /// The newest schema this build knows.
    public static var currentSchemaVersion: Int { Schema.migrations.map(\.version).max() ?? 0 }

    // MARK: Backup

    /// Writes a consistent copy of `database` to a new file at `path`. The file appears only once
    /// it is complete and has been read back; an existing file is never overwritten. `progress`
    /// hears each table as it is read back.
    public static func write(
        _ database: any Database, to path: String, logger: Logger,
        progress: @escaping @Sendable (TableCount) -> Void = { _ in }
    ) async throws -> Summary {
        let destination = URL(fileURLWithPath: path)
        guard !FileManager.default.fileExists(atPath: destination.path) else {
            throw BackupError("\(path) already exists: choose a new file name (a backup never overwrites one).")
        }
        let directory = destination.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw BackupError("The folder \(directory.path) does not exist.")
        }
        guard FileManager.default.isWritableFile(atPath: directory.path) else {
            throw BackupError("The folder \(directory.path) cannot be written to.")
        }
        // Written beside its final name, so the rename that publishes it cannot cross file systems.
        let partial = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial")
        defer { removeDatabaseFiles(at: partial) }

        switch database.engine {
        case .sqlite:
            try await database.read { sql in try await sql.raw("VACUUM INTO \(bind: partial.path)").run() }
        case .postgres:
            try await snapshotPostgres(database, into: partial, logger: logger)
        }
        let summary = try await readBack(partial, logger: logger, progress: progress)
        guard summary.schemaVersion <= currentSchemaVersion else {
            throw BackupError(
                "The database is at schema version \(summary.schemaVersion), newer than this fieldline knows (\(currentSchemaVersion)): back it up with the release that runs it."
            )
        }
        // It holds password hashes, sealed credentials and every customer's messages: the
        // owner's alone.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: partial.path)
        try FileManager.default.moveItem(at: partial, to: destination)
        return summary
    }

    private static func snapshotPostgres(_ source: any Database, into file: URL, logger: Logger) async throws {
        let version = try await source.read { sql in try await schemaVersion(sql) }
        guard version == currentSchemaVersion else {
            throw BackupError(
                version < currentSchemaVersion
                    ? "The database is at schema version \(version) and this fieldline writes backups at \(currentSchemaVersion): run `fieldline migrate` first, or back up with the release that runs it."
                    : "The database is at schema version \(version), newer than this fieldline knows (\(currentSchemaVersion)): back it up with the release that runs it."
            )
        }
        let target = try await SQLiteDatabase.open(path: file.path, logger: logger, readerCount: 1)
        do {
            try await Migrator().migrate(target, logger: logger)
            try await source.write { sql in
                // The first statement of the transaction: every read below sees the same instant.
                try await sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").run()
                for type in StoredTables.all {
                    try await copyTable(type, from: sql, engine: .postgres, into: .pageByPage(target))
                    try await copyPictures(of: type, from: sql, into: .pageByPage(target))
                }
            }
        } catch {
            await target.close()
            throw error
        }
        await target.close()
    }

    // MARK: Restore

    /// Restores the backup at `path` into `target`, an empty database at this release's schema, in
    /// one transaction. `progress` hears each table once it is copied.
    public static func restore(
        from path: String, into target: any Database, logger: Logger,
        progress: @escaping @Sendable (TableCount) -> Void = { _ in }
    ) async throws -> Summary {
        let source = URL(fileURLWithPath: path)
        try checkIsSQLiteFile(source)
        for type in StoredTables.all {
            if let rows = try await rowCount(type, in: target), rows > 0 {
                throw BackupError(
                    "The database to restore into is not empty (\(tableName(of: type)) holds \(rows) \(rows == 1 ? "row" : "rows")): restore into a new, empty database."
                )
            }
        }
        // A private copy: bringing an earlier release's backup up to date must not change the file.
        let working = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fieldline-restore-\(UUID().uuidString).sqlite")
        defer { removeDatabaseFiles(at: working) }
        do {
            try FileManager.default.copyItem(at: source, to: working)
        } catch {
            throw BackupError("Could not read \(path): \(error.localizedDescription)")
        }
        let backup: SQLiteDatabase
        do {
            backup = try await SQLiteDatabase.open(path: working.path, logger: logger, readerCount: 1)
        } catch {
            throw BackupError("\(path) is not a Fieldline backup: SQLite cannot open it (\(error)).")
        }
        do {
            let summary = try await restore(backup, into: target, logger: logger, progress: progress)
            await backup.close()
            return summary
        } catch {
            await backup.close()
            throw error
        }
    }

    private static func restore(
        _ backup: any Database, into target: any Database, logger: Logger,
        progress: @escaping @Sendable (TableCount) -> Void
    ) async throws -> Summary {
        let version: Int
        do {
            version = try await backup.read { sql in try await schemaVersion(sql) }
        } catch let error as BackupError {
            throw BackupError("This file is an SQLite database but not a Fieldline backup. \(error.description)")
        }
        guard version <= currentSchemaVersion else {
            throw BackupError(
                "This backup is from a newer Fieldline (schema version \(version); this one knows up to \(currentSchemaVersion)): restore it with that release or a later one."
            )
        }
        if version < currentSchemaVersion {
            let applied = try await Migrator().migrate(backup, logger: logger)
            logger.info("Brought the backup from schema version \(version) to \(currentSchemaVersion) (\(applied)).")
        }
        let engine = target.engine
        let counts = try await target.write { targetSQL in
            try await backup.read { sourceSQL in
                var counts: [TableCount] = []
                for type in StoredTables.all {
                    let rows = try await copyTable(
                        type, from: sourceSQL, engine: .sqlite, into: .transaction(targetSQL))
                    try await copyPictures(of: type, from: sourceSQL, into: .transaction(targetSQL))
                    if engine == .postgres { try await advanceSequences(of: type, in: targetSQL) }
                    let count = TableCount(table: tableName(of: type), rows: rows)
                    progress(count)
                    counts.append(count)
                }
                return counts
            }
        }
        return Summary(tables: counts, schemaVersion: currentSchemaVersion)
    }

    // MARK: Tables

    /// Where copied pages go.
    private enum Destination {
        /// Into a transaction that holds the whole copy.
        case transaction(any SQLDatabase)
        /// Into a database, each page its own transaction.
        case pageByPage(any Database)

        func run(_ query: SQLQueryString) async throws {
            switch self {
            case .transaction(let sql): try await sql.raw(query).run()
            case .pageByPage(let database): try await database.write { sql in try await sql.raw(query).run() }
            }
        }

        func insert<Row: StoredRow>(_ rows: [Row]) async throws {
            switch self {
            case .transaction(let sql): try await sql.insert(rows, keepingAssignedKeys: true)
            case .pageByPage(let database):
                try await database.write { sql in try await sql.insert(rows, keepingAssignedKeys: true) }
            }
        }
    }

    /// Copies `Row`'s table page by page in the order rows are stored (`rowid`, `ctid`: a key every
    /// table has, whatever its own); the rows copied.
    @discardableResult
    private static func copyTable<Row: StoredRow>(
        _: Row.Type, from sql: any SQLDatabase, engine: DatabaseEngine, into destination: Destination
    ) async throws -> Int {
        let mapping = Row.mapping
        let columns = mapping.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        var position: String? = nil
        var copied = 0
        while true {
            let query: SQLQueryString
            switch engine {
            case .sqlite:
                let after = Int(position ?? "") ?? -1
                query =
                    "SELECT rowid AS backup_position, \(unsafeRaw: columns) FROM \(ident: mapping.table) WHERE rowid > \(bind: after) ORDER BY rowid LIMIT \(unsafeRaw: String(pageSize))"
            case .postgres where mapping.table == "messages":
                // Texts of one instant (a STOP and its confirmation) keep their order: the
                // insertion order, not where updates left the rows on disk.
                let after = Int64(position ?? "") ?? -1
                query =
                    "SELECT seq AS backup_position, \(unsafeRaw: columns) FROM messages WHERE seq > \(bind: after) ORDER BY seq LIMIT \(unsafeRaw: String(pageSize))"
            case .postgres:
                query =
                    "SELECT ctid::text AS backup_position, \(unsafeRaw: columns) FROM \(ident: mapping.table) WHERE ctid > \(bind: position ?? "(0,0)")::tid ORDER BY ctid LIMIT \(unsafeRaw: String(pageSize))"
            }
            let page = try await sql.raw(query).all()
            guard let last = page.last else { return copied }
            position =
                engine == .sqlite || mapping.table == "messages"
                ? String(try last.decode(column: "backup_position", as: Int64.self))
                : try last.decode(column: "backup_position", as: String.self)
            try await destination.insert(try page.map { try $0.stored(Row.self) })
            copied += page.count
            if page.count < pageSize { return copied }
        }
    }

    /// The pictures' bytes, which the media mapping leaves out (it is read for every list of
    /// attachments), copied after their rows, a few at a time.
    private static func copyPictures<Row: StoredRow>(
        of _: Row.Type, from sql: any SQLDatabase, into destination: Destination
    ) async throws {
        guard Row.mapping.table == "message_media" else { return }
        var after = ""
        while true {
            let page = try await sql.raw(
                "SELECT id, data FROM message_media WHERE data IS NOT NULL AND id > \(bind: after) ORDER BY id LIMIT 100"
            ).all()
            for row in page {
                let id = try row.decode(column: "id", as: String.self)
                let data = try row.decode(column: "data", as: Data.self)
                try await destination.run("UPDATE message_media SET data = \(bind: data) WHERE id = \(bind: id)")
                after = id
            }
            if page.count < 100 { return }
        }
    }

    /// After rows arrive with their keys, PostgreSQL's sequences must start past them.
    private static func advanceSequences<Row: StoredRow>(of _: Row.Type, in sql: any SQLDatabase) async throws {
        let mapping = Row.mapping
        for column in mapping.assignedByDatabase.sorted() {
            // Only a column with a sequence (an identity key, not a counter the database keeps).
            try await sql.raw(
                """
                SELECT setval(s.name, (SELECT COALESCE(MAX(\(ident: column)), 0) + 1 FROM \(ident: mapping.table)), false)
                FROM (SELECT pg_get_serial_sequence(\(bind: mapping.table), \(bind: column)) AS name) s
                WHERE s.name IS NOT NULL
                """
            ).run()
        }
    }

    private static func rowCount<Row: StoredRow>(_: Row.Type, in database: any Database) async throws -> Int? {
        try await database.read { sql in
            try await sql.raw("SELECT count(*) AS n FROM \(ident: Row.mapping.table)").first()?
                .decode(column: "n", as: Int.self)
        }
    }

    private static func tableName<Row: StoredRow>(of _: Row.Type) -> String { Row.mapping.table }

    /// Opens a finished backup and counts every table: a file that cannot be read back is not a
    /// backup.
    private static func readBack(
        _ file: URL, logger: Logger, progress: @Sendable (TableCount) -> Void
    ) async throws -> Summary {
        let copy = try await SQLiteDatabase.open(path: file.path, logger: logger, readerCount: 1)
        do {
            let version = try await copy.read { sql in try await schemaVersion(sql) }
            // A database at an earlier schema (SQLite copies whatever it holds) lacks the newer tables.
            let present = try await copy.read { sql in
                try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table'").all()
                    .map { try $0.decode(column: "name", as: String.self) }
            }
            var tables: [TableCount] = []
            for type in StoredTables.all where present.contains(tableName(of: type)) {
                let count = TableCount(table: tableName(of: type), rows: try await rowCount(type, in: copy) ?? 0)
                progress(count)
                tables.append(count)
            }
            await copy.close()
            return Summary(tables: tables, schemaVersion: version)
        } catch {
            await copy.close()
            throw error
        }
    }

    private static func schemaVersion(_ sql: any SQLDatabase) async throws -> Int {
        let row: (any SQLRow)?
        do {
            row = try await sql.raw("SELECT MAX(version) AS version FROM schema_migrations").first()
        } catch {
            throw BackupError("This database has no Fieldline schema (reading schema_migrations failed: \(error)).")
        }
        guard let version = try row?.decode(column: "version", as: Int?.self) else {
            throw BackupError("This database has no Fieldline schema (no migration was ever applied).")
        }
        return version
    }

    /// Every SQLite database file begins with these 16 bytes.
    private static let sqliteHeader = Data("SQLite format 3\0".utf8)

    private static func checkIsSQLiteFile(_ file: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) else {
            throw BackupError("There is no file at \(file.path).")
        }
        guard !isDirectory.boolValue else { throw BackupError("\(file.path) is a folder, not a backup file.") }
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw BackupError("\(file.path) cannot be read.")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: sqliteHeader.count)) ?? Data()
        guard header == sqliteHeader else {
            throw BackupError("\(file.path) is not a Fieldline backup: it is not an SQLite database file.")
        }
    }

    /// The file with its write-ahead log and shared-memory index, if any are left.
    private static func removeDatabaseFiles(at file: URL) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            try? FileManager.default.removeItem(atPath: file.path + suffix)
        }
    }
}

/// Why a backup or restore could not run, in words for the person at the command line.
public struct BackupError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
