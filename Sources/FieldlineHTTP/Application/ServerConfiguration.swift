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

    public init(
        host: String = "127.0.0.1", port: Int = 8080, databaseURL: String = "sqlite://./fieldline.sqlite",
        publicURL: String? = nil, demo: Bool = false, bcryptCost: UInt8 = 12
    ) {
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.publicURL = publicURL ?? "http://\(host == "0.0.0.0" ? "localhost" : host):\(port)"
        self.demo = demo
        self.bcryptCost = bcryptCost
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
        return ServerConfiguration(
            host: host, port: port, databaseURL: environment["FIELDLINE_DATABASE_URL"] ?? "sqlite://./fieldline.sqlite",
            publicURL: environment["FIELDLINE_PUBLIC_URL"])
    }

    var secureCookies: Bool { publicURL.hasPrefix("https://") }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
