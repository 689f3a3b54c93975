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

/// Passwords people can manage (issue 26.10): change your own, a single-use link by email when you
/// forgot it, an admin forcing a new one, and a policy that refuses the common ones.
@Suite("Passwords people can manage")
struct PasswordTests {
    static func resetLinks(_ app: Fieldline, _ accountID: AccountID) async throws -> [String] {
        try await app.database.read { sql in try await EmailStore(sql).all(in: accountID) }.compactMap { email in
            email.text.range(of: "/reset-password/").map { String(email.text[$0.lowerBound...].prefix(16 + 43)) }
        }
    }

    @Test("The policy: ten characters, 72 bytes, none of the common passwords")
    func policy() {
        #expect(throws: FieldlineError.self) { try PasswordPolicy.validate("short") }
        #expect(throws: FieldlineError.self) { try PasswordPolicy.validate("1234567890") }
        #expect(throws: FieldlineError.self) { try PasswordPolicy.validate("Password123") }
        #expect(throws: FieldlineError.self) { try PasswordPolicy.validate(String(repeating: "é", count: 40)) }
        #expect((try? PasswordPolicy.validate("plumbing in the rain")) == "plumbing in the rain")
        #expect(PasswordPolicy.isCommon("QWERTYUIOP"))
    }

    @Test(
        "Changing your own password needs the current one, refuses a common one, and ends your other sessions",
        arguments: TestEngine.available)
    func changeOwn(engine: TestEngine) async throws {
        try await withServer(engine) { app, _, client in
            let token = try await client.token(email: "dispatch@northside.test")
            let other = try await client.token(email: "dispatch@northside.test")
            func change(_ current: String, _ new: String) async throws -> TestResponse {
                try await client.api(
                    .post, "/me/password", token: token,
                    json: #"{"currentPassword":"\#(current)","newPassword":"\#(new)"}"#)
            }
            #expect(try await change("not it at all", "plumbing in the rain").errorCode() == "invalid_current_password")
            #expect(try await change(TestWorld.password, "password123").errorCode() == "invalid_new_password")
            #expect(try await change(TestWorld.password, "short").errorCode() == "invalid_new_password")
            #expect(try await change(TestWorld.password, "plumbing in the rain").status == .noContent)
            #expect(try await client.api(.get, "/me", token: token).status == .ok)
            #expect(try await client.api(.get, "/me", token: other).status == .unauthorized)
            await #expect(throws: FieldlineError.self) {
                _ = try await app.accounts.signIn(
                    email: "dispatch@northside.test", password: TestWorld.password, kind: .api)
            }
            _ = try await app.accounts.signIn(
                email: "dispatch@northside.test", password: "plumbing in the rain", kind: .api)
        }
    }

    @Test(
        "Forgot password: the same answer for any address; a single-use link for an hour ends every session",
        arguments: TestEngine.available)
    func forgot(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withDatabase { database in
            let app = Fieldline.forTesting(database: database, clock: clock)
            let world = try await TestWorld.make(app)
            let server = try await FieldlineServer.buildApplication(
                configuration: ServerConfiguration(host: "127.0.0.1", port: 0), app: app, backgroundWorkers: false)
            try await server.test(.router) { client in
                let unknown = try await client.api(
                    .post, "/auth/password-reset", json: #"{"email":"nobody@northside.test"}"#)
                let known = try await client.api(
                    .post, "/auth/password-reset", json: #"{"email":"dispatch@northside.test"}"#)
                #expect(unknown.status == .accepted && known.status == .accepted)
                #expect(unknown.text == known.text)
                let links = try await Self.resetLinks(app, world.account.id)
                #expect(links.count == 1)
                let path = try #require(links.first)
                let session = try await client.token(email: "dispatch@northside.test")

                // The link's page, then its form (which needs the page's token, as sign-in does).
                let (cookie, csrf) = try await client.signInForm()
                let page = try await client.execute(uri: path, method: .get, headers: [.cookie: cookie])
                #expect(page.status == .ok && page.text.contains("Choose a new password"))
                func post(_ password: String) async throws -> TestResponse {
                    try await client.execute(
                        uri: path, method: .post,
                        headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                        body: ByteBuffer(string: "_csrf=\(csrf)&newPassword=\(FormEncoding.escape(password))"))
                }
                #expect(try await post("1234567890").status == .unprocessableContent)
                let done = try await post("a new and longer one")
                #expect(done.status == .seeOther && done.headers[.location] == "/signin")
                #expect(try await client.api(.get, "/me", token: session).status == .unauthorized)
                _ = try await app.accounts.signIn(
                    email: "dispatch@northside.test", password: "a new and longer one", kind: .api)
                // Once only.
                #expect(try await post("yet another passphrase").status == .conflict)

                // An hour later a fresh link no longer works.
                _ = try await client.api(.post, "/auth/password-reset", json: #"{"email":"dispatch@northside.test"}"#)
                let second = try #require(try await Self.resetLinks(app, world.account.id).last)
                clock.advance(by: PasswordChanges.linkLifetime + 1)
                #expect(try await app.passwordChanges.linkIsValid(String(second.dropFirst(16))) == false)

                // At most three links an hour for one person, however often the form is sent.
                for _ in 0..<6 {
                    _ = try await client.api(
                        .post, "/auth/password-reset", json: #"{"email":"admin@northside.test"}"#)
                }
                let toAdmin = try await app.database.read { sql in try await EmailStore(sql).all(in: world.account.id) }
                    .filter { $0.to.value == "admin@northside.test" }
                #expect(toAdmin.count == PasswordChanges.linksPerHour)

                // The web form needs its page's token.
                let forged = try await client.execute(
                    uri: "/forgot-password", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "email=dispatch%40northside.test"))
                #expect(forged.status == .forbidden)
            }
        }
    }

    @Test(
        "An admin forces a new password: the old one stops working, sessions end, a link is sent",
        arguments: TestEngine.available)
    func forced(engine: TestEngine) async throws {
        try await withServer(engine) { app, world, client in
            let admin = try await client.token()
            let dispatcher = try await client.token(email: "dispatch@northside.test")
            let refused = try await client.api(
                .post, "/users/\(world.admin.userID)/password-reset", token: dispatcher)
            #expect(refused.status == .forbidden)
            let rival = try await TestWorld.make(app, name: "Rival Rooter", emailDomain: "rival.test")
            #expect(
                try await client.api(.post, "/users/\(rival.dispatcher.userID)/password-reset", token: admin).status
                    == .notFound)
            let forced = try await client.api(
                .post, "/users/\(world.dispatcher.userID)/password-reset", token: admin)
            #expect(forced.status == .accepted)
            #expect(try await client.api(.get, "/me", token: dispatcher).status == .unauthorized)
            await #expect(throws: FieldlineError.self) {
                _ = try await app.accounts.signIn(
                    email: "dispatch@northside.test", password: TestWorld.password, kind: .api)
            }
            #expect(try await Self.resetLinks(app, world.account.id).count == 1)
            #expect(
                try await client.api(.post, "/users/\(world.admin.userID)/password-reset", token: admin).status
                    == .conflict)
        }
    }
}
