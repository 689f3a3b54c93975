import Fieldline
import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import SQLKit

/// The engines every store and flow test runs on. PostgreSQL joins when
/// `FIELDLINE_TEST_POSTGRES_URL` is set (CI sets it); with `FIELDLINE_REQUIRE_POSTGRES_TESTS=1`
/// a missing URL fails the Postgres cases instead of leaving them out.
public enum TestEngine: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    public var description: String { rawValue }

    /// The admin URL for the Postgres cases; an empty variable counts as unset.
    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["FIELDLINE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var available: [TestEngine] {
        if postgresURL != nil || ProcessInfo.processInfo.environment["FIELDLINE_REQUIRE_POSTGRES_TESTS"] == "1" {
            return [.sqlite, .postgres]
        }
        return [.sqlite]
    }

    /// A fresh, migrated, empty database for one test, removed afterwards; `migrator` says how far
    /// (an upgrade test starts at an earlier schema).
    public func withDatabase<T: Sendable>(
        migrator: Migrator = Migrator(), _ body: (any Database) async throws -> T
    ) async throws -> T {
        let logger = Logger(label: "fieldline.test")
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "fieldline-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = try await DatabaseOpener.open(
                url: "sqlite://" + directory.appendingPathComponent("test.sqlite").path, logger: logger)
            return try await Self.run(body, on: database, migrator: migrator, logger: logger)
        case .postgres:
            guard let adminURL = Self.postgresURL else {
                throw TestSetupError(
                    "FIELDLINE_REQUIRE_POSTGRES_TESTS is set but FIELDLINE_TEST_POSTGRES_URL is not: the Postgres suite cannot run."
                )
            }
            // Each database holds connections (its own pool and the admin's); the suites run in
            // parallel, so only so many are open at once, within the server's max_connections.
            await Self.postgresSlots.acquire()
            defer { Task { await Self.postgresSlots.release() } }
            let name = "fieldline_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let admin = try await DatabaseOpener.open(url: adminURL, logger: logger)
            try await admin.read { sql in try await sql.raw("CREATE DATABASE \(ident: name)").run() }
            let database = try await DatabaseOpener.open(
                url: Self.replacingDatabase(in: adminURL, with: name), logger: logger)
            do {
                let result = try await Self.run(body, on: database, migrator: migrator, logger: logger)
                try await admin.read { sql in try await sql.raw("DROP DATABASE IF EXISTS \(ident: name)").run() }
                await admin.close()
                return result
            } catch {
                try? await admin.read { sql in try await sql.raw("DROP DATABASE IF EXISTS \(ident: name)").run() }
                await admin.close()
                throw error
            }
        }
    }

    private static func run<T: Sendable>(
        _ body: (any Database) async throws -> T, on database: any Database, migrator: Migrator, logger: Logger
    ) async throws -> T {
        do {
            try await migrator.migrate(database, logger: logger)
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    static let postgresSlots = TestSlots(16)

    static func replacingDatabase(in url: String, with name: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw TestSetupError("Cannot read \(url)") }
        components.path = "/" + name
        guard let result = components.string else { throw TestSetupError("Cannot rebuild \(url)") }
        return result
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// At most `count` holders at once; the rest wait their turn, first come first served.
actor TestSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) {
        free = count
    }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
