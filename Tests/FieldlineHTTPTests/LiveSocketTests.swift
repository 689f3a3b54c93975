import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineProviders
import FieldlineStore
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

extension TestClientProtocol {
    /// Signs in through the web form and returns the session cookie.
    func sessionCookie(email: String) async throws -> String {
        let response = try await postSignIn("email=\(email)&password=correct+horse+battery")
        let setCookie = try #require(response.headers[.setCookie])
        return try #require(setCookie.split(separator: ";").first.map(String.init))
    }
}

@Suite("The live socket: pushes, the unread counter, presence, and several servers on one database")
struct LiveSocketTests {
    static func withLiveServer(
        _ engine: TestEngine,
        _ body: @Sendable (Fieldline, TestWorld, SenderNumber, any TestClientProtocol, Int) async throws -> Void
    ) async throws {
        try await engine.withDatabase { database in
            let app = try Fieldline.forTesting(database: database, clock: SystemClock(), twilio: nil)
            let world = try await TestWorld.make(app)
            let number = try await world.addMainNumber(twilio: nil)
            let server = try await FieldlineServer.buildApplication(
                configuration: ServerConfiguration(host: "127.0.0.1", port: 0), app: app, backgroundWorkers: false)
            try await server.test(.live) { client in
                try await body(app, world, number, client, try #require(client.port))
            }
        }
    }

    @Test("A customer's text reaches a dispatcher's socket, with the new unread count", arguments: TestEngine.available)
    func pushes(engine: TestEngine) async throws {
        try await Self.withLiveServer(engine) { _, world, number, client, port in
            let cookie = try await client.sessionCookie(email: "dispatch%40northside.test")
            let (socket, hello) = try await LiveTestClient.connectedWithHello(
                port: port, cookie: cookie, origin: "http://127.0.0.1:\(port)")
            defer { socket.close() }
            #expect(hello?["count"] as? Int == 0)
            guard
                case .inbox(let messageID, let conversationID, _) = try await world.textIn(
                    from: "5125550142", body: "Is Luis on his way?", to: number)
            else { throw TestSetupError("not in inbox") }
            let message = try await socket.waitFor { $0["type"] as? String == "message" }
            #expect(message?["messageId"] as? String == messageID.rawValue)
            #expect(message?["conversationId"] as? String == conversationID.rawValue)
            let unread = try await socket.waitFor { $0["type"] as? String == "unread" }
            #expect(unread?["count"] as? Int == 1)
        }
    }

    @Test(
        "A thread's events reach the technician on its job, not a technician on another job",
        arguments: TestEngine.available)
    func technicians(engine: TestEngine) async throws {
        try await Self.withLiveServer(engine) { app, world, number, client, port in
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            _ = try await world.bookJob(hoursFromNow: 2, technicians: [world.secondTechnician.id])
            for technician in [world.technician.id, world.secondTechnician.id] {
                _ = try await app.technicians.update(
                    technician, .init(canViewChats: true, canReplyChats: true), by: world.admin)
            }
            _ = try await app.accounts.createUser(
                .init(
                    email: "priya@northside.test", name: "Priya Nair", role: "technician",
                    password: TestWorld.password, technicianID: world.secondTechnician.id),
                in: world.account.id, by: world.admin)
            let (conversation, _) = try await app.inbox.start(
                phone: "5125550142", jobID: job.id, body: "Luis comes at 9.", by: world.dispatcher)
            let origin = "http://127.0.0.1:\(port)"
            let (luis, luisHello) = try await LiveTestClient.connectedWithHello(
                port: port, cookie: try await client.sessionCookie(email: "luis%40northside.test"), origin: origin)
            let (priya, priyaHello) = try await LiveTestClient.connectedWithHello(
                port: port, cookie: try await client.sessionCookie(email: "priya%40northside.test"), origin: origin)
            defer {
                luis.close()
                priya.close()
            }
            #expect(luisHello != nil)
            #expect(priyaHello != nil)
            _ = try await world.textIn(from: "5125550142", body: "Gate code 4411", to: number)
            let pushed = try await luis.waitFor { $0["type"] as? String == "message" }
            #expect(pushed?["conversationId"] as? String == conversation.id.rawValue)
            let elsewhere = try await priya.waitFor(timeout: 1.5) {
                ["message", "conversation"].contains($0["type"] as? String)
            }
            #expect(elsewhere == nil)
        }
    }

    @Test("A page on another site, or no session, cannot open a socket", arguments: [TestEngine.sqlite])
    func refused(engine: TestEngine) async throws {
        try await Self.withLiveServer(engine) { _, _, _, client, port in
            let cookie = try await client.sessionCookie(email: "dispatch%40northside.test")
            let foreign = LiveTestClient()
            foreign.connect(port: port, cookie: cookie, origin: "https://evil.example")
            let anonymous = LiveTestClient()
            anonymous.connect(port: port, cookie: nil, origin: "http://127.0.0.1:\(port)")
            #expect(try await foreign.waitFor(timeout: 3) { _ in true } == nil)
            #expect(try await anonymous.waitFor(timeout: 3) { _ in true } == nil)
            #expect(foreign.connected.withLock { $0 } != true)
            #expect(anonymous.connected.withLock { $0 } != true)
        }
    }

    @Test("Presence: one dispatcher typing shows on the other's socket, with who it is", arguments: [TestEngine.sqlite])
    func presence(engine: TestEngine) async throws {
        try await Self.withLiveServer(engine) { _, world, number, client, port in
            guard
                case .inbox(_, let conversationID, _) = try await world.textIn(
                    from: "5125550142", body: "Hello", to: number)
            else { throw TestSetupError("not in inbox") }
            let marcus = LiveTestClient()
            marcus.connect(
                port: port, cookie: try await client.sessionCookie(email: "dispatch%40northside.test"),
                origin: "http://127.0.0.1:\(port)")
            let dana = LiveTestClient()
            dana.connect(
                port: port, cookie: try await client.sessionCookie(email: "admin%40northside.test"),
                origin: "http://127.0.0.1:\(port)")
            defer {
                marcus.close()
                dana.close()
            }
            _ = try await marcus.waitFor { $0["type"] as? String == "hello" }
            _ = try await dana.waitFor { $0["type"] as? String == "hello" }
            try marcus.send(["type": "presence", "conversationId": conversationID.rawValue, "state": "typing"])
            let seen = try await dana.waitFor { $0["type"] as? String == "presence" }
            #expect(seen?["name"] as? String == "Marcus Dispatch")
            #expect(seen?["state"] as? String == "typing")
            #expect(seen?["conversationId"] as? String == conversationID.rawValue)
            #expect(seen?["since"] is String)
        }
    }

    @Test("Two servers on one PostgreSQL: a text arriving at one reaches a socket on the other")
    func twoServers() async throws {
        guard TestEngine.available.contains(.postgres) else { return }
        try await TestEngine.postgres.withDatabase { database in
            let first = try Fieldline.forTesting(database: database, clock: SystemClock(), twilio: nil)
            let world = try await TestWorld.make(first)
            let number = try await world.addMainNumber(twilio: nil)
            // The second server: its own process state (live events, node id) over the same database.
            let second = try Fieldline.forTesting(database: database, clock: SystemClock(), twilio: nil)
            let server = try await FieldlineServer.buildApplication(
                configuration: ServerConfiguration(host: "127.0.0.1", port: 0), app: second, backgroundWorkers: false)
            try await server.test(.live) { client in
                let port = try #require(client.port)
                let socket = LiveTestClient()
                socket.connect(
                    port: port, cookie: try await client.sessionCookie(email: "dispatch%40northside.test"),
                    origin: "http://127.0.0.1:\(port)")
                defer { socket.close() }
                _ = try await socket.waitFor { $0["type"] as? String == "hello" }
                // The second server's relay starts with the server; the text must come after it listens.
                for _ in 0..<250 where !second.live.isRelaying { try await Task.sleep(for: .milliseconds(20)) }
                #expect(second.live.isRelaying)
                guard
                    case .inbox(let messageID, _, _) = try await world.textIn(
                        from: "5125550142", body: "Arrived at the first server", to: number)
                else { throw TestSetupError("not in inbox") }
                let pushed = try await socket.waitFor { $0["type"] as? String == "message" }
                #expect(pushed?["messageId"] as? String == messageID.rawValue)
                let unread = try await socket.waitFor { $0["type"] as? String == "unread" }
                #expect(unread?["count"] as? Int == 1)
            }
        }
    }

    @Test(
        "An open socket closes when its person signs out, is switched off, changes role, or loses the technician record",
        arguments: TestEngine.available)
    func socketsEndWithAccess(engine: TestEngine) async throws {
        try await Self.withLiveServer(engine) { app, world, _, client, port in
            let origin = "http://127.0.0.1:\(port)"
            // Signing out: the socket of that session closes.
            let cookie = try await client.sessionCookie(email: "dispatch%40northside.test")
            let (signedOut, _) = try await LiveTestClient.connectedWithHello(port: port, cookie: cookie, origin: origin)
            defer { signedOut.close() }
            let token = try #require(cookie.split(separator: "=", maxSplits: 1).last.map(String.init))
            try await app.accounts.signOut(token: token)
            #expect(try await signedOut.waitUntilEnded())
            let (after, hello) = try await LiveTestClient.connectedWithHello(port: port, cookie: cookie, origin: origin)
            defer { after.close() }
            #expect(hello == nil)

            // A new role: the socket closes, and a new one sees what the new role allows.
            let (demoted, _) = try await LiveTestClient.connectedWithHello(
                port: port, cookie: try await client.sessionCookie(email: "dispatch%40northside.test"), origin: origin)
            defer { demoted.close() }
            _ = try await app.accounts.updateUser(world.dispatcher.userID, .init(role: "marketer"), by: world.admin)
            #expect(try await demoted.waitUntilEnded())

            // Switched off.
            let (switchedOff, _) = try await LiveTestClient.connectedWithHello(
                port: port, cookie: try await client.sessionCookie(email: "marketing%40northside.test"), origin: origin)
            defer { switchedOff.close() }
            _ = try await app.accounts.updateUser(world.marketer.userID, .init(active: false), by: world.admin)
            #expect(try await switchedOff.waitUntilEnded())

            // The technician record switched off: socket closed, sign-in refused.
            let (luis, _) = try await LiveTestClient.connectedWithHello(
                port: port, cookie: try await client.sessionCookie(email: "luis%40northside.test"), origin: origin)
            defer { luis.close() }
            _ = try await app.technicians.update(world.technician.id, .init(active: false), by: world.admin)
            #expect(try await luis.waitUntilEnded())
            await #expect(throws: FieldlineError.self) {
                _ = try await app.accounts.signIn(
                    email: "luis@northside.test", password: TestWorld.password, kind: .web)
            }
        }
    }
}
