import AsyncHTTPClient
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

@Suite("The inbox and phone-number API")
struct ChatAPITests {
    @Test("List, open, read, reply, close and reopen through the API", arguments: TestEngine.available)
    func conversationLifecycle(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, number, client in
            _ = try await world.textIn(from: "5125550142", body: "Is Luis coming?", to: number)
            let token = try await client.token(email: "dispatch@northside.test")
            let list = try await client.api(.get, "/conversations", token: token)
            #expect(list.status == .ok)
            let item = try #require((try list.json()["items"] as? [[String: Any]])?.first)
            #expect(item["state"] as? String == "unread" && item["customerName"] as? String == "Robert Castellanos")
            let id = try #require(item["id"] as? String)
            #expect(
                try await client.api(.get, "/conversations/unread-count", token: token).json()["unread"] as? Int == 1)

            let detail = try await client.api(.get, "/conversations/\(id)", token: token).json()
            #expect((detail["customer"] as? [String: Any])?["name"] as? String == "Robert Castellanos")
            #expect(detail["optedOut"] as? Bool == false)
            _ = try await client.api(.post, "/conversations/\(id)/read", token: token)
            #expect(
                try await client.api(.get, "/conversations/unread-count", token: token).json()["unread"] as? Int == 0)

            let reply = try await client.api(
                .post, "/conversations/\(id)/messages", token: token,
                json: #"{"body":"Yes — Luis is 10 minutes out 🚐"}"#)
            #expect(reply.status == .created)
            let sent = try reply.json()
            #expect(sent["encoding"] as? String == "ucs2" && sent["segments"] as? Int == 1)
            #expect((sent["author"] as? [String: Any])?["name"] as? String == "Marcus Dispatch")
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.map(\.body) == ["Yes — Luis is 10 minutes out 🚐"])

            let closed = try await client.api(.post, "/conversations/\(id)/close", token: token)
            #expect(try closed.json()["status"] as? String == "closed")
            let closedList = try await client.api(.get, "/conversations?status=closed", token: token).json()
            #expect((closedList["items"] as? [[String: Any]])?.count == 1)
            let reopened = try await client.api(.post, "/conversations/\(id)/reopen", token: token)
            #expect(try reopened.json()["status"] as? String == "open")
            let messages = try await client.api(.get, "/conversations/\(id)/messages", token: token).json()
            #expect(
                (messages["items"] as? [[String: Any]])?.compactMap { $0["direction"] as? String } == [
                    "inbound", "outbound",
                ])
        }
    }

    @Test("Each bad request gets its own clear 4xx", arguments: [TestEngine.sqlite])
    func badRequests(engine: TestEngine) async throws {
        try await withChatServer(engine) { _, world, _, number, client in
            guard case .inbox(_, let id, _) = try await world.textIn(from: "5125550142", body: "Hi", to: number) else {
                throw TestSetupError("not in inbox")
            }
            let token = try await client.token(email: "dispatch@northside.test")
            let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)] = [
                (
                    .post, "/conversations/\(id)/messages", #"{"body":"\#(String(repeating: "a", count: 161))"}"#,
                    .unprocessableContent, "invalid_body"
                ),
                (
                    .post, "/conversations/\(id)/messages", #"{"body":"Photo","attachments":["https://x.test/a.png"]}"#,
                    .unprocessableContent, "invalid_attachments"
                ),
                (.post, "/conversations/\(id)/messages", #"{"body":""}"#, .unprocessableContent, "invalid_body"),
                (.post, "/conversations/\(id)/messages", #"{"body":12}"#, .badRequest, "invalid_field_type"),
                (.post, "/conversations/\(id)/messages", "{nope", .badRequest, "invalid_json"),
                (.post, "/conversations/nope/messages", #"{"body":"Hi"}"#, .notFound, "conversation_not_found"),
                (.get, "/conversations?status=archived", nil, .unprocessableContent, "invalid_status"),
                (.get, "/conversations/\(id)/messages?before=yesterday", nil, .unprocessableContent, "invalid_before"),
                (.post, "/conversations", #"{"phone":"12","body":"Hi"}"#, .unprocessableContent, "invalid_phone"),
                (
                    .post, "/conversations", #"{"phone":"5125550177","body":"Hi"}"#, .unprocessableContent,
                    "invalid_phone"
                ),
                (.get, "/chat-history?phone=abc", nil, .unprocessableContent, "invalid_phone"),
                (.post, "/messages/nope/resend", nil, .notFound, "message_not_found"),
                (.get, "/phone-numbers", nil, .ok, ""),
                (.post, "/phone-numbers", #"{"number":"+15125550333","provider":"console"}"#, .forbidden, "forbidden"),
                (.get, "/blocked-numbers", nil, .forbidden, "forbidden"),
            ]
            for (method, path, body, status, code) in cases {
                let response = try await client.api(method, path, token: token, json: body)
                #expect(response.status == status, "\(method) \(path)")
                if !code.isEmpty { #expect(try response.errorCode() == code, "\(method) \(path): \(response.text)") }
            }
        }
    }

    @Test(
        "A number is attached only when the business's Twilio account proves it holds it; nobody claims another's",
        arguments: TestEngine.available)
    func numberClaimsAreProven(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, _, fake, _, client in
            let token = try await client.token()
            // A second business, run by an attacker, with a Twilio account of its own.
            let rival = try await TestWorld.make(app, name: "Rival Rooter", emailDomain: "rival.test")
            let rivalAccount = fake.addAccount()
            let rivalToken = try await client.token(email: "admin@rival.test")
            // The victim's next number (held by the victim's Twilio account, not yet in Fieldline).
            let victimsNext = "+15125550450"
            func add(_ number: String, account: SMSCredentials, token: String) async throws -> TestResponse {
                try await client.api(
                    .post, "/phone-numbers", token: token,
                    json: #"""
                        {"number":"\#(number)","provider":"twilio","chat":true,
                         "providerAccountId":"\#(account.accountID)","authToken":"\#(account.authToken)"}
                        """#)
            }
            let claimed = try await add(victimsNext, account: rivalAccount, token: rivalToken)
            #expect(claimed.status == .unprocessableContent)
            #expect(try claimed.errorCode() == "invalid_number")
            // Made-up credentials are refused as such.
            let madeUp = SMSCredentials(accountID: "AC" + FakeTwilio.hex(32), authToken: FakeTwilio.hex(32))
            #expect(
                try await add("+15125550451", account: madeUp, token: rivalToken).errorCode() == "invalid_auth_token")
            #expect(try await app.senderNumbers.all(by: rival.admin).isEmpty)
            // The rightful owner adds it without trouble.
            #expect(try await add(victimsNext, account: fake.credentials, token: token).status == .created)
            // The rival's own number is its to add.
            fake.assign("+15125550452", to: rivalAccount.accountID)
            #expect(try await add("+15125550452", account: rivalAccount, token: rivalToken).status == .created)
        }
    }

    @Test("Admins add, change and remove numbers; the auth token is never returned", arguments: TestEngine.available)
    func phoneNumbers(engine: TestEngine) async throws {
        try await withChatServer(engine) { _, _, fake, _, client in
            let token = try await client.token()
            let created = try await client.api(
                .post, "/phone-numbers", token: token,
                json: #"""
                    {"number":"(512) 555-0401","label":"Promotions","provider":"twilio","chat":false,"marketing":true,
                     "ratePerSecond":3,"providerAccountId":"\#(fake.accountSID)","authToken":"\#(fake.authToken)"}
                    """#)
            #expect(created.status == .created)
            #expect(!created.text.contains(fake.authToken))
            let body = try created.json()
            #expect(body["hasCredentials"] as? Bool == true && body["isDefault"] as? Bool == false)
            let id = try #require(body["id"] as? String)
            let listed = try await client.api(.get, "/phone-numbers", token: token)
            #expect(!listed.text.contains(fake.authToken))
            #expect((try listed.json()["items"] as? [[String: Any]])?.count == 2)

            let invalid: [(String, String)] = [
                (#"{"number":"(512) 555-0402","provider":"twilio","authToken":"x"}"#, "invalid_provider_account_id"),
                (#"{"number":"(512) 555-0402","provider":"carrier-pigeon"}"#, "invalid_provider"),
                (#"{"number":"(512) 555-0402","provider":"console","ratePerSecond":0}"#, "invalid_rate_per_second"),
                (#"{"number":"(512) 555-0402","provider":"console","chat":false}"#, "invalid_chat"),
                (#"{"number":"\#(TestWorld.mainNumber)","provider":"console"}"#, "number_taken"),
            ]
            for (json, code) in invalid {
                let response = try await client.api(.post, "/phone-numbers", token: token, json: json)
                #expect(try response.errorCode() == code, "\(json): \(response.text)")
            }
            let patched = try await client.api(
                .patch, "/phone-numbers/\(id)", token: token, json: #"{"label":"Deals","ratePerSecond":10}"#)
            #expect(try patched.json()["label"] as? String == "Deals")
            let noDefault = try await client.api(
                .patch, "/phone-numbers/\(id)", token: token, json: #"{"isDefault":true}"#)
            #expect(try noDefault.errorCode() == "invalid_is_default")
            #expect(try await client.api(.delete, "/phone-numbers/\(id)", token: token).status == .noContent)
            #expect(try await client.api(.get, "/phone-numbers/\(id)", token: token).status == .notFound)
        }
    }

    @Test("Another account's token sees none of the inbox, whichever route it tries", arguments: TestEngine.available)
    func isolation(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, _, number, client in
            guard
                case .inbox(let messageID, let id, _) = try await world.textIn(
                    from: "5125550142", body: "Hi", to: number)
            else { throw TestSetupError("not in inbox") }
            _ = try await TestWorld.make(app, name: "Rival Plumbing", emailDomain: "rival.test")
            let rival = try await client.token(email: "admin@rival.test")
            let probes: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/conversations/\(id)", nil), (.get, "/conversations/\(id)/messages", nil),
                (.post, "/conversations/\(id)/messages", #"{"body":"Hi"}"#), (.post, "/conversations/\(id)/read", nil),
                (.post, "/conversations/\(id)/close", nil), (.post, "/conversations/\(id)/block", nil),
                (.post, "/conversations/\(id)/wrong-number", nil),
                (.post, "/conversations/\(id)/attach", #"{"customerId":"\#(world.customer.id)"}"#),
                (.post, "/messages/\(messageID)/resend", nil), (.get, "/phone-numbers/\(number.id)", nil),
                (.patch, "/phone-numbers/\(number.id)", #"{"label":"Mine now"}"#),
                (.delete, "/phone-numbers/\(number.id)", nil),
            ]
            for (method, path, body) in probes {
                let response = try await client.api(method, path, token: rival, json: body)
                #expect(response.status == .notFound, "\(method) \(path) answered \(response.status)")
            }
            let list = try await client.api(.get, "/conversations", token: rival).json()
            #expect((list["items"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).first?.conversation.status == .open)
        }
    }
}

@Suite("End to end over real HTTP: Twilio in, the office replies, Twilio reports delivery")
struct ChatEndToEndTests {
    @Test(
        "A customer's text arrives by webhook; the reply is sent by the worker and reported delivered",
        arguments: TestEngine.available)
    func loop(engine: TestEngine) async throws {
        try await FakeTwilio.running(sendsCallbacks: true) { fake in
            try await engine.withDatabase { database in
                let app = try Fieldline.forTesting(database: database, clock: SystemClock(), twilio: fake)
                let world = try await TestWorld.make(app)
                try await world.addMainNumber(twilio: fake, rate: 10)
                let server = try await FieldlineServer.buildApplication(
                    configuration: ServerConfiguration(host: "127.0.0.1", port: 0), app: app)
                try await server.test(.live) { client in
                    let port = try #require(client.port)
                    fake.deliverCallbacks(to: "127.0.0.1:\(port)")
                    let status = try await fake.textIn(
                        from: "+15125550142", to: TestWorld.mainNumber, body: "Are you open Saturday?",
                        url: "http://127.0.0.1:\(port)/webhooks/twilio/messages",
                        signedURL: "http://fieldline.test/webhooks/twilio/messages")
                    #expect(status == 200)
                    let token = try await client.token(email: "dispatch@northside.test")
                    let list = try await client.api(.get, "/conversations", token: token).json()
                    let id = try #require((list["items"] as? [[String: Any]])?.first?["id"] as? String)
                    let reply = try await client.api(
                        .post, "/conversations/\(id)/messages", token: token, json: #"{"body":"Yes, 8 to noon!"}"#)
                    let messageID = try #require(try reply.json()["id"] as? String)
                    var delivered = false
                    for _ in 0..<100 where !delivered {
                        try await Task.sleep(for: .milliseconds(100))
                        let stored = try await app.database.read { sql in
                            try await MessageStore(sql).find(MessageID(messageID), in: world.account.id)
                        }
                        delivered = stored?.status == .delivered
                    }
                    #expect(delivered)
                    #expect(fake.sent.map(\.body) == ["Yes, 8 to noon!"])
                }
            }
        }
    }
    @Test(
        "Twenty replies whose callbacks race the worker's own record all end delivered",
        arguments: TestEngine.available)
    func racingCallbacks(engine: TestEngine) async throws {
        try await FakeTwilio.running(sendsCallbacks: true) { fake in
            try await engine.withDatabase { database in
                let app = try Fieldline.forTesting(database: database, clock: SystemClock(), twilio: fake)
                let world = try await TestWorld.make(app)
                let number = try await world.addMainNumber(twilio: fake, rate: 100)
                let server = try await FieldlineServer.buildApplication(
                    configuration: ServerConfiguration(host: "127.0.0.1", port: 0), app: app)
                try await server.test(.live) { client in
                    fake.deliverCallbacks(to: "127.0.0.1:\(try #require(client.port))")
                    guard
                        case .inbox(_, let conversationID, _) = try await world.textIn(
                            from: "5125550142", body: "Send me the details", to: number)
                    else { throw TestSetupError("not in inbox") }
                    var ids: [MessageID] = []
                    for index in 1...20 {
                        ids.append(
                            try await app.inbox.reply(
                                to: conversationID, body: "Detail \(index)", by: world.dispatcher
                            ).id)
                    }
                    var pending = Set(ids)
                    for _ in 0..<150 where !pending.isEmpty {
                        try await Task.sleep(for: .milliseconds(100))
                        for id in pending {
                            let stored = try await app.database.read { sql in
                                try await MessageStore(sql).find(id, in: world.account.id)
                            }
                            if stored?.status == .delivered { pending.remove(id) }
                        }
                    }
                    #expect(pending.isEmpty, "\(pending.count) of 20 texts never showed as delivered")
                }
            }
        }
    }
}
