import FieldlineCore
import FieldlineProviders
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

@testable import Fieldline

@Suite("The outbound gate and the outbox: checks, sending, retries, reconciling")
struct OutboundTests {
    func dispatchNotice(_ world: TestWorld, body: String = "Luis is on the way") -> OutboundText {
        OutboundText(
            accountID: world.account.id, to: world.phone.number, body: body, purpose: .transactional,
            author: .automated(.dispatchNotice), thread: .joinIfExists)
    }

    func message(_ app: Fieldline, _ id: MessageID, _ world: TestWorld) async throws -> Message? {
        try await app.database.read { sql in try await MessageStore(sql).find(id, in: world.account.id) }
    }

    @Test("An automatic text joins the thread only when one exists (CH11)", arguments: TestEngine.available)
    func automatedJoinsExistingThreadsOnly(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            let alone = try await app.messenger.send(dispatchNotice(world))
            #expect(alone.conversation == nil && alone.message.conversationID == nil)
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).isEmpty)
            guard case .inbox(_, let id, _) = try await world.textIn(from: "5125550142", body: "Hi", to: number) else {
                throw TestSetupError("not in inbox")
            }
            let joined = try await app.messenger.send(dispatchNotice(world, body: "Priya is on the way"))
            #expect(joined.message.conversationID == id)
            let thread = try await app.inbox.detail(id, by: world.dispatcher).conversation
            #expect(thread.unread && thread.awaitingReply)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent(to: "+15125550142").count == 2)
        }
    }

    @Test("The gate refuses what must not go, each with its own reason", arguments: TestEngine.available)
    func refusals(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, _ in
            var long = dispatchNotice(world, body: String(repeating: "a", count: 161))
            await #expect(
                throws: FieldlineError.invalid(
                    field: "body", message: "Messages are at most 160 characters; this one has 161.")
            ) {
                try await app.messenger.send(long)
            }
            long.body = "A photo"
            long.attachmentCount = 1
            await #expect(throws: FieldlineError.self) { try await app.messenger.send(long) }
            _ = try await app.customers.updatePhone(world.phone.id, .init(jobNotifications: false), by: world.admin)
            do {
                try await app.messenger.send(dispatchNotice(world))
                Issue.record("A job notice went to a number with job notifications off")
            } catch let error as FieldlineError {
                #expect(error.code == "job_notifications_off")
            }
            var promo = dispatchNotice(world, body: "20% off")
            promo.purpose = .marketing
            do {
                try await app.messenger.send(promo)
                Issue.record("Marketing went out without a marketing number or consent")
            } catch let error as FieldlineError {
                #expect(error.code == "no_marketing_consent")
            }
        }
    }

    @Test("Without a texting number the gate says how to set one up", arguments: TestEngine.available)
    func noNumber(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            do {
                try await app.messenger.send(dispatchNotice(world))
                Issue.record("sent without a number")
            } catch let error as FieldlineError {
                #expect(error.code == "no_sender_number")
            }
        }
    }

    @Test("Marketing waits for quiet hours to end instead of being dropped", arguments: TestEngine.available)
    func quietHours(engine: TestEngine) async throws {
        // 22:00 in Chicago.
        let clock = TestClock(Date(timeIntervalSince1970: 1_795_492_800))
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            _ = try await world.addMarketingNumber(twilio: fake)
            _ = try await world.textIn(
                from: "5125550142", body: "START",
                to: try #require(try await app.senderNumbers.all(by: world.admin).first { $0.marketing }))
            _ = try await app.customers.updatePhone(world.phone.id, .init(marketingUpdates: true), by: world.admin)
            try await OutboxWorker(app: app).drain()
            let confirmations = fake.sent.count
            var promo = dispatchNotice(world, body: "Furnace tune-up, $89 this week. Reply STOP to opt out")
            promo.purpose = .marketing
            promo.author = .automated(.campaign)
            let queued = try await app.messenger.send(promo)
            #expect(queued.sendAt > clock.now())
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.count == confirmations)
            clock.set(queued.sendAt)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.count == confirmations + 1)
        }
    }

    @Test("A sent text records the provider id; callbacks move it to delivered", arguments: TestEngine.available)
    func deliveredFlow(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, _ in
            let queued = try await app.messenger.send(dispatchNotice(world))
            #expect(try await OutboxWorker(app: app).drain() == 1)
            let sent = try #require(fake.sent.first)
            #expect(sent.statusCallback == "http://fieldline.test/webhooks/twilio/status")
            var stored = try #require(try await message(app, queued.message.id, world))
            #expect(stored.providerMessageID == sent.sid && stored.status == .sending)
            try await app.deliveryReports.record(
                .init(providerMessageID: sent.sid, status: "delivered", errorCode: nil, errorMessage: nil),
                for: world.account.id)
            try await app.deliveryReports.record(
                .init(providerMessageID: sent.sid, status: "sent", errorCode: nil, errorMessage: nil),
                for: world.account.id)
            stored = try #require(try await message(app, queued.message.id, world))
            #expect(stored.status == .delivered)
        }
    }

    @Test("A callback that beats the worker's record is held and applied", arguments: TestEngine.available)
    func earlyCallback(engine: TestEngine) async throws {
        try await engine.withChatWorld(callbacks: false) { app, world, fake, _ in
            fake.setBehavior(.deliver, for: "+15125550142")
            let queued = try await app.messenger.send(dispatchNotice(world))
            // The report arrives for a sid Fieldline has not recorded yet…
            try await OutboxWorker(app: app).drain()
            let sid = try #require(fake.sent.first?.sid)
            try await app.database.write { sql in
                try await MessageStore(sql).holdReport(
                    .init(providerMessageID: "SMfuture", status: "delivered", errorCode: nil, errorMessage: nil),
                    in: world.account.id, at: Date())
            }
            try await app.deliveryReports.record(
                .init(providerMessageID: sid, status: "delivered", errorCode: nil, errorMessage: nil),
                for: world.account.id)
            #expect(try await message(app, queued.message.id, world)?.status == .delivered)
            let held = try await app.database.write { sql in
                try await MessageStore(sql).takeHeldReport(providerMessageID: "SMfuture", in: world.account.id)
            }
            #expect(held?.status == "delivered")
        }
    }

    @Test("Early reports that arrive out of order keep the most advanced one", arguments: TestEngine.available)
    func earlyReportsOutOfOrder(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            for status in ["delivered", "sent", "queued"] {
                try await app.deliveryReports.record(
                    .init(providerMessageID: "SMearly", status: status, errorCode: nil, errorMessage: nil),
                    for: world.account.id)
            }
            try await app.deliveryReports.record(
                .init(providerMessageID: "SMlate", status: "sent", errorCode: nil, errorMessage: nil),
                for: world.account.id)
            try await app.deliveryReports.record(
                .init(providerMessageID: "SMlate", status: "undelivered", errorCode: "30006", errorMessage: nil),
                for: world.account.id)
            let (early, late) = try await app.database.write { sql in
                (
                    try await MessageStore(sql).heldReport(providerMessageID: "SMearly", in: world.account.id),
                    try await MessageStore(sql).heldReport(providerMessageID: "SMlate", in: world.account.id)
                )
            }
            #expect(early?.status == "delivered")
            #expect(late?.status == "undelivered" && late?.errorCode == "30006")
        }
    }

    @Test(
        "30006 marks the number a landline and the text cannot be resent; other failures can",
        arguments: TestEngine.available)
    func landline(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            guard case .inbox(_, let id, _) = try await world.textIn(from: "5125550142", body: "Hi", to: number) else {
                throw TestSetupError("not in inbox")
            }
            let reply = try await app.inbox.reply(to: id, body: "Hello!", by: world.dispatcher)
            try await OutboxWorker(app: app).drain()
            let sid = try #require(fake.sent.first?.sid)
            try await app.deliveryReports.record(
                .init(providerMessageID: sid, status: "undelivered", errorCode: "30006", errorMessage: "Landline"),
                for: world.account.id)
            let stored = try #require(try await message(app, reply.id, world))
            #expect(stored.status == .undelivered && !stored.isResendable)
            #expect(try await app.customers.detail(world.customer.id, by: world.admin).phones.first?.kind == .landline)
            await #expect(throws: FieldlineError.self) { try await app.inbox.resend(reply.id, by: world.dispatcher) }
            // The gate now knows the line type: a new text to the number is refused before it is written.
            await #expect(
                throws: FieldlineError.conflict(
                    code: .landline, message: "(512) 555-0142 is a landline; it cannot receive or answer a text.")
            ) {
                try await app.inbox.reply(to: id, body: "Trying again", by: world.dispatcher)
            }

            // Then the customer texts again: a number that texts is no landline (30006 also means
            // "carrier unreachable"), and the reply goes.
            _ = try await world.textIn(from: "5125550142", body: "I'm here, text me", to: number)
            #expect(try await app.customers.detail(world.customer.id, by: world.admin).phones.first?.kind == .mobile)
            _ = try await app.inbox.reply(to: id, body: "Sorry, on our way", by: world.dispatcher)

            guard case .inbox(_, let other, _) = try await world.textIn(from: "5125550143", body: "Hi", to: number)
            else { throw TestSetupError("not in inbox") }
            let second = try await app.inbox.reply(to: other, body: "Trying again", by: world.dispatcher)
            try await OutboxWorker(app: app).drain()
            let secondSid = try #require(fake.sent.last?.sid)
            try await app.deliveryReports.record(
                .init(providerMessageID: secondSid, status: "undelivered", errorCode: "30003", errorMessage: nil),
                for: world.account.id)
            let again = try await app.inbox.resend(second.id, by: world.dispatcher)
            #expect(again.resendOf == second.id && again.body == "Trying again")
        }
    }

    @Test("A synchronous 21610 marks the number opted out and nothing more goes to it", arguments: TestEngine.available)
    func unsubscribedAtProvider(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, _ in
            fake.setBehavior(.unsubscribed, for: "+15125550142")
            let queued = try await app.messenger.send(dispatchNotice(world))
            try await OutboxWorker(app: app).drain()
            let stored = try #require(try await message(app, queued.message.id, world))
            #expect(stored.status == .failed && stored.errorCode == "21610")
            #expect(try await app.consent.consent(of: world.phone.number, by: world.admin).optedOut)
            await #expect(throws: FieldlineError.self) { try await app.messenger.send(dispatchNotice(world)) }
            let ledger = try await app.consent.ledger(of: world.phone.number, by: world.admin)
            #expect(ledger.first?.method == "provider")
        }
    }

    @Test("A 500 before Twilio created the text: reconciled, found missing, sent once", arguments: TestEngine.available)
    func serverErrorNothingCreated(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, _ in
            fake.setBehavior(.serverError(times: 1), for: "+15125550142")
            let queued = try await app.messenger.send(dispatchNotice(world))
            let worker = OutboxWorker(app: app)
            try await worker.drain()
            #expect(fake.sent.isEmpty && fake.sendRequests == 1)
            try await worker.drain()  // reconciles (nothing at Twilio), then sends
            #expect(fake.sent.count == 1)
            #expect(try await message(app, queued.message.id, world)?.providerMessageID == fake.sent.first?.sid)
            try await worker.drain()
            #expect(fake.sent.count == 1)
        }
    }

    @Test("A 500 after Twilio created the text: reconciled, found, never sent twice", arguments: TestEngine.available)
    func serverErrorAfterCreating(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, _ in
            fake.setBehavior(.serverErrorAfterCreating(times: 3), for: "+15125550142")
            let queued = try await app.messenger.send(dispatchNotice(world))
            let worker = OutboxWorker(app: app)
            try await worker.drain()
            try await worker.drain()
            try await worker.drain()
            #expect(fake.sent.count == 1 && fake.sendRequests == 1)
            let stored = try #require(try await message(app, queued.message.id, world))
            #expect(stored.providerMessageID == fake.sent.first?.sid && stored.status == .sent)
            #expect(try await app.database.read { sql in try await OutboxStore(sql).count() } == 0)
        }
    }

    @Test("A timeout after Twilio created the text is reconciled, not resent", arguments: TestEngine.available)
    func timeout(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, _ in
            fake.setBehavior(.slowAfterCreating(seconds: 3, times: 1), for: "+15125550142")
            let queued = try await app.messenger.send(dispatchNotice(world))
            let worker = OutboxWorker(app: app)
            try await worker.drain()
            try await worker.drain()
            #expect(fake.sent.count == 1)
            #expect(try await message(app, queued.message.id, world)?.providerMessageID == fake.sent.first?.sid)
        }
    }

    @Test("429 puts the text back with backoff; it goes once the wait is over", arguments: TestEngine.available)
    func rateLimited(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            fake.setBehavior(.rateLimited(times: 1), for: "+15125550142")
            _ = try await app.messenger.send(dispatchNotice(world))
            let worker = OutboxWorker(app: app)
            try await worker.drain()
            #expect(fake.sent.isEmpty)
            try await worker.drain()
            #expect(fake.sent.isEmpty)
            clock.advance(by: 3)
            try await worker.drain()
            #expect(fake.sent.count == 1)
        }
    }

    @Test(
        "A row claimed by a worker that died is reconciled by the next one, sent exactly once",
        arguments: TestEngine.available)
    func crashMidSend(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, _ in
            let first = try await app.messenger.send(dispatchNotice(world, body: "First"))
            let second = try await app.messenger.send(dispatchNotice(world, body: "Second"))
            let sender = try #require(try await app.senderNumbers.all(by: world.admin).first?.id)
            let dead = OutboxWorker(app: app, workerID: "dead-worker")
            // The dead worker claimed both; it got "First" to Twilio and died before recording it.
            for _ in 0..<2 {
                guard case .claimed = try await dead.claim(from: sender, at: app.clock.now(), respectPacing: false)
                else {
                    throw TestSetupError("nothing to claim")
                }
            }
            _ = try await app.sms.provider(for: .twilio).send(
                .init(
                    from: try PhoneNumber.parse(TestWorld.mainNumber), to: world.phone.number, body: "First",
                    statusCallbackURL: nil),
                credentials: fake.credentials)
            let sentFirst = try #require(fake.sent.first)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.map(\.body) == ["First", "Second"])
            #expect(try await message(app, first.message.id, world)?.providerMessageID == sentFirst.sid)
            #expect(try await message(app, second.message.id, world)?.providerMessageID == fake.sent.last?.sid)
        }
    }

    @Test("A text queued before the customer texted STOP is canceled, not sent", arguments: TestEngine.available)
    func consentChangedWhileQueued(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            let queued = try await app.messenger.send(dispatchNotice(world))
            _ = try await world.textIn(from: "5125550142", body: "STOP", to: number)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent(to: "+15125550142").map { $0.body.contains("unsubscribed") } == [true])
            #expect(try await message(app, queued.message.id, world)?.status == .canceled)
        }
    }

    @Test("Removing a number cancels what was queued on it, visibly", arguments: TestEngine.available)
    func removeNumber(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            let queued = try await app.messenger.send(dispatchNotice(world))
            try await app.senderNumbers.remove(number.id, by: world.admin)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.isEmpty)
            let stored = try #require(try await message(app, queued.message.id, world))
            #expect(stored.status == .canceled && stored.errorMessage?.contains("removed") == true)
        }
    }

    @Test("Two workers draining one queue hand each text to Twilio once", arguments: TestEngine.available)
    func concurrentWorkers(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            for index in 0..<30 {
                let phone = "+1512555\(String(format: "%04d", 2000 + index))"
                _ = try await app.customers.create(
                    .init(name: "Customer \(index)", phones: [.init(number: phone)]), by: world.admin)
                try await app.messenger.send(
                    OutboundText(
                        accountID: world.account.id, to: try PhoneNumber.parse(phone), body: "Reminder \(index)",
                        purpose: .transactional, author: .automated(.reminder), thread: .joinIfExists))
            }
            async let one = OutboxWorker(app: app, workerID: "one").drain()
            async let two = OutboxWorker(app: app, workerID: "two").drain()
            _ = try await (one, two)
            #expect(fake.sent.count == 30)
            #expect(Set(fake.sent.map(\.to)).count == 30)
            _ = number
        }
    }

    @Test(
        "The sender number's credentials are sealed at rest and never readable as stored",
        arguments: TestEngine.available)
    func sealedCredentials(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            let sealed = try await app.database.read { sql in
                try await SenderNumberStore(sql).find(number.id, in: world.account.id)?.sealedSecret
            }
            #expect(sealed != nil && sealed?.contains(fake.authToken) == false)
            #expect(number.hasCredentials)
        }
    }
}
