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

@Suite("Twilio webhooks: signatures, account lookup, bad input, status callbacks")
struct WebhookTests {
    static let inbound = "/webhooks/twilio/messages"
    static let status = "/webhooks/twilio/status"

    func inboundFields(
        _ fake: FakeTwilio, from: String = "+15125550142", body: String = "Hello",
        sid: String = "SM" + FakeTwilio.hex(32), extra: [(name: String, value: String)] = []
    ) -> [(name: String, value: String)] {
        [
            ("MessageSid", sid), ("SmsSid", sid), ("AccountSid", fake.accountSID), ("From", from),
            ("To", TestWorld.mainNumber), ("Body", body), ("NumMedia", "0"), ("FromCity", "AUSTIN"),
        ] + extra
    }

    func inboxCount(_ app: Fieldline, _ world: TestWorld) async throws -> Int {
        try await app.inbox.list(status: .open, by: world.dispatcher).count
    }

    @Test("A signed inbound text is stored once and answered with empty TwiML", arguments: TestEngine.available)
    func signedInbound(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let fields = inboundFields(fake)
            let response = try await client.twilioWebhook(Self.inbound, fields: fields, token: fake.authToken)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/xml") == true)
            #expect(response.text.contains("<Response></Response>"))
            let retried = try await client.twilioWebhook(Self.inbound, fields: fields, token: fake.authToken)
            #expect(retried.status == .ok)
            let thread = try #require(try await app.inbox.list(status: .open, by: world.dispatcher).first)
            #expect(try await app.inbox.messages(of: thread.conversation.id, by: world.dispatcher).count == 1)
        }
    }

    @Test("Forged, missing or wrong-URL signatures answer 403 and store nothing", arguments: TestEngine.available)
    func forged(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let fields = inboundFields(fake)
            let forged = try await client.twilioWebhook(Self.inbound, fields: fields, token: "not-the-token")
            #expect(forged.status == .forbidden)
            #expect(try forged.errorCode() == "invalid_signature")
            var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let unsigned = try await client.execute(
                uri: Self.inbound, method: .post, headers: headers,
                body: ByteBuffer(string: FormEncoding.encode(fields)))
            #expect(unsigned.status == .forbidden)
            let elsewhere = try await client.twilioWebhook(
                Self.inbound, fields: fields, token: fake.authToken,
                signedURL: "https://attacker.example/webhooks/twilio/messages")
            #expect(elsewhere.status == .forbidden)
            // A signed body whose contents were changed afterwards.
            let signature = TwilioSignature.sign(
                url: "http://fieldline.test" + Self.inbound, parameters: fields, authToken: fake.authToken)
            var tampered = fields
            tampered[5] = ("Body", "Send money")
            headers[HTTPField.Name("X-Twilio-Signature")!] = signature
            let changed = try await client.execute(
                uri: Self.inbound, method: .post, headers: headers,
                body: ByteBuffer(string: FormEncoding.encode(tampered)))
            #expect(changed.status == .forbidden)
            #expect(try await inboxCount(app, world) == 0)
        }
    }

    @Test("The signature is accepted with the scheme's default port added", arguments: [TestEngine.sqlite])
    func defaultPort(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let response = try await client.twilioWebhook(
                Self.inbound, fields: inboundFields(fake), token: fake.authToken,
                signedURL: "http://fieldline.test:80" + Self.inbound)
            #expect(response.status == .ok)
            #expect(try await inboxCount(app, world) == 1)
        }
    }

    @Test("The account is found by MessagingServiceSid, and by AccountSid with To", arguments: TestEngine.available)
    func accountLookup(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, number, client in
            let service = "MG" + FakeTwilio.hex(32)
            _ = try await app.senderNumbers.update(number.id, .init(messagingServiceID: service), by: world.admin)
            var fields = inboundFields(fake, extra: [("MessagingServiceSid", service)])
            fields[2] = ("AccountSid", "AC" + FakeTwilio.hex(32))  // a subaccount's sid: the service still finds it
            #expect(try await client.twilioWebhook(Self.inbound, fields: fields, token: fake.authToken).status == .ok)
            let unknownNumber = inboundFields(fake).map { $0.name == "To" ? ("To", "+15125550999") : $0 }
            let missed = try await client.twilioWebhook(Self.inbound, fields: unknownNumber, token: fake.authToken)
            #expect(missed.status == .forbidden)
            #expect(try await inboxCount(app, world) == 1)
        }
    }

    @Test(
        "Bad bodies get their own 4xx: wrong type, too large, missing sid, garbage From", arguments: [TestEngine.sqlite]
    )
    func badInput(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let json = try await client.twilioWebhook(
                Self.inbound, fields: inboundFields(fake), token: fake.authToken, contentType: "application/json")
            #expect(json.status == .unsupportedMediaType)
            let huge = inboundFields(fake, body: String(repeating: "x", count: 1_100_000))
            let large = try await client.twilioWebhook(Self.inbound, fields: huge, token: fake.authToken)
            #expect(large.status == .contentTooLarge)
            let noSid = inboundFields(fake).filter { $0.name != "MessageSid" && $0.name != "SmsSid" }
            #expect(
                try await client.twilioWebhook(Self.inbound, fields: noSid, token: fake.authToken).status == .badRequest
            )
            let garbage = inboundFields(fake, from: "not a phone")
            let refused = try await client.twilioWebhook(Self.inbound, fields: garbage, token: fake.authToken)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.errorCode() == "invalid_from")
            #expect(try await inboxCount(app, world) == 0)
        }
    }

    @Test("Media URLs are recorded and fetched with the account's credentials", arguments: TestEngine.available)
    func media(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let url = fake.hostMedia(Data("GIF89a".utf8), contentType: "image/gif")
            let fields =
                inboundFields(fake, body: "").map { $0.name == "NumMedia" ? ("NumMedia", "1") : $0 }
                + [("MediaUrl0", url), ("MediaContentType0", "image/gif")]
            #expect(try await client.twilioWebhook(Self.inbound, fields: fields, token: fake.authToken).status == .ok)
            try await MediaFetcher(app: app).fetchDue()
            let token = try await client.token()
            let thread = try #require(try await app.inbox.list(status: .open, by: world.dispatcher).first)
            let page = try await client.api(.get, "/conversations/\(thread.conversation.id)/messages", token: token)
            let items = try #require(try page.json()["items"] as? [[String: Any]])
            let media = try #require((items.first?["media"] as? [[String: Any]])?.first)
            #expect(media["state"] as? String == "stored")
            let download = try await client.execute(
                uri: try #require(media["url"] as? String), method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "image/gif")
            #expect(String(buffer: download.body) == "GIF89a")
        }
    }

    /// A reminder to the world's customer, sent through the fake: the queued text and its sid.
    static func sendReminder(
        _ app: Fieldline, _ world: TestWorld, _ fake: FakeTwilio
    ) async throws -> (QueuedText, String) {
        let queued = try await app.messenger.send(
            OutboundText(
                accountID: world.account.id, to: world.phone.number, body: "Your visit is tomorrow",
                purpose: .transactional, author: .automated(.reminder), thread: .joinIfExists))
        try await OutboxWorker(app: app).drain()
        return (queued, try #require(fake.sent.first?.sid))
    }

    @Test(
        "Signed status callbacks move a text along; a 30006 marks the number a landline",
        arguments: TestEngine.available)
    func statusCallbacks(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let (queued, sid) = try await Self.sendReminder(app, world, fake)
            let fields: [(name: String, value: String)] = [
                ("MessageSid", sid), ("MessageStatus", "undelivered"), ("ErrorCode", "30006"),
                ("AccountSid", fake.accountSID), ("From", TestWorld.mainNumber), ("To", "+15125550142"),
            ]
            let forged = try await client.twilioWebhook(Self.status, fields: fields, token: "wrong")
            #expect(forged.status == .forbidden)
            let response = try await client.twilioWebhook(Self.status, fields: fields, token: fake.authToken)
            #expect(response.status == .noContent)
            let stored = try await app.database.read { sql in
                try await MessageStore(sql).find(queued.message.id, in: world.account.id)
            }
            #expect(stored?.status == .undelivered && stored?.errorCode == "30006")
            #expect(try await app.customers.detail(world.customer.id, by: world.admin).phones.first?.kind == .landline)
        }
    }

    @Test(
        "A status callback signed by one business's Twilio account touches nothing of another business",
        arguments: TestEngine.available)
    func statusCallbackAcrossTenants(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let (queued, sid) = try await Self.sendReminder(app, world, fake)
            // A second business, run by an attacker, with its own Twilio account and number.
            let rival = try await TestWorld.make(app, name: "Rival Rooter", emailDomain: "rival.test")
            let rivalAccount = fake.addAccount()
            let (rivalSID, rivalToken) = (rivalAccount.accountID, rivalAccount.authToken)
            fake.assign("+15125550399", to: rivalSID)
            _ = try await app.senderNumbers.add(
                .init(
                    number: "+15125550399", label: "Rival", provider: "twilio", chat: true, isDefault: true,
                    providerAccountID: rivalSID, authToken: rivalToken),
                by: rival.admin)
            // It learned the victim's message sid and reports it unsubscribed, signed with its own token.
            let forged: [(name: String, value: String)] = [
                ("MessageSid", sid), ("MessageStatus", "undelivered"), ("ErrorCode", "21610"),
                ("AccountSid", rivalSID), ("From", "+15125550399"), ("To", world.phone.number.e164),
            ]
            let answer = try await client.twilioWebhook(Self.status, fields: forged, token: rivalToken)
            #expect(answer.status == .noContent)
            let stored = try await app.database.read { sql in
                try await MessageStore(sql).find(queued.message.id, in: world.account.id)
            }
            #expect(stored?.status == .sending && stored?.errorCode == nil)
            #expect(try await app.consent.consent(of: world.phone.number, by: world.admin).optedOut == false)
            // The real callback, signed by the victim's own account, still lands.
            let real: [(name: String, value: String)] = [
                ("MessageSid", sid), ("MessageStatus", "delivered"), ("AccountSid", fake.accountSID),
                ("From", TestWorld.mainNumber), ("To", world.phone.number.e164),
            ]
            #expect(
                try await client.twilioWebhook(Self.status, fields: real, token: fake.authToken).status == .noContent)
            let delivered = try await app.database.read { sql in
                try await MessageStore(sql).find(queued.message.id, in: world.account.id)
            }
            #expect(delivered?.status == .delivered)
        }
    }

    @Test(
        "An inbound text or a call signed by one business's Twilio account cannot reach another business's number",
        arguments: TestEngine.available)
    func inboundAcrossTenants(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let rival = try await TestWorld.make(app, name: "Rival Rooter", emailDomain: "rival.test")
            let attacker = fake.addAccount()
            fake.assign("+15125550399", to: attacker.accountID)
            _ = try await app.senderNumbers.add(
                .init(
                    number: "+15125550399", label: "Rival", provider: "twilio", chat: true, isDefault: true,
                    providerAccountID: attacker.accountID, authToken: attacker.authToken),
                by: rival.admin)
            // Signed with the attacker's own token, addressed to the victim's number.
            let text: [(name: String, value: String)] = [
                ("MessageSid", "SM" + FakeTwilio.hex(32)), ("AccountSid", attacker.accountID),
                ("From", "+15125550142"), ("To", TestWorld.mainNumber), ("Body", "STOP"), ("NumMedia", "0"),
            ]
            let inbound = try await client.twilioWebhook(Self.inbound, fields: text, token: attacker.authToken)
            #expect(inbound.status == .forbidden)
            let call = fake.callStatusFields(from: "+15125550142", to: TestWorld.mainNumber, status: "no-answer")
                .map { $0.name == "AccountSid" ? (name: $0.name, value: attacker.accountID) : $0 }
            let calls = try await client.twilioWebhook(
                "/webhooks/twilio/calls", fields: call, token: attacker.authToken)
            #expect(calls.status == .forbidden)
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).isEmpty)
            #expect(try await app.consent.consent(of: world.phone.number, by: world.admin).optedOut == false)
        }
    }
}
