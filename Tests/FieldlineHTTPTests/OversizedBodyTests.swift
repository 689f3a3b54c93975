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

/// A body over the 1 MB limit is the sender's mistake: 413 in the shape the route speaks (JSON for
/// the API, webhooks and scripts; a page for forms), never a 500.
@Suite("Bodies over the limit")
struct OversizedBodyTests {
    static let tooLarge = ByteBuffer(repeating: UInt8(ascii: "a"), count: 1024 * 1024 + 1)

    @Test("Every API route that takes a body answers 413 in the JSON error shape", arguments: TestEngine.available)
    func apiRoutes(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let token = try await client.token()
            for operation in APIRouteTable.operations(app: app) {
                let parts = operation.split(separator: " ", maxSplits: 1)
                guard ["POST", "PUT", "PATCH"].contains(parts[0]) else { continue }
                let method = HTTPRequest.Method(rawValue: String(parts[0]))!
                // Ids need not exist: the body is refused before anything looks them up.
                let path = String(parts[1]).replacingOccurrences(
                    of: #"\{[A-Za-z]+\}"#, with: world.customer.id.rawValue, options: .regularExpression)
                let response = try await client.execute(
                    uri: "/api/v1" + path, method: method,
                    headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                    body: Self.tooLarge)
                // Routes that never read a body may answer otherwise, but never with a 500.
                #expect(response.status.code < 500, "\(operation) answered \(response.status)")
                if response.status == .contentTooLarge {
                    #expect(try response.errorCode() == "body_too_large", "\(operation)")
                }
            }
        }
    }

    @Test(
        "Forms, sign-in, the public opt-in form and every webhook answer 413, never 500",
        arguments: TestEngine.available)
    func formsAndWebhooks(engine: TestEngine) async throws {
        try await withServer(engine) { _, world, client in
            // An account that takes sign-ups, so the public form reads what it is sent.
            try await world.addMarketingNumber(twilio: nil)
            let session = try await WebTests.signIn(client)
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: session.cookie]
            let cases: [(String, HTTPFields)] = [
                ("/signin", [.contentType: "application/x-www-form-urlencoded"]),
                ("/opt-in/\(world.account.id)", [.contentType: "application/x-www-form-urlencoded"]),
                ("/customers", form), ("/settings/users", form), ("/settings", form),
                ("/inbox/start", form),
                ("/webhooks/twilio/messages", [.contentType: "application/x-www-form-urlencoded"]),
                ("/webhooks/twilio/status", [.contentType: "application/x-www-form-urlencoded"]),
                ("/webhooks/twilio/calls", [.contentType: "application/x-www-form-urlencoded"]),
                ("/webhooks/servicechannel/\(world.account.id)", [.contentType: "application/json"]),
            ]
            for (path, headers) in cases {
                let response = try await client.execute(uri: path, method: .post, headers: headers, body: Self.tooLarge)
                #expect(response.status == .contentTooLarge, "\(path) answered \(response.status)")
                var json = headers
                json[.accept] = "application/json"
                let scripted = try await client.execute(uri: path, method: .post, headers: json, body: Self.tooLarge)
                #expect(scripted.status == .contentTooLarge, "\(path) (JSON) answered \(scripted.status)")
            }
        }
    }
}
