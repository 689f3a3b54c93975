import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import SQLKit
import Testing

/// OP1 on both engines: upload, mapping, preview, the import with duplicates skipped or merged,
/// the problems report, resuming after a stop, cancelling, and what is refused.
@Suite("Customer import")
struct CustomerImportTests {
    /// A Windows-1252, semicolon-separated export with a quoted note over two lines, a blank
    /// line, a bad number, a duplicate of the test world's customer, and a duplicate of an
    /// earlier row.
    static let export: [UInt8] = Array(
        ("First Name;Last Name;Company;Mobile Phone;Home Phone;E-mail Address;Street;City;State;ZIP;Tags;Notes\r\n"
            + "Jos\u{E9};Mart\u{ED}nez;;(512) 555-0150;;jose@example.com;12 Oak St;Austin;TX;78701;vip;\"Gate 1234\r\nDog\"\r\n"
            + "Ann;Lee;Lee Plumbing;512.555.0151 x204;;;;;;;;\r\n"
            + "Bad;Phone;;555-12;;;;;;;;\r\n"
            + ";;;;;;;;;;;\r\n"
            + "Bob;Castellanos;;;;robert@example.com;500 Pine Rd;Austin;TX;78704;plan;Second house\r\n"
            + "Joe;Martinez;;+1 512 555 0150;;;;;;;;\r\n").unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })

    static func upload(
        _ app: Fieldline, _ bytes: [UInt8], by actor: Actor, name: String = "export.csv", chunk: Int = 7
    ) async throws -> CustomerImport {
        var upload = try await app.customerImports.beginUpload(fileName: name, by: actor)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            try await upload.append(bytes[start..<min(start + chunk, bytes.count)])
        }
        return try await upload.finish()
    }

    static func count(_ app: Fieldline, _ query: SQLQueryString) async throws -> Int {
        try await app.database.read { sql in try await sql.raw(query).first()?.decode(column: "n", as: Int.self) } ?? -1
    }

    @Test(
        "An export is read, guessed, previewed and imported; duplicates skipped; the report lists the rest",
        arguments: TestEngine.available)
    func importSkippingDuplicates(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let value = try await Self.upload(app, Self.export, by: world.dispatcher)
            #expect(value.state == .mapping)
            #expect(value.encoding == .windows1252)
            #expect(value.delimiter == .semicolon)
            #expect(value.totalRows == 5, "the blank line is not a row")
            #expect(
                value.mapping == [
                    .firstName, .lastName, .company, .mobilePhone, .landlinePhone, .email, .street, .city, .state,
                    .postalCode, .tags, .notes,
                ])

            let preview = try await app.customerImports.preview(value.id, by: world.dispatcher)
            #expect(preview.map(\.line) == [2, 4, 5, 7, 8], "lines as the file numbers them")
            guard case .create(let jose) = preview[0].outcome else { throw TestSetupError("row 2 not new") }
            #expect(jose.name == "José Martínez")
            #expect(jose.notes == "Gate 1234\nDog")
            #expect(jose.phones.map(\.number.e164) == ["+15125550150"])
            guard case .create(let ann) = preview[1].outcome else { throw TestSetupError("row 4 not new") }
            #expect(ann.phones.first?.label == "ext. 204")
            #expect(ann.notes == "Company: Lee Plumbing")
            guard case .failed(let problem) = preview[2].outcome else { throw TestSetupError("row 5 not failed") }
            #expect(problem.contains("555-12"))
            #expect(
                preview[3].outcome == .duplicate(of: "Robert Castellanos", try #require(preview[3].outcome.customer)))
            #expect(preview[4].outcome == .duplicate(of: "line 2", try #require(preview[4].outcome.customer)))

            let started = try await app.customerImports.start(value.id, by: world.dispatcher)
            #expect(started.state == .queued)
            await #expect(throws: FieldlineError.self) {
                _ = try await app.customerImports.configure(
                    value.id, mapping: nil, duplicates: "merge", by: world.dispatcher)
            }
            let done = try #require(try await app.customerImports.runNext())
            #expect(done.state == .done)
            #expect((done.created, done.merged, done.skipped, done.failed) == (2, 0, 2, 1))
            #expect(done.rowsDone == 5)

            let customers = try await app.customers.search("Martínez", by: world.admin)
            #expect(customers.map(\.customer.name) == ["José Martínez"])
            let detail = try await app.customers.detail(try #require(customers.first).customer.id, by: world.admin)
            #expect(detail.phones.map(\.kind) == [.mobile])
            #expect(detail.phones.first?.preferences.marketingUpdates == false, "an import opts no one in")
            #expect(detail.locations.first?.address.oneLine == "12 Oak St, Austin, TX 78701")
            #expect(detail.customer.tags == ["vip"])
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM sms_consent") == 0)
            // The file itself is gone once the import ends; the report stays.
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM customer_import_chunks") == 0)

            let report = try await app.customerImports.report(value.id, by: world.dispatcher)
            let page = try await app.customerImports.reportPage(report, after: nil)
            let lines = (report.header + page.csv).split(separator: "\r\n")
            #expect(lines.count == 4)
            #expect(lines[0].hasPrefix("Line,Problem,First Name,Last Name"))
            #expect(lines[1].hasPrefix("5,"))
            #expect(lines[2].hasPrefix("7,Same email as Robert Castellanos (already a customer): skipped.,Bob"))
            #expect(lines[3].hasPrefix("8,Same phone number as José Martínez (line 2 of this file): skipped.,Joe"))
            #expect(lines[3].contains(",'+1 512 555 0150,"), "a formula-looking cell is guarded in the report")

            let audit = try await app.auditLog.entries(.init(), paging: .firstPage, by: world.admin).map(\.action)
            #expect(audit.contains(.customersImported))
            #expect(audit.contains(.importReportExported))

            // The report, fixed and imported again, reads its guarded cells back.
            let again = try await Self.upload(
                app, Array((report.header + page.csv).utf8), by: world.dispatcher, name: "export-problems.csv")
            #expect(again.mapping.prefix(2) == [.ignore, .ignore], "Line and Problem are not customer fields")
            let rerun = try await app.customerImports.preview(again.id, by: world.dispatcher)
            #expect(rerun.last?.outcome.customer?.phones.first?.number.e164 == "+15125550150")
        }
    }

    @Test(
        "Merging adds a row's new number, email, address, tags and notes to the customer it matches",
        arguments: TestEngine.available)
    func importMergingDuplicates(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let value = try await Self.upload(app, Self.export, by: world.admin)
            _ = try await app.customerImports.configure(value.id, mapping: nil, duplicates: "merge", by: world.admin)
            _ = try await app.customerImports.start(value.id, by: world.admin)
            let done = try #require(try await app.customerImports.runNext())
            #expect((done.created, done.merged, done.skipped, done.failed) == (2, 2, 0, 1))
            let robert = try await app.customers.detail(world.customer.id, by: world.admin)
            #expect(robert.customer.name == "Robert Castellanos", "a merge keeps the name")
            #expect(robert.customer.tags == ["plan"])
            #expect(robert.customer.notes == "Second house")
            #expect(robert.locations.map(\.address.street).sorted() == ["418 Birchwood Ln", "500 Pine Rd"])
            #expect(robert.emails.map(\.address.value) == ["robert@example.com"], "no second copy of the address")
            // The row matched an earlier row: merged into the customer made from it.
            let jose = try #require(try await app.customers.search("Martínez", by: world.admin).first)
            #expect(jose.customer.name == "José Martínez")
        }
    }

    @Test(
        "An import that stops midway resumes after its last batch, without importing a row twice",
        arguments: TestEngine.available)
    func resumes(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withWorld(clock: clock) { app, world, _ in
            var csv = "Name,Phone,Email\r\n"
            for index in 0..<1_234 {
                csv += "Customer \(index),+1 737 555 \(String(format: "%04d", index)),c\(index)@example.com\r\n"
            }
            let value = try await Self.upload(app, Array(csv.utf8), by: world.admin, chunk: 100_000)
            #expect(value.totalRows == 1_234)
            _ = try await app.customerImports.start(value.id, by: world.admin)
            // The first worker stops after its first batch (its server went away)…
            var seen: [Int] = []
            let paused = try #require(
                try await app.customerImports.runNext(progress: { seen.append($0.rowsDone) }, shouldStop: { true }))
            #expect(paused.rowsDone == 500)
            #expect(paused.state == .working)
            let midway = try await app.customerImports.find(value.id, by: world.admin)
            #expect(midway.state == .queued, "handed back on the way out")
            #expect(midway.percent == 40)
            // …and the next resumes where it stopped.
            let done = try #require(try await app.customerImports.runNext())
            #expect(done.state == .done)
            #expect(done.created == 1_234)
            #expect(
                try await Self.count(app, "SELECT count(*) AS n FROM phone_contacts WHERE e164 LIKE '+1737555%'")
                    == 1_234)

            // A worker that died holding its claim: another takes it over once the lease passes.
            let second = try await Self.upload(
                app, Array("Name,Phone\r\nLate Row,+1 737 555 9999\r\n".utf8), by: world.admin)
            _ = try await app.customerImports.start(second.id, by: world.admin)
            _ = try await app.database.write { sql in
                try await CustomerImportStore(sql).claim(at: clock.now(), staleBefore: clock.now())
            }
            #expect(try await app.customerImports.runNext() == nil, "a fresh claim is not taken over")
            clock.advance(by: 600)
            #expect(try await app.customerImports.runNext()?.created == 1)
        }
    }

    @Test(
        "Cancelling keeps what was imported and drops the file; a finished import cannot change",
        arguments: TestEngine.available)
    func cancelling(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let value = try await Self.upload(app, Self.export, by: world.admin)
            let cancelled = try await app.customerImports.cancel(value.id, by: world.admin)
            #expect(cancelled.state == .cancelled)
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM customer_import_chunks") == 0)
            do {
                _ = try await app.customerImports.start(value.id, by: world.admin)
                Issue.record("a cancelled import started")
            } catch FieldlineError.conflict(let code, _) {
                #expect(code == .importFinished)
            }
            #expect(try await app.customerImports.runNext() == nil)
        }
    }

    @Test(
        "Uploads never started expire with their file; reports go 30 days after an import ends",
        arguments: TestEngine.available)
    func housekeeping(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withWorld(clock: clock) { app, world, _ in
            let finished = try await Self.upload(app, Self.export, by: world.admin)
            _ = try await app.customerImports.start(finished.id, by: world.admin)
            _ = try await app.customerImports.runNext()
            let waiting = try await Self.upload(app, Self.export, by: world.admin)
            clock.advance(by: 8 * 86_400)
            let now = clock.now()
            try await app.database.write { sql in
                try await CustomerImportStore(sql).expire(
                    mappingBefore: now.addingTimeInterval(-7 * 86_400),
                    reportsBefore: now.addingTimeInterval(-30 * 86_400),
                    at: now)
            }
            #expect(try await app.customerImports.find(waiting.id, by: world.admin).state == .cancelled)
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM customer_import_chunks") == 0)
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM customer_import_problems") == 3)
            clock.advance(by: 30 * 86_400)
            let later = clock.now()
            try await app.database.write { sql in
                try await CustomerImportStore(sql).expire(
                    mappingBefore: later.addingTimeInterval(-7 * 86_400),
                    reportsBefore: later.addingTimeInterval(-30 * 86_400), at: later)
            }
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM customer_import_problems") == 0)

            // An import whose file is gone (a restored backup leaves files out) says so and stops.
            let orphan = try await Self.upload(app, Self.export, by: world.admin)
            _ = try await app.customerImports.start(orphan.id, by: world.admin)
            _ = try await app.database.write { sql in
                try await sql.raw("DELETE FROM customer_import_chunks").run()
            }
            let failed = try #require(try await app.customerImports.runNext())
            #expect(failed.state == .failed)
            #expect(failed.failure?.contains("no longer stored") == true)
            #expect(failed.created == 0)
        }
    }

    @Test("Bad files are refused with a reason, and nothing of them is kept", arguments: TestEngine.available)
    func refusals(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            func refusal(_ bytes: [UInt8]) async -> String {
                do {
                    _ = try await Self.upload(app, bytes, by: world.admin)
                    return "accepted"
                } catch let error as FieldlineError {
                    return error.message
                } catch {
                    return "\(error)"
                }
            }
            #expect(await refusal([]).contains("empty"))
            #expect(await refusal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).contains("not a CSV"))
            #expect(await refusal(Array("PK\u{3}\u{4}rest of a zip".utf8)).contains("xlsx"))
            #expect(await refusal(Array("Name,Phone\r\n".utf8)).contains("no customers"))
            let wide = "Name,Phone\r\nA," + String(repeating: "x,", count: 10_000) + "\r\n"
            #expect(await refusal(Array(wide.utf8)).contains("10,002 columns; an import takes at most 200"))
            #expect(await refusal(Array("Name,Notes\r\nA,\"never closed\r\nB,x\r\n".utf8)).contains("quote"))
            let big = [UInt8](repeating: UInt8(ascii: "a"), count: CustomerImport.maximumBytes + 1)
            #expect(await refusal(big).contains("MB"))
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM customer_imports") == 0)
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM customer_import_chunks") == 0)

            // Duplicate headers are allowed (and reported); a mapping that names no one is not.
            let twice = try await Self.upload(
                app, Array("Name,Phone,Phone\r\nA,5125550160,5125550161\r\n".utf8), by: world.admin)
            #expect(ImportHeaders.repeated(twice.headers).map(\.columns) == [["B", "C"]])
            await #expect(throws: FieldlineError.self) {
                _ = try await app.customerImports.configure(
                    twice.id, mapping: ["ignore", "phone", "phone"], duplicates: nil, by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                _ = try await app.customerImports.configure(
                    twice.id, mapping: ["name", "name", "phone"], duplicates: nil, by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                _ = try await app.customerImports.configure(
                    twice.id, mapping: ["name"], duplicates: "maybe", by: world.admin)
            }
            // Technicians and marketers do not import customers.
            await #expect(throws: FieldlineError.forbidden(permission: "edit_customers")) {
                _ = try await app.customerImports.beginUpload(fileName: "x.csv", by: world.technicianActor)
            }
        }
    }

    @Test("One account never sees or runs another's import", arguments: TestEngine.available)
    func isolation(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let rival = try await TestWorld.make(app, name: "Rival Heating", emailDomain: "rival.test")
            let value = try await Self.upload(app, Self.export, by: world.admin)
            await #expect(throws: FieldlineError.notFound(entity: "import", id: value.id.rawValue)) {
                _ = try await app.customerImports.find(value.id, by: rival.admin)
            }
            await #expect(throws: FieldlineError.notFound(entity: "import", id: value.id.rawValue)) {
                _ = try await app.customerImports.start(value.id, by: rival.admin)
            }
            #expect(try await app.customerImports.recent(by: rival.admin).isEmpty)
            // The rival's customer with the same number is no duplicate of this account's row.
            _ = try await app.customers.addPhone(
                .init(number: "(512) 555-0150"), to: rival.customer.id, by: rival.admin)
            _ = try await app.customerImports.start(value.id, by: world.admin)
            let done = try #require(try await app.customerImports.runNext())
            #expect(done.created == 2)
        }
    }
}

extension CustomerImports.PreviewRow.Outcome {
    var customer: ImportedCustomer? {
        switch self {
        case .create(let customer), .duplicate(_, let customer): customer
        case .failed: nil
        }
    }
}
