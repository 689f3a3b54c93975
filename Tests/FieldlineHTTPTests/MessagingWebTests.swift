import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Texting in the web app: numbers and after-hours reply in Settings, the phone simulator")
struct MessagingWebTests {
    @Test("Admins add a number, change it, remove it, and set the after-hours reply", arguments: TestEngine.available)
    func settings(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let session = try await WebTests.signIn(client, expecting: "/settings")
            let page = try await client.execute(uri: "/settings", method: .get, headers: [.cookie: session.cookie])
            #expect(page.text.contains("No texting numbers yet"))
            #expect(page.text.contains("/webhooks/twilio/messages"))
            let added = try await WebTests.post(
                client, "/settings/numbers", session,
                "number=512-555-0300&label=Main+line&provider=console&ratePerSecond=1&chat=1&mms=1")
            #expect(added.status == .seeOther)
            let number = try #require(try await app.senderNumbers.all(by: world.admin).first)
            #expect(number.isDefault && number.mms && number.label == "Main line")

            let refused = try await WebTests.post(
                client, "/settings/numbers", session, "number=512-555-0301&provider=twilio&ratePerSecond=1&chat=1")
            #expect(refused.status == .seeOther)
            #expect(try await app.senderNumbers.all(by: world.admin).count == 1)

            _ = try await WebTests.post(
                client, "/settings/numbers/\(number.id)", session, "label=Office&ratePerSecond=2&chat=1")
            let changed = try #require(try await app.senderNumbers.all(by: world.admin).first)
            #expect(changed.label == "Office" && changed.ratePerSecond == 2 && !changed.mms)

            _ = try await WebTests.post(
                client, "/settings", session,
                "name=Northside+Plumbing&timeZone=America%2FChicago&autoreplyEnabled=1&autoreplyText=Closed+now%2C+back+at+8."
            )
            let account = try await app.accounts.find(world.account.id)
            #expect(account.autoreply == Autoreply(enabled: true, text: "Closed now, back at 8."))

            _ = try await WebTests.post(client, "/settings/numbers/\(number.id)/remove", session, "")
            #expect(try await app.senderNumbers.all(by: world.admin).isEmpty)
        }
    }

    @Test("An admin can make a dispatcher's chat access view-only", arguments: [TestEngine.sqlite])
    func chatAccess(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let session = try await WebTests.signIn(client, expecting: "/settings")
            _ = try await WebTests.post(
                client, "/settings/users/\(world.dispatcher.userID)", session,
                "role=dispatcher&active=1&chatAccess=view")
            let users = try await app.accounts.users(by: world.admin)
            let dispatcher = try #require(users.first { $0.id == world.dispatcher.userID })
            #expect(dispatcher.chatAccess == .view)
            #expect(!Actor(user: dispatcher).can(.fullCustomerChats) && Actor(user: dispatcher).can(.viewCustomerChats))
        }
    }

    @Test(
        "The simulator texts the inbox as a customer and shows the business's answers", arguments: TestEngine.available)
    func simulator(engine: TestEngine) async throws {
        try await withServer(engine, demo: true) { app, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/simulator")
            let sent = try await client.execute(
                uri: "/simulator/messages", method: .post,
                headers: [
                    .cookie: session.cookie, .contentType: "application/x-www-form-urlencoded",
                    .accept: "application/json",
                ],
                body: ByteBuffer(string: "_csrf=\(session.csrf)&number=\(number.id)&phone=%2B15125550142&body=HELP"))
            #expect(sent.status == .noContent)
            try await OutboxWorker(app: app).drain()
            let thread = try await client.execute(
                uri: "/simulator/thread?number=\(number.id)&phone=%2B15125550142", method: .get,
                headers: [.cookie: session.cookie])
            let messages = try #require(
                (try JSONSerialization.jsonObject(with: Data(thread.text.utf8)) as? [String: Any])?["messages"]
                    as? [[String: Any]])
            #expect(messages.map { $0["side"] as? String } == ["sent", "received"])
            #expect((messages.last?["body"] as? String)?.contains("customer care") == true)
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).count == 1)
            let page = try await client.execute(
                uri: "/simulator?number=\(number.id)&phone=5125550142", method: .get, headers: [.cookie: session.cookie]
            )
            #expect(page.status == .ok && page.text.contains("customer care"))
        }
    }

    @Test(
        "Outside demo mode there is no simulator: nobody can make a number \"text\" a STOP or a sign-up",
        arguments: TestEngine.available)
    func noSimulatorOutsideDemo(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            let session = try await WebTests.signIn(client, expecting: "/settings")
            let forged = try await client.execute(
                uri: "/simulator/messages", method: .post,
                headers: [
                    .cookie: session.cookie, .contentType: "application/x-www-form-urlencoded",
                    .accept: "application/json",
                ],
                body: ByteBuffer(string: "_csrf=\(session.csrf)&number=\(number.id)&phone=%2B15125550142&body=STOP"))
            #expect(forged.status == .notFound)
            let page = try await client.execute(uri: "/simulator", method: .get, headers: [.cookie: session.cookie])
            #expect(page.status == .notFound)
            #expect(try await app.consent.consent(of: world.phone.number, by: world.admin).optedOut == false)
            await #expect(throws: FieldlineError.self) {
                try await app.simulator.text(from: "+15125550142", to: number.id, body: "STOP", by: world.admin)
            }
            let settings = try await InboxWebTests.get(client, "/settings", session)
            #expect(!settings.text.contains("/simulator"))
        }
    }
}
