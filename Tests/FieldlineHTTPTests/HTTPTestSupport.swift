import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineProviders
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Runs `body` against the real router (every middleware included) over a fresh database with a
/// `TestWorld` in it.
func withServer(
    _ engine: TestEngine, demo: Bool = false,
    _ body: @Sendable (Fieldline, TestWorld, any TestClientProtocol) async throws -> Void
) async throws {
    try await engine.withDatabase { database in
        let app = Fieldline.forTesting(database: database, demo: demo)
        let world = try await TestWorld.make(app)
        let server = try await FieldlineServer.buildApplication(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0), app: app, backgroundWorkers: false)
        try await server.test(.router) { client in
            try await body(app, world, client)
        }
    }
}

/// `withServer` with Twilio faked on loopback and the account's main number on it; the outbox is
/// drained by hand (`OutboxWorker(app:).drain()`).
func withChatServer(
    _ engine: TestEngine,
    _ body: @Sendable (Fieldline, TestWorld, FakeTwilio, SenderNumber, any TestClientProtocol) async throws -> Void
) async throws {
    try await FakeTwilio.running(sendsCallbacks: false) { fake in
        try await engine.withDatabase { database in
            let app = try Fieldline.forTesting(database: database, twilio: fake)
            let world = try await TestWorld.make(app)
            let number = try await world.addMainNumber(twilio: fake)
            let server = try await FieldlineServer.buildApplication(
                configuration: ServerConfiguration(host: "127.0.0.1", port: 0), app: app, backgroundWorkers: false)
            try await server.test(.router) { client in
                try await body(app, world, fake, number, client)
            }
        }
    }
}

extension TestClientProtocol {
    /// A Twilio webhook, signed as Twilio signs it for `http://fieldline.test` + `path` (or with
    /// the `signature` given).
    func twilioWebhook(
        _ path: String, fields: [(name: String, value: String)], token: String, signature: String? = nil,
        signedURL: String? = nil, contentType: String = "application/x-www-form-urlencoded"
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType]
        headers[HTTPField.Name("X-Twilio-Signature")!] =
            signature
            ?? TwilioSignature.sign(
                url: signedURL ?? "http://fieldline.test" + path, parameters: fields, authToken: token)
        return try await execute(
            uri: path, method: .post, headers: headers, body: ByteBuffer(string: FormEncoding.encode(fields)))
    }

    /// A JSON API call; `token` becomes the bearer header.
    func api(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: String? = nil,
        contentType: String = "application/json"
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = contentType }
        let response = try await execute(
            uri: "/api/v1" + path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        // Every answer a test sees is held to openapi.yaml: its status documented, its body the schema's.
        for violation in OpenAPIContract.shared.violations(
            method: method.rawValue, uri: "/api/v1" + path, status: Int(response.status.code),
            contentType: response.headers[.contentType], body: response.text)
        {
            Issue.record("openapi.yaml: \(violation)")
        }
        return response
    }

    /// Opens the sign-in page as a browser does: its token cookie and the form's matching token.
    func signInForm() async throws -> (cookie: String, csrf: String) {
        let page = try await execute(uri: "/signin", method: .get)
        let setCookie = page.headers[.setCookie] ?? ""
        guard let cookie = setCookie.split(separator: ";").first.map(String.init),
            cookie.hasPrefix("fieldline_signin="),
            let csrf = firstMatch(#"name="_csrf" value="([^"]+)""#, in: page.text)
        else { throw TestSetupError("The sign-in page set no token: \(setCookie)") }
        return (cookie, csrf)
    }

    /// Posts the sign-in form with the page's token, as a browser would; `form` is the rest.
    func postSignIn(_ form: String) async throws -> TestResponse {
        let (cookie, csrf) = try await signInForm()
        return try await execute(
            uri: "/signin", method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
            body: ByteBuffer(string: "_csrf=\(csrf)&" + form))
    }

    func token(email: String = "admin@northside.test", password: String = TestWorld.password) async throws -> String {
        let response = try await api(.post, "/auth/token", json: #"{"email":"\#(email)","password":"\#(password)"}"#)
        #expect(response.status == .created)
        return try response.json()["token"] as? String ?? ""
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestSetupError("Not a JSON object: \(text)")
        }
        return object
    }

    /// The `error.code` of a JSON error response, after checking the shape is exactly ours.
    func errorCode() throws -> String? {
        let object = try json()
        guard let error = object["error"] as? [String: Any], object.count == 1, error["message"] is String else {
            return nil
        }
        return error["code"] as? String
    }
}

/// Pulls `name="value"` attributes out of HTML, for CSRF tokens and links.
func firstMatch(_ pattern: String, in text: String) -> String? {
    guard let regex = try? NSRegularExpression(pattern: pattern),
        let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), match.numberOfRanges > 1,
        let range = Range(match.range(at: 1), in: text)
    else { return nil }
    return String(text[range])
}
