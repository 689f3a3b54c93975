import AsyncHTTPClient
import Fieldline
import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging

extension Fieldline {
    /// The application over a test database with ServiceChannel pointed at `fake`: the client's
    /// waits (token spacing, budgets, Retry-After) move the test clock instead of sleeping.
    public static func forTesting(
        database: any Database, clock: TestClock, serviceChannel fake: FakeServiceChannel,
        limits: ServiceChannelLimits? = nil
    ) throws -> Fieldline {
        var logger = Logger(label: "fieldline.test")
        logger.logLevel = .critical
        return Fieldline(
            database: database, clock: clock, passwords: PasswordHasher(cost: 4), logger: logger,
            secrets: try SecretBox(keyText: testSecretKey), publicURL: "http://fieldline.test",
            serviceChannelClients: ServiceChannelClients(
                http: HTTPClient.shared, endpointOverride: fake.endpoints, limitsOverride: limits, clock: clock,
                sleep: { seconds in clock.advance(by: seconds) }))
    }
}

extension TestEngine {
    /// A world whose account can connect to a fake ServiceChannel on loopback.
    public func withServiceChannelWorld(
        clock: TestClock = TestClock(), callsPerMinute: Int = 300, limits: ServiceChannelLimits? = nil,
        _ body: (Fieldline, TestWorld, FakeServiceChannel) async throws -> Void
    ) async throws {
        try await FakeServiceChannel.running(clock: clock, callsPerMinute: callsPerMinute) { fake in
            try await withDatabase { database in
                let app = try Fieldline.forTesting(
                    database: database, clock: clock, serviceChannel: fake, limits: limits)
                let world = try await TestWorld.make(app)
                try await body(app, world, fake)
            }
        }
    }
}

extension TestWorld {
    /// Makes the booking a job for the world's customer an hour from now, with its technician
    /// on it, as the dispatcher would.
    public func convertToJob(_ booking: BookingID, summary: String = "Faucet") async throws -> Job {
        let start = app.clock.now().addingTimeInterval(3600)
        return try await app.bookings.convert(
            booking,
            into: .init(
                customerID: customer.id, locationID: location.id, summary: summary, startsAt: start,
                endsAt: start.addingTimeInterval(3600), technicianIDs: [technician.id]),
            by: dispatcher
        ).1
    }

    /// Connects the world's account to `fake` as its admin would.
    @discardableResult
    public func connectServiceChannel(_ fake: FakeServiceChannel) async throws -> ServiceChannelConnection {
        try await app.serviceChannel.connect(
            .init(
                authorizationAccepted: true, environment: "sandbox", clientID: fake.credentials.clientID,
                clientSecret: fake.credentials.clientSecret, username: fake.credentials.username,
                password: fake.credentials.password), by: admin)
    }
}

extension FakeServiceChannel {
    /// A work order as a subscriber creates it: Open, updated `updated`.
    public static func workOrder(
        _ id: Int, updated: Date, created: Date? = nil, status: String = "Open", extended: String? = nil,
        subscriber: Int = 2_014_917_243, subscriberName: String = "Acme Retail", location: Int = 104,
        trade: String = "PLUMBING", priority: String = "P2 - 8 HOURS", category: String = "REPAIR",
        nte: Double? = 450, scheduled: Date? = nil
    ) -> ServiceChannelWorkOrder {
        ServiceChannelWorkOrder(
            id: id, number: "WO\(8_840_000 + id)", subscriber: .init(id: subscriber, name: subscriberName),
            location: .init(
                id: location, storeID: "\(location)", name: "Store \(location)", address1: "1200 Congress Ave",
                city: "Austin", state: "TX", zip: "78701"),
            status: .init(primary: status, extended: extended), priority: priority, trade: trade, category: category,
            description: "Restroom faucet dripping", nte: nte, currency: .init(alphabeticalCode: "USD"),
            scheduledDate: scheduled.map(ServiceChannelDate.format), updatedDate: ServiceChannelDate.format(updated),
            createdDate: ServiceChannelDate.format(created ?? updated))
    }
}
