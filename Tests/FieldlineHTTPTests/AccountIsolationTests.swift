import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineProviders
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Account isolation generated from the route table: every API route that names a record is
/// called by one account with the other account's ids, and every list is read looking for the
/// other account's ids. A new route with a new kind of id fails here until it is covered.
@Suite("Account isolation across every API route")
struct AccountIsolationTests {
    /// The other account: one record of every kind an API path can name.
    struct Rival {
        var world: TestWorld
        var ids: [String: String]
        var token: String

        /// What the rival's own admin reads of its data; compared before and after the attack.
        func snapshot(_ client: any TestClientProtocol) async throws -> [String] {
            var texts: [String] = []
            for path in [
                "/customers/\(ids["customerId"]!)", "/jobs/\(ids["jobId"]!)", "/bookings/\(ids["bookingId"]!)",
                "/conversations/\(ids["conversationId"]!)", "/conversations/\(ids["conversationId"]!)/messages",
                "/phone-numbers", "/users", "/technicians", "/blocked-numbers", "/account",
            ] {
                let response = try await client.api(.get, path, token: token)
                #expect(response.status == .ok, "\(path)")
                texts.append(response.text)
            }
            return texts
        }
    }

    static func makeRival(
        _ app: Fieldline, fake: FakeTwilio, client: any TestClientProtocol
    ) async throws -> Rival {
        let world = try await TestWorld.make(app, name: "Rival Heating", emailDomain: "rival.test")
        let number = try await app.senderNumbers.add(
            .init(
                number: "+15125550388", label: "Rival line", provider: "twilio", chat: true, mms: true,
                isDefault: true, ratePerSecond: 50, providerAccountID: fake.accountSID, authToken: fake.authToken),
            by: world.admin)
        let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
        let detail = try await app.jobs.detail(job.id, by: world.admin)
        let customer = try await app.customers.detail(world.customer.id, by: world.admin)
        let booking = try await app.bookings.create(
            .init(source: "phone", contactName: "Grace Liu", summary: "Rival request"), by: world.admin)
        guard
            case .inbox(let messageID, let conversationID, _) = try await world.textIn(
                from: "5125550142", body: "Rival customer here", to: number,
                media: [.init(url: fake.baseURL + "/media/rival.jpg", contentType: "image/jpeg")])
        else { throw TestSetupError("the rival's text did not reach its inbox") }
        let media = try await app.inbox.messages(of: conversationID, by: world.admin).flatMap(\.media)
        let spam = try await world.textIn(from: "5125550911", body: "Win a prize", to: number)
        guard case .inbox(_, let spamThread, _) = spam else { throw TestSetupError("no spam thread") }
        _ = try await app.inbox.block(spamThread, by: world.admin)
        let campaign = try await app.campaigns.create(
            .init(name: "Rival offer", body: "Rival deal", audience: CampaignAudience()), timing: .draft,
            by: world.admin)
        let estimate = try await app.estimates.add(
            .init(summary: "Rival estimate"), to: world.customer.id, by: world.admin)
        let service = try await app.estimates.addService(
            .init(name: "Rival tune-up", intervalMonths: 12, nextDue: "2027-03-01"), to: world.customer.id,
            by: world.admin)
        let note = try await app.jobs.addNote(job.id, text: "Rival note", by: world.admin)
        _ = try await app.invoices.save(
            .init(number: "R-1", issuedOn: "2026-12-01", labor: "100"), forJob: job.id, by: world.admin)
        var upload = try await app.customerImports.beginUpload(fileName: "rival.csv", by: world.admin)
        try await upload.append(Array("Name,Phone\r\nRival Customer,5125550389\r\n".utf8))
        let customerImport = try await upload.finish()
        let ids: [String: String] = [
            "noteId": note.id, "importId": customerImport.id.rawValue,
            "campaignId": campaign.id.rawValue, "estimateId": estimate.id.rawValue, "serviceId": service.id.rawValue,
            "customerId": world.customer.id.rawValue, "locationId": world.location.id.rawValue,
            "phoneId": world.phone.id.rawValue, "emailId": try #require(customer.emails.first?.id.rawValue),
            "technicianId": world.technician.id.rawValue, "userId": world.admin.userID.rawValue,
            "jobId": job.id.rawValue, "appointmentId": try #require(detail.appointments.first?.id.rawValue),
            "assignmentId": try #require(detail.assignments.first?.id.rawValue), "bookingId": booking.id.rawValue,
            "conversationId": conversationID.rawValue, "messageId": messageID.rawValue,
            "mediaId": try #require(media.first?.id.rawValue), "numberId": number.id.rawValue,
            "phone": "%2B15125550911",
        ]
        return Rival(world: world, ids: ids, token: try await client.token(email: "admin@rival.test"))
    }

    /// A body that passes validation, so what answers is the lookup of the other account's record.
    static func body(for operation: String, world: TestWorld) -> String? {
        let times = #""startsAt":"2026-12-10T15:00:00Z","endsAt":"2026-12-10T17:00:00Z""#
        let bodies: [String: String] = [
            "PATCH /customers/{customerId}": #"{"name":"Changed"}"#,
            "PATCH /customer-imports/{importId}": #"{"duplicates":"merge"}"#,
            "POST /customers/{customerId}/locations":
                #"{"street":"1 Main St","city":"Austin","state":"TX","postalCode":"78701"}"#,
            "PATCH /locations/{locationId}": #"{"name":"Changed"}"#,
            "POST /customers/{customerId}/phones": #"{"number":"5125550777","kind":"mobile"}"#,
            "PATCH /phones/{phoneId}": #"{"marketingUpdates":true}"#,
            "POST /customers/{customerId}/emails": #"{"address":"changed@example.com"}"#,
            "PATCH /emails/{emailId}": #"{"jobNotifications":false}"#,
            "PATCH /technicians/{technicianId}": #"{"name":"Changed"}"#,
            "PATCH /users/{userId}": #"{"active":false}"#,
            "PATCH /jobs/{jobId}": #"{"summary":"Changed"}"#,
            "POST /jobs/{jobId}/cancel": #"{"reason":"Changed"}"#,
            "POST /jobs/{jobId}/hold": #"{"reason":"Changed"}"#,
            "POST /appointments/{appointmentId}/reschedule": "{\(times)}",
            "POST /appointments/{appointmentId}/assignments": #"{"technicianId":"\#(world.technician.id)"}"#,
            "POST /bookings/{bookingId}/convert":
                #"{"customerId":"\#(world.customer.id)","locationId":"\#(world.location.id)","summary":"x",\#(times)}"#,
            "POST /conversations/{conversationId}/messages": #"{"body":"Changed"}"#,
            "POST /conversations/{conversationId}/attach": #"{"customerId":"\#(world.customer.id)"}"#,
            "POST /conversations/{conversationId}/customer": #"{"name":"Changed"}"#,
            "PATCH /phone-numbers/{numberId}": #"{"label":"Changed"}"#,
            "POST /my/jobs/{jobId}/thread/messages": #"{"body":"Changed"}"#,
            "PUT /campaigns/{campaignId}": #"{"name":"Changed","body":"Changed"}"#,
            "POST /customers/{customerId}/estimates": #"{"summary":"Changed"}"#,
            "POST /estimates/{estimateId}/status": #"{"status":"sold"}"#,
            "POST /customers/{customerId}/recurring-services":
                #"{"name":"Changed","intervalMonths":6,"nextDue":"2027-01-01"}"#,
            "PATCH /recurring-services/{serviceId}": #"{"nextDue":"2027-01-01"}"#,
            "POST /bookings/{bookingId}/decline": #"{"reason":2}"#,
            "POST /jobs/{jobId}/notes": #"{"text":"Changed"}"#,
            "POST /customers/{customerId}/erase": #"{"confirmName":"Rival Customer"}"#,
            "PUT /jobs/{jobId}/invoice": #"{"number":"X-1","issuedOn":"2026-12-02","labor":"100"}"#,
            "PATCH /jobs/{jobId}/notes/{noteId}": #"{"text":"Changed"}"#,
        ]
        return bodies[operation]
    }

    @Test(
        "One account's tokens never read or change another's records, on any route that names one",
        arguments: TestEngine.available)
    func everyRoute(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            let rival = try await Self.makeRival(app, fake: fake, client: client)
            _ = try await app.technicians.update(
                world.technician.id, .init(canViewChats: true, canReplyChats: true), by: world.admin)
            let admin = try await client.token()
            let technician = try await client.token(email: "luis@northside.test")
            let before = try await rival.snapshot(client)
            let leaks = Array(rival.ids.values.filter { !$0.hasPrefix("%") })

            var named = 0
            for operation in APIRouteTable.operations(app: app) {
                let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
                let method = HTTPRequest.Method(parts[0])!
                let token = parts[1].hasPrefix("/my/") ? technician : admin
                let parameters = parts[1].split(separator: "/").filter { $0.hasPrefix("{") }
                    .map { String($0.dropFirst().dropLast()) }
                if parameters.isEmpty {
                    // Lists and the caller's own records: nothing of the other account in them.
                    guard method == .get else { continue }
                    let response = try await client.api(method, parts[1], token: token)
                    for id in leaks { #expect(!response.text.contains(id), "\(operation) shows \(id)") }
                    continue
                }
                var path = parts[1]
                for name in parameters {
                    let id = try #require(rival.ids[name], "\(operation): no record of the other account for {\(name)}")
                    path = path.replacingOccurrences(of: "{\(name)}", with: id)
                }
                named += 1
                let response = try await client.api(
                    method, path, token: token, json: Self.body(for: operation, world: world))
                #expect(response.status == .notFound, "\(operation): \(response.status) \(response.text)")
                // The answer may repeat the id that was asked for, and nothing else of the other account.
                for id in leaks where !path.contains(id) {
                    #expect(!response.text.contains(id), "\(operation) shows \(id)")
                }
            }
            #expect(named >= 40)
            #expect(try await rival.snapshot(client) == before)
        }
    }
}
