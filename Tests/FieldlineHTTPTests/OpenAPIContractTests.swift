import FieldlineTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The contract check itself: it must fail on the mistakes it is there to catch, or every API test
/// passing through it proves nothing.
@Suite("openapi.yaml as a checked contract")
struct OpenAPIContractTests {
    let contract = OpenAPIContract.shared

    @Test("A real answer conforms; a renamed, retyped, missing or extra field, or an undocumented status, does not")
    func catchesDrift() async throws {
        try await withServer(.sqlite) { _, _, client in
            let token = try await client.token()
            let me = try await client.api(.get, "/me", token: token)
            #expect(me.status == .ok)
            let body = me.text
            func problems(_ text: String, status: Int = 200, uri: String = "/api/v1/me") -> [String] {
                contract.violations(
                    method: "GET", uri: uri, status: status, contentType: "application/json", body: text)
            }
            #expect(problems(body).isEmpty)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let user = try #require(object["user"] as? [String: Any])
            func encoded(_ change: (inout [String: Any]) -> Void) throws -> String {
                var copy = object
                change(&copy)
                return String(decoding: try JSONSerialization.data(withJSONObject: copy), as: UTF8.self)
            }
            // A renamed field: the old name is missing and the new one is not in the spec.
            let renamed = try encoded { copy in
                var changed = user
                changed["fullName"] = changed.removeValue(forKey: "name")
                copy["user"] = changed
            }
            #expect(problems(renamed).contains { $0.contains("fullName is not in the spec") })
            // A retyped field.
            let retyped = try encoded { copy in
                var changed = user
                changed["email"] = 42
                copy["user"] = changed
            }
            #expect(problems(retyped).contains { $0.contains("body.user.email") })
            // A field added at the top.
            let extra = try encoded { $0["debug"] = true }
            #expect(problems(extra).contains { $0.contains("debug is not in the spec") })
            // A status the operation does not document, and a path no operation serves.
            #expect(!problems(body, status: 418).isEmpty)
            #expect(!problems(body, uri: "/api/v1/no-such-thing").isEmpty)
            #expect(
                problems(
                    #"{"error":{"code":"route_not_found","message":"No such route."}}"#, status: 404,
                    uri: "/api/v1/nope"
                )
                .isEmpty)
            // Errors are held to the error shape.
            #expect(problems(#"{"error":{"code":"x"}}"#, status: 401).contains { $0.contains("message") })
        }
    }

    @Test("Every operation's documented responses resolve, and a more literal path wins over a parameter")
    func specResolves() {
        #expect(!contract.operations.isEmpty)
        for operation in contract.operations {
            for (status, response) in operation.responses {
                if let reference = response["$ref"]?.string {
                    #expect(contract.resolve(reference) != nil, "\(operation.method) \(operation.template) \(status)")
                }
            }
        }
        #expect(
            contract.operation(method: "GET", path: "/conversations/unread-count")?.template == [
                "conversations", "unread-count",
            ])
    }
}
