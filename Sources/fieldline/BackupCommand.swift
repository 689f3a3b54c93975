import ArgumentParser
import FieldlineStore
import Foundation
import Logging

/// `fieldline backup --to FILE`: a consistent copy of the database while the server runs (OP2).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write a consistent copy of the database to a new file.",
        discussion: """
            The server may keep running. The backup is one SQLite file at this release's schema, \
            from SQLite or PostgreSQL alike: `fieldline restore` brings it back into either engine. \
            The file appears only once it is complete and read back; an existing file is never \
            overwritten. From PostgreSQL the database must be at this release's schema (run \
            `fieldline migrate` first).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The new backup file, e.g. /var/backups/fieldline/2026-12-03.sqlite.") var to: String

    func run() async throws {
        let logger = makeLogger(level: .warning)
        let url = database.resolvedURL()
        let db: any Database
        do {
            db = try await DatabaseOpener.open(url: url, logger: logger)
        } catch let error as DatabaseConfigurationError {
            throw ValidationError(error.message)
        }
        let started = ContinuousClock.now
        print("Backing up \(redacted(url)) to \(to)…")
        do {
            let summary = try await Backup.write(db, to: to, logger: logger) { print(tableLine($0)) }
            await db.close()
            let size = (try? FileManager.default.attributesOfItem(atPath: to)[.size] as? Int) ?? 0
            print(
                "Backed up \(summary.rows.formatted()) rows in \(summary.tables.count) tables (schema version \(summary.schemaVersion)) to \(to): \(ByteCountFormatter.string(fromByteCount: Int64(size), countStyle: .file)) in \(elapsed(since: started))."
            )
        } catch let error as BackupError {
            await db.close()
            throw CLIError("No backup written: \(error.description)")
        } catch {
            await db.close()
            throw CLIError("No backup written: \(error)")
        }
    }
}

/// `fieldline restore --from FILE`: a backup into an empty database (OP2).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup into an empty database.",
        discussion: """
            The database named by --database-url (or $FIELDLINE_DATABASE_URL) must be empty: a new \
            SQLite file or a freshly created PostgreSQL database. The restore runs in one \
            transaction, so it lands whole or not at all. A backup from an earlier release is \
            brought up to this release's schema; one from a newer release is refused. The backup \
            file is never changed (a working copy goes to $TMPDIR).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The backup file written by `fieldline backup`.") var from: String

    func run() async throws {
        let logger = makeLogger(level: .warning)
        let url = database.resolvedURL()
        // A restore that fails must not leave behind an SQLite file it created.
        let createdFile = url.hasPrefix("sqlite://") ? String(url.dropFirst("sqlite://".count)) : nil
        let fileExisted = createdFile.map { FileManager.default.fileExists(atPath: $0) } ?? true
        let db = try await database.openMigrated(logger: logger)
        let started = ContinuousClock.now
        print("Restoring \(from) into \(redacted(url))…")
        do {
            let summary = try await Backup.restore(from: from, into: db, logger: logger) { print(tableLine($0)) }
            await db.close()
            print(
                "Restored \(summary.rows.formatted()) rows in \(summary.tables.count) tables in \(elapsed(since: started)). Start the server on this database."
            )
            let queued = summary.tables.first { $0.table == "outbox" }?.rows ?? 0
            if queued > 0 {
                print(
                    "\(queued) \(queued == 1 ? "text was" : "texts were") waiting in the outbox when the backup was taken: the server sends them, each when its time comes, once it starts. Any the old server sent after the backup would reach the customer again."
                )
            }
        } catch {
            await db.close()
            if !fileExisted, let createdFile {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: createdFile + suffix) }
            }
            let reason = (error as? BackupError)?.description ?? "\(error)"
            throw CLIError("Nothing was restored: \(reason)")
        }
    }
}

/// One table's line of progress: `customers                         1,204 rows`.
private func tableLine(_ count: Backup.TableCount) -> String {
    let name = count.table.padding(toLength: max(32, count.table.count + 1), withPad: " ", startingAt: 0)
    return "  \(name)\(count.rows.formatted()) \(count.rows == 1 ? "row" : "rows")"
}

func elapsed(since start: ContinuousClock.Instant) -> String {
    let duration = ContinuousClock.now - start
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return String(format: "%.1f s", seconds)
}
