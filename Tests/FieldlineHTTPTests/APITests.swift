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

@Suite("The JSON API")
struct APITests {
    @Test("/health answers ok", arguments: TestEngine.available)
    func health(engine: TestEngine) async throws {
        try await withServer(engine) { _, _, client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(response.text == #"{"status":"ok"}"#)
        }
    }

    @Test(
        "Every route the server has is in openapi.yaml, and every path in it is served", arguments: [TestEngine.sqlite])
    func specMatchesRoutes(engine: TestEngine) async throws {
        try await withServer(engine) { app, _, client in
            let response = try await client.execute(uri: "/api/v1/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            let documented = Set(
                try OpenAPIContract(yaml: response.text).operations.map {
                    "\($0.method) /\($0.template.joined(separator: "/"))"
                })
            let served = Set(APIRouteTable.operations(app: app))
            #expect(!served.isEmpty)
            #expect(served.subtracting(documented).isEmpty, "Served but not documented")
            #expect(documented.subtracting(served).isEmpty, "Documented but not served")
        }
    }

    @Test(
        "Tokens: wrong password, missing fields and non-JSON bodies get their own 4xx", arguments: TestEngine.available)
    func tokens(engine: TestEngine) async throws {
        try await withServer(engine) { _, _, client in
            let wrong = try await client.api(
                .post, "/auth/token", json: #"{"email":"admin@northside.test","password":"nope nope"}"#)
            #expect(wrong.status == .unauthorized)
            #expect(try wrong.errorCode() == "unauthenticated")
            let malformed = try await client.api(.post, "/auth/token", json: #"{"email": "#)
            #expect(malformed.status == .badRequest)
            #expect(try malformed.errorCode() == "invalid_json")
            let form = try await client.api(
                .post, "/auth/token", json: "email=a", contentType: "application/x-www-form-urlencoded")
            #expect(form.status == .unsupportedMediaType)
            let wrongType = try await client.api(.post, "/auth/token", json: #"{"email":42,"password":"x"}"#)
            #expect(wrongType.status == .badRequest)
            #expect(try wrongType.errorCode() == "invalid_field_type")
            let noToken = try await client.api(.get, "/me")
            #expect(noToken.status == .unauthorized)
            let badToken = try await client.api(.get, "/me", token: "not-a-token")
            #expect(badToken.status == .unauthorized)
            let token = try await client.token()
            let me = try await client.api(.get, "/me", token: token)
            #expect(me.status == .ok)
            #expect(((try me.json()["user"] as? [String: Any])?["role"] as? String) == "admin")
            #expect(try await client.api(.delete, "/auth/token", token: token).status == .noContent)
            #expect(try await client.api(.get, "/me", token: token).status == .unauthorized)
        }
    }

    @Test(
        "Customers: create with normalised phones, and each kind of bad input gets its own error",
        arguments: TestEngine.available)
    func customers(engine: TestEngine) async throws {
        try await withServer(engine) { _, world, client in
            let token = try await client.token()
            let created = try await client.api(
                .post, "/customers", token: token,
                json:
                    #"{"name":"Ana Medina","phones":[{"number":"(737) 555-0119","kind":"mobile"}],"emails":["ana@example.com"],"location":{"street":"7205 Manchaca Rd","city":"Austin","state":"TX","postalCode":"78745"}}"#
            )
            #expect(created.status == .created)
            let body = try created.json()
            let phones = try #require(body["phones"] as? [[String: Any]])
            #expect(phones.first?["number"] as? String == "+17375550119")
            #expect((body["locations"] as? [[String: Any]])?.count == 1)
            let id = try #require(body["id"] as? String)

            let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)] = [
                (
                    .post, "/customers", #"{"name":"X","phones":[{"number":"555-01"}]}"#, .unprocessableContent,
                    "invalid_phone"
                ),
                (.post, "/customers", #"{"name":5}"#, .badRequest, "invalid_field_type"),
                (.post, "/customers", #"{"name":"  "}"#, .unprocessableContent, "invalid_name"),
                (.post, "/customers", #"["not","an","object"]"#, .badRequest, "invalid_field_type"),
                (
                    .post, "/customers", #"{"name":"Dup","phones":[{"number":"512 555 0142"}]}"#, .conflict,
                    "phone_taken"
                ),
                (
                    .post, "/customers/\(id)/emails", #"{"address":"not-an-email"}"#, .unprocessableContent,
                    "invalid_email"
                ),
                (
                    .post, "/customers/\(id)/locations",
                    #"{"street":"1 Main","city":"Austin","state":"TX","postalCode":"78701","latitude":91,"longitude":0}"#,
                    .unprocessableContent, "invalid_latitude"
                ),
                (.get, "/customers/does-not-exist", nil, .notFound, "customer_not_found"),
                (.get, "/customers?limit=500", nil, .unprocessableContent, "invalid_limit"),
                (.get, "/customers?offset=abc", nil, .unprocessableContent, "invalid_offset"),
                (.patch, "/phones/unknown", #"{"kind":"mobile"}"#, .notFound, "phone_not_found"),
                (.patch, "/phones/\(world.phone.id)", #"{"kind":"satellite"}"#, .unprocessableContent, "invalid_kind"),
                (.get, "/no-such-endpoint", nil, .notFound, "route_not_found"),
            ]
            for (method, path, json, status, code) in cases {
                let response = try await client.api(method, path, token: token, json: json)
                #expect(response.status == status, "\(method) \(path): \(response.text)")
                #expect(try response.errorCode() == code, "\(method) \(path): \(response.text)")
            }
            let search = try await client.api(.get, "/customers?q=555%200119", token: token)
            #expect((try search.json()["items"] as? [[String: Any]])?.first?["name"] as? String == "Ana Medina")
        }
    }

    @Test(
        "Jobs through the API: book, refuse impossible times, dispatch to completion", arguments: TestEngine.available)
    func jobs(engine: TestEngine) async throws {
        try await withServer(engine) { _, world, client in
            let token = try await client.token(email: "dispatch@northside.test")
            let backwards = try await client.api(
                .post, "/jobs", token: token,
                json:
                    #"{"customerId":"\#(world.customer.id)","locationId":"\#(world.location.id)","summary":"Leak","startsAt":"2026-12-01T10:00:00-06:00","endsAt":"2026-12-01T09:00:00-06:00"}"#
            )
            #expect(backwards.status == .unprocessableContent)
            #expect(try backwards.errorCode() == "invalid_ends_at")
            let badDate = try await client.api(
                .post, "/jobs", token: token,
                json:
                    #"{"customerId":"\#(world.customer.id)","locationId":"\#(world.location.id)","summary":"Leak","startsAt":"next tuesday","endsAt":"2026-12-01T09:00:00Z"}"#
            )
            #expect(badDate.status == .badRequest)
            #expect(try badDate.errorCode() == "invalid_field")
            let missing = try await client.api(.post, "/jobs", token: token, json: #"{"summary":"Leak"}"#)
            #expect(try missing.errorCode() == "invalid_customer_id")

            let booked = try await client.api(
                .post, "/jobs", token: token,
                json:
                    #"{"customerId":"\#(world.customer.id)","locationId":"\#(world.location.id)","summary":"Leak","startsAt":"2026-12-01T09:00:00.000-06:00","endsAt":"2026-12-01T11:00:00-06:00","technicianIds":["\#(world.technician.id)"]}"#
            )
            #expect(booked.status == .created, "\(booked.text)")
            let detail = try booked.json()
            let job = try #require(detail["job"] as? [String: Any])
            let jobID = try #require(job["id"] as? String)
            let appointments = try #require(detail["appointments"] as? [[String: Any]])
            #expect(appointments.first?["startsAt"] as? String == "2026-12-01T15:00:00Z")
            let assignment = try #require(
                (appointments.first?["assignments"] as? [[String: Any]])?.first?["id"] as? String)
            for step in ["dispatch", "arrive", "complete"] {
                let response = try await client.api(.post, "/assignments/\(assignment)/\(step)", token: token)
                #expect(response.status == .ok, "\(step): \(response.text)")
            }
            let again = try await client.api(.post, "/assignments/\(assignment)/dispatch", token: token)
            #expect(again.status == .conflict)
            #expect(try again.errorCode() == "job_closed")
            let final = try await client.api(.get, "/jobs/\(jobID)", token: token).json()
            #expect((final["job"] as? [String: Any])?["status"] as? String == "completed")
            #expect((final["auditTrail"] as? [[String: Any]])?.count == 7)
            let schedule = try await client.api(.get, "/schedule?date=2026-12-01", token: token).json()
            #expect((schedule["visits"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test("Roles are enforced on every call", arguments: TestEngine.available)
    func permissions(engine: TestEngine) async throws {
        try await withServer(engine) { _, world, client in
            let dispatcher = try await client.token(email: "dispatch@northside.test")
            let technician = try await client.token(email: "luis@northside.test")
            let marketer = try await client.token(email: "marketing@northside.test")
            let cases: [(String, HTTPRequest.Method, String, String?)] = [
                (
                    dispatcher, .post, "/users",
                    #"{"email":"x@y.test","name":"X","role":"admin","password":"0123456789"}"#
                ),
                (dispatcher, .patch, "/account", #"{"name":"Mine now"}"#),
                (technician, .get, "/customers", nil),
                (technician, .post, "/jobs", #"{"customerId":"a","locationId":"b"}"#),
                (marketer, .post, "/customers", #"{"name":"Lead"}"#),
                (marketer, .patch, "/technicians/\(world.technician.id)", #"{"canViewChats":true}"#),
            ]
            for (token, method, path, json) in cases {
                let response = try await client.api(method, path, token: token, json: json)
                #expect(response.status == .forbidden, "\(method) \(path)")
                #expect(try response.errorCode() == "forbidden")
            }
        }
    }

    @Test(
        "Guessing passwords gets a 429 with Retry-After, on the API and the sign-in page",
        arguments: [TestEngine.sqlite])
    func signInThrottle(engine: TestEngine) async throws {
        try await withServer(engine) { _, _, client in
            for _ in 1...5 {
                let wrong = try await client.api(
                    .post, "/auth/token", json: #"{"email":"admin@northside.test","password":"guess-guess"}"#)
                #expect(wrong.status == .unauthorized)
            }
            let locked = try await client.api(
                .post, "/auth/token", json: #"{"email":"admin@northside.test","password":"correct horse battery"}"#)
            #expect(locked.status == .tooManyRequests)
            #expect(try locked.errorCode() == "too_many_attempts")
            #expect(locked.headers[.retryAfter] == "900")
            let page = try await client.postSignIn("email=admin%40northside.test&password=correct+horse+battery")
            #expect(page.status == .tooManyRequests)
            #expect(page.text.contains("Too many sign-in attempts") && page.headers[.setCookie] == nil)
        }
    }

    @Test("Another account's ids answer 404 on every kind of record", arguments: TestEngine.available)
    func isolation(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let rival = try await TestWorld.make(app, name: "Rival", emailDomain: "rival.test")
            let rivalJob = try await rival.bookJob(technicians: [rival.technician.id])
            let rivalDetail = try await app.jobs.detail(rivalJob.id, by: rival.admin)
            let token = try await client.token()
            let cases: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/customers/\(rival.customer.id)", nil),
                (.patch, "/customers/\(rival.customer.id)", #"{"name":"x"}"#),
                (.get, "/locations/\(rival.location.id)", nil),
                (.patch, "/phones/\(rival.phone.id)", #"{"marketingUpdates":true}"#),
                (.delete, "/phones/\(rival.phone.id)", nil),
                (.get, "/technicians/\(rival.technician.id)", nil),
                (.patch, "/users/\(rival.admin.userID)", #"{"active":false}"#),
                (.get, "/jobs/\(rivalJob.id)", nil),
                (.post, "/jobs/\(rivalJob.id)/cancel", "{}"),
                (
                    .post, "/appointments/\(rivalDetail.appointments[0].id)/assignments",
                    #"{"technicianId":"\#(world.technician.id)"}"#
                ),
                (.post, "/assignments/\(rivalDetail.assignments[0].id)/dispatch", nil),
                (
                    .post, "/jobs",
                    #"{"customerId":"\#(rival.customer.id)","locationId":"\#(rival.location.id)","summary":"x","startsAt":"2026-12-01T09:00:00Z","endsAt":"2026-12-01T10:00:00Z"}"#
                ),
            ]
            for (method, path, json) in cases {
                let response = try await client.api(method, path, token: token, json: json)
                #expect(response.status == .notFound, "\(method) \(path): \(response.text)")
            }
            #expect(try await app.jobs.detail(rivalJob.id, by: rival.admin).job.status == .scheduled)
        }
    }
}
