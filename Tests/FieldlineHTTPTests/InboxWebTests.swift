import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineStore
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The office inbox pages, driven through the real router as the browser drives them.
@Suite("The office inbox in the web app: list, thread, composer, actions, compose, media, board")
struct InboxWebTests {
    static func get(
        _ client: some TestClientProtocol, _ path: String, _ session: WebTests.Session
    ) async throws
        -> TestResponse
    {
        try await client.execute(uri: path, method: .get, headers: [.cookie: session.cookie])
    }

    /// A form post the way `inbox.js` sends it: asking for JSON instead of a redirect.
    static func postForJSON(
        _ client: some TestClientProtocol, _ path: String, _ session: WebTests.Session, _ form: String
    ) async throws -> TestResponse {
        try await client.execute(
            uri: path, method: .post,
            headers: [
                .cookie: session.cookie, .contentType: "application/x-www-form-urlencoded", .accept: "application/json",
            ],
            body: ByteBuffer(string: "_csrf=\(session.csrf)&" + form))
    }

    static func conversation(_ outcome: InboundOutcome) throws -> ConversationID {
        guard case .inbox(_, let id, _) = outcome else { throw TestSetupError("Expected the inbox, got \(outcome)") }
        return id
    }

    @Test(
        "The list shows who texted, unknown numbers and unread ones; opening a thread reads it",
        arguments: TestEngine.available)
    func listAndThread(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/inbox")
            let empty = try await Self.get(client, "/inbox", session)
            #expect(empty.status == .ok)
            #expect(empty.text.contains("All caught up"))

            let known = try Self.conversation(
                try await world.textIn(from: "5125550142", body: "Is Luis still coming at 2?", to: number))
            try #require(app.clock as? TestClock).advance(by: 60)
            _ = try await world.textIn(from: "5125550199", body: "Do you do drain cleaning?", to: number)
            let list = try await Self.get(client, "/inbox", session)
            #expect(list.text.contains("Robert Castellanos"))
            #expect(list.text.contains("(512) 555-0199"))
            #expect(list.text.contains("badge-unknown"))
            #expect(list.text.components(separatedBy: "class=\"unread-dot\"").count - 1 == 2)
            // Newest first: the drain question came last.
            let drain = try #require(list.text.range(of: "Do you do drain cleaning?"))
            let luis = try #require(list.text.range(of: "Is Luis still coming at 2?"))
            #expect(drain.lowerBound < luis.lowerBound)

            let thread = try await Self.get(client, "/inbox?c=\(known)", session)
            #expect(thread.status == .ok)
            #expect(thread.text.contains("Is Luis still coming at 2?"))
            #expect(thread.text.contains("data-sms-limit"))
            #expect(try await app.inbox.detail(known, by: world.dispatcher).conversation.inboxState != .unread)
            #expect(try await app.inbox.unreadCount(by: world.dispatcher) == 1)

            // The fragments the page script refreshes: no page chrome around them.
            let fragment = try await Self.get(client, "/inbox/list?status=open&c=\(known)", session)
            #expect(fragment.status == .ok && !fragment.text.contains("<html"))
            #expect(fragment.text.contains("is-selected"))
            let parts = try await Self.get(client, "/inbox/c/\(known)/parts", session)
            #expect(parts.status == .ok && parts.text.contains("Is Luis still coming at 2?"))

            let search = try await Self.get(client, "/inbox?q=0199", session)
            #expect(search.text.contains("Do you do drain cleaning?") && !search.text.contains("Robert Castellanos"))
            let nothing = try await Self.get(client, "/inbox?q=zzzz", session)
            #expect(nothing.text.contains("No matches"))
        }
    }

    @Test(
        "The composer sends a reply: JSON for the page script, a redirect for a plain form, clear errors",
        arguments: TestEngine.available)
    func reply(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/inbox")
            let id = try Self.conversation(try await world.textIn(from: "5125550142", body: "Hello?", to: number))

            let sent = try await Self.postForJSON(client, "/inbox/c/\(id)/reply", session, "body=On+our+way%21")
            #expect(sent.status == .noContent)
            let plain = try await WebTests.post(client, "/inbox/c/\(id)/reply", session, "body=See+you+soon")
            #expect(plain.status == .seeOther)
            #expect(plain.headers[.location] == "/inbox?c=\(id)")
            let bodies = try await app.inbox.messages(of: id, by: world.dispatcher).map(\.message.body)
            #expect(bodies == ["Hello?", "On our way!", "See you soon"])
            #expect(try await app.inbox.detail(id, by: world.dispatcher).conversation.inboxState == .answered)

            let blank = try await Self.postForJSON(client, "/inbox/c/\(id)/reply", session, "body=+++")
            #expect(blank.status == .unprocessableContent)
            #expect(try blank.errorCode() == "invalid_body")
            let missing = try await Self.postForJSON(
                client, "/inbox/c/\(ConversationID.generate())/reply", session, "body=Hi")
            #expect(missing.status == .notFound)
            #expect(try missing.errorCode() == "conversation_not_found")
            let forged = try await client.execute(
                uri: "/inbox/c/\(id)/reply", method: .post,
                headers: [.cookie: session.cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "_csrf=forged&body=Hi"))
            #expect(forged.status == .forbidden)
            #expect(try await app.inbox.messages(of: id, by: world.dispatcher).count == 3)
        }
    }

    @Test("Close, reopen, mark unread and block act for everyone", arguments: TestEngine.available)
    func actions(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/inbox")
            let id = try Self.conversation(try await world.textIn(from: "5125550142", body: "Thanks!", to: number))

            let closed = try await WebTests.post(client, "/inbox/c/\(id)/close", session, "")
            #expect(closed.status == .seeOther)
            #expect(try await Self.get(client, "/inbox?status=closed", session).text.contains("Thanks!"))
            #expect(try await Self.get(client, "/inbox", session).text.contains("All caught up"))
            _ = try await WebTests.post(client, "/inbox/c/\(id)/reopen", session, "")
            #expect(try await app.inbox.detail(id, by: world.dispatcher).conversation.status == .open)

            _ = try await Self.get(client, "/inbox?c=\(id)", session)
            let unread = try await Self.postForJSON(client, "/inbox/c/\(id)/unread", session, "")
            #expect(unread.status == .noContent)
            #expect(try await app.inbox.detail(id, by: world.admin).conversation.inboxState == .unread)

            let spam = try Self.conversation(
                try await world.textIn(from: "5125550177", body: "WIN A CRUISE", to: number))
            let blocked = try await WebTests.post(client, "/inbox/c/\(spam)/block", session, "")
            #expect(blocked.status == .seeOther)
            let next = try await world.textIn(from: "5125550177", body: "Last chance", to: number)
            guard case .blocked = next else { throw TestSetupError("Expected blocked, got \(next)") }
            #expect(!(try await Self.get(client, "/inbox", session).text.contains("Last chance")))
        }
    }

    @Test(
        "Text a stored number from its job: the compose page shows the history and sends",
        arguments: TestEngine.available)
    func compose(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            try await world.addMainNumber(twilio: nil)
            let job = try await world.bookJob()
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/inbox")
            let page = try await Self.get(client, "/inbox/compose?phone=%2B15125550142&job=\(job.id)", session)
            #expect(page.status == .ok)
            #expect(page.text.contains("Robert Castellanos"))
            #expect(page.text.contains("Job #\(job.number)"))

            let started = try await WebTests.post(
                client, "/inbox/start", session, "phone=%2B15125550142&jobId=\(job.id)&body=Luis+is+on+his+way")
            #expect(started.status == .seeOther)
            let location = try #require(started.headers[.location])
            #expect(location.hasPrefix("/inbox?c="))
            let id = ConversationID(String(location.dropFirst("/inbox?c=".count)))
            let entry = try #require(try await app.inbox.messages(of: id, by: world.dispatcher).first)
            #expect(entry.message.body == "Luis is on his way")
            #expect(entry.message.jobID == job.id)
            let again = try await Self.get(client, "/inbox/compose?phone=%2B15125550142", session)
            #expect(again.text.contains("Luis is on his way"))

            let bad = try await Self.get(client, "/inbox/compose?phone=12", session)
            // The status the API answers an unreadable phone number with.
            #expect(bad.status == .unprocessableContent)
        }
    }

    @Test(
        "A picture from a customer is served to the account and can be kept with a job", arguments: TestEngine.available
    )
    func media(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, number, client in
            let job = try await world.bookJob()
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A])
            let url = fake.hostMedia(png, contentType: "image/png")
            let id = try Self.conversation(
                try await world.textIn(
                    from: "5125550142", body: "The leak", to: number, media: [.init(url: url, contentType: "image/png")]
                ))
            #expect(try await MediaFetcher(app: app).fetchDue() == 1)
            let mediaID = try #require(
                try await app.inbox.messages(of: id, by: world.dispatcher).first?.media.first?.id)
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/inbox")
            let thread = try await Self.get(client, "/inbox?c=\(id)", session)
            #expect(thread.text.contains("/media/\(mediaID)"))
            #expect(thread.text.contains("Attach to job"))

            let file = try await Self.get(client, "/media/\(mediaID)", session)
            #expect(file.status == .ok)
            #expect(file.headers[.contentType] == "image/png")
            #expect(Data(file.body.readableBytesView) == png)

            let attached = try await WebTests.post(client, "/inbox/media/\(mediaID)/attach", session, "jobId=\(job.id)")
            #expect(attached.status == .seeOther)
            let jobPage = try await Self.get(client, "/jobs/\(job.id)", session)
            #expect(jobPage.text.contains("/media/\(mediaID)"))
            #expect(jobPage.text.contains("The leak"))
            // A customer's text has no delivery status; the job's own status must not stand in for it.
            #expect(!jobPage.text.contains("StatusView"))

            _ = try await TestWorld.make(app, name: "Rival Plumbing", emailDomain: "rival.test")
            let rival = try await WebTests.signIn(client, email: "admin@rival.test", expecting: "/inbox")
            #expect(try await Self.get(client, "/media/\(mediaID)", rival).status == .notFound)
            #expect(try await Self.get(client, "/inbox/c/\(id)/parts", rival).status == .notFound)
            #expect(!(try await Self.get(client, "/inbox?c=\(id)", rival).text.contains("The leak")))
            let reply = try await Self.postForJSON(client, "/inbox/c/\(id)/reply", rival, "body=Mine+now")
            #expect(reply.status == .notFound)
            #expect(try await app.inbox.messages(of: id, by: world.dispatcher).count == 1)
        }
    }

    @Test("View-only chat users read the inbox but cannot send or change it", arguments: [TestEngine.sqlite])
    func viewOnly(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            let id = try Self.conversation(try await world.textIn(from: "5125550142", body: "Hi there", to: number))
            let admin = try await WebTests.signIn(client, expecting: "/settings")
            _ = try await WebTests.post(
                client, "/settings/users/\(world.dispatcher.userID)", admin, "role=dispatcher&active=1&chatAccess=view")
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/inbox")
            let thread = try await Self.get(client, "/inbox?c=\(id)", session)
            #expect(thread.status == .ok && thread.text.contains("Hi there"))
            #expect(!thread.text.contains("data-sms-limit"))
            let reply = try await Self.postForJSON(client, "/inbox/c/\(id)/reply", session, "body=Hello")
            #expect(reply.status == .forbidden)
            let close = try await WebTests.post(client, "/inbox/c/\(id)/close", session, "")
            #expect(close.status == .forbidden)
            #expect(try await app.inbox.messages(of: id, by: world.admin).count == 1)
        }
    }

    @Test("Technicians' texts land on the dispatch board and the Today page", arguments: TestEngine.available)
    func dispatchBoard(engine: TestEngine) async throws {
        try await withServer(engine) { _, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/inbox")
            let empty = try await Self.get(client, "/dispatch-board", session)
            #expect(empty.status == .ok)
            _ = try await world.textIn(from: "(512) 555-0131", body: "Running 10 min late", to: number)
            let board = try await Self.get(client, "/dispatch-board", session)
            #expect(board.text.contains("Running 10 min late"))
            #expect(board.text.contains("Luis Romero"))
            let feed = try await Self.get(client, "/dispatch-board/feed", session)
            #expect(feed.text.contains("Running 10 min late") && !feed.text.contains("<html"))
            #expect(try await Self.get(client, "/today", session).text.contains("Running 10 min late"))
            #expect(!(try await Self.get(client, "/inbox", session).text.contains("Running 10 min late")))
        }
    }
}
