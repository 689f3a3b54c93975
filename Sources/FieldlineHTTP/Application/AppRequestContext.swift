import Fieldline
import FieldlineCore
import Foundation
import HTTPTypes
import Hummingbird

/// Per-request state: who is signed in, once the auth middleware has found out.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var auth: Accounts.Authenticated?
    /// The raw session token of a web request, kept to sign out.
    public var sessionToken: String?

    /// The connected peer: public forms are rate limited per address.
    public var remoteAddress: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The client's address: the connected peer's, or, when the peer is a reverse proxy on this
    /// machine (loopback), the address that proxy saw, the last entry of its `X-Forwarded-For`
    /// (nginx's `$proxy_add_x_forwarded_for` appends it). A remote peer's header is ignored: anyone
    /// can send one.
    public func clientAddress(_ request: Request) -> String? {
        guard let peer = remoteAddress else { return nil }
        guard Self.isLoopback(peer), let forwarded = request.headers[Self.forwardedFor] else { return peer }
        let last = forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !last.isEmpty, last.count <= 45, last.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else {
            return peer
        }
        return last
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    public var maxUploadSize: Int { 1024 * 1024 }

    public var requestDecoder: JSONDecoder { JSONCoding.decoder }
    public var responseEncoder: JSONEncoder { JSONCoding.encoder }

    /// The signed-in actor; routes behind the auth middleware always have one.
    public func actor() throws -> Actor {
        try signedIn().actor
    }

    /// Who is signed in, with their account as the session found it (its name and time zone):
    /// a page need not look the account up again.
    public func signedIn() throws -> Accounts.Authenticated {
        guard let auth else { throw FieldlineError.unauthenticated(message: "Sign in first.") }
        return auth
    }

    /// Times as the signed-in account reads them, in its time zone.
    public func timeText() throws -> TimeText {
        TimeText(timeZoneIdentifier: try signedIn().account.timeZone)
    }
}

enum JSONCoding {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(.iso8601))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = parseDate(text) { return date }
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "\"\(text)\" is not an ISO 8601 date-time such as 2026-11-23T09:00:00Z.")
        }
        return decoder
    }

    /// ISO 8601 with an offset, with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return try? fractional.parse(text)
    }
}
