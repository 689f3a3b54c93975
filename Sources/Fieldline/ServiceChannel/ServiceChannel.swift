import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import SQLKit

/// The ServiceChannel connection of an account and everything an admin sets about it (SV1, SV6,
/// SV10, SV12, SV13), and what a booking or job shows of its work order.
public struct ServiceChannel: Sendable {
    let app: Fieldline

    public struct ConnectionInput: Sendable {
        public var authorizationAccepted: Bool
        public var environment: String?
        public var clientID: String?
        public var clientSecret: String?
        public var username: String?
        public var password: String?

        public init(
            authorizationAccepted: Bool, environment: String?, clientID: String?, clientSecret: String?,
            username: String?, password: String?
        ) {
            self.authorizationAccepted = authorizationAccepted
            self.environment = environment
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.username = username
            self.password = password
        }
    }

    public struct Overview: Sendable {
        public var connection: ServiceChannelConnection?
        public var workOrders: ServiceChannelStore.Counts
        public var queue: ServiceChannelStore.QueueCounts
        public var attention: [WorkOrderChange]
        public var subscribers: [SubscriberSettings]
        public var mappings: [StatusMapping]
        public var overrides: [Int: [StatusMapping]]
        public var rules: [ConversionRule]
        public var canStoreCredentials: Bool
        /// Where ServiceChannel's webhooks should be sent, and the key they are signed with.
        public var webhookURL: String
        public var webhookSecret: String?
    }

    public func overview(by actor: Actor) async throws -> Overview {
        try actor.require(.manageIntegrations)
        return try await app.database.read { sql in
            let store = ServiceChannelStore(sql)
            let connection = try await store.connection(of: actor.accountID)
            let subscribers = try await store.subscribers(in: actor.accountID)
            var overrides: [Int: [StatusMapping]] = [:]
            for subscriber in subscribers {
                let own = try await store.mappings(subscriber: subscriber.subscriberID, in: actor.accountID)
                if !own.isEmpty { overrides[subscriber.subscriberID] = own }
            }
            let account = try await store.mappings(subscriber: 0, in: actor.accountID)
            return Overview(
                connection: connection, workOrders: try await store.counts(in: actor.accountID),
                queue: try await store.queueCounts(in: actor.accountID),
                attention: try await store.attention(in: actor.accountID, limit: 20), subscribers: subscribers,
                mappings: WorkOrderMilestone.allCases.map {
                    StatusMapping.resolve($0, subscriber: [], account: account)
                },
                overrides: overrides, rules: try await store.rules(in: actor.accountID),
                canStoreCredentials: app.secrets != nil,
                webhookURL: "\(app.publicURL)/webhooks/servicechannel/\(actor.accountID.rawValue)",
                webhookSecret: connection?.sealedWebhookSecret.flatMap { sealed in try? app.secrets?.open(sealed) })
        }
    }

    /// Connects (or replaces the credentials of) the account's ServiceChannel link: the data
    /// authorization must be accepted, and the credentials must work — they are tried before
    /// anything is stored.
    public func connect(_ input: ConnectionInput, by actor: Actor) async throws -> ServiceChannelConnection {
        try actor.require(.manageIntegrations)
        guard input.authorizationAccepted else {
            throw FieldlineError.invalid(
                field: "authorization",
                message:
                    "Accept the data authorization: it lets ServiceChannel and Fieldline exchange this account's work orders."
            )
        }
        guard let secrets = app.secrets else { throw Self.cannotStore }
        guard let environment = ServiceChannelEnvironment(rawValue: (input.environment ?? "production").lowercased())
        else {
            throw FieldlineError.invalid(field: "environment", message: "The environment is production or sandbox.")
        }
        let credentials = ServiceChannelCredentials(
            clientID: try Text.required(input.clientID, field: "clientId", label: "Client key", maxLength: 200),
            clientSecret: try Text.required(
                input.clientSecret, field: "clientSecret", label: "Client secret", maxLength: 400),
            username: try Text.required(input.username, field: "username", label: "API user", maxLength: 200),
            password: try Text.required(input.password, field: "password", label: "API user's password", maxLength: 400)
        )
        guard let client = app.serviceChannelClients.probe(environment: environment, credentials: credentials)
        else { throw Self.unreachable }
        do throws(ServiceChannelError) {
            _ = try await client.workOrderPage(from: ServiceChannelCursor(updated: app.clock.now(), id: nil))
        } catch .authentication(let message) {
            throw FieldlineError.invalid(
                field: "clientSecret", message: "ServiceChannel did not accept these credentials: \(message)")
        } catch {
            throw FieldlineError.refused(
                code: .serviceChannelUnavailable,
                message: "ServiceChannel could not be reached to test the connection: \(error.message)")
        }
        let now = app.clock.now()
        defer {
            // The tried client, with its token and its minute's calls, becomes the connection's.
            app.serviceChannelClients.adopt(
                client, account: actor.accountID, environment: environment, credentials: credentials)
        }
        return try await app.database.write { sql in
            let store = ServiceChannelStore(sql)
            let existing = try await store.connection(of: actor.accountID)
            let connection = ServiceChannelConnection(
                accountID: actor.accountID, environment: environment, clientID: credentials.clientID,
                sealedClientSecret: try secrets.seal(credentials.clientSecret), username: credentials.username,
                sealedPassword: try secrets.seal(credentials.password),
                sealedWebhookSecret: try existing?.sealedWebhookSecret
                    ?? secrets.seal(app.tokens.token(bytes: 32)),
                authorizedByName: actor.name, authorizedAt: now, connectedAt: existing?.connectedAt ?? now,
                syncCursor: existing?.syncCursor, syncCursorID: existing?.syncCursorID,
                lastSyncAt: existing?.lastSyncAt,
                lastSyncCount: existing?.lastSyncCount ?? 0, lastError: nil, lastErrorAt: nil,
                lastThrottledAt: existing?.lastThrottledAt, pollRequested: true)
            try await store.save(connection)
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .serviceChannelConnected,
                    subject: "\(environment.rawValue), API user \(credentials.username)",
                    detail: existing == nil ? "connected" : "reconnected with new credentials", at: now))
            return connection
        }
    }

    /// Tries the stored credentials again and says how it went (the settings page's "Test").
    public func test(by actor: Actor) async throws -> String {
        try actor.require(.manageIntegrations)
        let connection = try await requireConnection(actor.accountID)
        let client = try client(for: connection)
        let now = app.clock.now()
        do throws(ServiceChannelError) {
            _ = try await client.workOrderPage(from: ServiceChannelCursor(updated: now, id: nil))
            return "ServiceChannel answered: the connection works."
        } catch {
            try await app.database.write { sql in
                try await ServiceChannelStore(sql).recordHealth(
                    of: actor.accountID, error: error.message, errorAt: now)
            }
            throw FieldlineError.refused(code: .serviceChannelUnavailable, message: error.message)
        }
    }

    /// Stops syncing. Work orders, bookings and jobs already here stay; unsent changes stay
    /// queued and go if the account connects again.
    public func disconnect(by actor: Actor) async throws {
        try actor.require(.manageIntegrations)
        let now = app.clock.now()
        try await app.database.write { sql in
            let store = ServiceChannelStore(sql)
            guard let existing = try await store.connection(of: actor.accountID) else { return }
            try await store.deleteConnection(of: actor.accountID)
            try await AuditStore(sql).append(
                AuditEntry(
                    by: actor, .serviceChannelDisconnected,
                    subject: "\(existing.environment.rawValue), API user \(existing.username)", at: now))
        }
    }

    public func requestPoll(by actor: Actor) async throws {
        try actor.require(.manageIntegrations)
        _ = try await requireConnection(actor.accountID)
        try await app.database.write { sql in try await ServiceChannelStore(sql).requestPoll(of: actor.accountID) }
        app.serviceChannelPollSignal.signal()
    }

    /// A webhook delivery (HMAC-checked against the connection's signing key): the poller
    /// fetches what changed at once. Deliveries carry only a notice of the change; the poll reads
    /// the work order itself, so a repeated or reordered delivery changes nothing.
    public func receiveWebhook(
        account raw: String, body: Data, signType: String?, signData: String?
    ) async throws -> String? {
        let accountID = AccountID(raw)
        guard
            let connection = try await app.database.read({ sql in
                try await ServiceChannelStore(sql).connection(of: accountID)
            }), let sealed = connection.sealedWebhookSecret, let secrets = app.secrets,
            let secret = try? secrets.open(sealed)
        else { throw FieldlineError.notFound(entity: "ServiceChannel connection", id: raw) }
        guard ServiceChannelWebhookSignature.isValid(body, signType: signType, signData: signData, secret: secret)
        else {
            throw FieldlineError.refused(
                code: .invalidSignature, message: "The webhook's Sign-Data does not match its body.")
        }
        struct Delivery: Decodable {
            var eventType: String?

            enum CodingKeys: String, CodingKey {
                case eventType = "EventType"
            }
        }
        guard let delivery = try? JSONDecoder().decode(Delivery.self, from: body) else {
            throw FieldlineError.invalid(field: "body", message: "The webhook body is not ServiceChannel's JSON.")
        }
        try await app.database.write { sql in try await ServiceChannelStore(sql).requestPoll(of: accountID) }
        app.serviceChannelPollSignal.signal()
        return delivery.eventType
    }

    // MARK: Subscribers, mappings, rules

    public func updateSubscriber(
        _ id: Int, noteSync: Bool, checkInInstructions: String?, checkInPIN: String?, by actor: Actor
    ) async throws -> SubscriberSettings {
        try actor.require(.manageIntegrations)
        let instructions = try Text.optional(
            checkInInstructions, field: "checkInInstructions", label: "Check-in instructions", maxLength: 1000)
        let pin = try SubscriberSettings.validatedPIN(checkInPIN)
        return try await app.database.write { sql in
            let store = ServiceChannelStore(sql)
            guard var settings = try await store.subscriber(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "subscriber", id: String(id))
            }
            settings.noteSync = noteSync
            settings.checkInInstructions = instructions
            settings.checkInPIN = pin
            try await store.update(settings)
            return settings
        }
    }

    public struct MappingInput: Sendable {
        public var milestone: WorkOrderMilestone
        public var enabled: Bool
        public var primary: String?
        public var extended: String?

        public init(milestone: WorkOrderMilestone, enabled: Bool, primary: String?, extended: String?) {
            self.milestone = milestone
            self.enabled = enabled
            self.primary = primary
            self.extended = extended
        }
    }

    /// Saves the account's mapping (`subscriber` nil) or a subscriber's override, all milestones
    /// at once so a half-valid form changes nothing.
    public func saveMappings(_ inputs: [MappingInput], subscriber: Int?, by actor: Actor) async throws {
        try actor.require(.manageIntegrations)
        var mappings: [StatusMapping] = []
        for input in inputs {
            if input.milestone == .arrived {
                // Arrival is a check-in: ServiceChannel itself decides the status it leads to.
                var arrival = StatusMapping.defaults[.arrived]!
                arrival.enabled = input.enabled
                mappings.append(arrival)
            } else {
                mappings.append(
                    try StatusMapping.validated(
                        input.milestone, enabled: input.enabled, primary: input.primary, extended: input.extended))
            }
        }
        let validated = mappings
        try await app.database.write { sql in
            let store = ServiceChannelStore(sql)
            if let subscriber, try await store.subscriber(subscriber, in: actor.accountID) == nil {
                throw FieldlineError.notFound(entity: "subscriber", id: String(subscriber))
            }
            for mapping in validated {
                try await store.saveMapping(mapping, subscriber: subscriber ?? 0, in: actor.accountID)
            }
        }
    }

    /// The subscriber goes back to the account's mapping.
    public func clearOverride(subscriber: Int, by actor: Actor) async throws {
        try actor.require(.manageIntegrations)
        try await app.database.write { sql in
            let store = ServiceChannelStore(sql)
            // Subscriber 0 holds the account's own mapping, which is not an override.
            guard subscriber > 0, try await store.subscriber(subscriber, in: actor.accountID) != nil else {
                throw FieldlineError.notFound(entity: "subscriber", id: String(subscriber))
            }
            try await store.deleteMappings(subscriber: subscriber, in: actor.accountID)
        }
    }

    public func addRule(
        subscriberID: Int?, trade: String?, priority: String?, category: String?, outcome: String?, by actor: Actor
    ) async throws -> ConversionRule {
        try actor.require(.manageIntegrations)
        let (subscriber, trade, priority, category, outcome) = try ConversionRule.validated(
            subscriberID: subscriberID, trade: trade, priority: priority, category: category, outcome: outcome)
        return try await app.database.write { sql in
            let store = ServiceChannelStore(sql)
            let existing = try await store.rules(in: actor.accountID)
            guard existing.count < 100 else {
                throw FieldlineError.conflict(code: .tooManyRules, message: "An account has at most 100 rules.")
            }
            if let subscriber, try await store.subscriber(subscriber, in: actor.accountID) == nil {
                throw FieldlineError.invalid(
                    field: "subscriberId", message: "No work order from subscriber \(subscriber) has arrived yet.")
            }
            let rule = ConversionRule(
                id: UUID().uuidString.lowercased(), accountID: actor.accountID, subscriberID: subscriber,
                trade: trade, priority: priority, category: category, outcome: outcome,
                position: (existing.map(\.position).max() ?? 0) + 1)
            try await store.insert(rule)
            return rule
        }
    }

    public func deleteRule(_ id: String, by actor: Actor) async throws {
        try actor.require(.manageIntegrations)
        let deleted = try await app.database.write { sql in
            try await ServiceChannelStore(sql).deleteRule(id, in: actor.accountID)
        }
        guard deleted else { throw FieldlineError.notFound(entity: "rule", id: id) }
    }

    // MARK: Bookings and jobs

    /// Declines a work order's booking with ServiceChannel's reason (SV3): the booking is
    /// dismissed and the decline queued in one transaction.
    public func decline(
        booking id: BookingID, reason: Int?, comment: String?, by actor: Actor
    ) async throws -> Booking {
        try actor.require(.manageJobs)
        guard let reason = reason.flatMap(ServiceChannelDeclineReason.init(rawValue:)) else {
            throw FieldlineError.invalid(field: "reason", message: "Choose why the work order is declined.")
        }
        let comment = try Text.optional(comment, field: "comment", label: "Comment", maxLength: 500)
        if reason == .other, comment == nil {
            throw FieldlineError.invalid(field: "comment", message: "Say why, when the reason is \"Other\".")
        }
        return try await app.transaction { sql, effects in
            guard let record = try await ServiceChannelStore(sql).workOrder(ofBooking: id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "booking", id: id.rawValue)
            }
            try await app.serviceChannelChanges.queueDecline(
                record, reason: reason.rawValue, comment: comment, at: app.clock.now(), sql: sql, effects: effects)
            return try await app.bookings.change(id, .dismiss, by: actor, in: sql, effects: effects)
        }
    }

    public struct WorkOrderPanel: Sendable, Equatable {
        public var workOrder: WorkOrderRecord
        public var subscriber: SubscriberSettings?
        public var changes: [WorkOrderChange]

        public var hasProblem: Bool { changes.contains { $0.state == .actionRequired || $0.state == .failed } }
    }

    public func panel(forBooking id: BookingID, by actor: Actor) async throws -> WorkOrderPanel? {
        try actor.require(.viewJobs)
        return try await app.database.read { sql in
            let store = ServiceChannelStore(sql)
            guard let record = try await store.workOrder(ofBooking: id, in: actor.accountID) else { return nil }
            return try await panel(record, store: store)
        }
    }

    /// The job's work order; technicians see it on their own jobs (the check-in PIN is for them).
    public func panel(forJob id: JobID, by actor: Actor) async throws -> WorkOrderPanel? {
        try await app.database.read { sql in
            let store = ServiceChannelStore(sql)
            guard let record = try await store.workOrder(ofJob: id, in: actor.accountID) else { return nil }
            if !actor.can(.viewJobs) {
                let assignments = try await JobStore(sql).assignments(ofJobs: [id], in: actor.accountID)
                guard let technician = actor.technicianID,
                    assignments.contains(where: { $0.technicianID == technician })
                else { return nil }
            }
            return try await panel(record, store: store)
        }
    }

    private func panel(_ record: WorkOrderRecord, store: ServiceChannelStore) async throws -> WorkOrderPanel {
        WorkOrderPanel(
            workOrder: record, subscriber: try await store.subscriber(record.subscriberID, in: record.accountID),
            changes: try await store.changes(ofWorkOrder: record.workOrderID, in: record.accountID))
    }

    // MARK: Reaching ServiceChannel

    func requireConnection(_ accountID: AccountID) async throws -> ServiceChannelConnection {
        guard
            let connection = try await app.database.read({ sql in
                try await ServiceChannelStore(sql).connection(of: accountID)
            })
        else {
            throw FieldlineError.conflict(
                code: .serviceChannelNotConnected, message: "ServiceChannel is not connected for this account.")
        }
        return connection
    }

    /// The client for a stored connection: its secrets opened with the server key.
    func client(for connection: ServiceChannelConnection) throws(FieldlineError) -> ServiceChannelClient {
        guard let secrets = app.secrets else { throw Self.cannotStore }
        let credentials: ServiceChannelCredentials
        do {
            credentials = ServiceChannelCredentials(
                clientID: connection.clientID, clientSecret: try secrets.open(connection.sealedClientSecret),
                username: connection.username, password: try secrets.open(connection.sealedPassword))
        } catch {
            throw .refused(
                code: .credentialsUnavailable, message: "\(error.description) Connect ServiceChannel again.")
        }
        guard
            let client = app.serviceChannelClients.client(
                account: connection.accountID, environment: connection.environment, credentials: credentials)
        else { throw Self.unreachable }
        return client
    }

    static let cannotStore = FieldlineError.refused(
        code: .credentialsUnavailable,
        message: "The server cannot store or open credentials: set FIELDLINE_SECRET_KEY (16+ characters) and restart.")
    static let unreachable = FieldlineError.refused(
        code: .serviceChannelUnavailable, message: "This server is not set up to reach ServiceChannel.")
}
