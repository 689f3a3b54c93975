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
import NIOCore
import Testing

/// `withServer` with ServiceChannel faked on loopback; polls and changes are driven by hand.
func withServiceChannelServer(
    _ engine: TestEngine,
    _ body: @Sendable (Fieldline, TestWorld, FakeServiceChannel, TestClock, any TestClientProtocol) async throws -> Void
) async throws {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_456_800))
    try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
        let server = try await FieldlineServer.buildApplication(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0, publicURL: "http://fieldline.test"),
            app: app, backgroundWorkers: false)
        try await server.test(.router) { client in
            try await body(app, world, fake, clock, client)
        }
    }
}

@Suite("ServiceChannel over HTTP: the settings page, the webhook, declining, notes and the work order panel")
struct ServiceChannelWebTests {
    static func form(_ pairs: [(String, String)]) -> String {
        FormEncoding.encode(pairs.map { (name: $0.0, value: $0.1) })
    }

    @Test(
        "An admin connects from the settings page; wrong credentials keep the form with the reason",
        arguments: TestEngine.available)
    func connectPage(engine: TestEngine) async throws {
        try await withServiceChannelServer(engine) { app, world, fake, _, client in
            let session = try await WebTests.signIn(client)
            let empty = try await client.execute(
                uri: "/settings/servicechannel", method: .get, headers: [.cookie: session.cookie])
            #expect(empty.status == .ok)
            #expect(empty.text.contains("Not connected"))
            #expect(empty.text.contains("No subscribers yet"))
            let credentials = fake.credentials
            let wrong = try await WebTests.post(
                client, "/settings/servicechannel/connect", session,
                Self.form([
                    ("authorization", "1"), ("environment", "sandbox"), ("clientId", credentials.clientID),
                    ("clientSecret", credentials.clientSecret), ("username", credentials.username),
                    ("password", "nope"),
                ]))
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.text.contains("did not accept these credentials"))
            #expect(wrong.text.contains(credentials.clientID))
            #expect(!wrong.text.contains(credentials.clientSecret))
            let connected = try await WebTests.post(
                client, "/settings/servicechannel/connect", session,
                Self.form([
                    ("authorization", "1"), ("environment", "sandbox"), ("clientId", credentials.clientID),
                    ("clientSecret", credentials.clientSecret), ("username", credentials.username),
                    ("password", credentials.password),
                ]))
            #expect(connected.status == .seeOther)
            fake.add(FakeServiceChannel.workOrder(1, updated: app.clock.now().addingTimeInterval(-60)))
            _ = try await app.serviceChannelSync.pollDue()
            let page = try await client.execute(
                uri: "/settings/servicechannel", method: .get, headers: [.cookie: session.cookie])
            #expect(page.text.contains("data-health>Connected"))
            #expect(page.text.contains("Acme Retail"))
            #expect(!page.text.contains(credentials.password))
            #expect(!page.text.contains(credentials.clientSecret))
            let rule = try await WebTests.post(
                client, "/settings/servicechannel/rules", session,
                Self.form([("subscriberId", "2014917243"), ("trade", "PLUMBING"), ("outcome", "job")]))
            #expect(rule.status == .seeOther)
            #expect(try await app.serviceChannel.overview(by: world.admin).rules.count == 1)
            let mapping = try await WebTests.post(
                client, "/settings/servicechannel/mappings", session,
                Self.form([
                    ("dispatched.enabled", "1"), ("dispatched.primary", "In Progress"),
                    ("dispatched.extended", "Tech En Route"), ("arrived.enabled", "1"),
                    ("completed.enabled", "1"), ("completed.primary", "Completed"),
                ]))
            #expect(mapping.status == .seeOther)
            #expect(
                try await app.serviceChannel.overview(by: world.admin).mappings.first?.extended == "Tech En Route")

            // Dispatchers cannot open it.
            let dispatcher = try await WebTests.signIn(client, email: "dispatch@northside.test")
            let refused = try await client.execute(
                uri: "/settings/servicechannel", method: .get, headers: [.cookie: dispatcher.cookie])
            #expect(refused.status == .forbidden)
        }
    }

    @Test(
        "The webhook: signed deliveries ask for a poll; forged, unknown and malformed ones are refused",
        arguments: TestEngine.available)
    func webhook(engine: TestEngine) async throws {
        try await withServiceChannelServer(engine) { app, world, fake, _, client in
            try await world.connectServiceChannel(fake)
            _ = try await app.serviceChannelSync.pollDue()
            let secret = try #require(try await app.serviceChannel.overview(by: world.admin).webhookSecret)
            let body = #"{"EventType":"WorkOrderCreated","Object":{"Id":1}}"#
            func deliver(
                _ text: String, signature: String?, account: String = world.account.id.rawValue
            )
                async throws -> TestResponse
            {
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[HTTPField.Name("Sign-Type")!] = "HMACSHA256"
                if let signature { headers[HTTPField.Name("Sign-Data")!] = signature }
                return try await client.execute(
                    uri: "/webhooks/servicechannel/\(account)", method: .post, headers: headers,
                    body: ByteBuffer(string: text))
            }
            let signed = ServiceChannelWebhookSignature.sign(Data(body.utf8), secret: secret)
            let ok = try await deliver(body, signature: signed)
            #expect(ok.status == .ok)
            let requested = try await app.database.read { sql in
                try await ServiceChannelStore(sql).connection(of: world.account.id)?.pollRequested
            }
            #expect(requested == true)
            let forged = try await deliver(
                body, signature: ServiceChannelWebhookSignature.sign(Data(body.utf8), secret: "x"))
            #expect(forged.status == .forbidden)
            #expect(try forged.errorCode() == "invalid_signature")
            #expect(try await deliver(body, signature: nil).status == .forbidden)
            let unknown = try await deliver(body, signature: signed, account: "no-such-account")
            #expect(unknown.status == .notFound)
            let junk = "not json"
            let malformed = try await deliver(
                junk, signature: ServiceChannelWebhookSignature.sign(Data(junk.utf8), secret: secret))
            #expect(malformed.status == .unprocessableContent)
        }
    }

    @Test(
        "Bookings show the work order and decline with a reason; jobs show it with notes, also over the API",
        arguments: TestEngine.available)
    func bookingsAndJobs(engine: TestEngine) async throws {
        try await withServiceChannelServer(engine) { app, world, fake, clock, client in
            try await world.connectServiceChannel(fake)
            fake.add(FakeServiceChannel.workOrder(1, updated: clock.now().addingTimeInterval(-60)))
            fake.add(FakeServiceChannel.workOrder(2, updated: clock.now().addingTimeInterval(-30), nte: 980))
            _ = try await app.serviceChannelSync.pollDue()
            _ = try await app.serviceChannel.updateSubscriber(
                2_014_917_243, noteSync: true, checkInInstructions: "Call 1-800-555-0199", checkInPIN: "4417",
                by: world.admin)
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/bookings")
            let list = try await client.execute(uri: "/bookings", method: .get, headers: [.cookie: session.cookie])
            #expect(list.text.contains("data-work-order=\"WO8840001\""))
            #expect(list.text.contains("USD 980.00"))
            #expect(list.text.contains("Decline the work order"))
            let bookings = try await app.bookings.list(status: .new, by: world.dispatcher)
            let panels = try await app.database.read { sql in
                try await ServiceChannelStore(sql).workOrder(1, in: world.account.id)
            }
            let first = try #require(bookings.first { $0.id == panels?.bookingID })
            let second = try #require(bookings.first { $0.id != first.id })
            let noReason = try await WebTests.post(client, "/bookings/\(first.id)/decline", session, "reason=")
            #expect(noReason.status == .seeOther)
            #expect(try await app.bookings.find(first.id, by: world.dispatcher).status == .new)
            let declined = try await WebTests.post(
                client, "/bookings/\(first.id)/decline", session, "reason=3&comment=")
            #expect(declined.status == .seeOther)
            #expect(try await app.bookings.find(first.id, by: world.dispatcher).status == .dismissed)

            let job = try await world.convertToJob(second.id)
            let noted = try await WebTests.post(client, "/jobs/\(job.id)/notes", session, "text=Gate+code+1234")
            #expect(noted.status == .seeOther)
            let page = try await client.execute(
                uri: "/jobs/\(job.id)", method: .get, headers: [.cookie: session.cookie])
            #expect(page.text.contains("data-check-in-pin>4417"))
            #expect(page.text.contains("Gate code 1234"))
            #expect(page.text.contains("Not to exceed (ServiceChannel)"))

            let token = try await client.token(email: "dispatch@northside.test")
            let added = try await client.api(
                .post, "/jobs/\(job.id)/notes", token: token, json: #"{"text":"On my way"}"#)
            #expect(added.status == .created)
            let noteID = try #require(try added.json()["id"] as? String)
            let edited = try await client.api(
                .patch, "/jobs/\(job.id)/notes/\(noteID)", token: token, json: #"{"text":"On my way, 10 min"}"#)
            #expect(edited.status == .ok)
            let empty = try await client.api(.post, "/jobs/\(job.id)/notes", token: token, json: #"{"text":" "}"#)
            #expect(empty.status == .unprocessableContent)
            try await ServiceChannelWorker(app: app).drain()
            let workOrder = try await client.api(.get, "/jobs/\(job.id)/work-order", token: token)
            #expect(workOrder.status == .ok)
            let json = try workOrder.json()
            #expect(json["number"] as? String == "WO8840002")
            #expect(json["checkInPin"] as? String == "4417")
            let kinds = (json["changes"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
            #expect(kinds == ["accept", "note", "note", "note", "note"])
            #expect(fake.notes(of: 2).map(\.text).contains("Edited note from Marcus Dispatch: On my way, 10 min"))
            let apiDecline = try await client.api(
                .post, "/bookings/\(first.id)/decline", token: token, json: #"{"reason":2}"#)
            #expect(apiDecline.status == .conflict)

            // Another account sees none of it.
            _ = try await TestWorld.make(app, name: "Other Co", emailDomain: "other.test")
            let otherToken = try await client.token(email: "admin@other.test")
            #expect(try await client.api(.get, "/jobs/\(job.id)/work-order", token: otherToken).status == .notFound)
            #expect(
                try await client.api(.post, "/jobs/\(job.id)/notes", token: otherToken, json: #"{"text":"x"}"#).status
                    == .notFound)
            let overview = try await client.api(.get, "/servicechannel", token: otherToken)
            #expect(try overview.json()["connected"] as? Bool == false)
        }
    }
}
