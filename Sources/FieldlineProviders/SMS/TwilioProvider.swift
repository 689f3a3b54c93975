import AsyncHTTPClient
import FieldlineCore
import Foundation
import NIOCore
import NIOHTTP1

/// Twilio Programmable Messaging over its REST API. The base URL is configurable
/// (`FIELDLINE_TWILIO_API_BASE`) so tests point it at the fake on loopback.
public struct TwilioProvider: SMSProvider {
    public static let defaultBaseURL = "https://api.twilio.com"

    let http: HTTPClient
    let baseURL: String
    let timeout: TimeAmount
    let resolver: any HostResolving

    /// `http` must not follow redirects: media redirects are followed by hand, each one checked.
    public init(
        http: HTTPClient, baseURL: String = Self.defaultBaseURL, timeout: TimeAmount = .seconds(10),
        resolver: any HostResolving = SystemResolver()
    ) {
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
        self.resolver = resolver
    }

    public func send(_ sms: OutgoingSMS, credentials: SMSCredentials?) async throws(SMSSendError) -> AcceptedSMS {
        guard let credentials else {
            throw .rejected(code: nil, message: "This number has no Twilio credentials; add them in Settings.")
        }
        var fields: [(name: String, value: String)] = [("To", sms.to.e164), ("Body", sms.body)]
        if let service = credentials.messagingServiceID {
            fields.append(("MessagingServiceSid", service))
        } else {
            fields.append(("From", sms.from.e164))
        }
        if let callback = sms.statusCallbackURL { fields.append(("StatusCallback", callback)) }
        var request = HTTPClientRequest(url: messagesURL(credentials))
        request.method = .POST
        request.headers.add(name: "Authorization", value: Self.basicAuthorization(credentials))
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode(fields)))

        let status: HTTPResponseStatus
        let body: ByteBuffer
        let retryAfter: String?
        do {
            let response = try await http.execute(request, timeout: timeout)
            status = response.status
            retryAfter = response.headers.first(name: "Retry-After")
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw Self.classify(error)
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
        switch status.code {
        case 200...299:
            guard let sid = json?["sid"] as? String, !sid.isEmpty else {
                throw .uncertain(message: "Twilio answered \(status.code) without a message sid.")
            }
            return AcceptedSMS(providerID: sid, status: json?["status"] as? String ?? "queued")
        case 429:
            throw .transient(
                message: "Twilio is rate limiting this number.", retryAfter: retryAfter.flatMap(Double.init))
        case 400...499:
            let code = (json?["code"] as? Int).map(String.init) ?? (json?["code"] as? String)
            let message = json?["message"] as? String ?? "Twilio refused the message (\(status.code))."
            throw .rejected(code: code, message: message)
        default:
            throw .uncertain(message: "Twilio answered \(status.code).")
        }
    }

    public func sentMessages(
        from: PhoneNumber, to: PhoneNumber, since: Date, credentials: SMSCredentials?
    ) async throws -> [SentSMS] {
        guard let credentials else { return [] }
        var results: [SentSMS] = []
        let query = FormEncoding.encode([("To", to.e164), ("From", from.e164), ("PageSize", "50")])
        var next: String? = messagesURL(credentials) + "?" + query
        var pages = 0
        while let url = next, pages < 20 {
            pages += 1
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Authorization", value: Self.basicAuthorization(credentials))
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await http.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 4 << 20)
            guard (200...299).contains(response.status.code),
                let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                let messages = json["messages"] as? [[String: Any]]
            else {
                throw ProviderResponseError(message: "Twilio's message list answered \(response.status.code).")
            }
            var reachedWindowStart = false
            for message in messages {
                let created = (message["date_created"] as? String).flatMap(Self.parseRFC2822)
                if let created, created < since {
                    reachedWindowStart = true
                    continue
                }
                results.append(
                    SentSMS(
                        providerID: message["sid"] as? String ?? "", from: message["from"] as? String ?? "",
                        to: message["to"] as? String ?? "", body: message["body"] as? String ?? "",
                        status: message["status"] as? String ?? "", createdAt: created))
            }
            let nextPage = json["next_page_uri"] as? String
            next = reachedWindowStart || nextPage == nil ? nil : baseURL + (nextPage ?? "")
        }
        return results
    }

    /// Twilio's media hosts: the API (which answers a media URL with a redirect), and the file
    /// stores it redirects to (`mms.twiliocdn.com` for accounts that require auth on media,
    /// `s3-external-1.amazonaws.com` for older public media).
    public static let mediaHosts = ["api.twilio.com", ".twiliocdn.com", "s3-external-1.amazonaws.com"]

    /// The webhook's media URL comes from whoever signed the webhook, which is a tenant: it is
    /// fetched only from Twilio's hosts (or the configured base URL), only under the number's own
    /// Twilio account, with the credentials sent to that first URL alone.
    public func fetchMedia(url: String, credentials: SMSCredentials?) async throws -> FetchedMedia {
        let fetch = GuardedFetch(
            http: http,
            policy: FetchPolicy(
                hosts: Self.mediaHosts, trustedOrigin: baseURL == Self.defaultBaseURL ? nil : baseURL),
            resolver: resolver, maximumBytes: MessageMedia.maximumBytes)
        let accountPrefix = credentials.map { "/2010-04-01/Accounts/\($0.accountID)/" }
        let apiHost = URLComponents(string: baseURL)?.host?.lowercased() ?? "api.twilio.com"
        let answer = try await fetch.get(
            url,
            firstHop: { target in
                guard target.trusted || target.host == apiHost || target.host == "api.twilio.com" else {
                    return "A media URL starts at Twilio's API, not \(target.host)."
                }
                guard let accountPrefix, target.url.path.hasPrefix(accountPrefix) else {
                    return "The media URL belongs to another Twilio account."
                }
                return nil
            },
            headers: { _, hop in
                // Twilio's redirect target is a short-lived signed URL: no credentials past the API.
                guard hop == 0, let credentials else { return [] }
                return [("Authorization", Self.basicAuthorization(credentials))]
            })
        switch answer.status {
        case 200...299:
            return FetchedMedia(contentType: answer.contentType ?? "application/octet-stream", data: answer.body)
        case 404, 410, 401, 403:
            throw MediaFetchError.permanent("The provider answered \(answer.status) for the media file.")
        default:
            throw MediaFetchError.transient("The provider answered \(answer.status) for the media file.")
        }
    }

    /// Twilio's IncomingPhoneNumbers list, filtered to the number: it lists the number only when the
    /// account (the credentials') holds it.
    public func owns(_ number: PhoneNumber, credentials: SMSCredentials?) async throws -> NumberOwnership {
        guard let credentials else { return .badCredentials }
        let query = FormEncoding.encode([("PhoneNumber", number.e164)])
        var request = HTTPClientRequest(
            url:
                "\(baseURL)/2010-04-01/Accounts/\(FormEncoding.escape(credentials.accountID))/IncomingPhoneNumbers.json?\(query)"
        )
        request.headers.add(name: "Authorization", value: Self.basicAuthorization(credentials))
        request.headers.add(name: "Accept", value: "application/json")
        // A person waits on this one call (adding a number): worth more patience than a send, which retries.
        let response = try await http.execute(request, timeout: max(timeout, .seconds(15)))
        let body = try await response.body.collect(upTo: 1 << 20)
        switch response.status.code {
        case 200...299:
            guard let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                let numbers = json["incoming_phone_numbers"] as? [[String: Any]]
            else { throw ProviderResponseError(message: "Twilio's number list could not be read.") }
            return numbers.contains { $0["phone_number"] as? String == number.e164 } ? .owned : .notOwned
        case 401, 403, 404:
            return .badCredentials
        default:
            throw ProviderResponseError(message: "Twilio's number list answered \(response.status.code).")
        }
    }

    func messagesURL(_ credentials: SMSCredentials) -> String {
        "\(baseURL)/2010-04-01/Accounts/\(FormEncoding.escape(credentials.accountID))/Messages.json"
    }

    static func basicAuthorization(_ credentials: SMSCredentials) -> String {
        "Basic " + Data("\(credentials.accountID):\(credentials.authToken)".utf8).base64EncodedString()
    }

    /// Only failures that certainly happened before Twilio saw the request may simply be retried;
    /// anything else might have created the message.
    static func classify(_ error: any Error) -> SMSSendError {
        if let error = error as? HTTPClientError,
            error == .connectTimeout || error == .getConnectionFromPoolTimeout || error == .alreadyShutdown
        {
            return .transient(message: "Could not connect to Twilio (\(error)).", retryAfter: nil)
        }
        if String(describing: error).lowercased().contains("connection refused") {
            return .transient(message: "Could not connect to Twilio (connection refused).", retryAfter: nil)
        }
        return .uncertain(message: "The call to Twilio did not finish: \(error)")
    }

    /// Twilio's dates: `Mon, 23 Nov 2026 17:05:31 +0000`.
    static func parseRFC2822(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.date(from: text)
    }
}

public struct ProviderResponseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension Data {
    init(buffer: ByteBuffer) {
        self.init(buffer.readableBytesView)
    }
}
