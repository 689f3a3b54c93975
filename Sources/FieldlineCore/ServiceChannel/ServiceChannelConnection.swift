import Foundation

/// An account's link to ServiceChannel (SV1): who accepted the data authorization and when, the
/// API credentials (secrets sealed), and the health the settings page shows.
public struct ServiceChannelConnection: Sendable, Equatable {
    public var accountID: AccountID
    public var environment: ServiceChannelEnvironment
    public var clientID: String
    public var sealedClientSecret: String
    public var username: String
    public var sealedPassword: String
    /// The key ServiceChannel signs webhook deliveries with (sealed); nil until generated.
    public var sealedWebhookSecret: String?
    public var authorizedByName: String
    public var authorizedAt: Date
    /// Work orders past Open that were created before this are not imported (SV2).
    public var connectedAt: Date
    /// The UpdatedDate the next poll starts from.
    public var syncCursor: Date?
    /// The Id of the last work order read at `syncCursor`.
    public var syncCursorID: Int?
    public var lastSyncAt: Date?
    public var lastSyncCount: Int
    public var lastError: String?
    public var lastErrorAt: Date?
    public var lastThrottledAt: Date?
    /// A webhook said something changed: poll now rather than at the next minute.
    public var pollRequested: Bool

    public init(
        accountID: AccountID, environment: ServiceChannelEnvironment, clientID: String, sealedClientSecret: String,
        username: String, sealedPassword: String, sealedWebhookSecret: String? = nil, authorizedByName: String,
        authorizedAt: Date, connectedAt: Date, syncCursor: Date? = nil, syncCursorID: Int? = nil,
        lastSyncAt: Date? = nil,
        lastSyncCount: Int = 0, lastError: String? = nil, lastErrorAt: Date? = nil, lastThrottledAt: Date? = nil,
        pollRequested: Bool = false
    ) {
        self.accountID = accountID
        self.environment = environment
        self.clientID = clientID
        self.sealedClientSecret = sealedClientSecret
        self.username = username
        self.sealedPassword = sealedPassword
        self.sealedWebhookSecret = sealedWebhookSecret
        self.authorizedByName = authorizedByName
        self.authorizedAt = authorizedAt
        self.connectedAt = connectedAt
        self.syncCursor = syncCursor
        self.syncCursorID = syncCursorID
        self.lastSyncAt = lastSyncAt
        self.lastSyncCount = lastSyncCount
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.lastThrottledAt = lastThrottledAt
        self.pollRequested = pollRequested
    }

    /// The first poll reaches back this far: ServiceChannel's own default window for work orders.
    public static let initialWindow: TimeInterval = 90 * 24 * 3600

    public var pollStart: Date { syncCursor ?? connectedAt.addingTimeInterval(-Self.initialWindow) }

    /// Healthy when the last thing that happened was a sync, not an error.
    public var isHealthy: Bool {
        guard let lastErrorAt else { return true }
        guard let lastSyncAt else { return false }
        return lastSyncAt > lastErrorAt
    }
}

public enum ServiceChannelEnvironment: String, Sendable, Codable, CaseIterable {
    case production, sandbox

    public var label: String {
        switch self {
        case .production: "Production"
        case .sandbox: "Sandbox (SB2)"
        }
    }
}
