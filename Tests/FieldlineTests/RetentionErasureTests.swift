import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import SQLKit
import Testing

/// OP3 on both engines: an account's message retention, and erasing a customer.
@Suite("Retention and erasure")
struct RetentionErasureTests {
    static func count(_ app: Fieldline, _ query: SQLQueryString) async throws -> Int {
        try await app.database.read { sql in try await sql.raw(query).first()?.decode(column: "n", as: Int.self) } ?? -1
    }

    @Test(
        "Texts older than the retention lose their words and pictures; newer, queued and the ledger stay",
        arguments: TestEngine.available)
    func retention(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withChatWorld(clock: clock) { app, world, _, number in
            let account = world.account.id
            // Thirteen months ago: a photo in, and a STOP from another number (the ledger).
            guard
                case .inbox(let old, let conversation, _) = try await world.textIn(
                    from: world.phone.number.e164, body: "Leak under the sink, photo attached", to: number,
                    media: [.init(url: "https://api.twilio.com/2010-04-01/Media/ME1", contentType: "image/jpeg")])
            else { throw TestSetupError("not in inbox") }
            _ = try await world.textIn(from: "5125550188", body: "STOP", to: number)
            // A reply still waiting in the outbox (no worker runs here) keeps its words.
            let queued = try await app.inbox.reply(
                to: conversation, body: "We'll be there Tuesday", by: world.dispatcher)
            clock.advance(by: 400 * 86_400)
            guard
                case .inbox(let recent, _, _) = try await world.textIn(
                    from: world.phone.number.e164, body: "Thanks again!", to: number)
            else { throw TestSetupError("not in inbox") }
            let ledgerBefore = try await Self.count(app, "SELECT count(*) AS n FROM consent_ledger")

            // Kept for ever by default: nothing happens.
            #expect(try await app.retention.sweep() == 0)
            await #expect(throws: FieldlineError.self) {
                _ = try await app.accounts.update(.init(messageRetentionMonths: 121), by: world.admin)
            }
            await #expect(throws: FieldlineError.forbidden(permission: "manage_account")) {
                _ = try await app.accounts.update(.init(messageRetentionMonths: 12), by: world.dispatcher)
            }
            let updated = try await app.accounts.update(.init(messageRetentionMonths: 12), by: world.admin)
            #expect(updated.messageRetentionMonths == 12)
            // The account as a signed-in page sees it (the session's own query) says so too.
            let session = try await app.accounts.signIn(
                email: "admin@northside.test", password: TestWorld.password, kind: .web)
            let signedIn = try await app.accounts.authenticate(token: session.token, kind: .web)
            #expect(signedIn.account == (try await app.accounts.find(account)))
            #expect(signedIn.account.messageRetentionMonths == 12)
            let swept = try await app.retention.sweep()
            #expect(swept >= 2, "the photo and the STOP with its confirmation")
            #expect(try await app.retention.sweep() == 0, "a swept text is not swept again")

            let messages = try await app.database.read { sql in
                try await MessageStore(sql).messages(ofConversation: conversation, in: account, limit: 50)
            }
            let oldMessage = try #require(messages.first { $0.id == old })
            #expect(oldMessage.body == "" && oldMessage.redactedAt == clock.now())
            #expect(messages.first { $0.id == recent }?.body == "Thanks again!")
            #expect(messages.first { $0.id == queued.id }?.body == "We'll be there Tuesday")
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM message_media") == 0)
            #expect(try await Self.count(app, "SELECT count(*) AS n FROM consent_ledger") == ledgerBefore)
            let audit = try await app.auditLog.entries(.init(action: "retention_changed"), by: world.admin)
            #expect(audit.first?.detail == "messages kept for ever → 12 months")

            // Back to for ever: nothing more is removed.
            _ = try await app.accounts.update(.init(messageRetentionMonths: 0), by: world.admin)
            #expect(try await app.accounts.find(account).messageRetentionMonths == nil)
        }
    }

    @Test(
        "Erasing a customer removes them, keeps their jobs and the ledger under a hash, and honours an old STOP",
        arguments: TestEngine.available)
    func erasure(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            let account = world.account.id
            let customer = world.customer
            let phone = world.phone.number
            let job = try await world.bookJob(technicians: [world.technician.id])
            _ = try await app.estimates.add(.init(summary: "New water heater"), to: customer.id, by: world.dispatcher)
            _ = try await app.customers.addEmail(
                "robert.c@example.net", jobNotifications: true, to: customer.id, by: world.dispatcher)
            _ = try await world.textIn(from: phone.e164, body: "Is the tech still coming?", to: number)
            _ = try await world.textIn(from: phone.e164, body: "STOP", to: number)
            let spare = try await app.customers.addLocation(
                .init(name: "Lake house", street: "12 Shore Rd", city: "Austin", state: "TX", postalCode: "78734"),
                to: customer.id, by: world.dispatcher)

            // Refused: the wrong name, someone who is not an admin.
            let wrong = await #expect(throws: FieldlineError.self) {
                _ = try await app.customers.erase(customer.id, confirmingName: "Robert", by: world.admin)
            }
            #expect(wrong?.message.contains("exactly") == true)
            await #expect(throws: FieldlineError.forbidden(permission: "manage_account")) {
                _ = try await app.customers.erase(customer.id, confirmingName: customer.name, by: world.dispatcher)
            }

            let erased = try await app.customers.erase(
                customer.id, confirmingName: "  " + customer.name.uppercased() + " ", by: world.admin)
            #expect(erased.numbers == 1 && erased.emails == 2 && erased.jobsKept == 1 && erased.estimates == 1)
            #expect(erased.messages >= 3, "two texts in and the STOP confirmation")
            #expect(erased.locationsBlanked == 1 && erased.locationsRemoved == 1)

            let detail = try await app.customers.detail(customer.id, by: world.admin)
            #expect(detail.customer.name == Customer.erasedName && detail.customer.erasedAt != nil)
            #expect(detail.phones.isEmpty && detail.emails.isEmpty && detail.estimates.isEmpty)
            #expect(detail.jobs.map(\.id) == [job.id], "the job stays for the books")
            #expect(detail.locations.count == 1 && detail.locations.first?.address.city == "")
            #expect(detail.locations.first?.id != spare.id, "the location no job needed is gone")
            #expect(try await app.customers.search(customer.name, by: world.admin).isEmpty)
            #expect(!(try await app.customers.search("", by: world.admin)).contains { $0.customer.id == customer.id })
            #expect(
                try await Self.count(app, "SELECT count(*) AS n FROM messages WHERE phone = \(bind: phone.e164)") == 0)
            #expect(
                try await Self.count(app, "SELECT count(*) AS n FROM conversations WHERE phone = \(bind: phone.e164)")
                    == 0)
            // The ledger keeps every row, none with the number in it.
            let ledger = try await app.database.read { sql in
                try await sql.raw("SELECT phone FROM consent_ledger WHERE account_id = \(bind: account.rawValue)").all()
                    .map { try $0.decode(column: "phone", as: String.self) }
            }
            #expect(!ledger.contains(phone.e164))
            #expect(ledger.contains { $0.hasPrefix("erased:") })
            // The audit log says what happened, without saying who it was.
            let entry = try #require(
                try await app.auditLog.entries(.init(action: "customer_erased"), by: world.admin).first)
            #expect(entry.subject == "customer \(customer.id.rawValue)")
            #expect(!(entry.detail ?? "").contains(customer.name) && entry.detail?.contains("1 job kept") == true)

            // Nothing more happens to an erased customer.
            await #expect(throws: FieldlineError.self) {
                _ = try await app.customers.erase(customer.id, confirmingName: Customer.erasedName, by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                _ = try await app.customers.addPhone(.init(number: "5125550142"), to: customer.id, by: world.admin)
            }

            // The number texts again: its old STOP is its own again before anything is decided,
            // so the office's answer is refused as to anyone opted out.
            guard
                case .inbox(_, let returned, _) = try await world.textIn(
                    from: phone.e164, body: "Hi, it's me again", to: number)
            else { throw TestSetupError("not in inbox") }
            let relinked = try await app.database.read { sql in
                try await ConsentStore(sql).consent(of: phone, in: account)
            }
            #expect(relinked.optedOut, "an erased customer's opt-out holds when the number texts in")
            await #expect(throws: FieldlineError.self) {
                _ = try await app.inbox.reply(to: returned, body: "Welcome back!", by: world.dispatcher)
            }

            // The number comes back on a new customer: its STOP still holds.
            let again = try await app.customers.create(
                .init(name: "Robert Castellanos Jr.", phones: [.init(number: phone.e164)]), by: world.dispatcher)
            let consent = try await app.database.read { sql in
                try await ConsentStore(sql).consent(of: phone, in: account)
            }
            #expect(consent.optedOut, "an erased customer's opt-out is honoured when the number returns")
            #expect(again.erasedAt == nil)
        }
    }

    @Test(
        "An erased customer's old STOP refuses a text the office starts to the number, before it ever texts in",
        arguments: TestEngine.available)
    func erasedOptOutHoldsForOutbound(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, main in
            let phone = world.phone.number
            _ = try await world.textIn(from: phone.e164, body: "STOP", to: main)
            _ = try await app.customers.erase(world.customer.id, confirmingName: world.customer.name, by: world.admin)
            _ = try await app.triggeredCampaigns.save(.missedCall, .init(enabled: true), by: world.admin)
            try await OutboxWorker(app: app).drain()
            let sentBefore = fake.sent.count

            let call = TriggeredCampaigns.Call(callID: "CA" + FakeTwilio.hex(32), from: phone, to: main)
            #expect(try await app.triggeredCampaigns.textBack(call) == .skipped("opted_out"))
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.count == sentBefore, "nothing went to the number that had opted out")
            let consent = try await app.database.read { sql in
                try await ConsentStore(sql).recordedConsent(of: phone, in: world.account.id)
            }
            #expect(consent?.optedOut == true, "the kept opt-out is the number's own again")

            // A caller who never opted out is texted back as before.
            let stranger = try PhoneNumber.parse("(512) 555-0177")
            guard
                case .queued = try await app.triggeredCampaigns.textBack(
                    .init(callID: "CA" + FakeTwilio.hex(32), from: stranger, to: main))
            else {
                Issue.record("A new caller was not texted back.")
                return
            }
        }
    }
}
