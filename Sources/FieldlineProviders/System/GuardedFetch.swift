import AsyncHTTPClient
import FieldlineCore
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns a host name into the addresses a connection would use.
public protocol HostResolving: Sendable {
    func addresses(of host: String) async throws -> [NetworkAddress]
}

/// The system's resolver (`getaddrinfo`), off the caller's thread.
public struct SystemResolver: HostResolving {
    public init() {}

    public func addresses(of host: String) async throws -> [NetworkAddress] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.resolve(host) })
            }
        }
    }

    struct ResolveError: Error, CustomStringConvertible {
        let description: String
    }

    static func resolve(_ host: String) throws -> [NetworkAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw ResolveError(description: "\(host) could not be resolved (\(status)).")
        }
        defer { freeaddrinfo(first) }
        var addresses: [NetworkAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            if let socketAddress = entry.pointee.ai_addr {
                switch entry.pointee.ai_family {
                case AF_INET:
                    socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                        addresses.append(.v4(UInt32(bigEndian: address.pointee.sin_addr.s_addr)))
                    }
                case AF_INET6:
                    socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                        addresses.append(.v6(withUnsafeBytes(of: address.pointee.sin6_addr) { Array($0) }))
                    }
                default: break
                }
            }
            next = entry.pointee.ai_next
        }
        return addresses
    }
}

/// A GET of a URL that someone outside the server chose (a webhook's media URL), held to a
/// `FetchPolicy`: every hop's URL is checked, every host's resolved addresses must be public,
/// redirects are followed by hand (at most five, each checked again), within one deadline and a
/// size limit. The `HTTPClient` must not follow redirects itself (the server's does not).
///
/// The resolved addresses are checked before the connection, which resolves again; with the
/// policy's short list of provider hosts a rebinding attack would need their DNS.
public struct GuardedFetch: Sendable {
    let http: HTTPClient
    let policy: FetchPolicy
    let resolver: any HostResolving
    let deadline: TimeAmount
    let maximumBytes: Int
    static let maximumRedirects = 5

    public init(
        http: HTTPClient, policy: FetchPolicy, resolver: any HostResolving = SystemResolver(),
        deadline: TimeAmount = .seconds(30), maximumBytes: Int
    ) {
        self.http = http
        self.policy = policy
        self.resolver = resolver
        self.deadline = deadline
        self.maximumBytes = maximumBytes
    }

    public struct Answer: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: Data
    }

    /// `headers` gives each hop's request headers (credentials only where they belong);
    /// `firstHop` may refuse the first URL for reasons of its own.
    public func get(
        _ url: String, firstHop: (FetchPolicy.Target) -> String? = { _ in nil },
        headers: (FetchPolicy.Target, Int) -> [(String, String)]
    ) async throws(MediaFetchError) -> Answer {
        let end = NIODeadline.now() + deadline
        var current = url
        for hop in 0...Self.maximumRedirects {
            let target: FetchPolicy.Target
            switch policy.check(current) {
            case .success(let checked): target = checked
            case .failure(let refusal): throw .permanent(refusal.reason)
            }
            if hop == 0, let refusal = firstHop(target) { throw .permanent(refusal) }
            if !target.trusted { try await requirePublic(target.host) }
            var request = HTTPClientRequest(url: target.url.absoluteString)
            for (name, value) in headers(target, hop) { request.headers.add(name: name, value: value) }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, deadline: end)
            } catch {
                throw .transient("Could not reach the media URL: \(error)")
            }
            if [301, 302, 303, 307, 308].contains(response.status.code) {
                guard let location = response.headers.first(name: "Location"),
                    let next = URL(string: location, relativeTo: target.url)?.absoluteURL
                else { throw .permanent("The media URL redirected nowhere.") }
                current = next.absoluteString
                continue
            }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maximumBytes {
                throw .permanent("The file is larger than \(maximumBytes / 1_000_000) MB.")
            }
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: maximumBytes)
            } catch is NIOTooManyBytesError {
                throw .permanent("The file is larger than \(maximumBytes / 1_000_000) MB.")
            } catch {
                throw .transient("The media download broke off: \(error)")
            }
            return Answer(
                status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                body: Data(body.readableBytesView))
        }
        throw .permanent("The media URL redirected more than \(Self.maximumRedirects) times.")
    }

    private func requirePublic(_ host: String) async throws(MediaFetchError) {
        let addresses: [NetworkAddress]
        do {
            addresses = try await resolver.addresses(of: host)
        } catch {
            throw .transient("\(host) could not be resolved.")
        }
        guard !addresses.isEmpty else { throw .transient("\(host) could not be resolved.") }
        if let inside = addresses.first(where: { !$0.isPublic }) {
            throw .permanent("\(host) resolves to \(inside), which is not a public address.")
        }
    }
}

extension HTTPClient {
    /// The server's outbound HTTP client. It never follows a redirect by itself: a redirect can
    /// point anywhere, and the one caller that follows them (`GuardedFetch`) checks each first.
    public static func fieldline() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
