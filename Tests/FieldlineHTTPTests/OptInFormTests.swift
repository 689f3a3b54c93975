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

@Suite("The public opt-in form (SC5): double opt-in, honeypot, rate limit, one request per window")
struct OptInFormTests {
    static func post(
        _ client: some TestClientProtocol, _ account: AccountID, _ form: String
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/opt-in/\(account)", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: form))
    }

    @Test(
        "A number typed in gets one request to reply YES; bots and floods get nothing", arguments: TestEngine.available)
    func signUp(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let account = world.account.id
            #expect(try await client.execute(uri: "/opt-in/\(account)", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/opt-in/nope", method: .get).text.contains("not available"))
            let marketing = try await world.addMarketingNumber(twilio: fake)

            let page = try await client.execute(uri: "/opt-in/\(account)", method: .get)
            #expect(page.status == .ok)
            #expect(
                page.text.contains("Consent is not a condition of purchase") && page.text.contains("name=\"website\""))

            let missingAgree = try await Self.post(client, account, "phone=5125550160")
            #expect(missingAgree.status == .unprocessableContent && missingAgree.text.contains("Tick the box"))
            let badPhone = try await Self.post(client, account, "phone=12&agree=1")
            #expect(badPhone.status == .unprocessableContent)

            let done = try await Self.post(client, account, "phone=%28512%29+555-0160&agree=1")
            #expect(
                done.status == .ok && done.text.contains("Check your phone") && done.text.contains("(512) 555-0160"))
            let consent = try await app.consent.consent(of: try PhoneNumber.parse("5125550160"), by: world.admin)
            #expect(consent.doubleOptInPendingUntil != nil && consent.marketing == .none)

            // The same number again: the same answer, no second text.
            let again = try await Self.post(client, account, "phone=5125550160&agree=1")
            #expect(again.status == .ok && again.text.contains("Check your phone"))
            // A bot fills the trap: the usual answer, nothing queued.
            let bot = try await Self.post(client, account, "phone=5125550161&agree=1&website=http%3A%2F%2Fspam.example")
            #expect(bot.status == .ok)
            let botConsent = try await app.consent.consent(of: try PhoneNumber.parse("5125550161"), by: world.admin)
            #expect(botConsent.doubleOptInPendingUntil == nil)
            let requests = try await app.database.read { sql in
                try await MessageStore(sql).bodies(of: .doubleOptInRequest, in: account, limit: 10)
            }
            #expect(requests.count == 1)

            // Five sign-ups per address in ten minutes (five used above), then 429.
            let flood = try await Self.post(client, account, "phone=5125550162&agree=1")
            #expect(flood.status == .tooManyRequests && flood.text.contains("Too many sign-ups"))

            // YES to the marketing number confirms, as from the customer record.
            _ = try await app.inbound.receive(
                InboundText(
                    providerMessageID: "SM" + FakeTwilio.hex(32), from: try PhoneNumber.parse("5125550160"),
                    to: marketing, body: "YES"))
            let confirmed = try await app.consent.consent(of: try PhoneNumber.parse("5125550160"), by: world.admin)
            #expect(confirmed.marketing == .optedIn)
        }
    }
}
