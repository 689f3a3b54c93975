import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import SQLKit

/// The application: the database and the side-effect adapters every use case needs. Built once at
/// start-up (or per test) and passed to the feature services.
public struct Fieldline: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public let tokens: any TokenSource
    public let passwords: PasswordHasher
    public let events: DomainEvents
    public let logger: Logger
    /// SMS providers by kind (Twilio, and the console provider of demo mode).
    public let sms: SMSGateway
    /// Seals provider credentials at rest; nil when `FIELDLINE_SECRET_KEY` is not set, in which
    /// case credentials cannot be stored.
    public let secrets: SecretBox?
    /// How providers reach this server (status callbacks) and links point at it.
    public let publicURL: String
    public let live: LiveEvents
    /// Wakes the outbox worker when a text was queued.
    public let outboxSignal: WorkSignal
    /// The email service (an HTTP API, or the console in demo mode and when none is configured).
    public let email: any EmailProvider
    /// The address emails come from; the company's name is shown with it.
    public let emailFrom: String
    /// Wakes the email worker when an email was queued.
    public let emailSignal: WorkSignal
    /// Wakes the campaign scheduler when a campaign is to go now.
    public let campaignSignal: WorkSignal
    /// Reaches ServiceChannel, one client per connection.
    public let serviceChannelClients: ServiceChannelClients
    /// Wakes the ServiceChannel worker when a change was queued or a webhook asked for a poll.
    public let serviceChannelSignal: WorkSignal
    /// Wakes the ServiceChannel poller when a webhook or a person asked for a poll now.
    public let serviceChannelPollSignal: WorkSignal
    /// Wakes the customer import worker when an import is started.
    public let importSignal: WorkSignal
    /// Serving the demo (`serve --demo`): only then does the phone simulator exist, since it lets a
    /// person "receive" a STOP or a sign-up from any number.
    public let demo: Bool

    public init(
        database: any Database, clock: any WallClock = SystemClock(), tokens: any TokenSource = SecureTokens(),
        passwords: PasswordHasher = PasswordHasher(), events: DomainEvents = DomainEvents(),
        logger: Logger = Logger(label: "fieldline"), sms: SMSGateway? = nil, secrets: SecretBox? = nil,
        publicURL: String = "http://127.0.0.1:8080", live: LiveEvents = LiveEvents(),
        outboxSignal: WorkSignal = WorkSignal(), email: (any EmailProvider)? = nil,
        emailFrom: String = "notifications@fieldline.invalid", emailSignal: WorkSignal = WorkSignal(),
        campaignSignal: WorkSignal = WorkSignal(), serviceChannelClients: ServiceChannelClients? = nil,
        serviceChannelSignal: WorkSignal = WorkSignal(), serviceChannelPollSignal: WorkSignal = WorkSignal(),
        importSignal: WorkSignal = WorkSignal(), demo: Bool = false
    ) {
        // API requests with an Idempotency-Key take it in their first write transaction.
        self.database = IdempotencyClaimingDatabase(database, now: { [clock] in clock.now() })
        self.clock = clock
        self.tokens = tokens
        self.passwords = passwords
        self.events = events
        self.logger = logger
        self.sms = sms ?? SMSGateway(twilio: nil, console: ConsoleProvider(logger: logger))
        self.secrets = secrets
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.live = live
        self.outboxSignal = outboxSignal
        self.email = email ?? ConsoleEmailProvider(logger: logger)
        self.emailFrom = emailFrom
        self.emailSignal = emailSignal
        self.campaignSignal = campaignSignal
        self.serviceChannelClients = serviceChannelClients ?? ServiceChannelClients(http: nil, clock: clock)
        self.serviceChannelSignal = serviceChannelSignal
        self.serviceChannelPollSignal = serviceChannelPollSignal
        self.importSignal = importSignal
        self.demo = demo
    }

    public var accounts: Accounts { Accounts(app: self) }
    public var auditLog: AuditLog { AuditLog(app: self) }
    public var retention: Retention { Retention(app: self) }
    public var customers: Customers { Customers(app: self) }
    public var customerImports: CustomerImports { CustomerImports(app: self) }
    public var technicians: Technicians { Technicians(app: self) }
    public var field: Field { Field(app: self) }
    public var jobs: Jobs { Jobs(app: self) }
    public var bookings: Bookings { Bookings(app: self) }
    public var senderNumbers: SenderNumbers { SenderNumbers(app: self) }
    public var messenger: Messenger { Messenger(app: self) }
    public var idempotentRequests: IdempotentRequests { IdempotentRequests(app: self) }
    public var inbound: InboundTexts { InboundTexts(app: self) }
    public var deliveryReports: DeliveryReports { DeliveryReports(app: self) }
    public var inbox: Inbox { Inbox(app: self) }
    public var consent: ConsentBook { ConsentBook(app: self) }
    public var simulator: PhoneSimulator { PhoneSimulator(app: self) }
    public var dispatchNotices: DispatchNotices { DispatchNotices(app: self) }
    public var tracking: Tracking { Tracking(app: self) }
    public var registrations: Registrations { Registrations(app: self) }
    public var campaigns: Campaigns { Campaigns(app: self) }
    public var triggeredCampaigns: TriggeredCampaigns { TriggeredCampaigns(app: self) }
    public var estimates: Estimates { Estimates(app: self) }
    public var invoices: Invoices { Invoices(app: self) }
    public var serviceChannel: ServiceChannel { ServiceChannel(app: self) }
    public var serviceChannelSync: ServiceChannelSync { ServiceChannelSync(app: self) }
    var serviceChannelChanges: ServiceChannelChanges { ServiceChannelChanges(app: self) }

    /// Reactions to a business event, inside the transaction that made it happen: Fieldline's own
    /// (dispatch notices, ServiceChannel updates) first, then any subscriber.
    func react(to event: DomainEvent, in sql: any SQLDatabase, effects: AfterCommit) async throws {
        try await dispatchNotices.handle(event, in: sql, effects: effects)
        try await serviceChannelChanges.handle(event, in: sql, effects: effects)
        try await events.publish(event, in: sql)
    }
}

/// Printed whole by reflection the application would list every adapter it holds (service lists
/// at start-up do); a short form keeps configuration out of logs.
extension Fieldline: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "Fieldline(publicURL: \(publicURL))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicURL": publicURL]) }
}
