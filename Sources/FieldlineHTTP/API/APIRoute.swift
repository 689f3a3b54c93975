import Fieldline
import FieldlineCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// One endpoint of `/api/v1`. The table of these is the single source the router is built from,
/// and the tests compare it with `openapi.yaml` so the contract and the server cannot drift.
struct APIRoute: Sendable {
    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    let method: HTTPRequest.Method
    /// OpenAPI form, relative to `/api/v1`: `/customers/{customerId}`.
    let path: String
    let authenticated: Bool
    /// Reads its body as a stream (an upload): never collected for an Idempotency-Key.
    var streamsBody: Bool { method == .post && path == "/customer-imports" }
    let handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, authenticated: Bool = true, handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.authenticated = authenticated
        self.handler = handler
    }

    /// Hummingbird's form of the path: `{customerId}` becomes `:customerId`.
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }
}

enum APIResponse {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONCoding.encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }
}

extension Request {
    /// The bearer token of an API call, if it carries one.
    var bearerToken: String? {
        guard let header = headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

enum APIRouter {
    /// Adds every API route, with JSON errors and bearer authentication, under `/api/v1`.
    static func register(
        _ routes: [APIRoute], on router: Router<AppRequestContext>, app: Fieldline, openAPIDocument: String
    ) {
        let api = router.group("api/v1").add(middleware: APIErrorMiddleware())
        for route in routes {
            api.on(RouterPath(stringLiteral: String(route.routerPath.dropFirst())), method: route.method) {
                request, context in
                var context = context
                if route.authenticated {
                    guard let token = request.bearerToken else {
                        throw FieldlineError.unauthenticated(
                            message:
                                "Send an API token as \"Authorization: Bearer <token>\" (POST /api/v1/auth/token issues one)."
                        )
                    }
                    var auth = try await app.accounts.authenticate(token: token, kind: .api)
                    auth.actor.address = context.clientAddress(request)
                    context.auth = auth
                }
                // An upload streams (up to 25 MB) and leaves nothing when it fails, so it is simply
                // sent again: it is not held in memory for an Idempotency-Key.
                if route.method == .post, !route.streamsBody, let key = request.headers[IdempotentRoute.header],
                    let auth = context.auth
                {
                    return try await IdempotentRoute.run(
                        route, key: key, auth: auth, request: request, context: context, app: app)
                }
                return try await route.handler(request, context)
            }
        }
        // A path that exists answers a method it does not take with 405 and the methods it does.
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
        var allowed: [String: [HTTPRequest.Method]] = [:]
        var order: [String] = []
        for route in routes {
            if allowed[route.routerPath] == nil { order.append(route.routerPath) }
            allowed[route.routerPath, default: []].append(route.method)
        }
        for path in order {
            let taken = allowed[path] ?? []
            let allow = methods.filter(taken.contains).map(\.rawValue).joined(separator: ", ")
            for method in methods where !taken.contains(method) {
                api.on(RouterPath(stringLiteral: String(path.dropFirst())), method: method) { request, _ in
                    var response = ErrorMapping.jsonResponse(
                        .methodNotAllowed,
                        message: "\(request.method) is not allowed on \(request.uri.path); use \(allow).")
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
        api.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: openAPIDocument)))
        }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            api.on("**", method: method) { request, _ -> Response in
                throw HTTPFailure(
                    code: .routeNotFound,
                    message: "No API endpoint \(request.method) \(request.uri.path); see /api/v1/openapi.yaml.")
            }
        }
    }
}

/// The API's operations as `METHOD /path`, for the contract test against `openapi.yaml` and for
/// suites that generate cases from the route table.
public enum APIRouteTable {
    public static func operations(app: Fieldline) -> [String] {
        APIRoutes.all(app: app).map { "\($0.method.rawValue) \($0.path)" }
    }
}

/// A POST with an `Idempotency-Key`: run once per key, the answer kept and given again to a retry
/// (`IdempotentRequests`). Errors become their JSON answers here, so a refusal is kept too.
enum IdempotentRoute {
    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

    static func run(
        _ route: APIRoute, key: String, auth: Accounts.Authenticated, request: Request, context: AppRequestContext,
        app: Fieldline
    ) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let frozen = request
        let answer = try await app.idempotentRequests.run(
            key: key, accountID: auth.actor.accountID, userID: auth.actor.userID,
            request: "POST \(request.uri.path)?\(request.uri.query ?? "")", body: String(buffer: body)
        ) {
            let response: Response
            do {
                response = try await route.handler(frozen, context)
            } catch {
                response = ErrorMapping.jsonResponse(for: error, logger: context.logger)
            }
            let collector = BodyCollector()
            try await response.body.write(collector)
            return IdempotentRequests.Answer(
                status: Int(response.status.code), contentType: response.headers[.contentType],
                body: collector.text, retryAfter: response.headers[.retryAfter])
        }
        var headers: HTTPFields = [:]
        if let type = answer.contentType { headers[.contentType] = type }
        if answer.replayed { headers[replayedHeader] = "true" }
        if let retryAfter = answer.retryAfter { headers[.retryAfter] = retryAfter }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: answer.body)))
    }

    /// Reads a response body back as it is written.
    final class BodyCollector: ResponseBodyWriter {
        private var buffer = ByteBuffer()

        var text: String { String(buffer: buffer) }

        func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            self.buffer.writeBuffer(&buffer)
        }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
