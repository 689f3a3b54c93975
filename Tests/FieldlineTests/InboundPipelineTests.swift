import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

@Suite("The inbound pipeline: dedupe, blocked, staff, keywords, threads, autoresponder")
struct InboundPipelineTests {
    @Test("A customer's text opens an unread conversation tied to their next job", arguments: TestEngine.available)
    func opensConversation(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            let job = try await world.bookJob(hoursFromNow: 4)
            let outcome = try await world.textIn(from: "512-555-0142", body: "Is the plumber coming?", to: number)
            guard case .inbox(let messageID, let conversationID, let keyword) = outcome else {
                Issue.record("Expected the inbox, got \(outcome)")
                return
            }
            #expect(keyword == nil)
            let detail = try await app.inbox.detail(conversationID, by: world.dispatcher)
            #expect(detail.conversation.unread && detail.conversation.awaitingReply)
            #expect(detail.conversation.jobID == job.id)
            #expect(detail.customer?.id == world.customer.id)
            let messages = try await app.inbox.messages(of: conversationID, by: world.dispatcher)
            #expect(messages.map(\.message.id) == [messageID])
            #expect(messages.first?.message.author.name == "Robert Castellanos")
            #expect(try await app.inbox.unreadCount(by: world.dispatcher) == 1)
        }
    }

    @Test("A webhook retried with the same MessageSid stores nothing new", arguments: TestEngine.available)
    func duplicate(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            let sid = "SM" + FakeTwilio.hex(32)
            _ = try await world.textIn(from: "(512) 555-0142", body: "Hello", to: number, sid: sid)
            let again = try await world.textIn(from: "(512) 555-0142", body: "Hello", to: number, sid: sid)
            #expect(again == .duplicate)
            let conversation = try #require(try await app.inbox.list(status: .open, by: world.dispatcher).first)
            #expect(try await app.inbox.messages(of: conversation.conversation.id, by: world.dispatcher).count == 1)
        }
    }

    @Test(
        "A blocked number's text stays out of the inbox but is kept for the audit log", arguments: TestEngine.available)
    func blocked(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            guard
                case .inbox(_, let conversationID, _) = try await world.textIn(
                    from: "5125550199", body: "Buy crypto", to: number)
            else { throw TestSetupError("not in inbox") }
            _ = try await app.inbox.block(conversationID, by: world.dispatcher)
            let outcome = try await world.textIn(from: "5125550199", body: "Last chance!!", to: number)
            guard case .blocked(let id) = outcome else { throw TestSetupError("Expected blocked, got \(outcome)") }
            let stored = try await app.database.read { sql in try await MessageStore(sql).find(id, in: world.account.id)
            }
            #expect(stored?.disposition == .blocked && stored?.conversationID == nil)
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).isEmpty)
            #expect(try await app.inbox.unreadCount(by: world.dispatcher) == 0)
        }
    }

    @Test("Texts from a technician's or employee's number go to the dispatch board", arguments: TestEngine.available)
    func staffNumbers(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            let outcome = try await world.textIn(from: "(512) 555-0131", body: "Running 10 min late", to: number)
            guard case .dispatchBoard = outcome else { throw TestSetupError("Expected the board, got \(outcome)") }
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).isEmpty)
            let board = try await app.inbox.dispatchBoard(by: world.dispatcher)
            #expect(board.map(\.message.body) == ["Running 10 min late"])
            #expect(board.first?.message.author.name == "Luis Romero")
            #expect(board.first?.message.author.kind == .employee)
        }
    }

    @Test(
        "STOP opts the number out with exactly one confirmation; replies are then refused",
        arguments: TestEngine.available)
    func stop(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            guard
                case .inbox(_, let conversationID, .optOut?) = try await world.textIn(
                    from: "5125550142", body: " Stop ", to: number)
            else { throw TestSetupError("STOP was not recognised") }
            _ = try await world.textIn(from: "5125550142", body: "STOP", to: number)
            try await OutboxWorker(app: app).drain()
            let sent = fake.sent(to: "+15125550142")
            #expect(sent.count == 1)
            #expect(sent.first?.body.contains("unsubscribed") == true)
            await #expect(
                throws: FieldlineError.conflict(
                    code: .optedOut,
                    message: "(512) 555-0142 has opted out of texts (they texted STOP). They can text START to resume.")
            ) {
                try await app.inbox.reply(to: conversationID, body: "Are you sure?", by: world.dispatcher)
            }
            let ledger = try await app.consent.ledger(of: world.phone.number, by: world.dispatcher)
            #expect(ledger.map(\.change.to) == ["opted_out"])
            #expect(ledger.first?.method == "keyword")
        }
    }

    @Test(
        "A revocation in the customer's own words acts as STOP does: consent, one confirmation, the ledger with the text",
        arguments: TestEngine.available)
    func revocationInOwnWords(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            // About the job: an ordinary message, nothing changes.
            guard
                case .inbox(_, _, nil) = try await world.textIn(
                    from: "5125550142", body: "Can you stop by at 3? The leak won't stop", to: number)
            else { throw TestSetupError("a message about the job was read as a keyword") }
            let words = "Thanks for fixing the sink. Please stop sending me these texts though 🙏"
            guard
                case .inbox(let messageID, let conversationID, .optOut?) = try await world.textIn(
                    from: "5125550142", body: words, to: number)
            else { throw TestSetupError("the revocation was not recognised") }
            _ = try await world.textIn(from: "5125550142", body: "no more messages!!", to: number)
            try await OutboxWorker(app: app).drain()
            let sent = fake.sent(to: "+15125550142")
            #expect(sent.count == 1, "one confirmation, however many times they ask")
            #expect(sent.first?.body.contains("unsubscribed") == true)
            #expect(try await app.consent.consent(of: world.phone.number, by: world.dispatcher).optedOut)
            await #expect(throws: FieldlineError.self) {
                try await app.inbox.reply(to: conversationID, body: "Sorry to see you go", by: world.dispatcher)
            }
            let ledger = try await app.consent.ledger(of: world.phone.number, by: world.dispatcher)
            #expect(ledger.map(\.change.to) == ["opted_out"])
            #expect(ledger.first?.method == "own_words")
            #expect(ledger.first?.messageID == messageID)
            #expect(ledger.first?.messageBody == words)
        }
    }

    @Test(
        "A blocked number's 'please unsubscribe me' still opts it out, without an answer",
        arguments: TestEngine.available)
    func blockedOwnWords(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            guard
                case .inbox(_, let conversationID, _) = try await world.textIn(
                    from: "5125550142", body: "You people are useless", to: number)
            else { throw TestSetupError("not in inbox") }
            _ = try await app.inbox.block(conversationID, by: world.dispatcher)
            guard
                case .blocked = try await world.textIn(from: "5125550142", body: "Please unsubscribe me", to: number)
            else { throw TestSetupError("not blocked") }
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent(to: "+15125550142").isEmpty)
            #expect(try await app.consent.consent(of: world.phone.number, by: world.dispatcher).optedOut)
        }
    }

    @Test("START resumes texting with one confirmation; HELP is answered", arguments: TestEngine.available)
    func startAndHelp(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            _ = try await world.textIn(from: "5125550142", body: "stop", to: number)
            _ = try await world.textIn(from: "5125550142", body: "unstop", to: number)
            _ = try await world.textIn(from: "5125550142", body: "HELP", to: number)
            guard
                case .inbox(_, let conversationID, nil) = try await world.textIn(
                    from: "5125550142", body: "Thanks", to: number)
            else { throw TestSetupError("not in inbox") }
            _ = try await app.inbox.reply(to: conversationID, body: "You're welcome!", by: world.dispatcher)
            try await OutboxWorker(app: app).drain()
            let bodies = fake.sent(to: "+15125550142").map(\.body)
            #expect(bodies.count == 4)
            #expect(bodies[0].contains("unsubscribed"))
            #expect(bodies[1].contains("subscribed to texts again"))
            #expect(bodies[2].contains("customer care") && bodies[2].contains("(512) 555-0300"))
            #expect(bodies[3] == "You're welcome!")
        }
    }

    @Test("HELP from an opted-out number gets no answer", arguments: TestEngine.available)
    func helpWhileOptedOut(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            _ = try await world.textIn(from: "5125550142", body: "stop", to: number)
            _ = try await world.textIn(from: "5125550142", body: "help", to: number)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent(to: "+15125550142").count == 1)
        }
    }

    @Test(
        "STOP to the marketing number ends marketing only: replies and job notices still arrive",
        arguments: TestEngine.available)
    func marketingStop(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            let marketing = try await world.addMarketingNumber(twilio: fake)
            _ = try await world.textIn(from: "5125550142", body: "STOP", to: marketing)
            let consent = try await app.consent.consent(of: world.phone.number, by: world.dispatcher)
            #expect(!consent.optedOut && consent.marketing == .optedOut)
            guard
                case .inbox(_, let conversationID, nil) = try await world.textIn(
                    from: "5125550142", body: "Hi", to: number)
            else { throw TestSetupError("not in inbox") }
            _ = try await app.inbox.reply(to: conversationID, body: "Hello Robert", by: world.dispatcher)
            _ = try await app.messenger.send(
                OutboundText(
                    accountID: world.account.id, to: world.phone.number, body: "Luis is on the way",
                    purpose: .transactional, author: .automated(.dispatchNotice), thread: .joinIfExists))
            await #expect(throws: FieldlineError.self) {
                try await app.messenger.send(
                    OutboundText(
                        accountID: world.account.id, to: world.phone.number, body: "Tune-ups $20 off",
                        purpose: .marketing, author: .automated(.campaign), thread: .joinIfExists))
            }
            try await OutboxWorker(app: app).drain()
            let sent = fake.sent(to: "+15125550142")
            #expect(
                sent.filter { $0.from == TestWorld.marketingNumber }.map { $0.body.contains("promotional") } == [true])
            #expect(
                sent.filter { $0.from == TestWorld.mainNumber }.map(\.body) == ["Hello Robert", "Luis is on the way"])
        }
    }

    @Test("A new text reopens a closed conversation as unread", arguments: TestEngine.available)
    func reopens(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            guard case .inbox(_, let id, _) = try await world.textIn(from: "5125550142", body: "Hi", to: number) else {
                throw TestSetupError("not in inbox")
            }
            _ = try await app.inbox.close(id, by: world.dispatcher)
            #expect(try await app.inbox.list(status: .closed, by: world.dispatcher).map(\.conversation.id) == [id])
            _ = try await world.textIn(from: "5125550142", body: "One more thing", to: number)
            let open = try await app.inbox.list(status: .open, by: world.dispatcher)
            #expect(open.map(\.conversation.id) == [id])
            #expect(open.first?.state == .unread)
        }
    }

    @Test(
        "Outside business hours: one automatic reply per conversation per closed period",
        arguments: TestEngine.available)
    func autoresponder(engine: TestEngine) async throws {
        // Monday 23 Nov 2026, 20:00 in Chicago: closed.
        let clock = TestClock(Date(timeIntervalSince1970: 1_795_485_600))
        try await engine.withChatWorld(clock: clock) { app, world, fake, number in
            _ = try await app.accounts.update(
                .init(autoreplyEnabled: true, autoreplyText: "We're closed; back at 8."), by: world.admin)
            _ = try await world.textIn(from: "5125550142", body: "Hello?", to: number)
            clock.advance(by: 3600)
            _ = try await world.textIn(from: "5125550142", body: "Anyone?", to: number)
            clock.advance(by: 14 * 3600)  // Tuesday 11:00: open
            _ = try await world.textIn(from: "5125550142", body: "Morning!", to: number)
            clock.advance(by: 8 * 3600)  // Tuesday 19:00: closed again, a new period
            _ = try await world.textIn(from: "5125550142", body: "Evening", to: number)
            try await OutboxWorker(app: app).drain()
            #expect(
                fake.sent(to: "+15125550142").map(\.body) == ["We're closed; back at 8.", "We're closed; back at 8."])
            let thread = try #require(try await app.inbox.list(status: .open, by: world.dispatcher).first)
            #expect(thread.state == .unread)
        }
    }

    @Test(
        "Media to an MMS number waits to be fetched; to another number it is recorded as not supported",
        arguments: TestEngine.available)
    func media(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            let url = fake.hostMedia(Data([0x89, 0x50, 0x4E, 0x47]), contentType: "image/png")
            guard
                case .inbox(let messageID, let id, _) = try await world.textIn(
                    from: "5125550142", body: "", to: number, media: [.init(url: url, contentType: "image/png")])
            else { throw TestSetupError("not in inbox") }
            #expect(try await MediaFetcher(app: app).fetchDue() == 1)
            let entry = try #require(try await app.inbox.messages(of: id, by: world.dispatcher).first)
            #expect(entry.message.id == messageID && entry.media.first?.state == .stored)
            let (media, data) = try await app.inbox.media(try #require(entry.media.first?.id), by: world.dispatcher)
            #expect(media.contentType == "image/png" && data == Data([0x89, 0x50, 0x4E, 0x47]))

            let plain = try await app.senderNumbers.add(
                .init(number: "+15125550309", provider: "console", chat: true, mms: false), by: world.admin)
            _ = try await world.textIn(
                from: "5125550177", body: "pic", to: plain, media: [.init(url: url, contentType: "image/jpeg")])
            let other = try #require(try await app.inbox.list(status: .open, query: "0177", by: world.dispatcher).first)
            let otherEntry = try #require(
                try await app.inbox.messages(of: other.conversation.id, by: world.dispatcher).first)
            #expect(otherEntry.media.first?.state == .notSupported)
        }
    }

    @Test(
        "A webhook's media URL is fetched only from Twilio's hosts, under the number's own account, never elsewhere",
        arguments: TestEngine.available)
    func mediaOnlyFromTheProvider(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            try await InternalService.running { service in
                let port = URLComponents(string: service.baseURL)?.port ?? 0
                let good = fake.hostMedia(Data([0x89, 0x50, 0x4E, 0x47]), contentType: "image/png")
                let attacks = [
                    service.baseURL + "/admin",
                    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                    "http://2130706433:\(port)/admin",
                    "file:///etc/passwd",
                    fake.hostMediaRedirecting(to: service.baseURL + "/admin"),
                    fake.hostMediaRedirecting(to: "http://[::ffff:127.0.0.1]:\(port)/"),
                    fake.hostMediaRedirecting(to: "https://169.254.169.254/latest/meta-data/"),
                    // Another Twilio account's media, on the provider's own host.
                    good.replacingOccurrences(of: fake.accountSID, with: "AC" + FakeTwilio.hex(32)),
                ]
                var conversations: [String: ConversationID] = [:]
                for (index, url) in ([good] + attacks).enumerated() {
                    let outcome = try await world.textIn(
                        from: "512555\(1000 + index)", body: "", to: number,
                        media: [.init(url: url, contentType: "image/png")])
                    guard case .inbox(_, let conversation, _) = outcome else { throw TestSetupError("not in inbox") }
                    conversations[url] = conversation
                }
                #expect(try await MediaFetcher(app: app).fetchDue(limit: 20) == attacks.count + 1)
                func state(_ url: String) async throws -> MessageMedia.State? {
                    guard let conversation = conversations[url] else { return nil }
                    return try await app.inbox.messages(of: conversation, by: world.dispatcher).first?.media.first?
                        .state
                }
                #expect(try await state(good) == .stored)
                for url in attacks {
                    let result = try await state(url)
                    #expect(result == .failed, "\(url) was \(String(describing: result))")
                }
                #expect(service.requests == 0)
                // The file store got the redirect's request without the account's credentials.
                #expect(fake.fileRequests.count == 1 && fake.fileRequests.first?.authorization == nil)
                // Refused for good: nothing is tried again later.
                #expect(try await MediaFetcher(app: app).fetchDue(limit: 20) == 0)
            }
        }
    }
}
