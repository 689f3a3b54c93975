import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Logging
import SQLKit
import Testing

@Suite("Storage on SQLite and PostgreSQL")
struct StoreTests {
    @Test("Migrations apply once; a second run finds nothing to do", arguments: TestEngine.available)
    func migrationsAreIdempotent(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let applied = try await Migrator().migrate(database, logger: Logger(label: "test"))
            #expect(applied.isEmpty)
            let versions = try await database.read { sql in
                try await sql.select().column("version").from("schema_migrations").all()
                    .map { try $0.decode(column: "version", as: Int.self) }
            }
            #expect(versions == Schema.migrations.map(\.version))
        }
    }

    @Test("Job numbers are sequential per account and never shared", arguments: TestEngine.available)
    func jobNumbers(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let app = Fieldline.forTesting(database: database)
            let first = try await app.accounts.create(.init(name: "First", timeZone: "UTC"))
            let second = try await app.accounts.create(.init(name: "Second", timeZone: "UTC"))
            let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await database.write { sql in try await AccountStore(sql).allocateJobNumber(first.id) }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(numbers.sorted() == Array(1000..<1020))
            let other = try await database.write { sql in try await AccountStore(sql).allocateJobNumber(second.id) }
            #expect(other == 1000)
        }
    }

    @Test(
        "Concurrent writes commit together; one that throws fails alone and leaves nothing behind",
        arguments: TestEngine.available)
    func concurrentWritesWithAFailure(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let app = Fieldline.forTesting(database: database)
            let account = try await app.accounts.create(.init(name: "Batch", timeZone: "UTC"))
            struct Boom: Error {}
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            try await database.write { sql in
                                try await CustomerStore(sql).insert(
                                    Customer(
                                        id: .generate(), accountID: account.id, name: "Customer \(index)", notes: nil,
                                        createdAt: Date(), updatedAt: Date()))
                                if index % 7 == 3 { throw Boom() }
                            }
                            return (index, true)
                        } catch {
                            return (index, false)
                        }
                    }
                }
                return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes.count == 40)
            #expect(outcomes.filter { !$0.value }.keys.sorted() == (0..<40).filter { $0 % 7 == 3 })
            let names = try await database.read { sql in
                try await CustomerStore(sql).search("", in: account.id, limit: 200, offset: 0).map(\.name)
            }
            #expect(Set(names) == Set((0..<40).filter { $0 % 7 != 3 }.map { "Customer \($0)" }))
        }
    }

    @Test("A write that throws leaves nothing behind", arguments: TestEngine.available)
    func rollback(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let app = Fieldline.forTesting(database: database)
            let account = try await app.accounts.create(.init(name: "Rollback", timeZone: "UTC"))
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await database.write { sql in
                    try await CustomerStore(sql).insert(
                        Customer(
                            id: .generate(), accountID: account.id, name: "Ghost", notes: nil, createdAt: Date(),
                            updatedAt: Date()))
                    throw Boom()
                }
            }
            let found = try await database.read { sql in
                try await CustomerStore(sql).search("", in: account.id, limit: 10, offset: 0)
            }
            #expect(found.isEmpty)
        }
    }

    @Test("Dates, booleans, optionals and JSON columns round-trip", arguments: TestEngine.available)
    func roundTrip(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let location = try await app.customers.updateLocation(
                world.location.id,
                with: .init(
                    street: "1 Main St", unit: "Apt 2", city: "Austin", state: "TX", postalCode: "78701",
                    verified: true,
                    latitude: 30.2672123, longitude: -97.7431456), by: world.admin)
            let stored = try await app.database.read { sql in
                try await CustomerStore(sql).location(location.id, in: world.account.id)
            }
            #expect(stored == location)
            #expect(stored?.coordinates?.latitude == 30.2672123)
            let job = try await world.bookJob()
            let updated = try await app.jobs.update(
                job.id, .init(customFields: ["PO number": "HV-2231", "Gate": "4411"]), by: world.admin)
            let reread = try await app.jobs.detail(job.id, by: world.admin)
            #expect(reread.job.customFields == updated.customFields)
            #expect(
                abs(reread.appointments[0].startsAt.timeIntervalSince(app.clock.now().addingTimeInterval(86_400)))
                    < 0.001)
        }
    }

    @Test(
        "Customer search matches name, phone digits in any format, and address — within one account only",
        arguments: TestEngine.available)
    func customerSearch(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let other = try await TestWorld.make(app, name: "Other Co", emailDomain: "other.test")
            _ = try await app.customers.create(
                .init(
                    name: "Harbor View Dental",
                    location: .init(
                        street: "22 Harbor St", city: "Austin", state: "TX", postalCode: "78701")), by: world.admin)
            func names(_ query: String, _ actor: Actor) async throws -> [String] {
                try await app.customers.search(query, by: actor).map(\.customer.name)
            }
            #expect(try await names("castell", world.admin) == ["Robert Castellanos"])
            #expect(try await names("555-0142", world.admin) == ["Robert Castellanos"])
            #expect(try await names("(512) 555 0142", world.admin) == ["Robert Castellanos"])
            #expect(try await names("harbor st", world.admin) == ["Harbor View Dental"])
            #expect(try await names("", world.admin) == ["Harbor View Dental", "Robert Castellanos"])
            #expect(try await names("100%_", world.admin).isEmpty)
            #expect(try await names("", other.admin) == ["Robert Castellanos"])
            #expect(try await names("harbor", other.admin).isEmpty)
        }
    }
}
