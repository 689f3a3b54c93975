import FieldlineCore
import Foundation
import Logging
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// The embedded default: one file in WAL mode. One writer connection runs transactions one at a
/// time (a shared connection would let one request's statements land inside another's
/// transaction), committing those that queue up together (`GroupCommitWriter`); a few reader
/// connections serve queries concurrently with it.
final class SQLiteDatabase: Database {
    let engine = DatabaseEngine.sqlite
    /// One process owns an SQLite file, so there is no one else to notify.
    let notifications: (any DatabaseNotifications)? = nil
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let nextReader = Atomic<Int>(0)
    /// Set by the first `close()`: a server closes its database at shutdown, and its owner may too.
    private let closed = Atomic<Bool>(false)
    private let groupCommit: GroupCommitWriter
    private let threadPools: [NIOThreadPool]
    private let logger: Logger

    private init(
        writer: SQLiteConnection, writerPool: NIOThreadPool, readers: [SQLiteConnection], readerPool: NIOThreadPool,
        logger: Logger
    ) {
        self.writer = writer
        self.readers = readers
        self.threadPools = [writerPool, readerPool]
        self.logger = logger
        self.groupCommit = GroupCommitWriter(
            connection: writer.sql(queryLogLevel: .trace), executor: ThreadPoolExecutor(pool: writerPool))
    }

    static func open(path: String, logger: Logger, readerCount: Int = 4) async throws -> SQLiteDatabase {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // SQLite calls block, so they run on threads of their own, not NIO's shared pool where a
        // slow bcrypt would hold up queries: the writer on a thread of its own (its transactions
        // run there too, see ThreadPoolExecutor), the readers on a pool of theirs.
        let writerPool = NIOThreadPool(numberOfThreads: 1)
        writerPool.start()
        let threadPool = NIOThreadPool(numberOfThreads: readerCount)
        threadPool.start()
        var opened: [SQLiteConnection] = []
        do {
            let writer = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: writerPool, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any())
            opened.append(writer)
            for pragma in [
                "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000",
                "PRAGMA synchronous=NORMAL",
            ] {
                _ = try await writer.query(pragma)
            }
            var readers: [SQLiteConnection] = []
            for _ in 0..<readerCount {
                let reader = try await SQLiteConnection.open(
                    storage: .file(path: path), threadPool: threadPool, logger: logger,
                    on: MultiThreadedEventLoopGroup.singleton.any())
                opened.append(reader)
                _ = try await reader.query("PRAGMA busy_timeout=10000")
                _ = try await reader.query("PRAGMA foreign_keys=ON")
                readers.append(reader)
            }
            return SQLiteDatabase(
                writer: writer, writerPool: writerPool, readers: readers, readerPool: threadPool, logger: logger)
        } catch {
            // A file SQLite cannot use (not a database, truncated, locked): close what was opened,
            // so the caller gets the error and not a leaked handle.
            for connection in opened { try? await connection.close() }
            for pool in [writerPool, threadPool] { try? await pool.shutdownGracefully() }
            throw error
        }
    }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        let reader = readers[abs(index) % readers.count]
        return try await body(reader.sql(queryLogLevel: .trace))
    }

    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await groupCommit.write(body)
    }

    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // Closing must finish even when the caller's task was cancelled (a failing test, a
        // shutdown): an unclosed connection is a leaked file handle, and SQLiteNIO traps on it.
        await Task.detached { [self] in await closeConnections() }.value
    }

    private func closeConnections() async {
        await groupCommit.close()
        for connection in readers + [writer] {
            do {
                try await connection.close()
            } catch {
                logger.warning("Closing an SQLite connection failed: \(error)")
            }
        }
        for pool in threadPools {
            do {
                try await pool.shutdownGracefully()
            } catch {
                logger.warning("Stopping an SQLite thread pool failed: \(error)")
            }
        }
    }
}
