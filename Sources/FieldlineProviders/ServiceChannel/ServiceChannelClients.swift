import AsyncHTTPClient
import Crypto
import FieldlineCore
import Foundation
import Synchronization

/// One `ServiceChannelClient` per connection in this process, so every poll and change of an
/// account shares its token and its per-minute budget. Replaced when the credentials change.
public final class ServiceChannelClients: Sendable {
    let http: HTTPClient?
    /// Where every connection goes instead of ServiceChannel's own hosts (a fake in tests,
    /// `FIELDLINE_SERVICECHANNEL_API_BASE` / `_TOKEN_URL` in configuration).
    let endpointOverride: ServiceChannelEndpoints?
    let limitsOverride: ServiceChannelLimits?
    let clock: any WallClock
    let sleep: @Sendable (TimeInterval) async throws -> Void
    private let clients = Mutex<[String: ServiceChannelClient]>([:])
    private let tokenGate = ServiceChannelTokenGate()

    public init(
        http: HTTPClient?, endpointOverride: ServiceChannelEndpoints? = nil,
        limitsOverride: ServiceChannelLimits? = nil, clock: any WallClock = SystemClock(),
        sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { seconds in
            try await Task.sleep(nanoseconds: UInt64(max(seconds, 0) * 1_000_000_000))
        }
    ) {
        self.http = http
        self.endpointOverride = endpointOverride
        self.limitsOverride = limitsOverride
        self.clock = clock
        self.sleep = sleep
    }

    /// Whether this server can reach ServiceChannel at all (it has an HTTP client).
    public var isAvailable: Bool { http != nil }

    public func endpoints(for environment: ServiceChannelEnvironment) -> ServiceChannelEndpoints {
        if let endpointOverride { return endpointOverride }
        return environment == .sandbox ? .sandbox : .production
    }

    /// A client for trying credentials before they are saved: not kept, so the connection's own
    /// client (its token and budget) is not replaced by one that may never be used.
    public func probe(
        environment: ServiceChannelEnvironment, credentials: ServiceChannelCredentials
    ) -> ServiceChannelClient? {
        guard let http else { return nil }
        return ServiceChannelClient(
            http: http, endpoints: endpoints(for: environment), credentials: credentials,
            limits: limitsOverride ?? (environment == .sandbox ? .sandbox : .production), clock: clock, sleep: sleep,
            tokenGate: tokenGate)
    }

    /// Keeps a probe whose credentials were saved as the connection's client, with its token.
    public func adopt(
        _ client: ServiceChannelClient, account: AccountID, environment: ServiceChannelEnvironment,
        credentials: ServiceChannelCredentials
    ) {
        let key = Self.key(account: account, environment: environment, credentials: credentials)
        clients.withLock { clients in
            clients = clients.filter { !$0.key.hasPrefix(account.rawValue + ":") }
            clients[key] = client
        }
    }

    static func key(
        account: AccountID, environment: ServiceChannelEnvironment, credentials: ServiceChannelCredentials
    ) -> String {
        let fingerprint = SHA256.hash(
            data: Data(
                [
                    account.rawValue, environment.rawValue, credentials.clientID, credentials.clientSecret,
                    credentials.username, credentials.password,
                ].joined(separator: "\u{0}").utf8)
        ).map { String(format: "%02x", $0) }.joined()
        return account.rawValue + ":" + fingerprint
    }

    /// The client for these credentials; nil when the server has no HTTP client.
    public func client(
        account: AccountID, environment: ServiceChannelEnvironment, credentials: ServiceChannelCredentials
    ) -> ServiceChannelClient? {
        guard let http else { return nil }
        let key = Self.key(account: account, environment: environment, credentials: credentials)
        return clients.withLock { clients in
            if let existing = clients[key] { return existing }
            // A connection whose credentials changed leaves its old client behind.
            clients = clients.filter { !$0.key.hasPrefix(account.rawValue + ":") }
            let client = ServiceChannelClient(
                http: http, endpoints: endpoints(for: environment), credentials: credentials,
                limits: limitsOverride ?? (environment == .sandbox ? .sandbox : .production), clock: clock,
                sleep: sleep, tokenGate: tokenGate)
            clients[key] = client
            return client
        }
    }
}
