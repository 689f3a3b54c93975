import AsyncHTTPClient
import FieldlineCore
import Foundation
import NIOCore
import NIOHTTP1

/// An email API over HTTPS in the common transactional-email shape (`POST {base}/emails` with a
/// bearer key and an `Idempotency-Key` header; JSON `from`, `to`, `subject`, `html`, `text`;
/// `200 {"id": …}`), configured with `FIELDLINE_EMAIL_API_BASE` and `FIELDLINE_EMAIL_API_KEY`.
public struct HTTPEmailProvider: EmailProvider {
    let http: HTTPClient
    let baseURL: String
    let apiKey: String
    let timeout: TimeAmount

    public init(http: HTTPClient, baseURL: String, apiKey: String, timeout: TimeAmount = .seconds(10)) {
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.timeout = timeout
    }

    struct Body: Encodable {
        var from: String
        var to: [String]
        var replyTo: String?
        var subject: String
        var html: String
        var text: String

        enum CodingKeys: String, CodingKey {
            case from, to, subject, html, text
            case replyTo = "reply_to"
        }
    }

    public func send(_ email: OutgoingEmail) async throws(EmailSendError) -> String {
        var request = HTTPClientRequest(url: baseURL + "/emails")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: email.idempotencyKey)
        do {
            let body = Body(
                from: email.from, to: [email.to], replyTo: email.replyTo, subject: email.subject, html: email.html,
                text: email.text)
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        } catch {
            throw .rejected(message: "The email could not be encoded.")
        }

        let status: HTTPResponseStatus
        let data: ByteBuffer
        let retryAfter: String?
        do {
            let response = try await http.execute(request, timeout: timeout)
            status = response.status
            retryAfter = response.headers.first(name: "Retry-After")
            data = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw .transient(message: "The email service did not answer: \(error)", retryAfter: nil)
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: Any]
        let message = json?["message"] as? String
        switch status.code {
        case 200...299:
            guard let id = json?["id"] as? String, !id.isEmpty else {
                throw .transient(message: "The email service answered \(status.code) without an id.", retryAfter: nil)
            }
            return id
        case 429:
            throw .transient(
                message: message ?? "The email service is rate limiting.", retryAfter: retryAfter.flatMap(Double.init))
        case 409:
            // The same idempotency key is still being processed: it will have gone out once.
            throw .transient(message: message ?? "The email service is still processing this email.", retryAfter: 5)
        case 400...499:
            throw .rejected(message: message ?? "The email service refused the email (\(status.code)).")
        default:
            throw .transient(message: message ?? "The email service answered \(status.code).", retryAfter: nil)
        }
    }
}

/// The key never shows in logs: service lists and error reports print providers by reflection.
extension HTTPEmailProvider: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "HTTPEmailProvider(baseURL: \(baseURL), apiKey: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["baseURL": baseURL, "apiKey": "<redacted>"]) }
}
