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

/// The smaller holes a hostile tenant or outsider finds (issue 26.9).
@Suite("Smaller holes: technicians' reach, wrong methods, https")
struct SmallHolesTests {
    @Test(
        "A technician with chat reads their jobs' threads, not a number's consent history or the account's numbers",
        arguments: TestEngine.available)
    func techniciansReach(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            _ = try await world.addMainNumber(twilio: nil)
            _ = try await app.technicians.update(
                world.technician.id, .init(canViewChats: true, canReplyChats: true), by: world.admin)
            let token = try await client.token(email: "luis@northside.test")
            let consent = try await client.api(.get, "/phones/\(world.phone.id)/consent", token: token)
            #expect(consent.status == .forbidden)
            let numbers = try await client.api(.get, "/phone-numbers", token: token)
            #expect(numbers.status == .forbidden)
            let office = try await client.token(email: "dispatch@northside.test")
            #expect(try await client.api(.get, "/phones/\(world.phone.id)/consent", token: office).status == .ok)
        }
    }

    @Test(
        "A method a path does not take answers 405 with Allow, in the JSON error shape", arguments: TestEngine.available
    )
    func wrongMethod(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let token = try await client.token()
            let response = try await client.api(.delete, "/customers", token: token)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET, POST")
            #expect(try response.errorCode() == "method_not_allowed")
            let single = try await client.api(.put, "/customers/\(world.customer.id)", token: token)
            #expect(single.status == .methodNotAllowed)
            #expect(single.headers[.allow]?.contains("PATCH") == true)
            // Every operation's path refuses the methods it lacks the same way.
            var byPath: [String: Set<String>] = [:]
            for operation in APIRouteTable.operations(app: app) {
                let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
                byPath[parts[1], default: []].insert(parts[0])
            }
            for (path, methods) in byPath {
                let concrete = path.replacingOccurrences(
                    of: #"\{[A-Za-z]+\}"#, with: "x", options: .regularExpression)
                for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] where !methods.contains(method) {
                    let answer = try await client.api(HTTPRequest.Method(rawValue: method)!, concrete, token: token)
                    #expect(answer.status == .methodNotAllowed, "\(method) \(path) answered \(answer.status)")
                }
            }
            // A path that does not exist is still a 404.
            #expect(try await client.api(.get, "/no-such-thing", token: token).status == .notFound)
        }
    }

    @Test("Strict-Transport-Security when the public URL is https, not otherwise", arguments: [true, false])
    func hsts(https: Bool) async throws {
        try await TestEngine.sqlite.withDatabase { database in
            let app = try Fieldline.forTesting(
                database: database, twilio: nil,
                publicURL: https ? "https://fieldline.example" : "http://fieldline.test")
            let server = try await FieldlineServer.buildApplication(
                configuration: ServerConfiguration(host: "127.0.0.1", port: 0), app: app, backgroundWorkers: false)
            try await server.test(.router) { client in
                let response = try await client.execute(uri: "/health", method: .get)
                let header = response.headers[HTTPField.Name("Strict-Transport-Security")!]
                #expect(https ? header == "max-age=31536000" : header == nil)
            }
        }
    }

    @Test(
        "Adding a person whose email another business uses is refused without telling whose it is",
        arguments: TestEngine.available)
    func emailDiscovery(engine: TestEngine) async throws {
        try await withServer(engine) { app, _, client in
            _ = try await TestWorld.make(app, name: "Rival Rooter", emailDomain: "rival.test")
            let rival = try await client.token(email: "admin@rival.test")
            let taken = try await client.api(
                .post, "/users", token: rival,
                json:
                    #"{"email":"dispatch@northside.test","name":"Spy","role":"dispatcher","password":"a long passphrase"}"#
            )
            #expect(taken.status == .conflict)
            #expect(try taken.errorCode() == "email_unavailable")
            #expect(!taken.text.contains("Marcus") && !taken.text.contains("Northside"))
            // Within the business itself, the answer may say who has it.
            let own = try await client.api(
                .post, "/users", token: try await client.token(),
                json:
                    #"{"email":"dispatch@northside.test","name":"Twin","role":"dispatcher","password":"a long passphrase"}"#
            )
            #expect(try own.errorCode() == "email_taken")
            #expect(own.text.contains("Marcus Dispatch"))
        }
    }
}
