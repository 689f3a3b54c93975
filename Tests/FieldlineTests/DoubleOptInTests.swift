import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

@Suite("Double opt-in from the customer record (SC5)")
struct DoubleOptInTests {
    @Test(
        "The request goes from the marketing number; YES in time opts in, anything else or too late does not",
        arguments: TestEngine.available)
    func customerRecordOptIn(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            let marketing = try await world.addMarketingNumber(twilio: fake)
            let (consent, request) = try await app.consent.requestMarketingOptIn(
                ofPhone: world.phone.id, by: world.marketer)
            #expect(request.message.ourNumber.e164 == TestWorld.marketingNumber)
            #expect(request.message.purpose == .compliance && request.message.author.automation == .doubleOptInRequest)
            #expect(request.message.body.hasPrefix("Northside Plumbing: reply YES to get our offers"))
            #expect(request.message.body.contains("Reply STOP to opt out") && request.message.body.count <= 160)
            #expect(consent.doubleOptInPending(at: clock.now()))
            // Not time-sensitive: held until quiet hours end, and the window runs from then.
            #expect(consent.doubleOptInPendingUntil == request.sendAt.addingTimeInterval(ConsentBook.optInWindow))
            clock.set(max(clock.now(), request.sendAt))
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent(to: "+15125550142").map(\.from) == [TestWorld.marketingNumber])

            clock.advance(by: 3600)
            _ = try await world.textIn(from: "5125550142", body: "Yes", to: marketing)
            let after = try await app.consent.consent(of: world.phone.number, by: world.admin)
            #expect(after.marketing == .optedIn && !after.doubleOptInPending(at: clock.now()))
            let ledger = try await app.consent.ledger(of: world.phone.number, by: world.admin)
            #expect(ledger.map(\.change.to) == ["opted_in"] && ledger.first?.change.scope == .marketing)
            await expectFailure("already_opted_in") {
                _ = try await app.consent.requestMarketingOptIn(ofPhone: world.phone.id, by: world.marketer)
            }

            // A second number: anything but YES does nothing, and YES after the window is just a text.
            let second = try await app.customers.addPhone(
                .init(number: "(512) 555-0188", kind: "mobile"), to: world.customer.id, by: world.admin)
            let (pending, _) = try await app.consent.requestMarketingOptIn(ofPhone: second.id, by: world.admin)
            _ = try await world.textIn(from: "5125550188", body: "sure why not", to: marketing)
            #expect(try await app.consent.consent(of: second.number, by: world.admin).marketing == .none)
            clock.set(try #require(pending.doubleOptInPendingUntil).addingTimeInterval(60))
            let late = try await world.textIn(from: "5125550188", body: "YES", to: marketing)
            guard case .inbox(_, _, let keyword) = late else {
                Issue.record("a late YES should land in the inbox, got \(late)")
                return
            }
            #expect(keyword == nil)
            #expect(try await app.consent.consent(of: second.number, by: world.admin).marketing == .none)
        }
    }

    @Test(
        "Requests are refused for opted-out numbers, landlines, without a marketing number, and for dispatchers",
        arguments: TestEngine.available)
    func refusals(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            await expectFailure("no_marketing_number") {
                _ = try await app.consent.requestMarketingOptIn(ofPhone: world.phone.id, by: world.marketer)
            }
            _ = try await world.addMarketingNumber(twilio: fake)
            await expectFailure("forbidden") {
                _ = try await app.consent.requestMarketingOptIn(ofPhone: world.phone.id, by: world.dispatcher)
            }
            let landline = try await app.customers.addPhone(
                .init(number: "(512) 555-0177", kind: "landline"), to: world.customer.id, by: world.admin)
            await expectFailure("landline") {
                _ = try await app.consent.requestMarketingOptIn(ofPhone: landline.id, by: world.marketer)
            }
            _ = try await world.textIn(from: "5125550142", body: "STOP", to: number)
            await expectFailure("opted_out") {
                _ = try await app.consent.requestMarketingOptIn(ofPhone: world.phone.id, by: world.marketer)
            }
            #expect(
                try await app.consent.consent(of: world.phone.number, by: world.admin).doubleOptInPendingUntil == nil)
        }
    }
}
