import Fieldline
import FieldlineCore
import FieldlineProviders
import FieldlineStore
import FieldlineTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// `Idempotency-Key` on API POSTs (issue 27.7): a client that lost an answer retries with its key
/// and the customer is texted once.
@Suite("Retrying an API POST with its Idempotency-Key")
struct IdempotencyTests {
    static func post(
        _ client: some TestClientProtocol, _ path: String, token: String, key: String?, json: String
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        let response = try await client.execute(
            uri: "/api/v1" + path, method: .post, headers: headers, body: ByteBuffer(string: json))
        for violation in OpenAPIContract.shared.violations(
            method: "POST", uri: "/api/v1" + path, status: Int(response.status.code),
            contentType: response.headers[.contentType], body: response.text)
        {
            Issue.record("openapi.yaml: \(violation)")
        }
        return response
    }

    /// A customer's text in, and what replying to it takes: the thread, its messages path, a token.
    static func thread(
        _ world: TestWorld, _ number: SenderNumber, _ client: some TestClientProtocol
    ) async throws -> (ConversationID, String, String) {
        guard case .inbox(_, let id, _) = try await world.textIn(from: "5125550142", body: "Hi", to: number) else {
            throw TestSetupError("not in inbox")
        }
        return (id, "/conversations/\(id.rawValue)/messages", try await client.token())
    }

    @Test(
        "A retry gets the first answer and sends nothing new; another body is refused; refusals are kept too",
        arguments: TestEngine.available)
    func retries(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, number, client in
            let (_, path, token) = try await Self.thread(world, number, client)
            let reply = #"{"body":"On our way — about 20 minutes 🚐"}"#
            let first = try await Self.post(client, path, token: token, key: "retry-1", json: reply)
            #expect(first.status == .created)
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let again = try await Self.post(client, path, token: token, key: "retry-1", json: reply)
            #expect(again.status == .created)
            #expect(again.text == first.text)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.filter { $0.body.hasPrefix("On our way") }.count == 1)

            // The same key for another request is a mistake the client must hear about.
            let other = try await Self.post(client, path, token: token, key: "retry-1", json: #"{"body":"Other"}"#)
            #expect(other.status == .unprocessableContent)
            #expect(try other.errorCode() == "invalid_idempotency_key")

            // A refusal changed nothing and takes no key: the retry runs again (a "try again in a
            // minute" must not be replayed for a day), and a corrected body under the key goes.
            let long = #"{"body":"\#(String(repeating: "x", count: 161))"}"#
            let refused = try await Self.post(client, path, token: token, key: "retry-2", json: long)
            #expect(refused.status == .unprocessableContent)
            let refusedAgain = try await Self.post(client, path, token: token, key: "retry-2", json: long)
            #expect(refusedAgain.text == refused.text)
            #expect(refusedAgain.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let corrected = try await Self.post(client, path, token: token, key: "retry-2", json: #"{"body":"Short"}"#)
            #expect(corrected.status == .created)

            // Keys are a person's: a colleague's same key is their own request, never the first answer.
            let colleague = try await client.token(email: "dispatch@northside.test")
            let theirs = try await Self.post(client, path, token: colleague, key: "retry-1", json: reply)
            #expect(theirs.status == .created)
            #expect(theirs.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)

            // Without a key, each request is its own.
            _ = try await Self.post(client, path, token: token, key: nil, json: #"{"body":"No key"}"#)
            _ = try await Self.post(client, path, token: token, key: nil, json: #"{"body":"No key"}"#)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.filter { $0.body == "No key" }.count == 2)

            // Keys are per account: another business's "retry-1" is its own.
            _ = try await TestWorld.make(app, name: "Rival Rooter", emailDomain: "rival.test")
            let rivalToken = try await client.token(email: "admin@rival.test")
            let rivalCustomer = try await Self.post(
                client, "/customers", token: rivalToken, key: "retry-1",
                json: #"{"name":"José O'Brien & Sons","phones":[{"number":"(512) 555-0177"}]}"#)
            #expect(rivalCustomer.status == .created)

            let malformed = try await Self.post(
                client, path, token: token, key: String(repeating: "k", count: 256), json: reply)
            #expect(try malformed.errorCode() == "invalid_idempotency_key")
        }
    }

    @Test(
        "A request cut off after its change committed is never run again; one cut off before is",
        arguments: TestEngine.available)
    func cutOff(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, number, client in
            let (id, path, token) = try await Self.thread(world, number, client)
            let reply = #"{"body":"Running late"}"#
            let fingerprint = SecureTokens.digest("POST /api/v1\(path)?\n\(reply)")
            // As a kill leaves it: the key taken with the text's transaction, no answer kept.
            let claim = IdempotencyClaim(
                accountID: world.account.id, key: "\(world.admin.userID.rawValue) cut-after", fingerprint: fingerprint,
                attempt: "killed")
            try await IdempotencyClaim.$current.withValue(claim) {
                _ = try await app.inbox.reply(to: id, body: "Running late", by: world.dispatcher)
            }
            let retry = try await Self.post(client, path, token: token, key: "cut-after", json: reply)
            #expect(retry.status == .conflict)
            #expect(try retry.errorCode() == "idempotency_key_in_use")
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.filter { $0.body == "Running late" }.count == 1)

            // Killed before its commit: nothing was kept, so the retry runs.
            let fresh = try await Self.post(client, path, token: token, key: "cut-before", json: reply)
            #expect(fresh.status == .created)
        }
    }
}
