import FieldlineCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The one place where errors become HTTP responses: `{"error":{"code","message"}}` with a 4xx
/// status for anything the caller can fix, 500 only for our own failures (logged, never detailed).
struct APIErrorBody: Codable {
    struct Detail: Codable {
        var code: String
        var message: String
    }

    var error: Detail
}

/// An error raised at the HTTP edge itself (bad JSON, unknown route, wrong content type); its
/// status is its code's.
struct HTTPFailure: Error {
    var code: ErrorCode
    var message: String

    var status: HTTPResponse.Status { HTTPResponse.Status(code: code.status) }
}

/// The one mapping from an error to what is answered, used by the API and the pages alike: the
/// same error gets the same status wherever it happens.
enum ErrorMapping {
    static func status(of error: FieldlineError) -> HTTPResponse.Status {
        HTTPResponse.Status(code: error.status)
    }

    /// Status, code and message for any error; unknown errors are logged and reported as 500.
    static func describe(_ error: any Error, logger: Logger) -> (HTTPResponse.Status, String, String) {
        switch error {
        case let error as FieldlineError:
            return (status(of: error), error.code, error.message)
        case let error as HTTPFailure:
            return (error.status, error.code.rawValue, error.message)
        case let error as HTTPError:
            let code = error.status == .notFound ? "not_found" : FieldlineError.snakeCaseCode(error.status.reasonPhrase)
            return (error.status, code, error.body ?? error.status.reasonPhrase)
        case is NIOTooManyBytesError:
            // Whichever handler collected the body, a body over the limit is the sender's to fix.
            return describe(.bodyTooLarge, "The request body is larger than 1 MB.")
        default:
            logger.error("Unhandled error: \(String(reflecting: error))")
            return describe(.internalError, "Something went wrong on our side; it has been logged.")
        }
    }

    static func describe(_ code: ErrorCode, _ message: String) -> (HTTPResponse.Status, String, String) {
        (HTTPResponse.Status(code: code.status), code.rawValue, message)
    }

    /// The JSON answer for any error, `Retry-After` included when it is a rate limit: what the API
    /// answers, whichever handler or middleware caught the error.
    static func jsonResponse(for error: any Error, logger: Logger) -> Response {
        let (status, code, message) = describe(error, logger: logger)
        var response = jsonResponse(status: status, code: code, message: message)
        if case .rateLimited(_, let seconds) = error as? FieldlineError {
            response.headers[.retryAfter] = String(seconds)
        }
        return response
    }

    /// The JSON answer for one of our codes, at the code's status.
    static func jsonResponse(_ code: ErrorCode, message: String) -> Response {
        jsonResponse(status: HTTPResponse.Status(code: code.status), code: code.rawValue, message: message)
    }

    static func jsonResponse(status: HTTPResponse.Status, code: String, message: String) -> Response {
        let body = APIErrorBody(error: .init(code: code, message: message))
        let data = (try? JSONCoding.encoder.encode(body)) ?? Data("{\"error\":{\"code\":\"\(code)\"}}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension FieldlineError {
    static func snakeCaseCode(_ phrase: String) -> String {
        phrase.lowercased().replacingOccurrences(of: " ", with: "_").filter { $0.isLetter || $0 == "_" }
    }
}

/// Turns every error thrown below it into the JSON error shape.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            return ErrorMapping.jsonResponse(for: error, logger: context.logger)
        }
    }
}
