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

@Suite("Transactional campaigns over HTTP: the call webhook, the settings page, estimates and services")
struct TriggeredCampaignWebTests {
    static let calls = "/webhooks/twilio/calls"

    @Test(
        "An unanswered call, signed by Twilio, is texted back once; answered and forged calls are not",
        arguments: TestEngine.available)
    func callWebhook(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            _ = try await app.triggeredCampaigns.save(.missedCall, .init(enabled: true), by: world.admin)
            let answered = fake.callStatusFields(
                from: "+15125550142", to: TestWorld.mainNumber, status: "completed", dialStatus: "completed")
            let ok = try await client.twilioWebhook(Self.calls, fields: answered, token: fake.authToken)
            #expect(ok.status == .ok)
            #expect(ok.text.contains("<Response></Response>"))
            let forged = try await client.twilioWebhook(
                Self.calls,
                fields: fake.callStatusFields(from: "+15125550142", to: TestWorld.mainNumber, status: "no-answer"),
                token: "wrong")
            #expect(forged.status == .forbidden)
            let missed = fake.callStatusFields(from: "+15125550142", to: TestWorld.mainNumber, status: "no-answer")
            #expect(try await client.twilioWebhook(Self.calls, fields: missed, token: fake.authToken).status == .ok)
            // Twilio retries: the same call again changes nothing.
            #expect(try await client.twilioWebhook(Self.calls, fields: missed, token: fake.authToken).status == .ok)
            let recorded = try await app.database.read { sql in
                try await TriggeredCampaignStore(sql).recentRuns(.missedCall, in: world.account.id, limit: 10)
            }
            #expect(recorded.count == 1)
            let withheld = fake.callStatusFields(from: "anonymous", to: TestWorld.mainNumber, status: "busy")
            #expect(try await client.twilioWebhook(Self.calls, fields: withheld, token: fake.authToken).status == .ok)
            var noSid = missed
            noSid.removeAll { $0.name == "CallSid" }
            let bad = try await client.twilioWebhook(Self.calls, fields: noSid, token: fake.authToken)
            #expect(try bad.status == .badRequest && (try bad.errorCode()) == "invalid_call_sid")
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.count == 1)
            #expect(fake.sent.first?.to == "+15125550142")
            #expect(fake.sent.first?.body.hasPrefix("Sorry we missed your call!") == true)
            let runs = try await app.triggeredCampaigns.overview(by: world.admin).first {
                $0.campaign.kind == .missedCall
            }
            #expect(runs?.sentLast30Days == 1)
        }
    }

    @Test(
        "As the <Dial> action: an unanswered forward texts back and sends the caller to voicemail",
        arguments: TestEngine.available)
    func dialAction(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            _ = try await app.triggeredCampaigns.save(
                .missedCall, .init(enabled: true, followOnURL: "https://handler.twilio.com/twiml/EH1?a=1&b=2"),
                by: world.admin)
            let answered = fake.callStatusFields(
                from: "+15125550142", to: TestWorld.mainNumber, status: "in-progress", dialStatus: "completed")
            let hungUp = try await client.twilioWebhook(Self.calls, fields: answered, token: fake.authToken)
            #expect(hungUp.text.hasSuffix("<Response></Response>"))
            let unanswered = fake.callStatusFields(
                from: "+15125550142", to: TestWorld.mainNumber, status: "in-progress", dialStatus: "no-answer")
            let response = try await client.twilioWebhook(Self.calls, fields: unanswered, token: fake.authToken)
            #expect(response.status == .ok)
            #expect(
                response.text.hasSuffix(
                    #"<Response><Redirect method="POST">https://handler.twilio.com/twiml/EH1?a=1&amp;b=2</Redirect></Response>"#
                ))
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.map(\.to) == ["+15125550142"])
        }
    }

    @Test(
        "The automatic texts page: marketers turn them on, bad templates come back with the reason",
        arguments: TestEngine.available)
    func settingsPage(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let session = try await WebTests.signIn(client, email: "marketing@northside.test", expecting: "/campaigns")
            let page = try await InboxWebTests.get(client, "/campaigns/automatic", session)
            #expect(page.status == .ok)
            #expect(page.text.contains("Unsold estimate follow-up"))
            #expect(page.text.contains("Missed call text-back"))
            #expect(page.text.contains("Hi Robert, any questions about the Water heater replacement estimate"))
            let saved = try await WebTests.post(
                client, "/campaigns/automatic/service_reminder", session,
                "enabled=1&days=10&template=Your+%7Bservice_name%7D+is+due+%7Bdue_date%7D.+%7Bcompany_name%7D")
            #expect(saved.status == .seeOther)
            let reminder = try await app.triggeredCampaigns.overview(by: world.admin).first {
                $0.campaign.kind == .serviceReminder
            }
            #expect(reminder?.campaign.enabled == true)
            #expect(reminder?.campaign.days == 10)
            #expect(reminder?.preview == "Your Furnace tune-up is due Tue, Dec 15. Northside Plumbing")
            let refused = try await WebTests.post(
                client, "/campaigns/automatic/estimate_follow_up", session,
                "enabled=1&days=3&template=Hi+%7Btechnician_name%7D")
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("Unknown token {technician_name}"))
            #expect(refused.text.contains("Hi {technician_name}"))
            let noDays = try await WebTests.post(
                client, "/campaigns/automatic/estimate_follow_up", session, "enabled=1&days=&template=Hi")
            #expect(noDays.status == .unprocessableContent)
            let unknown = try await WebTests.post(client, "/campaigns/automatic/birthday", session, "enabled=1")
            #expect(unknown.status == .notFound)
            let dispatcher = try await WebTests.signIn(client, email: "dispatch@northside.test")
            #expect(try await InboxWebTests.get(client, "/campaigns/automatic", dispatcher).status == .forbidden)
        }
    }

    @Test("Estimates and recurring services on the customer page and in the API", arguments: TestEngine.available)
    func customerRecords(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/customers")
            let customer = "/customers/\(world.customer.id)"
            let empty = try await InboxWebTests.get(client, customer, session)
            #expect(empty.text.contains("No estimates"))
            #expect(empty.text.contains("No recurring services"))
            #expect(
                try await WebTests.post(
                    client, customer + "/estimates", session, "summary=Water+heater+replacement&amount=1%2C850"
                ).status == .seeOther)
            let badAmount = try await WebTests.post(client, customer + "/estimates", session, "summary=X&amount=lots")
            #expect(badAmount.status == .seeOther)  // back to the page, with the reason in a flash
            #expect(
                try await WebTests.post(
                    client, customer + "/services", session, "name=Furnace+tune-up&intervalMonths=12&nextDue=2027-03-15"
                ).status == .seeOther)
            let badDay = try await WebTests.post(
                client, customer + "/services", session, "name=Test&intervalMonths=12&nextDue=2027-02-30")
            #expect(badDay.status == .seeOther)  // back to the page, with the reason in a flash
            let page = try await InboxWebTests.get(client, customer, session)
            #expect(page.text.contains("Water heater replacement"))
            #expect(page.text.contains("$1,850.00"))
            #expect(page.text.contains("Furnace tune-up"))
            #expect(page.text.contains("Every year"))
            let detail = try await app.customers.detail(world.customer.id, by: world.admin)
            let estimate = try #require(detail.estimates.first)
            let service = try #require(detail.services.first)
            #expect(
                try await WebTests.post(client, "/estimates/\(estimate.id)/status", session, "status=sold").status
                    == .seeOther)
            #expect(
                try await WebTests.post(client, "/services/\(service.id)/done", session, "due=\(service.nextDue)")
                    .status
                    == .seeOther)
            let after = try await app.customers.detail(world.customer.id, by: world.admin)
            #expect(after.estimates.first?.status == .sold)
            #expect(after.services.first?.nextDue == "2028-03-15")

            let token = try await client.token(email: "dispatch@northside.test")
            let created = try await client.api(
                .post, "/customers/\(world.customer.id)/estimates", token: token,
                json: #"{"summary":"Sump pump","amount":"640.50"}"#)
            #expect(try created.status == .created && (try created.json()["amountCents"]) as? Int == 64_050)
            let wrongStatus = try await client.api(
                .post, "/estimates/\(estimate.id)/status", token: token, json: #"{"status":"maybe"}"#)
            #expect(
                try wrongStatus.status == .unprocessableContent && (try wrongStatus.errorCode()) == "invalid_status")
            let patched = try await client.api(
                .patch, "/recurring-services/\(service.id)", token: token, json: #"{"intervalMonths":6}"#)
            #expect(try patched.status == .ok && (try patched.json()["nextDue"]) as? String == "2028-03-15")
            let read = try await client.api(.get, "/customers/\(world.customer.id)", token: token)
            #expect((try read.json()["estimates"] as? [Any])?.count == 2)
            #expect((try read.json()["recurringServices"] as? [Any])?.count == 1)
            #expect(
                try await client.api(.delete, "/recurring-services/\(service.id)", token: token).status == .noContent)
            let marketer = try await client.token(email: "marketing@northside.test")
            let settings = try await client.api(.get, "/triggered-campaigns", token: marketer)
            #expect((try settings.json()["items"] as? [Any])?.count == 3)
            let put = try await client.api(
                .put, "/triggered-campaigns/missed_call", token: marketer, json: #"{"enabled":true}"#)
            #expect(try put.status == .ok && (try put.json()["enabled"]) as? Bool == true)
            #expect(try await client.api(.get, "/triggered-campaigns", token: token).status == .forbidden)
        }
    }
}
