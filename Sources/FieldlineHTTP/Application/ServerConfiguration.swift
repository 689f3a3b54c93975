import FieldlineCore
import Foundation

/// How the server is run: read from `FIELDLINE_*` environment variables, overridden by flags.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var databaseURL: String
    /// How the outside world reaches this server (links, webhook signatures); also decides
    /// whether cookies are marked Secure.
    public var publicURL: String
    public var demo: Bool
    public var bcryptCost: UInt8
    /// Seals provider credentials at rest (`FIELDLINE_SECRET_KEY`); without it none can be stored.
    public var secretKey: String?
    /// Twilio's REST base URL (`FIELDLINE_TWILIO_API_BASE`), changed only to point at a fake.
    public var twilioAPIBase: String
    /// The email API (`FIELDLINE_EMAIL_API_BASE`, `FIELDLINE_EMAIL_API_KEY`); nil: emails are only
    /// logged (the console provider).
    public var emailAPIBase: String?
    public var emailAPIKey: String?
    /// The address emails come from (`FIELDLINE_EMAIL_FROM`).
    public var emailFrom: String
    /// Raster map tiles for the tracking page (`FIELDLINE_MAP_TILE_URL`, an XYZ template such as
    /// `https://tile.example.com/{z}/{x}/{y}.png`, and `FIELDLINE_MAP_TILE_ATTRIBUTION`); nil:
    /// the page draws its own vector map.
    public var mapTileURL: String?
    public var mapTileAttribution: String?
    /// ServiceChannel's API base and token URL (`FIELDLINE_SERVICECHANNEL_API_BASE`,
    /// `FIELDLINE_SERVICECHANNEL_TOKEN_URL`), set together and only to point at a stand-in; nil:
    /// each connection uses ServiceChannel's production or sandbox hosts.
    public var serviceChannelAPIBase: String?
    public var serviceChannelTokenURL: String?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, databaseURL: String = "sqlite://./fieldline.sqlite",
        publicURL: String? = nil, demo: Bool = false, bcryptCost: UInt8 = 12, secretKey: String? = nil,
        twilioAPIBase: String = "https://api.twilio.com", emailAPIBase: String? = nil, emailAPIKey: String? = nil,
        emailFrom: String = "notifications@fieldline.invalid", mapTileURL: String? = nil,
        mapTileAttribution: String? = nil, serviceChannelAPIBase: String? = nil,
        serviceChannelTokenURL: String? = nil
    ) {
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.publicURL = publicURL ?? "http://\(host == "0.0.0.0" ? "localhost" : host):\(port)"
        self.demo = demo
        self.bcryptCost = bcryptCost
        self.secretKey = secretKey
        self.twilioAPIBase = twilioAPIBase
        self.emailAPIBase = emailAPIBase
        self.emailAPIKey = emailAPIKey
        self.emailFrom = emailFrom
        self.mapTileURL = mapTileURL
        self.mapTileAttribution = mapTileAttribution
        self.serviceChannelAPIBase = serviceChannelAPIBase
        self.serviceChannelTokenURL = serviceChannelTokenURL
    }

    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws
        -> ServerConfiguration
    {
        let host = environment["FIELDLINE_HOST"] ?? "127.0.0.1"
        var port = 8080
        if let raw = environment["FIELDLINE_PORT"] {
            guard let parsed = Int(raw), (1...65535).contains(parsed) else {
                throw ConfigurationError(message: "FIELDLINE_PORT must be a port number (1–65535), not \"\(raw)\".")
            }
            port = parsed
        }
        let twilioBase = environment["FIELDLINE_TWILIO_API_BASE"] ?? "https://api.twilio.com"
        guard twilioBase.hasPrefix("https://") || twilioBase.hasPrefix("http://") else {
            throw ConfigurationError(
                message: "FIELDLINE_TWILIO_API_BASE must be an http(s) URL, not \"\(twilioBase)\".")
        }
        func nonEmpty(_ name: String) -> String? {
            environment[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        }
        let emailBase = nonEmpty("FIELDLINE_EMAIL_API_BASE")
        if let emailBase {
            guard emailBase.hasPrefix("https://") || emailBase.hasPrefix("http://") else {
                throw ConfigurationError(
                    message: "FIELDLINE_EMAIL_API_BASE must be an http(s) URL, not \"\(emailBase)\".")
            }
            guard nonEmpty("FIELDLINE_EMAIL_API_KEY") != nil else {
                throw ConfigurationError(
                    message:
                        "FIELDLINE_EMAIL_API_BASE is set but FIELDLINE_EMAIL_API_KEY is not; the email API needs its key."
                )
            }
        }
        let emailFrom = nonEmpty("FIELDLINE_EMAIL_FROM") ?? "notifications@fieldline.invalid"
        do {
            _ = try EmailAddress.parse(emailFrom)
        } catch {
            throw ConfigurationError(message: "FIELDLINE_EMAIL_FROM must be an email address, not \"\(emailFrom)\".")
        }
        let tiles = nonEmpty("FIELDLINE_MAP_TILE_URL")
        if let tiles {
            guard tiles.hasPrefix("https://"), tiles.contains("{z}"), tiles.contains("{x}"), tiles.contains("{y}")
            else {
                throw ConfigurationError(
                    message:
                        "FIELDLINE_MAP_TILE_URL must be an https URL template with {z}, {x} and {y}, not \"\(tiles)\".")
            }
        }
        let serviceChannelBase = nonEmpty("FIELDLINE_SERVICECHANNEL_API_BASE")
        let serviceChannelToken = nonEmpty("FIELDLINE_SERVICECHANNEL_TOKEN_URL")
        guard (serviceChannelBase == nil) == (serviceChannelToken == nil) else {
            throw ConfigurationError(
                message:
                    "Set FIELDLINE_SERVICECHANNEL_API_BASE and FIELDLINE_SERVICECHANNEL_TOKEN_URL together, or neither."
            )
        }
        for url in [serviceChannelBase, serviceChannelToken].compactMap({ $0 }) {
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw ConfigurationError(message: "ServiceChannel addresses must be http(s) URLs, not \"\(url)\".")
            }
        }
        return ServerConfiguration(
            host: host, port: port, databaseURL: environment["FIELDLINE_DATABASE_URL"] ?? "sqlite://./fieldline.sqlite",
            publicURL: environment["FIELDLINE_PUBLIC_URL"],
            secretKey: environment["FIELDLINE_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 },
            twilioAPIBase: twilioBase, emailAPIBase: emailBase, emailAPIKey: nonEmpty("FIELDLINE_EMAIL_API_KEY"),
            emailFrom: emailFrom, mapTileURL: tiles, mapTileAttribution: nonEmpty("FIELDLINE_MAP_TILE_ATTRIBUTION"),
            serviceChannelAPIBase: serviceChannelBase, serviceChannelTokenURL: serviceChannelToken)
    }

    var secureCookies: Bool { publicURL.hasPrefix("https://") }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
