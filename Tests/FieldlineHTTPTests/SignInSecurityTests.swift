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

/// The sign-in form against another site: where it may send people afterwards, and whether another
/// site can post it (or sign-out) for a visitor.
@Suite("Sign-in and sign-out against a hostile site")
struct SignInSecurityTests {
    @Test(
        "After sign-in, `next` leads only to a path on this server, however a browser would read it",
        arguments: TestEngine.available)
    func openRedirect(engine: TestEngine) async throws {
        try await withServer(engine) { _, _, client in
            let offsite = [
                "//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example",
                "\\\\evil.example", "\\/evil.example", " //evil.example", "\t//evil.example", "https://evil.example",
                "javascript:alert(1)", "evil.example", "/\u{0}/evil.example", "/\\\t\\evil.example",
            ]
            for next in offsite {
                let response = try await client.postSignIn(
                    "email=admin%40northside.test&password=correct+horse+battery&next=\(FormEncoding.escape(next))")
                #expect(response.status == .seeOther)
                #expect(
                    response.headers[.location] == "/",
                    "\(next.debugDescription) led to \(response.headers[.location] ?? "-")")
            }
            for next in ["/inbox?c=abc", "/customers?q=Linda+Park", "/jobs/1%2F2"] {
                let response = try await client.postSignIn(
                    "email=admin%40northside.test&password=correct+horse+battery&next=\(FormEncoding.escape(next))")
                #expect(response.headers[.location] == next)
            }
        }
    }

    @Test(
        "Another site cannot post the sign-in form (login CSRF) or sign a visitor out", arguments: TestEngine.available)
    func formsFromElsewhere(engine: TestEngine) async throws {
        try await withServer(engine) { app, _, client in
            let credentials = "email=admin%40northside.test&password=correct+horse+battery"
            // No token at all: what a form on another site posts.
            let bare = try await client.execute(
                uri: "/signin", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: credentials))
            #expect(bare.status == .forbidden)
            #expect(bare.headers[.setCookie]?.contains("fieldline_session") != true)
            #expect(bare.text.contains("This sign-in form expired"))
            // A token that does not match the visitor's own cookie.
            let (cookie, _) = try await client.signInForm()
            let guessed = try await client.execute(
                uri: "/signin", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                body: ByteBuffer(string: "_csrf=\(FakeTwilio.hex(32))&" + credentials))
            #expect(guessed.status == .forbidden)
            // The right pair, but posted from another site's page.
            let (pairCookie, csrf) = try await client.signInForm()
            let crossSite = try await client.execute(
                uri: "/signin", method: .post,
                headers: [
                    .contentType: "application/x-www-form-urlencoded", .cookie: pairCookie,
                    .origin: "https://evil.example",
                ],
                body: ByteBuffer(string: "_csrf=\(csrf)&" + credentials))
            #expect(crossSite.status == .forbidden)
            let sameSite = try await client.execute(
                uri: "/signin", method: .post,
                headers: [
                    .contentType: "application/x-www-form-urlencoded", .cookie: pairCookie,
                    .origin: app.publicURL,
                ],
                body: ByteBuffer(string: "_csrf=\(csrf)&" + credentials))
            #expect(sameSite.status == .seeOther)

            // Sign-out needs the session's token too.
            let session = try await WebTests.signIn(client)
            let forgedOut = try await client.execute(
                uri: "/signout", method: .post,
                headers: [.cookie: session.cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: ""))
            #expect(forgedOut.status == .forbidden)
            let still = try await client.execute(uri: "/customers", method: .get, headers: [.cookie: session.cookie])
            #expect(still.status == .ok)
            let out = try await WebTests.post(client, "/signout", session, "")
            #expect(out.status == .seeOther)
            let gone = try await client.execute(uri: "/customers", method: .get, headers: [.cookie: session.cookie])
            #expect(gone.status == .seeOther)
        }
    }
}
