import FieldlineCore
import FieldlineProviders
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// An email API stand-in on 127.0.0.1 speaking the wire format `HTTPEmailProvider` uses:
/// `POST /emails` with a bearer key, an `Idempotency-Key` header and a JSON body (`from`, `to`,
/// `subject`, `html`, `text`); `200 {"id": …}`, `401`/`422` with `{"statusCode", "name",
/// "message"}`, `429` with `Retry-After`. A repeated key answers the first id without a second email.
public final class FakeEmailAPI: LoopbackFake {
    public let apiKey: String

    public struct Received: Sendable, Equatable {
        public var id: String
        public var from: String
        public var to: [String]
        public var subject: String
        public var html: String
        public var text: String
        public var idempotencyKey: String?
    }

    /// What the fake does with the next requests.
    public enum Failure: Sendable, Equatable {
        case serverError
        case rateLimited(retryAfter: Int)
        /// Keeps the email, then answers 500: the client cannot know it went out.
        case serverErrorAfterAccepting
    }

    private struct State {
        var received: [Received] = []
        var keys: [String: String] = [:]
        var failures: [Failure] = []
        var requests = 0
    }

    private let state = Mutex(State())
    private let server = LoopbackRunner()

    public init(apiKey: String = "re_" + FakeTwilio.hex(24)) {
        self.apiKey = apiKey
    }

    public var baseURL: String { "http://127.0.0.1:\(server.port)" }
    /// Emails accepted, each once.
    public var received: [Received] { state.withLock { $0.received } }
    public var requestCount: Int { state.withLock { $0.requests } }

    public func fail(next failures: [Failure]) {
        state.withLock { $0.failures.append(contentsOf: failures) }
    }

    struct Body: Decodable {
        var from: String?
        var to: [String]?
        var subject: String?
        var html: String?
        var text: String?
    }

    public func start() async throws {
        let router = Router()
        router.post("/emails") { request, context in
            try await self.create(request, context: context)
        }
        await server.start(router, label: "fake-email")
    }

    public func stop() async {
        await server.stop()
    }

    public static func running<T: Sendable>(_ body: (FakeEmailAPI) async throws -> T) async throws -> T {
        try await FakeEmailAPI().run(body)
    }

    private func create(_ request: Request, context: some RequestContext) async throws -> Response {
        state.withLock { $0.requests += 1 }
        guard request.headers[.authorization] == "Bearer \(apiKey)" else {
            return Self.error(401, "missing_api_key", "API key is invalid")
        }
        let buffer = try await request.body.collect(upTo: 4 << 20)
        let data = Data(buffer.readableBytesView)
        guard let body = try? JSONDecoder().decode(Body.self, from: data) else {
            return Self.error(422, "validation_error", "The body is not valid JSON")
        }
        guard let from = body.from, from.contains("@"), let to = body.to, !to.isEmpty,
            to.allSatisfy({ $0.contains("@") }), let subject = body.subject, !subject.isEmpty,
            body.html != nil || body.text != nil
        else {
            return Self.error(422, "validation_error", "from, to, subject and html or text are required")
        }
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        let failure = state.withLock { state -> Failure? in
            state.failures.isEmpty ? nil : state.failures.removeFirst()
        }
        switch failure {
        case .serverError:
            return Self.error(500, "internal_server_error", "Try again")
        case .rateLimited(let seconds):
            var response = Self.error(429, "rate_limit_exceeded", "Too many requests")
            response.headers[.retryAfter] = String(seconds)
            return response
        case .serverErrorAfterAccepting, nil:
            break
        }
        let id = state.withLock { state -> String in
            if let key, let earlier = state.keys[key] { return earlier }
            let id = UUID().uuidString.lowercased()
            state.received.append(
                Received(
                    id: id, from: from, to: to, subject: subject, html: body.html ?? "", text: body.text ?? "",
                    idempotencyKey: key))
            if let key { state.keys[key] = id }
            return id
        }
        if failure == .serverErrorAfterAccepting {
            return Self.error(500, "internal_server_error", "Try again")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: "{\"id\":\"\(id)\"}")))
    }

    static func error(_ status: Int, _ name: String, _ message: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: .init(
                byteBuffer: ByteBuffer(
                    string: "{\"statusCode\":\(status),\"name\":\"\(name)\",\"message\":\"\(message)\"}")))
    }
}
