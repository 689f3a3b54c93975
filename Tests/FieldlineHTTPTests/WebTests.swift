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

@Suite("The web app")
struct WebTests {
    struct Session {
        var cookie: String
        var csrf: String
    }

    static func signIn(
        _ client: some TestClientProtocol, email: String = "admin@northside.test",
        expecting landing: String = "/customers"
    ) async throws -> Session {
        let next = landing.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let response = try await client.postSignIn("email=\(email)&password=correct+horse+battery&next=\(next)")
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == landing)
        let setCookie = try #require(response.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly"))
        #expect(setCookie.contains("SameSite=Lax"))
        let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
        let page = try await client.execute(uri: landing, method: .get, headers: [.cookie: cookie])
        let csrf = try #require(firstMatch(#"name="_csrf" value="([^"]+)""#, in: page.text))
        return Session(cookie: cookie, csrf: csrf)
    }

    static func post(
        _ client: some TestClientProtocol, _ path: String, _ session: Session, _ form: String
    ) async throws
        -> TestResponse
    {
        try await client.execute(
            uri: path, method: .post,
            headers: [
                .cookie: session.cookie, .contentType: "application/x-www-form-urlencoded",
                .referer: "http://localhost/customers",
            ],
            body: ByteBuffer(string: "_csrf=\(session.csrf)&" + form))
    }

    @Test(
        "Signed-out visitors are sent to sign in; a wrong password shows the form again with an error",
        arguments: TestEngine.available)
    func signInFlow(engine: TestEngine) async throws {
        try await withServer(engine) { _, _, client in
            let redirect = try await client.execute(uri: "/customers?q=oak", method: .get)
            #expect(redirect.status == .seeOther)
            #expect(redirect.headers[.location]?.hasPrefix("/signin?next=") == true)
            let form = try await client.execute(uri: "/signin", method: .get)
            #expect(form.status == .ok && form.text.contains("Sign in to your account"))
            let wrong = try await client.postSignIn("email=admin%40northside.test&password=wrong+password")
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("The email or password is incorrect."))
            #expect(wrong.headers[.setCookie] == nil)
            let offsite = try await client.postSignIn(
                "email=admin%40northside.test&password=correct+horse+battery&next=%2F%2Fevil.example")
            // An off-site `next` is ignored: home, which sends each role to its own start page.
            #expect(offsite.headers[.location] == "/")
        }
    }

    @Test("Every page renders for a signed-in dispatcher", arguments: TestEngine.available)
    func pages(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let session = try await Self.signIn(client, email: "dispatch@northside.test")
            let pages: [(String, String)] = [
                ("/today", "Today"), ("/customers", "Robert Castellanos"), ("/customers?q=zzz", "No customers match"),
                ("/customers/new", "New customer"), ("/customers/\(world.customer.id)", "418 Birchwood Ln"),
                ("/jobs", "Water heater leaking"), ("/jobs/\(job.id)", "Luis Romero"),
                ("/jobs/new?customer=\(world.customer.id)", "Book a job"), ("/technicians", "Priya Nair"),
                ("/bookings", "Bookings"),
            ]
            for (path, text) in pages {
                let response = try await client.execute(uri: path, method: .get, headers: [.cookie: session.cookie])
                #expect(response.status == .ok, "\(path)")
                #expect(response.text.contains(text), "\(path) should show \(text)")
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            }
            let rival = try await TestWorld.make(app, name: "Rival", emailDomain: "rival.test")
            let hidden = try await client.execute(
                uri: "/customers/\(rival.customer.id)", method: .get, headers: [.cookie: session.cookie])
            #expect(hidden.status == .notFound)
            #expect(!hidden.text.contains("Robert"))
        }
    }

    @Test("Forms need the session's CSRF token", arguments: TestEngine.available)
    func csrf(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let session = try await Self.signIn(client)
            let forged = try await client.execute(
                uri: "/customers", method: .post,
                headers: [.cookie: session.cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "name=Forged"))
            #expect(forged.status == .forbidden)
            #expect(try await app.customers.search("forged", by: world.admin).isEmpty)
            let created = try await Self.post(
                client, "/customers", session, "name=Grace+Liu&phone=512-555-0199&phoneKind=mobile")
            #expect(created.status == .seeOther)
            #expect(
                try await app.customers.search("grace", by: world.admin).first?.phones.first?.number.e164
                    == "+15125550199")
        }
    }

    @Test("Refused form input comes back as a clear message, never a server error", arguments: TestEngine.available)
    func formErrors(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let session = try await Self.signIn(client)
            let badPhone = try await Self.post(client, "/customers", session, "name=Grace&phone=555")
            #expect(badPhone.status == .unprocessableContent)
            #expect(badPhone.text.contains("is not a valid phone number"))
            #expect(badPhone.text.contains(#"value="Grace""#))
            let duplicate = try await Self.post(
                client, "/customers/\(world.customer.id)/phones", session, "number=512-555-0142")
            #expect(duplicate.status == .seeOther)
            let flash = try #require(duplicate.headers[.setCookie])
            #expect(flash.hasPrefix("fieldline_flash="))
            let page = try await client.execute(
                uri: "/customers", method: .get,
                headers: [.cookie: session.cookie + "; " + (flash.split(separator: ";").first.map(String.init) ?? "")])
            #expect(page.text.contains("already belongs to Robert Castellanos"))
            let job = try await world.bookJob(technicians: [world.technician.id])
            let assignment = try await app.jobs.detail(job.id, by: world.admin).assignments[0]
            let outOfOrder = try await Self.post(client, "/assignments/\(assignment.id)/complete", session, "")
            #expect(outOfOrder.status == .seeOther)
            let dispatched = try await Self.post(client, "/assignments/\(assignment.id)/dispatch", session, "")
            #expect(dispatched.status == .seeOther)
            #expect(try await app.jobs.detail(job.id, by: world.admin).assignments[0].status == .dispatched)
        }
    }

    @Test("Technician avatars are served as SVG; unknown ones are 404", arguments: [TestEngine.sqlite])
    func avatars(engine: TestEngine) async throws {
        try await withServer(engine) { _, world, client in
            let svg = try await client.execute(uri: "/avatars/technicians/\(world.technician.id).svg", method: .get)
            #expect(svg.status == .ok)
            #expect(svg.headers[.contentType] == "image/svg+xml")
            #expect(svg.text.contains(">LR</text>"))
            #expect(try await client.execute(uri: "/avatars/technicians/nobody.svg", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/static/app.css", method: .get).status == .ok)
        }
    }
}

@Suite("The web app for technicians")
struct TechnicianWebTests {
    @Test("A technician sees only their own visits and none of the office's pages", arguments: TestEngine.available)
    func technicianView(engine: TestEngine) async throws {
        try await withServer(engine) { _, world, client in
            let mine = try await world.bookJob(
                summary: "Mine to fix", hoursFromNow: 0.5, technicians: [world.technician.id])
            _ = try await world.bookJob(
                summary: "Someone else's", hoursFromNow: 0.6, technicians: [world.secondTechnician.id])
            let session = try await WebTests.signIn(client, email: "luis@northside.test", expecting: "/today")
            let today = try await client.execute(uri: "/today", method: .get, headers: [.cookie: session.cookie])
            #expect(today.status == .ok)
            #expect(today.text.contains("Mine to fix"))
            #expect(!today.text.contains("Someone else&#39;s") && !today.text.contains("Someone else's"))
            #expect(!today.text.contains(#"href="/customers""#))
            let job = try await client.execute(
                uri: "/jobs/\(mine.id)", method: .get, headers: [.cookie: session.cookie])
            #expect(job.status == .ok)
            let customers = try await client.execute(
                uri: "/customers", method: .get, headers: [.cookie: session.cookie])
            #expect(customers.status == .forbidden)
        }
    }
}

@Suite("Account settings in the web app")
struct SettingsWebTests {
    @Test("Admins change hours and time zone and add people; dispatchers cannot", arguments: TestEngine.available)
    func settings(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let admin = try await WebTests.signIn(client)
            let page = try await client.execute(uri: "/settings", method: .get, headers: [.cookie: admin.cookie])
            #expect(page.status == .ok && page.text.contains("Opening hours"))
            let saved = try await WebTests.post(
                client, "/settings", admin,
                "name=Northside+Plumbing+%26+Air&timeZone=America%2FDenver&open2=1&opens2=07%3A30&closes2=18%3A00"
                    + "&open7=1&opens7=09%3A00&closes7=12%3A00&holidays=2026-12-25%0A2027-01-01")
            #expect(saved.status == .seeOther)
            let account = try await app.accounts.find(world.account.id)
            #expect(account.name == "Northside Plumbing & Air" && account.timeZone == "America/Denver")
            #expect(
                account.businessHours.days == [2: .init(opens: 450, closes: 1080), 7: .init(opens: 540, closes: 720)])
            #expect(account.businessHours.holidays == ["2026-12-25", "2027-01-01"])

            let refused = try await WebTests.post(client, "/settings", admin, "name=X&timeZone=Mars%2FBase")
            #expect(refused.status == .seeOther)
            #expect(try await app.accounts.find(world.account.id).timeZone == "America/Denver")

            let added = try await WebTests.post(
                client, "/settings/users", admin,
                "name=Sam+Office&email=sam%40northside.test&role=dispatcher&password=long+enough+pass")
            #expect(added.status == .seeOther)
            _ = try await app.accounts.signIn(email: "sam@northside.test", password: "long enough pass", kind: .web)
            let sam = try #require(try await app.accounts.users(by: world.admin).first { $0.name == "Sam Office" })
            let deactivated = try await WebTests.post(client, "/settings/users/\(sam.id)", admin, "role=marketer")
            #expect(deactivated.status == .seeOther)
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.signIn(email: "sam@northside.test", password: "long enough pass", kind: .web)
            }

            let dispatcher = try await WebTests.signIn(client, email: "dispatch@northside.test")
            let forbidden = try await client.execute(
                uri: "/settings", method: .get, headers: [.cookie: dispatcher.cookie])
            #expect(forbidden.status == .forbidden)
            let sneaky = try await WebTests.post(client, "/settings", dispatcher, "name=Mine&timeZone=UTC")
            #expect(sneaky.status == .forbidden)
            #expect(try await app.accounts.find(world.account.id).name == "Northside Plumbing & Air")
        }
    }
}

@Suite("Bookings in the web app")
struct BookingWebTests {
    @Test("A phone request becomes a booking, then a customer, then a job", arguments: TestEngine.available)
    func phoneRequestToJob(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let session = try await WebTests.signIn(client, email: "dispatch@northside.test")
            let saved = try await WebTests.post(
                client, "/bookings", session,
                "summary=Leak+under+sink&contactName=Grace+Liu&contactPhone=512-555-0199&source=phone&requestedFor=2026-12-01T09%3A00"
            )
            #expect(saved.status == .seeOther)
            let booking = try #require(try await app.bookings.list(status: .new, by: world.admin).first)
            #expect(booking.contactPhone?.e164 == "+15125550199" && booking.requestedFor != nil)
            let list = try await client.execute(uri: "/bookings", method: .get, headers: [.cookie: session.cookie])
            let link = try #require(firstMatch(#"href="(/customers/new\?booking=[^"]+)""#, in: list.text))
            let form = try await client.execute(
                uri: link.replacingOccurrences(of: "&amp;", with: "&"), method: .get, headers: [.cookie: session.cookie]
            )
            #expect(form.text.contains(#"value="Grace Liu""#) && form.text.contains(#"value="(512) 555-0199""#))
            let created = try await WebTests.post(
                client, "/customers", session,
                "booking=\(booking.id)&name=Grace+Liu&phone=512-555-0199&street=1+Main+St&city=Austin&state=TX&postalCode=78701"
            )
            #expect(created.headers[.location] == "/bookings")
            let attached = try await app.bookings.find(booking.id, by: world.admin)
            let customer = try #require(attached.customerID)
            #expect(attached.locationID != nil)
            let refused = try await WebTests.post(client, "/bookings", session, "summary=&contactName=Nobody")
            #expect(refused.status == .seeOther)
            #expect(try await app.bookings.list(status: nil, by: world.admin).count == 1)
            let tied = try await app.customers.find(customer, by: world.admin)
            #expect(tied.name == "Grace Liu")
        }
    }
}
