import Foundation

/// The addresses the server may fetch from when a provider's webhook hands it a URL (a customer's
/// picture): https on the provider's own hosts, never an IP literal, never another scheme or port.
/// A configured base-URL override (tests, a self-hoster's proxy) is the one other origin allowed,
/// exactly as configured. Each redirect is checked again, and the resolved addresses of a host
/// must all be public (`NetworkAddress.isPublic`) — that part needs DNS and lives with the fetcher.
public struct FetchPolicy: Sendable, Equatable {
    /// Exact host names, or `.example.com` for any name under it.
    public var hosts: [String]
    /// `scheme://host[:port]` reachable as configured, without the checks above.
    public var trustedOrigin: String?

    public init(hosts: [String], trustedOrigin: String? = nil) {
        self.hosts = hosts.map { $0.lowercased() }
        self.trustedOrigin = trustedOrigin.flatMap(Self.origin(of:))
    }

    public struct Target: Sendable, Equatable {
        public var url: URL
        public var host: String
        /// The configured origin: no address checks.
        public var trusted: Bool
    }

    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The URL if it may be fetched, or why not.
    public func check(_ text: String) -> Result<Target, Refusal> {
        guard text.count <= 4096, let components = URLComponents(string: text), let url = components.url,
            let scheme = components.scheme?.lowercased(), let rawHost = components.percentEncodedHost,
            !rawHost.isEmpty
        else { return .failure(Refusal(reason: "The media address is not a URL.")) }
        if let trustedOrigin, Self.origin(of: text) == trustedOrigin {
            return .success(Target(url: url, host: rawHost.lowercased(), trusted: true))
        }
        guard scheme == "https" else {
            return .failure(Refusal(reason: "Media is fetched over https only, not \(scheme)."))
        }
        guard components.percentEncodedUser == nil, components.percentEncodedPassword == nil else {
            return .failure(Refusal(reason: "The media address carries a user name."))
        }
        guard components.port == nil || components.port == 443 else {
            return .failure(Refusal(reason: "The media address names a port."))
        }
        var host = rawHost.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        guard NetworkAddress.literal(host) == nil, !host.hasPrefix("[") else {
            return .failure(Refusal(reason: "The media address is an IP address, not the provider's host."))
        }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }),
            allows(host)
        else { return .failure(Refusal(reason: "\(host) is not one of the provider's media hosts.")) }
        return .success(Target(url: url, host: host, trusted: false))
    }

    func allows(_ host: String) -> Bool {
        hosts.contains { allowed in
            allowed.hasPrefix(".") ? host.hasSuffix(allowed) && host.count > allowed.count : host == allowed
        }
    }

    /// `scheme://host:port` with the scheme's default port filled in, lowercased; nil when unreadable.
    static func origin(of text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.percentEncodedHost?.lowercased(), !host.isEmpty
        else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : -1)
        return "\(scheme)://\(host):\(port)"
    }
}
