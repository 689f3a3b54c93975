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

@Suite("On-the-way notices over HTTP: the settings API and page, the public tracking page")
struct DispatchWebTests {
    @Test(
        "The settings API: read, refuse bad templates and unready texting by name, save, preview",
        arguments: TestEngine.available)
    func settingsAPI(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let admin = try await client.token()
            let initial = try await client.api(.get, "/settings/dispatch-notices", token: admin)
            #expect(initial.status == .ok)
            let body = try initial.json()
            #expect(body["textEnabled"] as? Bool == false && body["textReady"] as? Bool == false)
            #expect((body["tokens"] as? [[String: Any]])?.count == NoticeToken.dispatch.count)

            let notReady = try await client.api(
                .put, "/settings/dispatch-notices", token: admin, json: #"{"textEnabled":true}"#)
            #expect(notReady.status == .conflict)
            #expect(try notReady.errorCode() == "text_not_ready")
            let unknown = try await client.api(
                .put, "/settings/dispatch-notices", token: admin, json: #"{"textTemplate":"Hi {customer_nme}"}"#)
            #expect(unknown.status == .unprocessableContent)
            #expect(try unknown.errorCode() == "invalid_text_template")
            let unknownMessage = (try unknown.json()["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(unknownMessage.contains("{customer_nme}"))
            let long = try await client.api(
                .put, "/settings/dispatch-notices", token: admin,
                json: #"{"textTemplate":"\#(String(repeating: "a", count: 100)) {company_name} {tracking_link}"}"#)
            #expect(long.status == .unprocessableContent)
            #expect(try long.errorCode() == "invalid_text_template")
            let wrongType = try await client.api(
                .put, "/settings/dispatch-notices", token: admin, json: #"{"textEnabled":"yes"}"#)
            #expect(wrongType.status == .badRequest)

            _ = try await world.addMainNumber(twilio: nil)
            let saved = try await client.api(
                .put, "/settings/dispatch-notices", token: admin,
                json:
                    #"{"textEnabled":true,"emailEnabled":true,"textTemplate":"{company_name}: {technician_first_name} is on the way. {tracking_link}"}"#
            )
            #expect(saved.status == .ok)
            #expect(
                try saved.json()["textEnabled"] as? Bool == true && (try saved.json()["emailEnabled"]) as? Bool == true)
            #expect(
                try await app.dispatchNotices.overview(by: world.admin).settings.textTemplate.hasPrefix(
                    "{company_name}:"))

            let preview = try await client.api(
                .post, "/settings/dispatch-notices/preview", token: admin, json: #"{"emailSubject":"{nope}"}"#)
            #expect(preview.status == .ok)
            let previewBody = try preview.json()
            #expect((previewBody["problem"] as? [String: Any])?["code"] as? String == "invalid_email_subject")
            #expect((previewBody["text"] as? String)?.hasPrefix("Northside Plumbing: Sam is on the way.") == true)

            let dispatcher = try await client.token(email: "dispatch@northside.test")
            let forbidden = try await client.api(.get, "/settings/dispatch-notices", token: dispatcher)
            #expect(forbidden.status == .forbidden)
        }
    }

    @Test("The settings page saves with CSRF, shows readiness and previews as JSON", arguments: TestEngine.available)
    func settingsPage(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let session = try await WebTests.signIn(client)
            let page = try await InboxWebTests.get(client, "/settings/notifications", session)
            #expect(page.status == .ok)
            #expect(page.text.contains("Texts cannot go out yet.") && page.text.contains("Not ready"))
            #expect(page.text.contains("{technician_first_name}") && page.text.contains("data-preview=\"text\""))
            let settings = try await InboxWebTests.get(client, "/settings", session)
            #expect(settings.text.contains("On-the-way notices") && settings.text.contains("/settings/notifications"))

            let form =
                "emailEnabled=1&trackingEnabled=1&limitWhenSeveralDispatched=1&textTemplate=%7Bcompany_name%7D+on+the+way&emailSubject=Hi&emailTemplate=Hello+%7Bcustomer_first_name%7D"
            let saved = try await client.execute(
                uri: "/settings/notifications", method: .post,
                headers: [.cookie: session.cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "_csrf=\(session.csrf)&" + form))
            #expect(saved.status == .seeOther && saved.headers[.location] == "/settings/notifications")
            let stored = try await app.dispatchNotices.overview(by: world.admin).settings
            #expect(stored.emailEnabled && !stored.textEnabled && stored.emailTemplate == "Hello {customer_first_name}")

            let forged = try await client.execute(
                uri: "/settings/notifications", method: .post,
                headers: [.cookie: session.cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "_csrf=nope&" + form))
            #expect(forged.status == .forbidden)

            let preview = try await InboxWebTests.postForJSON(
                client, "/settings/notifications/preview", session,
                "textTemplate=%7Bbad%7D&emailSubject=x&emailTemplate=y")
            #expect(preview.status == .ok)
            let problem = (try preview.json()["problem"] as? [String: Any])?["message"] as? String ?? ""
            #expect(problem.contains("{bad}"))
        }
    }

    @Test(
        "The tracking page: both address states, arrival, and a friendly 404 for unknown or ended links",
        arguments: TestEngine.available)
    func trackingPage(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            _ = try await world.addMainNumber(twilio: nil)
            var settings = DispatchNoticeSettings()
            settings.textEnabled = true
            settings.emailEnabled = true
            _ = try await app.dispatchNotices.update(settings, by: world.admin)
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let visit = try #require(try await app.jobs.detail(job.id, by: world.dispatcher).assignments.first)
            _ = try await app.jobs.dispatch(visit.id, by: world.dispatcher)
            let notice = try #require(
                try await app.database.read { sql in
                    try await MessageStore(sql).messages(ofJob: job.id, in: world.account.id)
                }
                .first { $0.author.automation == .dispatchNotice })
            let path = try #require(notice.body.range(of: "/t/").map { String(notice.body[$0.lowerBound...]) })
            // The office sees the notice among the job's texts and the email with its state.
            let session = try await WebTests.signIn(
                client, email: "dispatch@northside.test", expecting: "/jobs/\(job.id)")
            let jobPage = try await InboxWebTests.get(client, "/jobs/\(job.id)", session)
            #expect(jobPage.text.contains("On-the-way notice") && jobPage.text.contains(notice.body))
            #expect(jobPage.text.contains("id=\"emails\"") && jobPage.text.contains("To robert@example.com"))
            #expect(jobPage.text.contains("Luis from Northside Plumbing is on the way"))

            // A fresh fix exists, but an unverified address never shows where the technician is.
            _ = try await app.field.reportPosition(
                latitude: 30.26, longitude: -97.75, accuracyMeters: 8, recordedAt: nil, by: world.technicianActor)
            let unverified = try await client.execute(uri: path, method: .get)
            #expect(unverified.status == .ok)
            // Questions go to the business's own number: one tap to call, one to text.
            #expect(unverified.text.contains(#"href="tel:\#(TestWorld.mainNumber)""#))
            #expect(unverified.text.contains(#"href="sms:\#(TestWorld.mainNumber)""#))
            #expect(!unverified.text.contains("Contact Northside Plumbing directly"))
            #expect(unverified.headers[.cacheControl] == "no-store")
            #expect(unverified.text.contains("Luis is on the way") && unverified.text.contains("418 Birchwood Ln"))
            #expect(unverified.text.contains("★") && unverified.text.contains("4.8"))
            #expect(!unverified.text.contains("id=\"track-map\""))
            let unverifiedState = try await client.execute(uri: path + "/state", method: .get)
            #expect(
                try unverifiedState.json()["position"] == nil
                    && (try unverifiedState.json()["verified"]) as? Bool == false)

            _ = try await app.customers.updateLocation(
                world.location.id,
                with: .init(
                    street: "418 Birchwood Ln </script><img src=x onerror=alert(1)>", city: "Austin", state: "TX",
                    postalCode: "78704", verified: true, latitude: 30.25, longitude: -97.76), by: world.admin)
            _ = try await app.field.reportPosition(
                latitude: 30.27, longitude: -97.74, accuracyMeters: 8, recordedAt: nil, by: world.technicianActor)
            let verified = try await client.execute(uri: path, method: .get)
            // The address is text everywhere: escaped in the page, "<" escaped in the embedded JSON.
            #expect(!verified.text.contains("<img src=x") && !verified.text.contains("</script><img"))
            #expect(verified.text.contains("\\u003c/script>\\u003cimg"))
            #expect(verified.text.contains("id=\"track-map\"") && verified.text.contains("data-track=\"eta\""))
            #expect(verified.text.contains("/static/tracking.js"))
            let state = try await client.execute(uri: path + "/state", method: .get).json()
            #expect(state["state"] as? String == "on_the_way" && state["etaText"] as? String == "about 6 min")
            let position = try #require(state["position"] as? [String: Any])
            #expect(position["latitude"] as? Double == 30.27)

            _ = try await app.jobs.arrive(visit.id, by: world.dispatcher)
            let arrived = try await client.execute(uri: path, method: .get)
            #expect(arrived.text.contains("Luis has arrived") && arrived.text.contains("track-banner-arrived"))
            // The event stream of a visit that is no longer on the way says so once and ends.
            let stream = try await client.execute(uri: path + "/live", method: .get)
            #expect(stream.headers[.contentType] == "text/event-stream")
            #expect(stream.text.hasPrefix("retry: 5000\n\ndata: {") && stream.text.contains("\"state\":\"arrived\""))

            for missing in ["/t/AAAAAAAAAAAAAAAAAAAAAA", "/t/short", "/t/%3Cscript%3E"] {
                let response = try await client.execute(uri: missing, method: .get)
                #expect(response.status == .notFound)
                #expect(response.text.contains("This tracking link has ended"))
                let json = try await client.execute(uri: missing + "/state", method: .get)
                #expect(json.status == .notFound)
                #expect(try json.errorCode() == "tracking_link_not_found")
                let live = try await client.execute(uri: missing + "/live", method: .get)
                #expect(live.status == .notFound)
            }
            _ = try await app.jobs.complete(visit.id, by: world.dispatcher)
            #expect(try await client.execute(uri: path, method: .get).text.contains("Your visit is complete"))
        }
    }
}
