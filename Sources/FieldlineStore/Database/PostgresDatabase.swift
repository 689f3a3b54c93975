import FieldlineCore
import Foundation
import Logging
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through PostgresNIO's pooled client. Each `read` or `write` leases one connection
/// for its whole body, so a transaction's statements all run on the same connection.
final class PostgresDatabase: Database, DatabaseNotifications {
    let engine = DatabaseEngine.postgres
    var notifications: (any DatabaseNotifications)? { self }
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        // The pool hands out connections only while its run loop is running.
        self.runner = Task { await client.run() }
    }

    static func open(url: String, logger: Logger) throws -> PostgresDatabase {
        let configuration = try configuration(from: url)
        return PostgresDatabase(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger)
    }

    static func configuration(from url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw DatabaseConfigurationError(message: "Cannot read the PostgreSQL URL \"\(url)\".")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default:
            throw DatabaseConfigurationError(
                message: "Unsupported sslmode \"\(sslMode)\": use disable, prefer or require.")
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: components.user?.removingPercentEncoding ?? "postgres",
            password: components.password?.removingPercentEncoding,
            database: database.isEmpty ? nil : database,
            tls: tls)
        configuration.options.maximumConnections = 20
        return configuration
    }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await body(connection.sql(queryLogLevel: .trace))
        }
    }

    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let sql = connection.sql(queryLogLevel: .trace)
            try await sql.raw("BEGIN").run()
            do {
                let result = try await body(sql)
                try await sql.raw("COMMIT").run()
                return result
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    func close() async {
        runner.cancel()
        await runner.value
    }

    func notify(channel: String, payload: String, in sql: any SQLDatabase) async throws {
        try await sql.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
    }

    func listen(
        channel: String, listening: @Sendable () -> Void, _ receive: @escaping @Sendable (String) -> Void
    ) async throws {
        try await client.withConnection { connection in
            // The closure runs once PostgreSQL has answered the LISTEN.
            try await connection.listen(on: channel) { notifications in
                listening()
                for try await notification in notifications { receive(notification.payload) }
            }
        }
    }
}
