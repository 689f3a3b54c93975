import AsyncHTTPClient
import FieldlineCore
import FieldlineProviders
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// A Twilio stand-in on 127.0.0.1 that speaks the real wire format: `Messages.json` send and list
/// with HTTP Basic auth, media downloads with Basic auth, and status callbacks signed with
/// `X-Twilio-Signature` like Twilio's own. Failures are set per recipient, so one test can mix
/// delivered texts, landlines (30006), unsubscribed numbers (21610), server errors and timeouts.
public final class FakeTwilio: LoopbackFake {
    public let accountSID: String
    public let authToken: String

    /// What the fake does with a text to one recipient.
    public enum Behavior: Sendable, Equatable {
        /// Accept (201), then call back `sent` and `delivered`.
        case deliver
        /// Accept, then call back `undelivered` with 30006: a landline.
        case landline
        /// Refuse at once: HTTP 400 with code 21610 (the recipient texted STOP at the carrier).
        case unsubscribed
        /// Answer 500 without creating the message, `times` times, then behave normally.
        case serverError(times: Int)
        /// Create the message, then answer 500 (`times` times): the client cannot know it went out.
        case serverErrorAfterCreating(times: Int)
        /// Create the message, then take `seconds` to answer, longer than the client waits.
        case slowAfterCreating(seconds: Double, times: Int)
        /// Answer 429 with Retry-After, `times` times.
        case rateLimited(times: Int)
    }

    public struct SentText: Sendable, Equatable {
        public var sid: String
        public var from: String
        public var to: String
        public var body: String
        public var statusCallback: String?
        public var createdAt: Date
    }

    private struct State {
        var sent: [SentText] = []
        var behaviors: [String: Behavior] = [:]
        var attempts: [String: Int] = [:]
        var media: [String: (contentType: String, data: Data)] = [:]
        var mediaRedirects: [String: String] = [:]
        /// Other Twilio accounts on the same fake (another business's), by SID: their token.
        var otherAccounts: [String: String] = [:]
        /// Numbers held by a named account; any other number is held by the main account.
        var numberOwners: [String: String] = [:]
        var fileRequests: [(path: String, authorization: String?)] = []
        var callbackOverride: String?
        var requests = 0
    }

    private let state = Mutex(State())
    private let server = LoopbackRunner()
    let http: HTTPClient
    /// Delivers status callbacks automatically after each accepted send.
    public let sendsCallbacks: Bool

    public init(sendsCallbacks: Bool = true, http: HTTPClient = HTTPClient.fieldline()) {
        self.accountSID = "AC" + Self.hex(32)
        self.authToken = Self.hex(32)
        self.sendsCallbacks = sendsCallbacks
        self.http = http
    }

    public static func hex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement() ?? "0" })
    }

    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    public var credentials: SMSCredentials { SMSCredentials(accountID: accountSID, authToken: authToken) }

    // MARK: Control

    public func setBehavior(_ behavior: Behavior, for recipient: String) {
        state.withLock { $0.behaviors[recipient] = behavior }
    }

    /// Status callbacks go to this `host:port` instead of the host in their URL (the URL is still
    /// what gets signed, as Twilio signs the URL it was given).
    public func deliverCallbacks(to hostAndPort: String) {
        state.withLock { $0.callbackOverride = hostAndPort }
    }

    public var sent: [SentText] { state.withLock { $0.sent } }

    public func sent(to recipient: String) -> [SentText] { sent.filter { $0.to == recipient } }

    /// How many send requests arrived, successful or not.
    public var sendRequests: Int { state.withLock { $0.requests } }

    /// A media file served at a Twilio-shaped URL that needs Basic auth; returns the URL.
    public func hostMedia(_ data: Data, contentType: String) -> String {
        let id = "ME" + Self.hex(32)
        state.withLock { $0.media[id] = (contentType, data) }
        return "\(baseURL)/2010-04-01/Accounts/\(accountSID)/Messages/MM\(Self.hex(32))/Media/\(id)"
    }

    /// A Twilio-shaped media URL whose API answer redirects to `location` (anywhere: a test of
    /// what the fetcher refuses).
    public func hostMediaRedirecting(to location: String) -> String {
        let id = "ME" + Self.hex(32)
        state.withLock { $0.mediaRedirects[id] = location }
        return "\(baseURL)/2010-04-01/Accounts/\(accountSID)/Messages/MM\(Self.hex(32))/Media/\(id)"
    }

    /// Another Twilio account on this fake (another business's): its credentials.
    public func addAccount() -> SMSCredentials {
        let credentials = SMSCredentials(accountID: "AC" + Self.hex(32), authToken: Self.hex(32))
        state.withLock { $0.otherAccounts[credentials.accountID] = credentials.authToken }
        return credentials
    }

    /// `number` belongs to the account `accountSID` (another of this fake's, or one unknown to it).
    public func assign(_ number: String, to accountSID: String) {
        state.withLock { $0.numberOwners[number] = accountSID }
    }

    /// The file store's requests: path and the Authorization header it was sent, if any.
    public var fileRequests: [(path: String, authorization: String?)] { state.withLock { $0.fileRequests } }

    // MARK: Lifecycle

    public func start() async throws {
        let router = Router()
        router.post("/2010-04-01/Accounts/:account/Messages.json") { request, context in
            try await self.create(request, context: context)
        }
        router.get("/2010-04-01/Accounts/:account/Messages.json") { request, context in
            try self.list(request, context: context)
        }
        router.get("/2010-04-01/Accounts/:account/Messages/:message/Media/:media") { request, context in
            try self.media(request, context: context)
        }
        router.get("/2010-04-01/Accounts/:account/IncomingPhoneNumbers.json") { request, context in
            try self.incomingNumbers(request, context: context)
        }
        router.get("/cdn/:media") { request, context in
            try self.storedFile(request, context: context)
        }
        await server.start(router, label: "fake-twilio")
    }

    public func stop() async {
        await server.stop()
    }

    /// Runs `body` with a started fake, stopped afterwards.
    public static func running<T: Sendable>(
        sendsCallbacks: Bool = true, _ body: (FakeTwilio) async throws -> T
    ) async throws -> T {
        let fake = FakeTwilio(sendsCallbacks: sendsCallbacks)
        do {
            let result = try await fake.run(body)
            try? await fake.http.shutdown()
            return result
        } catch {
            try? await fake.http.shutdown()
            throw error
        }
    }

    // MARK: Inbound texts, as Twilio posts them

    /// Posts a signed inbound webhook to `url` (signed for `signedURL`, the public URL Twilio
    /// would have called) and returns the HTTP status.
    @discardableResult
    public func textIn(
        from: String, to: String, body: String, sid: String = "SM" + FakeTwilio.hex(32), media: [(String, String)] = [],
        url: String, signedURL: String? = nil, messagingServiceSID: String? = nil, signature: String? = nil
    ) async throws -> Int {
        var fields: [(name: String, value: String)] = [
            ("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", String(media.count)), ("SmsSid", sid),
            ("SmsStatus", "received"), ("Body", body), ("To", to), ("NumSegments", "1"), ("MessageSid", sid),
            ("AccountSid", accountSID), ("From", from), ("ApiVersion", "2010-04-01"), ("FromCountry", "US"),
        ]
        if let messagingServiceSID { fields.append(("MessagingServiceSid", messagingServiceSID)) }
        for (index, item) in media.enumerated() {
            fields.append(("MediaUrl\(index)", item.0))
            fields.append(("MediaContentType\(index)", item.1))
        }
        return try await post(fields, to: url, signedURL: signedURL ?? url, signature: signature)
    }

    // MARK: Calls, as Twilio reports them

    /// The form Twilio posts to a number's call status callback when a call ends (`status`
    /// no-answer, busy, failed, canceled or completed), or to a `<Dial action>` URL when
    /// `dialStatus` is given: the outcome of the forwarded leg.
    public func callStatusFields(
        from: String, to: String, status: String, dialStatus: String? = nil, sid: String = "CA" + FakeTwilio.hex(32)
    ) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("Called", to), ("ToState", "TX"), ("CallerCountry", "US"), ("Direction", "inbound"),
            ("Timestamp", "Mon, 23 Nov 2026 18:00:00 +0000"), ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", "0"), ("CallerState", "TX"), ("ToZip", "78701"), ("CallSid", sid), ("To", to),
            ("CallerZip", "78704"), ("ToCountry", "US"), ("CalledZip", "78701"), ("ApiVersion", "2010-04-01"),
            ("CalledCity", "AUSTIN"), ("CallStatus", status), ("Duration", "0"), ("From", from),
            ("CallDuration", "0"), ("AccountSid", accountSID), ("CalledCountry", "US"), ("CallerCity", "AUSTIN"),
            ("Caller", from), ("FromCountry", "US"), ("ToCity", "AUSTIN"), ("FromCity", "AUSTIN"),
            ("CalledState", "TX"), ("FromZip", "78704"), ("FromState", "TX"),
        ]
        if let dialStatus {
            fields.append(("DialCallStatus", dialStatus))
            fields.append(("DialCallSid", "CA" + FakeTwilio.hex(32)))
        }
        return fields
    }

    func post(
        _ fields: [(name: String, value: String)], to url: String, signedURL: String, signature: String? = nil
    ) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(
            name: "X-Twilio-Signature",
            value: signature ?? TwilioSignature.sign(url: signedURL, parameters: fields, authToken: authToken))
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode(fields)))
        let response = try await http.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    // MARK: The REST API

    private func authorized(_ request: Request, context: BasicRequestContext) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6))),
            let account = context.parameters.get("account")
        else { return false }
        let token: String? = account == accountSID ? authToken : state.withLock { $0.otherAccounts[account] }
        guard let token else { return false }
        return String(decoding: decoded, as: UTF8.self) == "\(account):\(token)"
    }

    /// `IncomingPhoneNumbers.json?PhoneNumber=…`: the account's numbers, filtered as Twilio does.
    private func incomingNumbers(_ request: Request, context: BasicRequestContext) throws -> Response {
        guard authorized(request, context: context), let account = context.parameters.get("account") else {
            return try twilioError(20003, "Authenticate", status: .unauthorized)
        }
        let wanted = request.uri.query.map { FormEncoding.decode($0) }?.first { $0.name == "PhoneNumber" }?.value
        let owner = wanted.map { number in state.withLock { $0.numberOwners[number] } ?? accountSID }
        let listed: [[String: Any]] =
            if let wanted, owner == account {
                [["sid": "PN" + Self.hex(32), "account_sid": account, "phone_number": wanted, "friendly_name": wanted]]
            } else { [] }
        return try json(["incoming_phone_numbers": listed, "page": 0, "page_size": 50], status: .ok)
    }

    private func json(
        _ object: [String: Any], status: HTTPResponse.Status, headers: HTTPFields = [:]
    ) throws
        -> Response
    {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(
            status: status, headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))))
    }

    private func twilioError(_ code: Int, _ message: String, status: HTTPResponse.Status) throws -> Response {
        try json(["code": code, "message": message, "status": Int(status.code)], status: status)
    }

    private func create(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard authorized(request, context: context) else {
            return try twilioError(20003, "Authenticate", status: .unauthorized)
        }
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let form = Dictionary(FormEncoding.decode(String(buffer: buffer)), uniquingKeysWith: { _, last in last })
        guard let to = form["To"], let body = form["Body"], let from = form["From"] ?? form["MessagingServiceSid"]
        else {
            return try twilioError(21604, "A 'To', 'Body' and 'From' are required.", status: .badRequest)
        }
        let (behavior, attempt) = state.withLock { state -> (Behavior, Int) in
            state.requests += 1
            state.attempts[to, default: 0] += 1
            return (state.behaviors[to] ?? .deliver, state.attempts[to] ?? 1)
        }
        func record() -> SentText {
            let text = SentText(
                sid: "SM" + Self.hex(32), from: from, to: to, body: body, statusCallback: form["StatusCallback"],
                createdAt: Date())
            state.withLock { $0.sent.append(text) }
            return text
        }
        switch behavior {
        case .unsubscribed:
            return try twilioError(
                21610, "Attempt to send to unsubscribed recipient", status: .badRequest)
        case .serverError(let times) where attempt <= times:
            return try twilioError(20500, "Internal Server Error", status: .internalServerError)
        case .serverErrorAfterCreating(let times) where attempt <= times:
            let text = record()
            callBack(text, landline: false)
            return try twilioError(20500, "Internal Server Error", status: .internalServerError)
        case .slowAfterCreating(let seconds, let times) where attempt <= times:
            let text = record()
            try await Task.sleep(for: .seconds(seconds))
            callBack(text, landline: false)
            return try accepted(text)
        case .rateLimited(let times) where attempt <= times:
            return try json(
                ["code": 20429, "message": "Too Many Requests", "status": 429], status: .tooManyRequests,
                headers: [.retryAfter: "1"])
        default:
            let text = record()
            callBack(text, landline: behavior == .landline)
            return try accepted(text)
        }
    }

    private func accepted(_ text: SentText) throws -> Response {
        try json(Self.resource(text, status: "queued", accountSID: accountSID), status: .created)
    }

    static func resource(_ text: SentText, status: String, accountSID: String) -> [String: Any] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return [
            "sid": text.sid, "account_sid": accountSID, "from": text.from, "to": text.to, "body": text.body,
            "status": status, "num_segments": "1", "direction": "outbound-api",
            "date_created": formatter.string(from: text.createdAt), "error_code": NSNull(), "error_message": NSNull(),
        ]
    }

    private func list(_ request: Request, context: BasicRequestContext) throws -> Response {
        guard authorized(request, context: context) else {
            return try twilioError(20003, "Authenticate", status: .unauthorized)
        }
        let to = request.uri.queryParameters.get("To").map { String($0) }
        let from = request.uri.queryParameters.get("From").map { String($0) }
        let matching = sent.filter { (to == nil || $0.to == to) && (from == nil || $0.from == from) }
            .sorted { $0.createdAt > $1.createdAt }
        return try json(
            [
                "messages": matching.map { Self.resource($0, status: "sent", accountSID: accountSID) },
                "next_page_uri": NSNull(), "page": 0, "page_size": 50,
            ], status: .ok)
    }

    /// As Twilio: the API checks Basic auth and redirects to a short-lived URL on its file store,
    /// which serves the file without credentials (and must not be sent any).
    private func media(_ request: Request, context: BasicRequestContext) throws -> Response {
        guard authorized(request, context: context) else {
            return try twilioError(20003, "Authenticate", status: .unauthorized)
        }
        guard let id = context.parameters.get("media") else {
            return try twilioError(20404, "Not found", status: .notFound)
        }
        if let elsewhere = state.withLock({ $0.mediaRedirects[id] }) {
            return Response(status: .found, headers: [.location: elsewhere])
        }
        guard state.withLock({ $0.media[id] }) != nil else {
            return try twilioError(20404, "Not found", status: .notFound)
        }
        return Response(status: .found, headers: [.location: "/cdn/\(id)?Expires=14400"])
    }

    private func storedFile(_ request: Request, context: BasicRequestContext) throws -> Response {
        state.withLock { $0.fileRequests.append((request.uri.path, request.headers[.authorization])) }
        guard let id = context.parameters.get("media"), let file = state.withLock({ $0.media[id] }) else {
            return try twilioError(20404, "Not found", status: .notFound)
        }
        return Response(
            status: .ok, headers: [.contentType: file.contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
    }

    // MARK: Status callbacks

    private func callBack(_ text: SentText, landline: Bool) {
        guard sendsCallbacks, let url = text.statusCallback else { return }
        let override = state.withLock { $0.callbackOverride }
        let statuses: [(String, String?)] =
            landline ? [("sent", nil), ("undelivered", "30006")] : [("sent", nil), ("delivered", nil)]
        Task {
            for (status, code) in statuses {
                var fields: [(name: String, value: String)] = [
                    ("MessageSid", text.sid), ("SmsSid", text.sid), ("MessageStatus", status), ("SmsStatus", status),
                    ("AccountSid", accountSID), ("From", text.from), ("To", text.to), ("ApiVersion", "2010-04-01"),
                ]
                if let code {
                    fields.append(("ErrorCode", code))
                    fields.append(("ErrorMessage", "Unknown error"))
                }
                var target = url
                if let override, var components = URLComponents(string: url) {
                    let parts = override.split(separator: ":")
                    components.host = String(parts[0])
                    components.port = parts.count > 1 ? Int(parts[1]) : nil
                    components.scheme = "http"
                    target = components.string ?? url
                }
                _ = try? await post(fields, to: target, signedURL: url)
            }
        }
    }
}
