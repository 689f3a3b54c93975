import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Logging
import SQLKit
import Synchronization
import Testing

/// What the load writes and the backup reports, shared with the tasks doing it.
private final class LoadState: Sendable {
    let written = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    let reported = Mutex<[String]>([])
}

/// Backups and restores (OP2), on both engines and across them.
@Suite("Backup and restore")
struct BackupTests {
    static let logger = Logger(label: "fieldline.backup-test")

    /// A folder for one test's files, removed afterwards.
    static func withFolder<T>(_ body: (URL) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fieldline-backup-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }

    /// The backup file opened as a database of its own (a copy, so the file itself stays as written).
    static func withBackupOpened<T: Sendable>(_ file: URL, _ body: (any Database) async throws -> T) async throws -> T {
        let copy = file.deletingLastPathComponent().appendingPathComponent("opened-\(UUID()).sqlite")
        try FileManager.default.copyItem(at: file, to: copy)
        let database = try await DatabaseOpener.open(url: "sqlite://" + copy.path, logger: logger)
        do {
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    static func jobCounters(_ sql: any SQLDatabase) async throws -> [String: Int] {
        Dictionary(
            uniqueKeysWithValues: try await sql.raw("SELECT id, next_job_number FROM accounts").all().map {
                (try $0.decode(column: "id", as: String.self), try $0.decode(column: "next_job_number", as: Int.self))
            })
    }

    static func loadCustomers(_ sql: any SQLDatabase) async throws -> (customers: Int, locations: Int) {
        let customers = try await sql.raw("SELECT count(*) AS n FROM customers WHERE name LIKE 'Load %'").first()?
            .decode(column: "n", as: Int.self)
        let locations = try await sql.raw(
            "SELECT count(*) AS n FROM locations l JOIN customers c ON c.id = l.customer_id WHERE c.name LIKE 'Load %'"
        ).first()?.decode(column: "n", as: Int.self)
        return (customers ?? -1, locations ?? -1)
    }

    @Test(
        "A backup taken while customers are being written restores whole into either engine, and the restored database works",
        arguments: TestEngine.available)
    func backupUnderLoad(engine: TestEngine) async throws {
        try await Self.withFolder { folder in
            let file = folder.appendingPathComponent("fieldline-backup.sqlite")
            try await engine.withDatabase { source in
                let app = Fieldline.forTesting(database: source, clock: TestClock(), demo: true)
                _ = try await DemoSeed(app: app).ensure()
                let world = try await TestWorld.make(app)
                try await UpgradeData.fill(app, world)
                // A picture's bytes, which no mapping reads, and the job counter the database keeps.
                let picture = Data((0..<5000).map { UInt8($0 % 251) })
                try await source.write { sql in
                    try await sql.raw("UPDATE message_media SET data = \(bind: picture), byte_count = 5000").run()
                }
                let counters = try await source.read { sql in try await Self.jobCounters(sql) }

                // The load: customers with their location, each pair in one transaction, until the
                // backup is written. A consistent copy holds both halves of every pair or neither.
                let state = LoadState()
                let load = Task {
                    var number = 0
                    while !state.stop.load(ordering: .relaxed) {
                        number += 1
                        _ = try await app.customers.create(
                            .init(
                                name: "Load \(number) Ñandú Café", notes: nil,
                                location: .init(
                                    street: "\(number) Main St", city: "Austin", state: "TX", postalCode: "78701")),
                            by: world.dispatcher)
                        state.written.add(1, ordering: .relaxed)
                    }
                }
                while state.written.load(ordering: .relaxed) < 20 { try await Task.sleep(for: .milliseconds(5)) }
                let summary = try await Backup.write(source, to: file.path, logger: Self.logger) { count in
                    state.reported.withLock { $0.append(count.table) }
                }
                state.stop.store(true, ordering: .relaxed)
                try await load.value

                #expect(summary.schemaVersion == Backup.currentSchemaVersion)
                #expect(state.reported.withLock { $0 } == StoredTables.names, "every table reported, in order")
                let empty = summary.tables.filter { $0.rows == 0 }.map(\.table)
                #expect(empty == [], "tables the backup holds no rows of: \(empty)")
                #expect(!FileManager.default.fileExists(atPath: file.path + "-wal"), "the backup is one file")
                let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
                #expect(mode == 0o600, "only its owner reads a backup")
                let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                #expect(leftovers == ["fieldline-backup.sqlite"], "no partial file is left beside it")

                let backedUp = try await Self.withBackupOpened(file) { backup in
                    let load = try await backup.read { sql in try await Self.loadCustomers(sql) }
                    #expect(load.customers >= 20)
                    #expect(load.customers == load.locations, "a customer without its location: not one instant")
                    return try await StoredTables.contents(of: backup)
                }

                // Into each engine: the same rows, and the application runs on them.
                for targetEngine in TestEngine.available {
                    try await targetEngine.withDatabase { target in
                        let restored = try await Backup.restore(from: file.path, into: target, logger: Self.logger)
                        #expect(restored.tables == summary.tables, "\(engine) → \(targetEngine): row counts")
                        let contents = try await StoredTables.contents(of: target)
                        for table in StoredTables.names {
                            #expect(contents[table] == backedUp[table], "\(engine) → \(targetEngine): \(table)")
                        }
                        let pictures = try await target.read { sql in
                            try await sql.raw("SELECT data FROM message_media").all()
                                .map { try $0.decode(column: "data", as: Data?.self) }
                        }
                        #expect(!pictures.isEmpty && pictures.allSatisfy { $0 == picture }, "pictures' bytes")
                        #expect(try await target.read { sql in try await Self.jobCounters(sql) } == counters)
                        let restoredApp = Fieldline.forTesting(database: target, clock: TestClock(), demo: true)
                        try await UpgradeData.readBack(restoredApp, world)
                        // New rows get keys past the restored ones (PostgreSQL's sequences moved on).
                        let open = try await restoredApp.inbox.list(status: .open, by: world.admin)
                        let conversation = try #require(open.first)
                        _ = try await restoredApp.inbox.reply(
                            to: conversation.conversation.id, body: "Back online after the restore 👍",
                            by: world.dispatcher)
                    }
                }
            }
        }
    }

    @Test("A backup from an earlier schema is brought up to date on restore, and the file is left as it was")
    func earlierSchema() async throws {
        try await Self.withFolder { folder in
            let file = folder.appendingPathComponent("old.sqlite")
            let earlier = Migrator(migrations: Schema.migrations.filter { $0.version <= 12 })
            // The demo business, written by this version and copied into a database at schema 12
            // (the tables that schema has), as a backup taken by that release would hold it.
            let before = try await TestEngine.sqlite.withDatabase { current in
                let app = Fieldline.forTesting(database: current, clock: TestClock(), demo: true)
                _ = try await DemoSeed(app: app).ensure()
                return try await TestEngine.sqlite.withDatabase(migrator: earlier) { source in
                    _ = try await StoredTables.copy(from: current, to: source, earlierSchema: true)
                    let summary = try await Backup.write(source, to: file.path, logger: Self.logger)
                    #expect(summary.schemaVersion == 12)
                    return try await source.read { sql in
                        try await sql.raw("SELECT count(*) AS n FROM messages").first()?.decode(
                            column: "n", as: Int.self)
                    }
                }
            }
            let written = try Data(contentsOf: file)
            for engine in TestEngine.available {
                try await engine.withDatabase { target in
                    let restored = try await Backup.restore(from: file.path, into: target, logger: Self.logger)
                    #expect(restored.schemaVersion == Backup.currentSchemaVersion)
                    #expect(restored.tables.first { $0.table == "messages" }?.rows == before)
                    #expect((before ?? 0) > 0)
                }
            }
            #expect(try Data(contentsOf: file) == written, "restoring never changes the backup")
        }
    }

    @Test("What cannot be backed up or restored is refused, saying why, and leaves nothing behind")
    func refusals() async throws {
        try await Self.withFolder { folder in
            let file = folder.appendingPathComponent("backup.sqlite")
            try await TestEngine.sqlite.withDatabase { source in
                let app = Fieldline.forTesting(database: source, clock: TestClock(), demo: true)
                _ = try await DemoSeed(app: app).ensure()
                _ = try await Backup.write(source, to: file.path, logger: Self.logger)

                // Never over an existing file, never into a missing folder.
                let written = try Data(contentsOf: file)
                await #expect(throws: BackupError.self) {
                    try await Backup.write(source, to: file.path, logger: Self.logger)
                }
                #expect(try Data(contentsOf: file) == written)
                let missing = folder.appendingPathComponent("no/such/folder/b.sqlite").path
                let error = await #expect(throws: BackupError.self) {
                    try await Backup.write(source, to: missing, logger: Self.logger)
                }
                #expect(error?.description.contains("does not exist") == true)

                // Never into a database that holds data (this one has the demo business).
                let notEmpty = await #expect(throws: BackupError.self) {
                    try await Backup.restore(from: file.path, into: source, logger: Self.logger)
                }
                #expect(notEmpty?.description.contains("not empty") == true)
            }

            // Files that are not Fieldline backups, and one from a newer release.
            let text = folder.appendingPathComponent("notes.txt")
            try Data("not a database\n".utf8).write(to: text)
            let truncated = folder.appendingPathComponent("truncated.sqlite")
            try Data(try Data(contentsOf: file).prefix(100)).write(to: truncated)
            let foreign = folder.appendingPathComponent("foreign.sqlite")
            try await TestEngine.sqlite.withDatabase(migrator: Migrator(migrations: [])) { other in
                try await other.write { sql in try await sql.raw("DROP TABLE schema_migrations").run() }
                try await other.write { sql in try await sql.raw("CREATE TABLE notes (body TEXT)").run() }
                try await other.read { sql in try await sql.raw("VACUUM INTO \(bind: foreign.path)").run() }
            }
            let newer = folder.appendingPathComponent("newer.sqlite")
            try FileManager.default.copyItem(at: file, to: newer)
            let newerDatabase = try await DatabaseOpener.open(url: "sqlite://" + newer.path, logger: Self.logger)
            try await newerDatabase.write { sql in
                try await sql.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)")
                    .run()
            }
            await newerDatabase.close()

            let cases: [(URL, String)] = [
                (folder.appendingPathComponent("absent.sqlite"), "There is no file"),
                (folder, "is a folder"),
                (text, "not an SQLite database file"),
                (truncated, "SQLite cannot open it"),
                (foreign, "not a Fieldline backup"),
                (newer, "from a newer Fieldline (schema version 999"),
            ]
            for (path, reason) in cases {
                try await TestEngine.sqlite.withDatabase { target in
                    let error = await #expect(throws: BackupError.self, "\(path.lastPathComponent)") {
                        try await Backup.restore(from: path.path, into: target, logger: Self.logger)
                    }
                    #expect(error?.description.contains(reason) == true, "\(error?.description ?? "no error")")
                    let accounts = try await target.read { sql in
                        try await sql.raw("SELECT count(*) AS n FROM accounts").first()?.decode(
                            column: "n", as: Int.self)
                    }
                    #expect(accounts == 0, "nothing half-restored from \(path.lastPathComponent)")
                }
            }
        }
    }

    @Test("PostgreSQL at an earlier schema is not backed up until it is migrated", arguments: TestEngine.available)
    func postgresAtEarlierSchema(engine: TestEngine) async throws {
        guard engine == .postgres else { return }
        try await Self.withFolder { folder in
            let earlier = Migrator(migrations: Schema.migrations.filter { $0.version <= 12 })
            try await engine.withDatabase(migrator: earlier) { source in
                let file = folder.appendingPathComponent("b.sqlite")
                let error = await #expect(throws: BackupError.self) {
                    try await Backup.write(source, to: file.path, logger: Self.logger)
                }
                #expect(error?.description.contains("fieldline migrate") == true)
                let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                #expect(left == [], "nothing is left of the refused backup")
            }
        }
    }
}
