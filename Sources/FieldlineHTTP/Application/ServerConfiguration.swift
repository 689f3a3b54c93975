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

    public init(
        host: String = "127.0.0.1", port: Int = 8080, databaseURL: String = "sqlite://./fieldline.sqlite",
        publicURL: String? = nil, demo: Bool = false, bcryptCost: UInt8 = 12, secretKey: String? = nil,
        twilioAPIBase: String = "https://api.twilio.com"
    ) {
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.publicURL = publicURL ?? "http://\(host == "0.0.0.0" ? "localhost" : host):\(port)"
        self.demo = demo
        self.bcryptCost = bcryptCost
        self.secretKey = secretKey
        self.twilioAPIBase = twilioAPIBase
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
        return ServerConfiguration(
            host: host, port: port, databaseURL: environment["FIELDLINE_DATABASE_URL"] ?? "sqlite://./fieldline.sqlite",
            publicURL: environment["FIELDLINE_PUBLIC_URL"],
            secretKey: environment["FIELDLINE_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 },
            twilioAPIBase: twilioBase)
    }

    var secureCookies: Bool { publicURL.hasPrefix("https://") }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
