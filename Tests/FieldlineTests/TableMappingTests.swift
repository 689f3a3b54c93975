import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import SQLKit
import Testing

/// Each table's one mapping (issue 27.1) against the real schema on both engines: a database with
/// rows in every table (the upgrade test's data) is copied, table by table, into a fresh one through
/// the mappings alone (select, decode, insert), and reads back the same.
@Suite("One mapping per table: every table round-trips")
struct TableMappingTests {
    /// Tables no mapping covers, with why.
    static let unmapped: [String: String] = [
        "schema_migrations": "the migrator's own ledger, written before any store exists",
        "customer_import_chunks":
            "an upload's bytes while it is mapped or imported (up to 25 MB each): not in backups; an import restored without its file fails saying so",
    ]

    @Test(
        "Every table, full, copied through its mapping into a fresh database reads back equal",
        arguments: TestEngine.available)
    func roundTrip(engine: TestEngine) async throws {
        try await engine.withDatabase { source in
            let app = Fieldline.forTesting(database: source, clock: TestClock(), demo: true)
            _ = try await DemoSeed(app: app).ensure()
            let world = try await TestWorld.make(app)
            try await UpgradeData.fill(app, world)

            let tables = try await source.read { sql in try await SchemaUpgradeTests.tables(sql, engine: source.engine)
            }
            #expect(
                Set(tables).subtracting(StoredTables.names).sorted() == Self.unmapped.keys.sorted(),
                "every table has a mapping or a reason not to")

            // Every column is in its table's mapping, or named as left out on purpose: a column
            // in neither would be missing from backups.
            let outside = try await StoredTables.columnsOutsideMappings(of: source)
            let expected = StoredTables.outsideMappings.mapValues { Set($0.keys) }
                .filter { table, _ in table != "messages" || engine == .postgres }
            #expect(outside == expected, "columns no mapping reads: \(outside)")

            try await engine.withDatabase { target in
                let copied = try await StoredTables.copy(from: source, to: target)
                let empty = copied.filter { $0.value == 0 }.map(\.key).sorted()
                #expect(empty == [], "mapped tables the data left empty: \(empty)")
                let before = try await StoredTables.contents(of: source)
                let after = try await StoredTables.contents(of: target)
                for table in StoredTables.names {
                    #expect(before[table] == after[table], "\(table) reads back differently")
                }
            }
        }
    }
}
