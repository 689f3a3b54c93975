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

@Suite("Campaigns and registrations over HTTP: the API, the pages, the opt-in QR code")
struct CampaignWebTests {
    @Test(
        "The campaigns API: create, count, change, cancel; refusals in the error shape", arguments: TestEngine.available
    )
    func campaignsAPI(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let marketer = try await client.token(email: "marketing@northside.test")
            let dispatcher = try await client.token(email: "dispatch@northside.test")
            #expect(try await client.api(.get, "/campaigns", token: dispatcher).status == .forbidden)
            let empty = try await client.api(.get, "/campaigns", token: marketer)
            #expect(try empty.status == .ok && (try empty.json()["items"] as? [Any])?.isEmpty == true)

            // No marketing number: a draft is kept; "now" is refused with what to do.
            let draft = try await client.api(
                .post, "/campaigns", token: marketer,
                json: #"{"name":"Tune-up","body":"Tune-ups $20 off","audience":{"tags":["VIP"]}}"#)
            #expect(draft.status == .created)
            let created = try draft.json()
            #expect(created["status"] as? String == "draft")
            #expect(created["text"] as? String == "Tune-ups $20 off\nReply STOP to opt out")
            #expect((created["audience"] as? [String: Any])?["tags"] as? [String] == ["vip"])
            let id = try #require(created["id"] as? String)
            let refused = try await client.api(
                .put, "/campaigns/\(id)", token: marketer, json: #"{"name":"Tune-up","body":"Tune-ups","send":"now"}"#)
            #expect(try refused.status == .conflict && (try refused.errorCode()) == "no_marketing_number")
            let tooLong = try await client.api(
                .post, "/campaigns", token: marketer,
                json: #"{"name":"Long","body":"\#(String(repeating: "a", count: 139))"}"#)
            #expect(try tooLong.status == .unprocessableContent && (try tooLong.errorCode()) == "invalid_body")
            let badSend = try await client.api(
                .post, "/campaigns", token: marketer, json: #"{"name":"X","body":"Y","send":"tomorrow"}"#)
            #expect(badSend.status == .unprocessableContent)
            let noTime = try await client.api(
                .post, "/campaigns", token: marketer, json: #"{"name":"X","body":"Y","send":"scheduled"}"#)
            #expect(try noTime.status == .unprocessableContent && (try noTime.errorCode()) == "invalid_scheduled_at")
            let wrongType = try await client.api(.post, "/campaigns", token: marketer, json: #"{"name":3}"#)
            #expect(wrongType.status == .badRequest)

            _ = try await world.addMarketingNumber(twilio: nil)
            _ = try await app.customers.updatePhone(world.phone.id, .init(marketingUpdates: true), by: world.admin)
            try await app.database.write { sql in
                try await ConsentStore(sql).save(
                    SMSConsent(phone: world.phone.number, marketing: .optedIn), in: world.account.id, at: Date())
            }
            let count = try await client.api(.post, "/campaigns/audience-preview", token: marketer, json: "{}")
            #expect(try count.status == .ok && (try count.json()["recipients"]) as? Int == 1)
            let vip = try await client.api(
                .post, "/campaigns/audience-preview", token: marketer, json: #"{"tags":["vip"]}"#)
            #expect((try vip.json()["recipients"]) as? Int == 0)

            let scheduled = try await client.api(
                .put, "/campaigns/\(id)", token: marketer,
                json:
                    #"{"name":"Tune-up","body":"Tune-ups $20 off","send":"scheduled","scheduledAt":"2099-01-01T15:00:00Z"}"#
            )
            #expect(scheduled.status == .unprocessableContent)  // more than a year ahead
            let soon = ISO8601DateFormatter().string(from: app.clock.now().addingTimeInterval(3600))
            let later = try await client.api(
                .put, "/campaigns/\(id)", token: marketer,
                json: #"{"name":"Tune-up","body":"Tune-ups $20 off","send":"scheduled","scheduledAt":"\#(soon)"}"#)
            #expect(try later.status == .ok && (try later.json()["status"]) as? String == "scheduled")
            let canceled = try await client.api(.post, "/campaigns/\(id)/cancel", token: marketer)
            #expect(try canceled.status == .ok && (try canceled.json()["status"]) as? String == "canceled")
            let afterCancel = try await client.api(
                .put, "/campaigns/\(id)", token: marketer, json: #"{"name":"Tune-up","body":"Again"}"#)
            #expect(afterCancel.status == .conflict)
            #expect(try await client.api(.get, "/campaigns/nope", token: marketer).status == .notFound)

            // Customers carry tags through the API.
            let tagged = try await client.api(
                .patch, "/customers/\(world.customer.id)", token: marketer, json: #"{"tags":["VIP"," plan "]}"#)
            #expect(tagged.status == .forbidden)  // marketers read customers, they do not edit them
            let admin = try await client.token()
            let saved = try await client.api(
                .patch, "/customers/\(world.customer.id)", token: admin, json: #"{"tags":["VIP"," plan "]}"#)
            #expect(try saved.status == .ok && (try saved.json()["tags"]) as? [String] == ["vip", "plan"])
            #expect(
                (try
                    (await client.api(.post, "/campaigns/audience-preview", token: marketer, json: #"{"tags":["vip"]}"#))
                    .json()["recipients"]) as? Int == 1)
        }
    }

    @Test("Registrations: the API and the page; submitting needs every field", arguments: TestEngine.available)
    func registrations(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            _ = try await app.registrations.record(.notSubmitted, of: .texting, accountID: world.account.id)
            let admin = try await client.token()
            let listed = try await client.api(.get, "/settings/registrations", token: admin)
            let items = try #require(try listed.json()["items"] as? [[String: Any]])
            #expect(items.map { $0["kind"] as? String } == ["texting", "marketing"])
            #expect((items[0]["missing"] as? [String])?.contains("EIN (tax ID)") == true)
            let early = try await client.api(.post, "/settings/registrations/texting/submit", token: admin)
            #expect(early.status == .unprocessableContent)
            let badEIN = try await client.api(
                .put, "/settings/registrations/texting", token: admin, json: #"{"taxId":"12"}"#)
            #expect(try badEIN.status == .unprocessableContent && (try badEIN.errorCode()) == "invalid_tax_id")
            let approvedAlready = try await client.api(
                .put, "/settings/registrations/marketing", token: admin, json: #"{"useCase":"Offers"}"#)
            #expect(approvedAlready.status == .conflict)
            let marketer = try await client.token(email: "marketing@northside.test")
            #expect(try await client.api(.get, "/settings/registrations", token: marketer).status == .ok)
            #expect(
                try await client.api(.put, "/settings/registrations/texting", token: marketer, json: "{}").status
                    == .forbidden)

            // The page: fill in, save and submit in one post.
            let session = try await WebTests.signIn(client)
            let page = try await InboxWebTests.get(client, "/settings/registration", session)
            #expect(page.status == .ok && page.text.contains("Still needed before you can submit"))
            let form = [
                "legalName=Northside+Plumbing+LLC", "taxId=12-3456789", "website=https%3A%2F%2Fnorthside.example",
                "street=1+Main+St", "city=Austin", "state=tx", "postalCode=78701", "contactName=Dana",
                "contactEmail=dana%40northside.example", "contactPhone=5125550100", "useCase=Job+notices",
                "optInDescription=At+booking", "sampleMessage=Northside%3A+Luis+is+on+the+way", "action=submit",
            ].joined(separator: "&")
            let submitted = try await WebTests.post(client, "/settings/registration/texting", session, form)
            #expect(submitted.status == .seeOther)
            let stored = try await app.registrations.overview(by: world.admin)
            #expect(stored[0].status == .pending && stored[0].details.taxId == "12-3456789")
            // Pending: texting stops until the registry answers.
            await #expect(throws: FieldlineError.self) {
                _ = try await app.inbox.start(phone: "5125550142", body: "Hi", by: world.dispatcher)
            }
            let settings = try await InboxWebTests.get(client, "/settings", session)
            #expect(settings.text.contains("Pending review"))
        }
    }

    @Test(
        "Campaign pages: compose with CSRF, count live, follow progress, and draw the opt-in QR code",
        arguments: TestEngine.available)
    func pages(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let session = try await WebTests.signIn(client, email: "marketing@northside.test")
            let list = try await InboxWebTests.get(client, "/campaigns", session)
            #expect(list.status == .ok && list.text.contains("No campaigns yet"))
            #expect(list.text.contains("Set up a marketing number"))
            _ = try await world.addMarketingNumber(twilio: nil)
            let ready = try await InboxWebTests.get(client, "/campaigns", session)
            #expect(ready.text.contains("sms:+15125550301?&amp;body=Please%20sign%20me%20up"))
            let qr = try await InboxWebTests.get(client, "/campaigns/opt-in-qr.svg", session)
            #expect(qr.status == .ok && qr.headers[.contentType] == "image/svg+xml" && qr.text.hasPrefix("<svg"))

            let count = try await InboxWebTests.postForJSON(
                client, "/campaigns/audience", session, "tags=&lastServiceFrom=")
            #expect(try count.status == .ok && (try count.json()["recipients"]) as? Int == 0)
            let badDate = try await InboxWebTests.postForJSON(
                client, "/campaigns/audience", session, "lastServiceFrom=31%2F12")
            #expect(badDate.status == .unprocessableContent)

            let created = try await WebTests.post(
                client, "/campaigns", session, "name=Winter&body=Furnace+check+%2449&tags=vip&send=now")
            #expect(created.status == .seeOther)
            let location = try #require(created.headers[.location])
            #expect(location.hasPrefix("/campaigns/"))
            try await app.campaigns.queueDue()
            let detail = try await InboxWebTests.get(client, location, session)
            #expect(detail.status == .ok && detail.text.contains("Furnace check $49\nReply STOP to opt out"))
            let progress = try await InboxWebTests.get(client, location + "/progress", session)
            #expect(try progress.status == .ok && (try progress.json()["status"]) as? String == "queued")

            let forged = try await client.execute(
                uri: "/campaigns", method: .post,
                headers: [.cookie: session.cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "_csrf=nope&name=X&body=Y&send=now"))
            #expect(forged.status == .forbidden)
            let dispatcher = try await WebTests.signIn(client, email: "dispatch@northside.test")
            #expect(try await InboxWebTests.get(client, "/campaigns", dispatcher).status == .forbidden)
        }
    }
}
