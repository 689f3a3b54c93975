import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

@Suite("The shared inbox: order, search, shared state, the number behind a thread")
struct InboxTests {
    @Test("CH2 order from the database: unread, then read-unanswered, then answered", arguments: TestEngine.available)
    func order(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withChatWorld(clock: clock) { app, world, _, number in
            func thread(_ from: String) async throws -> ConversationID {
                clock.advance(by: 60)
                guard case .inbox(_, let id, _) = try await world.textIn(from: from, body: "Hi", to: number) else {
                    throw TestSetupError("not in inbox")
                }
                return id
            }
            let answered = try await thread("5125550201")
            let waiting = try await thread("5125550202")
            let unreadOld = try await thread("5125550203")
            let unreadNew = try await thread("5125550204")
            _ = try await app.inbox.markRead(waiting, by: world.dispatcher)
            clock.advance(by: 60)
            _ = try await app.inbox.reply(to: answered, body: "On it", by: world.dispatcher)
            let open = try await app.inbox.list(status: .open, by: world.dispatcher)
            #expect(open.map(\.conversation.id) == [unreadNew, unreadOld, waiting, answered])
            #expect(open.map(\.state) == [.unread, .unread, .awaitingReply, .answered])
            _ = try await app.inbox.markUnread(answered, by: world.dispatcher)
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).first?.conversation.id == answered)
            let page = try await app.inbox.list(
                status: .open, paging: try Paging(limit: 2, offset: 2), by: world.dispatcher)
            #expect(page.count == 2)
        }
    }

    @Test(
        "CH9: search by any spelling of the number, the customer's name, or the address",
        arguments: TestEngine.available)
    func search(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            _ = try await world.textIn(from: "5125550142", body: "Hi", to: number)
            _ = try await world.textIn(from: "7375550999", body: "Hello", to: number)
            for query in ["(512) 555-0142", "512.555.0142", "+15125550142", "castell", "Birchwood", "78704"] {
                let found = try await app.inbox.list(status: .open, query: query, by: world.dispatcher)
                #expect(found.map(\.customerName) == ["Robert Castellanos"], "\(query)")
            }
            #expect(try await app.inbox.list(status: .open, query: "0999", by: world.dispatcher).count == 1)
            #expect(try await app.inbox.list(status: .open, query: "nobody", by: world.dispatcher).isEmpty)
            #expect(try await app.inbox.list(status: .open, query: "%", by: world.dispatcher).isEmpty)
        }
    }

    @Test("CH7: up to five relevant jobs, upcoming first, then the most recent", arguments: TestEngine.available)
    func relevantJobs(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            var booked: [Job] = []
            let offsets: [Double] = [-72, -48, -24, 24, 48, 96, -96]
            for hours in offsets {
                booked.append(try await world.bookJob(summary: "Job \(Int(hours))", hoursFromNow: hours))
            }
            guard case .inbox(_, let id, _) = try await world.textIn(from: "5125550142", body: "Hi", to: number) else {
                throw TestSetupError("not in inbox")
            }
            let detail = try await app.inbox.detail(id, by: world.dispatcher)
            #expect(detail.relevantJobs.map(\.job.summary) == ["Job 24", "Job 48", "Job 96", "Job -24", "Job -48"])
            #expect(detail.relevantJobs.map(\.upcoming) == [true, true, true, false, false])
            #expect(detail.conversation.jobID == booked[3].id)
        }
    }

    @Test("Read-only chat users can read but every change answers forbidden", arguments: TestEngine.available)
    func readOnly(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            guard case .inbox(_, let id, _) = try await world.textIn(from: "5125550142", body: "Hi", to: number) else {
                throw TestSetupError("not in inbox")
            }
            let user = try await app.accounts.updateUser(
                world.dispatcher.userID, .init(chatAccess: "view"), by: world.admin)
            let viewer = Actor(user: user)
            #expect(try await app.inbox.list(status: .open, by: viewer).count == 1)
            _ = try await app.inbox.detail(id, by: viewer)
            _ = try await app.inbox.markRead(id, by: viewer)
            let writes: [@Sendable () async throws -> Void] = [
                { _ = try await app.inbox.reply(to: id, body: "Hi", by: viewer) },
                { _ = try await app.inbox.close(id, by: viewer) },
                { _ = try await app.inbox.markUnread(id, by: viewer) },
                { _ = try await app.inbox.block(id, by: viewer) },
                { _ = try await app.inbox.start(phone: "5125550142", body: "Hi", by: viewer) },
            ]
            for write in writes {
                await #expect(throws: FieldlineError.forbidden(permission: "full_customer_chats")) { try await write() }
            }
            let none = Actor(
                user: try await app.accounts.updateUser(user.id, .init(chatAccess: "none"), by: world.admin))
            await #expect(throws: FieldlineError.self) { try await app.inbox.list(status: .open, by: none) }
            await #expect(throws: FieldlineError.self) {
                try await app.inbox.list(status: .open, by: world.technicianActor)
            }
        }
    }

    @Test("Another account's conversations do not exist for you", arguments: TestEngine.available)
    func isolation(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            guard
                case .inbox(let messageID, let id, _) = try await world.textIn(
                    from: "5125550142", body: "Hi", to: number)
            else { throw TestSetupError("not in inbox") }
            let other = try await TestWorld.make(app, name: "Rival Plumbing", emailDomain: "rival.test")
            #expect(try await app.inbox.list(status: .open, by: other.admin).isEmpty)
            await #expect(throws: FieldlineError.notFound(entity: "conversation", id: id.rawValue)) {
                try await app.inbox.detail(id, by: other.admin)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.inbox.reply(to: id, body: "Hi", by: other.admin)
            }
            await #expect(throws: FieldlineError.self) { try await app.inbox.resend(messageID, by: other.admin) }
            await #expect(throws: FieldlineError.self) { try await app.inbox.close(id, by: other.admin) }
            #expect(try await app.inbox.unreadCount(by: other.admin) == 0)
        }
    }

    @Test(
        "CH8: start a chat from a stored number, tied to the next job at that location", arguments: TestEngine.available
    )
    func start(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, _ in
            let job = try await world.bookJob(hoursFromNow: 30)
            let (conversation, message) = try await app.inbox.start(
                phone: "(512) 555-0142", locationID: world.location.id, body: "Hi Robert, confirming tomorrow.",
                by: world.dispatcher)
            #expect(conversation.jobID == job.id && message.jobID == job.id)
            #expect(conversation.inboxState == .answered)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.map(\.body) == ["Hi Robert, confirming tomorrow."])
            #expect(try await app.inbox.jobMessages(job.id, by: world.dispatcher).map(\.message.body) == [message.body])
            #expect(try await app.inbox.history(of: "512-555-0142", by: world.dispatcher).hasConversation)
            #expect(try await !app.inbox.history(of: "512-555-0177", by: world.dispatcher).hasConversation)
            do {
                _ = try await app.inbox.start(phone: "5125550177", body: "Hi", by: world.dispatcher)
                Issue.record("started a chat with a number on no customer")
            } catch let error as FieldlineError {
                #expect(error.code == "invalid_phone")
            }
        }
    }

    @Test("CH6: an unknown number is attached to a customer, or becomes one", arguments: TestEngine.available)
    func unknownNumbers(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            guard case .inbox(_, let first, _) = try await world.textIn(from: "5125550177", body: "Hi", to: number),
                case .inbox(_, let second, _) = try await world.textIn(from: "5125550178", body: "Hello", to: number)
            else { throw TestSetupError("not in inbox") }
            #expect(try await app.inbox.detail(first, by: world.dispatcher).customer == nil)
            let attached = try await app.inbox.attach(first, to: world.customer.id, by: world.dispatcher)
            #expect(attached.customer?.id == world.customer.id)
            #expect(attached.contact?.kind == .mobile)
            let created = try await app.inbox.createCustomer(
                from: second, name: "Grace Liu",
                location: .init(street: "1 Main St", city: "Austin", state: "TX", postalCode: "78701"),
                by: world.dispatcher)
            #expect(created.customer?.name == "Grace Liu" && created.locations.count == 1)
            #expect(try await app.inbox.list(status: .open, query: "grace", by: world.dispatcher).count == 1)
        }
    }

    @Test(
        "CH16: wrong number takes the number off the customer; the thread stays, Unknown",
        arguments: TestEngine.available)
    func wrongNumber(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            guard
                case .inbox(_, let id, _) = try await world.textIn(from: "5125550142", body: "Who is this?", to: number)
            else { throw TestSetupError("not in inbox") }
            try await app.inbox.removeWrongNumber(id, by: world.dispatcher)
            #expect(try await app.inbox.detail(id, by: world.dispatcher).customer == nil)
            #expect(try await app.customers.detail(world.customer.id, by: world.admin).phones.isEmpty)
        }
    }

    @Test("CH15: admins list and unblock blocked numbers; texts reach the inbox again", arguments: TestEngine.available)
    func unblock(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            guard case .inbox(_, let id, _) = try await world.textIn(from: "5125550199", body: "spam", to: number)
            else {
                throw TestSetupError("not in inbox")
            }
            let blocked = try await app.inbox.block(id, by: world.dispatcher)
            #expect(blocked.status == .closed)
            #expect(try await app.inbox.blockedNumbers(by: world.admin).map(\.phone.e164) == ["+15125550199"])
            await #expect(throws: FieldlineError.self) { try await app.inbox.blockedNumbers(by: world.dispatcher) }
            await #expect(throws: FieldlineError.self) {
                try await app.inbox.reply(to: id, body: "Hi", by: world.dispatcher)
            }
            try await app.inbox.unblock("(512) 555-0199", by: world.admin)
            _ = try await world.textIn(from: "5125550199", body: "sorry, real question", to: number)
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).map(\.conversation.id) == [id])
        }
    }

    @Test(
        "Live events reach subscribers of the account only, after the change committed", arguments: TestEngine.available
    )
    func liveEvents(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            let events = app.live.subscribe(to: world.account.id)
            let elsewhere = app.live.subscribe(to: AccountID("another"))
            _ = elsewhere
            guard
                case .inbox(let messageID, let id, _) = try await world.textIn(
                    from: "5125550142", body: "Hi", to: number)
            else { throw TestSetupError("not in inbox") }
            var seen: [LiveEvent] = []
            for await event in events {
                seen.append(event)
                if seen.count == 3 { break }
            }
            #expect(seen.contains(.messageCreated(conversationID: id, messageID: messageID)))
            #expect(seen.contains(.conversationChanged(id)))
            #expect(seen.contains(.unreadChanged))
        }
    }
}
