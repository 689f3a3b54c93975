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

/// What a new dispatcher and technician hit in their first hour (issue 17): real input, spaces in
/// searches, refusals in words, notes on the technician's phone, double bookings.
@Suite("A dispatcher's first hour")
struct FirstHourTests {
    @Test(
        "A query string decodes as a browser encodes a GET form: + is a space, on every page and API route",
        arguments: TestEngine.available)
    func searchWithSpaces(engine: TestEngine) async throws {
        try await withServer(engine) { _, world, client in
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test")
            // Exactly what Chromium sends for the search form with "Robert Castellanos" typed in.
            let byName = try await InboxWebTests.get(client, "/customers?q=Robert+Castellanos", session)
            #expect(byName.status == .ok)
            #expect(byName.text.contains("/customers/\(world.customer.id)"))
            #expect(byName.text.contains(#"value="Robert Castellanos""#))
            #expect(!byName.text.contains("Robert+Castellanos"))
            let byAddress = try await InboxWebTests.get(client, "/customers?q=418+Birchwood", session)
            #expect(byAddress.text.contains("/customers/\(world.customer.id)"))

            // A name with every character form encoding treats specially, typed in and searched for.
            let name = "Café & Bar + 100% Núñez 👍"
            let created = try await WebTests.post(
                client, "/customers", session, "name=\(FormEncoding.escape(name))&phone=512-555-0177&phoneKind=mobile")
            #expect(created.status == .seeOther)
            let query = FormEncoding.escape(name).replacingOccurrences(of: "%20", with: "+")
            let found = try await InboxWebTests.get(client, "/customers?q=\(query)", session)
            #expect(found.text.contains("Café &amp; Bar + 100% Núñez 👍"))
            #expect(!found.text.contains("No customers match"))

            let token = try await client.token(email: "dispatch@northside.test")
            let api = try await client.api(.get, "/customers?q=Robert+Castellanos", token: token)
            #expect(api.status == .ok)
            let items = try #require(try api.json()["items"] as? [[String: Any]])
            #expect(items.map { $0["name"] as? String } == ["Robert Castellanos"])

            let number = try await world.addMainNumber(twilio: nil)
            try await world.textIn(from: world.phone.number.e164, body: "Is the plumber still coming?", to: number)
            let inbox = try await InboxWebTests.get(client, "/inbox?q=Robert+Castellanos", session)
            #expect(inbox.text.contains("Is the plumber still coming?"))
            #expect(inbox.text.contains(#"value="Robert Castellanos""#))
        }
    }

    @Test(
        "The simulator's other number opens that number's own thread; an unreadable one is said so, never swapped",
        arguments: TestEngine.available)
    func simulatorOtherNumber(engine: TestEngine) async throws {
        try await withServer(engine, demo: true) { _, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            try await world.textIn(from: world.phone.number.e164, body: "Hello from Robert", to: number)
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/simulator")
            // The placeholder's own format, as the browser submits it.
            let other = try await InboxWebTests.get(
                client, "/simulator?number=\(number.id)&phone=%28512%29+555-7788", session)
            #expect(other.text.contains("you are (512) 555-7788"))
            #expect(other.text.contains("phone=%2B15125557788"))
            #expect(!other.text.contains("Hello from Robert"))
            let unreadable = try await InboxWebTests.get(client, "/simulator?number=\(number.id)&phone=12ab", session)
            #expect(unreadable.status == .ok)
            #expect(unreadable.text.contains(#"id="sim-other-error""#))
            #expect(unreadable.text.contains(#"value="12ab""#))
            // No phone is in hand after an unreadable number: nothing can be sent as someone else.
            #expect(!unreadable.text.contains("data-simulator"))
            #expect(!unreadable.text.contains("Hello from Robert"))
        }
    }

    @Test(
        "Once an unknown number becomes a customer, its earlier texts show the customer's name",
        arguments: TestEngine.available)
    func earlierTextsTakeTheNewName(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let number = try await world.addMainNumber(twilio: nil)
            let outcome = try await world.textIn(from: "(512) 555-7788", body: "Is anyone there?", to: number)
            guard case .inbox(_, let conversationID, _) = outcome else {
                Issue.record("The text did not reach the inbox: \(outcome)")
                return
            }
            _ = try await app.inbox.createCustomer(
                from: conversationID, name: "José Núñez", location: nil, by: world.dispatcher)
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/inbox")
            let page = try await InboxWebTests.get(client, "/inbox?c=\(conversationID)", session)
            #expect(page.text.contains(#"<span class="message-author">José Núñez</span>"#))
            #expect(!page.text.contains(#"<span class="message-author">(512) 555-7788</span>"#))
        }
    }

    @Test("A refusal names what the role cannot do in words, never a permission's internal name")
    func refusalInWords() {
        for permission in Permission.allCases {
            let message = FieldlineError.forbidden(permission: permission.rawValue).message
            #expect(!message.contains(permission.rawValue), "\(message)")
            #expect(!message.contains("_"), "\(message)")
            #expect(message.hasPrefix("Your role cannot "))
        }
    }

    @Test("A technician refused a page sees words on it", arguments: TestEngine.available)
    func refusalPage(engine: TestEngine) async throws {
        try await withServer(engine) { _, _, client in
            let session = try await WebTests.signIn(client, email: "luis@northside.test", expecting: "/field")
            let settings = try await InboxWebTests.get(client, "/settings", session)
            #expect(settings.status == .forbidden)
            #expect(settings.text.contains("Your role cannot change the business&#39;s settings"))
            #expect(!settings.text.contains("manage_account"))
        }
    }

    @Test(
        "Access notes go with a location (web and API) and reach the technician's job page with the customer's notes",
        arguments: TestEngine.available)
    func notesOnTheTechniciansPhone(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let token = try await client.token()
            let created = try await client.api(
                .post, "/customers", token: token,
                json: """
                    {"name": "Nora Whitaker", "notes": "Prefers a text to a call.",
                     "location": {"street": "4607 Avenue D", "city": "Austin", "state": "TX", "postalCode": "78751",
                                  "notes": "Dog in the backyard — use the side gate."}}
                    """)
            #expect(created.status == .created)
            let customerID = try #require(try created.json()["id"] as? String)
            let detail = try await app.customers.detail(CustomerID(customerID), by: world.admin)
            let location = try #require(detail.locations.first)
            #expect(location.notes == "Dog in the backyard — use the side gate.")
            let tooLong = try await client.api(
                .post, "/customers/\(customerID)/locations", token: token,
                json: """
                    {"street": "1 Main St", "city": "Austin", "state": "TX", "postalCode": "78701",
                     "notes": "\(String(repeating: "x", count: 1001))"}
                    """)
            #expect(tooLong.status == .unprocessableContent)

            let start = app.clock.now().addingTimeInterval(3600)
            let job = try await app.jobs.book(
                .init(
                    customerID: CustomerID(customerID), locationID: location.id, summary: "No hot water",
                    startsAt: start, endsAt: start.addingTimeInterval(7200), technicianIDs: [world.technician.id]),
                by: world.dispatcher)
            let session = try await WebTests.signIn(client, email: "luis@northside.test", expecting: "/field")
            let page = try await InboxWebTests.get(client, "/field/jobs/\(job.id)", session)
            #expect(page.text.contains("Dog in the backyard — use the side gate."))
            #expect(page.text.contains("Prefers a text to a call."))

            // The office edits the notes on the customer page; the form keeps them.
            let office = try await WebTests.signIn(client)
            let saved = try await WebTests.post(
                client, "/locations/\(location.id)", office,
                "street=4607+Avenue+D&city=Austin&state=TX&postalCode=78751&locationNotes=Gate+code+4411")
            #expect(saved.status == .seeOther)
            let customerPage = try await InboxWebTests.get(client, "/customers/\(customerID)", office)
            #expect(customerPage.text.contains("Gate code 4411"))
        }
    }

    @Test(
        "Completing a visit asks first and stands apart from the step before it", arguments: TestEngine.available)
    func completeAsksFirst(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let visit = try #require(try await app.jobs.detail(job.id, by: world.dispatcher).assignments.first)
            _ = try await app.jobs.dispatch(visit.id, by: world.dispatcher)
            let session = try await WebTests.signIn(client, email: "luis@northside.test", expecting: "/field")
            let dispatched = try await InboxWebTests.get(client, "/field/jobs/\(job.id)", session)
            #expect(dispatched.text.contains("Mark arrived"))
            #expect(!dispatched.text.contains("data-confirm"))
            _ = try await app.jobs.advance(visit.id, .arrive, by: world.technicianActor)
            let working = try await InboxWebTests.get(client, "/field/jobs/\(job.id)", session)
            let complete = try #require(working.text.range(of: #"class="field-complete""#))
            #expect(working.text[complete.lowerBound...].contains("data-confirm=\"Mark this visit done?"))
            // The completion form is after the crew list, not where "Mark arrived" was.
            let crew = try #require(working.text.range(of: #"class="field-crew""#))
            #expect(crew.lowerBound < complete.lowerBound)
        }
    }

    @Test(
        "Today assigns an unassigned visit, and two visits of one technician at once are flagged",
        arguments: TestEngine.available)
    func todayAssignAndDoubleBooking(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let first = try await world.bookJob(summary: "Water heater leaking", hoursFromNow: 1)
            let second = try await world.bookJob(
                summary: "Toilet running", hoursFromNow: 2, technicians: [world.technician.id])
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test", expecting: "/today")
            let today = try await InboxWebTests.get(client, "/today", session)
            let appointment = try #require(try await app.jobs.detail(first.id, by: world.dispatcher).appointments.first)
            #expect(today.text.contains(#"action="/appointments/\#(appointment.id)/assign""#))
            #expect(!today.text.contains("Double-booked"))

            let assigned = try await client.execute(
                uri: "/appointments/\(appointment.id)/assign", method: .post,
                headers: [
                    .cookie: session.cookie, .contentType: "application/x-www-form-urlencoded",
                    .referer: "http://localhost/today",
                ],
                body: ByteBuffer(
                    string: "_csrf=\(session.csrf)&returnTo=today&technicianId=\(world.technician.id)"))
            #expect(assigned.status == .seeOther)
            #expect(assigned.headers[.location] == "/today")
            let flash = try #require(assigned.headers[.setCookie])
            #expect(flash.contains("fieldline_flash=d2FybmluZz"))  // "warning:" in the flash cookie

            let flagged = try await InboxWebTests.get(client, "/today", session)
            #expect(flagged.text.components(separatedBy: "Double-booked").count - 1 == 2)
            #expect(flagged.text.contains("Also on #\(second.number)"))
            let jobPage = try await InboxWebTests.get(client, "/jobs/\(second.id)", session)
            #expect(jobPage.text.contains("Double-booked") && jobPage.text.contains("Also on #\(first.number)"))

            // Back to back is not a double booking; a canceled job frees the technician.
            _ = try await app.jobs.cancel(first.id, reason: nil, by: world.dispatcher)
            let freed = try await InboxWebTests.get(client, "/jobs/\(second.id)", session)
            #expect(!freed.text.contains("Double-booked"))
        }
    }

    @Test("Double bookings: overlap only, same technician, other jobs")
    func doubleBookingRule() {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        func slot(
            _ id: String, _ technician: String, _ job: String, _ startHour: Double, _ hours: Double
        )
            -> DoubleBooking.Slot
        {
            DoubleBooking.Slot(
                assignmentID: AssignmentID(id), technicianID: TechnicianID(technician), jobID: JobID(job),
                jobNumber: Int(job) ?? 0, startsAt: base.addingTimeInterval(startHour * 3600),
                endsAt: base.addingTimeInterval((startHour + hours) * 3600))
        }
        let conflicts = DoubleBooking.conflicts(among: [
            slot("a", "luis", "1", 9, 2),  // 9–11
            slot("b", "luis", "2", 10, 1),  // 10–11: inside a
            slot("c", "luis", "3", 11, 1),  // 11–12: touches a and b only
            slot("d", "priya", "4", 9, 3),  // another technician
            slot("e", "luis", "1", 9.5, 1),  // the same job's second visit
        ])
        let keys = Dictionary(
            uniqueKeysWithValues: conflicts.map { ($0.key.rawValue, $0.value.map(\.assignmentID.rawValue)) })
        #expect(Set(keys.keys) == ["a", "b", "e"])
        #expect(keys["a"] == ["b"])
        #expect(keys["b"] == ["a", "e"])
        #expect(keys["c"] == nil && keys["d"] == nil)
    }
}
