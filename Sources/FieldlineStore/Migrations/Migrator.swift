import FieldlineCore
import Foundation
import Logging
import SQLKit

/// One step of the schema. Steps are append-only: a released step is never edited, a new one
/// follows it.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    let statements: @Sendable (DatabaseEngine) -> [String]
}

/// Applies pending migrations in order, each in its own transaction, recording them in
/// `schema_migrations`. On PostgreSQL an advisory lock keeps two starting servers from racing.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration] = Schema.migrations) {
        self.migrations = migrations
    }

    /// Returns the versions it applied (empty when the schema was current).
    @discardableResult
    public func migrate(_ database: any Database, logger: Logger) async throws -> [Int] {
        let engine = database.engine
        let timestamp = Schema.timestampType(engine)
        try await database.write { sql in
            try await sql.raw(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at \(unsafeRaw: timestamp) NOT NULL
                )
                """
            ).run()
        }
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let didApply = try await database.write { sql -> Bool in
                if engine == .postgres {
                    try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: Self.advisoryLockKey))").run()
                }
                let existing = try await sql.select().column("version").from("schema_migrations")
                    .where("version", .equal, migration.version).first()
                guard existing == nil else { return false }
                for statement in migration.statements(engine) {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
                try await sql.insert(
                    AppliedMigrationRow(version: migration.version, name: migration.name, appliedAt: Date()))
                return true
            }
            if didApply {
                logger.info("Applied migration \(migration.version): \(migration.name)")
                applied.append(migration.version)
            }
        }
        return applied
    }

    /// A row of `schema_migrations`, the table this migrator keeps for itself.
    struct AppliedMigrationRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "schema_migrations")

        var version: Int
        var name: String
        var appliedAt: Date
    }

    static let advisoryLockKey: Int64 = 0x46_69_65_6C_64_6C_69_6E  // "Fieldlin"
}
