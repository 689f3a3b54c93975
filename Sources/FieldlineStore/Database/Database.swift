import FieldlineCore
import Foundation
import Logging
import SQLKit

public enum DatabaseEngine: String, Sendable {
    case sqlite, postgres
}

/// The one way the application reaches its data: `read` for queries, `write` for a transaction.
/// Both engines sit behind it so every store runs unchanged on SQLite and PostgreSQL.
public protocol Database: Sendable {
    var engine: DatabaseEngine { get }

    /// Runs `body` with a connection that sees committed data. Do not write through it.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    /// Errors thrown by `body` reach the caller unchanged. On SQLite, concurrent writes share a
    /// commit, and a body may run a second time (alone) when another in its batch failed: a body
    /// does database work only, and returns whatever must happen after the commit.
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Closes every connection. Call once, at shutdown.
    func close() async

    /// Messages between server processes sharing this database (PostgreSQL's LISTEN/NOTIFY); nil
    /// where one process owns the database (SQLite).
    var notifications: (any DatabaseNotifications)? { get }
}

public protocol DatabaseNotifications: Sendable {
    /// Notifies `channel` from the transaction (or statement) `sql` is part of: listeners hear it
    /// when that commits.
    func notify(channel: String, payload: String, in sql: any SQLDatabase) async throws

    /// Listens to `channel` until cancelled or the connection is lost, calling `listening` once the
    /// server has confirmed the subscription and `receive` per payload.
    func listen(
        channel: String, listening: @Sendable () -> Void, _ receive: @escaping @Sendable (String) -> Void
    ) async throws
}

public enum DatabaseOpener {
    /// Opens the database named by a `FIELDLINE_DATABASE_URL`-style URL:
    /// `sqlite://./fieldline.sqlite`, `sqlite:///var/lib/fieldline.sqlite`,
    /// `postgres://user:pass@host:5432/db?sslmode=require`.
    public static func open(url: String, logger: Logger) async throws -> any Database {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else {
                throw DatabaseConfigurationError(message: "The SQLite URL names no file: \(url)")
            }
            return try await SQLiteDatabase.open(path: path, logger: logger)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresDatabase.open(url: url, logger: logger)
        }
        throw DatabaseConfigurationError(
            message: "Unsupported database URL \"\(url)\": use sqlite://PATH or postgres://user:pass@host:port/db.")
    }
}

public struct DatabaseConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
