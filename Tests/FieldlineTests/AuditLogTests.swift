import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import SQLKit
import Testing

/// The audit log (OP4) on both engines: what people do is recorded with who, when and from where,
/// in the transaction of the action; admins read, filter and export it; nothing changes an entry.
@Suite("The audit log")
struct AuditLogTests {
    static func entries(
        _ app: Fieldline, _ world: TestWorld, _ query: AuditLog.Query = AuditLog.Query()
    ) async throws -> [AuditEntry] {
        try await app.auditLog.entries(query, paging: try Paging(limit: 200), by: world.admin)
    }

    @Test(
        "People's actions are recorded with who, what and the address they came from", arguments: TestEngine.available)
    func recorded(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            var admin = world.admin
            admin.address = "203.0.113.7"
            var dispatcher = world.dispatcher
            dispatcher.address = "198.51.100.23"
            let setup = try await Self.entries(app, world)
            #expect(setup.contains { $0.action == .userAdded && $0.actorName == "Setup (command line)" })

            // Sign-ins, good and bad, carry the address they came from.
            _ = try await app.accounts.signIn(
                email: "dispatch@northside.test", password: TestWorld.password, kind: .web, from: "198.51.100.23")
            _ = try? await app.accounts.signIn(
                email: "dispatch@northside.test", password: "not the password", kind: .api, from: "192.0.2.99")
            _ = try? await app.accounts.signIn(
                email: "nobody@elsewhere.test", password: "not the password", kind: .web, from: "192.0.2.99")
            // Settings, people, numbers, blocks, consent by hand, an export.
            _ = try await app.accounts.update(.init(name: "Northside Plumbing & Air", timeZone: nil), by: admin)
            _ = try await app.accounts.update(.init(name: "Northside Plumbing & Air", timeZone: nil), by: admin)
            let added = try await app.accounts.createUser(
                .init(
                    email: "zoe@northside.test", name: "Zoë Ünal", role: "dispatcher", password: "a long passphrase 42"),
                in: world.account.id, by: admin)
            _ = try await app.accounts.updateUser(added.id, .init(role: "marketer"), by: admin)
            guard
                case .inbox(_, let conversation, _) = try await world.textIn(
                    from: "5125550199", body: "Cheap loans!!!", to: number)
            else { throw TestSetupError("not in inbox") }
            _ = try await app.inbox.block(conversation, by: dispatcher)
            try await app.inbox.unblock("(512) 555-0199", by: admin)
            _ = try await app.customers.updatePhone(world.phone.id, .init(marketingUpdates: true), by: dispatcher)
            _ = try await app.customers.updatePhone(world.phone.id, .init(label: "Cell"), by: dispatcher)
            _ = try await app.consent.export(from: "2026-11-01", to: "2026-11-30", by: admin)
            let second = try await app.senderNumbers.add(
                .init(number: "512-555-0377", label: "Back office", provider: "console"), by: admin)
            _ = try await app.senderNumbers.update(second.id, .init(label: "Back office line"), by: admin)
            try await app.senderNumbers.remove(second.id, by: admin)

            let log = try await Self.entries(app, world)
            let actions = log.map(\.action)
            // Newest first; the setup before this test's actions is at the end.
            #expect(
                Array(actions.prefix(13)) == [
                    .numberRemoved, .numberChanged, .numberAdded, .ledgerExported, .consentChanged, .numberUnblocked,
                    .numberBlocked, .userChanged, .userAdded, .settingsChanged, .signInFailed, .signedIn,
                    .numberAdded,
                ])
            let byAction = Dictionary(grouping: log, by: \.action)
            let signedIn = try #require(byAction[.signedIn]?.first)
            #expect(signedIn.actorName == "Marcus Dispatch" && signedIn.address == "198.51.100.23")
            #expect(signedIn.detail == "web")
            let failed = try #require(byAction[.signInFailed])
            #expect(failed.count == 1, "an address no one signs in with belongs to no business's log")
            #expect(failed.first?.subject == "Marcus Dispatch <dispatch@northside.test>")
            #expect(failed.first?.address == "192.0.2.99" && failed.first?.userID == nil)
            #expect(byAction[.settingsChanged]?.count == 1, "saving without a change records nothing")
            #expect(byAction[.settingsChanged]?.first?.detail?.contains("→ \"Northside Plumbing & Air\"") == true)
            let changed = try #require(byAction[.userChanged]?.first)
            #expect(changed.subject == "Zoë Ünal" && changed.detail == "role Dispatcher / CSR → Marketer")
            #expect(changed.address == "203.0.113.7" && changed.userID == world.admin.userID)
            #expect(byAction[.numberBlocked]?.first?.subject == "(512) 555-0199")
            #expect(byAction[.numberBlocked]?.first?.actorName == "Marcus Dispatch")
            #expect(byAction[.consentChanged]?.count == 1, "a label is not consent")
            #expect(byAction[.consentChanged]?.first?.detail == "marketing updates on")
            #expect(byAction[.ledgerExported]?.first?.detail == "2026-11-01 to 2026-11-30")
            #expect(byAction[.numberRemoved]?.first?.subject == "(512) 555-0377 (Back office line)")

            // Filters: by action, by person, by days; an unknown action is refused.
            let blocks = try await Self.entries(app, world, .init(action: "number_blocked"))
            #expect(blocks.map(\.action) == [.numberBlocked])
            let byDispatcher = try await Self.entries(app, world, .init(userID: world.dispatcher.userID.rawValue))
            #expect(Set(byDispatcher.map(\.action)) == [.signedIn, .numberBlocked, .consentChanged])
            let today = DayString.of(app.clock.now(), calendar: world.account.calendar)
            #expect(try await Self.entries(app, world, .init(from: today, to: today)).count == log.count)
            #expect(try await Self.entries(app, world, .init(to: "2000-01-01")).isEmpty)
            await #expect(throws: FieldlineError.self) {
                _ = try await Self.entries(app, world, .init(action: "dropped_tables"))
            }
            await #expect(throws: FieldlineError.self) {
                _ = try await Self.entries(app, world, .init(from: "2026-12-31", to: "2026-12-01"))
            }
            await #expect(throws: FieldlineError.self) {
                _ = try await Self.entries(app, world, .init(from: "yesterday"))
            }
            // Only admins read it.
            for actor in [world.dispatcher, world.marketer, world.technicianActor] {
                await #expect(throws: FieldlineError.forbidden(permission: "view_audit_log")) {
                    _ = try await app.auditLog.entries(AuditLog.Query(), by: actor)
                }
            }
        }
    }

    @Test(
        "A rolled-back action leaves no entry; an entry cannot be changed or removed", arguments: TestEngine.available)
    func appendOnly(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let app = Fieldline.forTesting(database: database, clock: TestClock())
            let world = try await TestWorld.make(app)
            let before = try await Self.entries(app, world).count
            // Demoting yourself is refused: nothing happened, so nothing is recorded.
            await #expect(throws: FieldlineError.self) {
                _ = try await app.accounts.updateUser(world.admin.userID, .init(role: "dispatcher"), by: world.admin)
            }
            #expect(try await Self.entries(app, world).count == before)

            let id = try #require(try await Self.entries(app, world).first?.id)
            for statement: SQLQueryString in [
                "UPDATE audit_log SET actor_name = 'Nobody' WHERE id = \(bind: id)",
                "DELETE FROM audit_log WHERE id = \(bind: id)",
                "DELETE FROM audit_log",
            ] {
                await #expect(throws: (any Error).self) {
                    try await database.write { sql in try await sql.raw(statement).run() }
                }
            }
            if database.engine == .postgres {
                await #expect(throws: (any Error).self) {
                    try await database.write { sql in try await sql.raw("TRUNCATE audit_log").run() }
                }
            }
            let after = try await Self.entries(app, world)
            #expect(after.count == before)
            #expect(after.first { $0.id == id }?.actorName != "Nobody")
        }
    }

    @Test(
        "The export is CSV with formula-looking cells guarded, and is itself recorded", arguments: TestEngine.available)
    func export(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let app = Fieldline.forTesting(database: database, clock: TestClock())
            let world = try await TestWorld.make(app)
            var admin = world.admin
            admin.address = "2001:db8::1"
            let sneaky = try await app.accounts.createUser(
                .init(
                    email: "sneaky@northside.test", name: "=HYPERLINK(\"http://evil.test\",\"x\")", role: "dispatcher",
                    password: "a long passphrase 42"), in: world.account.id, by: admin)
            _ = try await app.accounts.updateUser(sneaky.id, .init(active: false), by: admin)

            let export = try await app.auditLog.export(.init(action: "user_changed"), by: admin)
            #expect(export.filename.hasPrefix("audit-log-") && export.filename.hasSuffix(".csv"))
            var csv = AuditCSV.header
            var cursor: AuditStore.Cursor?
            repeat {
                let page = try await app.auditLog.exportPage(export, after: cursor, limit: 1)
                csv += page.csv
                cursor = page.next
            } while cursor != nil
            let lines = csv.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 2, "\(lines)")
            let line = try #require(lines.last)
            #expect(line.contains(",user_changed,Person's access changed,Dana Admin,"))
            #expect(line.contains("\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\""), "\(line)")
            #expect(line.hasSuffix(",switched off,2001:db8::1"))

            let recorded = try await Self.entries(app, world, .init(action: "audit_log_exported"))
            #expect(recorded.count == 1 && recorded.first?.detail == "Person's access changed")
            #expect(recorded.first?.address == "2001:db8::1")
            await #expect(throws: FieldlineError.forbidden(permission: "view_audit_log")) {
                _ = try await app.auditLog.export(AuditLog.Query(), by: world.marketer)
            }
        }
    }
}
