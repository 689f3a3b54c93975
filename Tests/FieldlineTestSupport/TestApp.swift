import AsyncHTTPClient
import Fieldline
import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import NIOCore
import SQLKit
import Synchronization

/// A clock the test moves by hand.
public final class TestClock: WallClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_795_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func set(_ date: Date) { current.withLock { $0 = date } }

    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Records every domain event, in order, as subscribers see them inside the transaction.
public final class EventRecorder: DomainEventSubscriber {
    private let recorded = Mutex<[DomainEvent]>([])

    public init() {}

    public func handle(_ event: DomainEvent, in sql: any SQLDatabase) async throws {
        recorded.withLock { $0.append(event) }
    }

    public var events: [DomainEvent] { recorded.withLock { $0 } }
    public var kinds: [DomainEvent.Kind] { events.map(\.kind) }
}

extension Fieldline {
    /// The application over a test database, with a hand-moved clock and cheap bcrypt.
    /// `demo`: as `serve --demo` (the phone simulator exists).
    public static func forTesting(
        database: any Database, clock: TestClock = TestClock(), demo: Bool = false
    )
        -> Fieldline
    {
        var logger = Logger(label: "fieldline.test")
        logger.logLevel = .critical
        return Fieldline(
            database: database, clock: clock, passwords: PasswordHasher(cost: 4), logger: logger, demo: demo)
    }
}

/// A small business to test against: an account, its admin, a dispatcher, a technician (with a
/// sign-in), a marketer, and one customer with a location and a phone number.
public struct TestWorld: Sendable {
    public let app: Fieldline
    public let account: Account
    public let admin: Actor
    public let dispatcher: Actor
    public let marketer: Actor
    public let technician: Technician
    public let technicianActor: Actor
    public let secondTechnician: Technician
    public let customer: Customer
    public let location: ServiceLocation
    public let phone: PhoneContact

    public static let password = "correct horse battery"

    public static func make(
        _ app: Fieldline, name: String = "Northside Plumbing", emailDomain: String = "northside.test"
    )
        async throws -> TestWorld
    {
        let account = try await app.accounts.create(.init(name: name, timeZone: "America/Chicago"))
        // The world texts: both registrations are approved (tests of SC1 itself undo this).
        for kind in RegistrationKind.allCases {
            _ = try await app.registrations.record(.approved, of: kind, accountID: account.id)
        }
        let adminUser = try await app.accounts.createUser(
            .init(email: "admin@\(emailDomain)", name: "Dana Admin", role: "admin", password: password), in: account.id,
            by: nil)
        let admin = Actor(user: adminUser)
        let dispatcherUser = try await app.accounts.createUser(
            .init(email: "dispatch@\(emailDomain)", name: "Marcus Dispatch", role: "dispatcher", password: password),
            in: account.id, by: admin)
        let marketerUser = try await app.accounts.createUser(
            .init(email: "marketing@\(emailDomain)", name: "Mia Marketer", role: "marketer", password: password),
            in: account.id, by: admin)
        let technician = try await app.technicians.add(
            .init(name: "Luis Romero", phone: "(512) 555-0131", rating: 4.8), by: admin)
        let secondTechnician = try await app.technicians.add(.init(name: "Priya Nair", rating: 3.5), by: admin)
        let technicianUser = try await app.accounts.createUser(
            .init(
                email: "luis@\(emailDomain)", name: "Luis Romero", role: "technician", password: password,
                technicianID: technician.id), in: account.id, by: admin)
        let customer = try await app.customers.create(
            .init(
                name: "Robert Castellanos",
                location: .init(street: "418 Birchwood Ln", city: "Austin", state: "tx", postalCode: "78704"),
                phones: [.init(number: "(512) 555-0142", kind: "mobile")], emails: ["robert@example.com"]), by: admin)
        let detail = try await app.customers.detail(customer.id, by: admin)
        guard let location = detail.locations.first, let phone = detail.phones.first else {
            throw TestSetupError("The test customer was created without its location or phone.")
        }
        return TestWorld(
            app: app, account: account, admin: admin, dispatcher: Actor(user: dispatcherUser),
            marketer: Actor(user: marketerUser), technician: technician,
            technicianActor: Actor(user: technicianUser, technicianChat: technician.chat),
            secondTechnician: secondTechnician, customer: customer, location: location, phone: phone)
    }

    /// A job for the world's customer, starting `hoursFromNow` hours after the clock's now, two hours long.
    public func bookJob(
        summary: String = "Water heater leaking", hoursFromNow: Double = 24, technicians: [TechnicianID] = []
    ) async throws -> Job {
        let start = app.clock.now().addingTimeInterval(hoursFromNow * 3600)
        return try await app.jobs.book(
            .init(
                customerID: customer.id, locationID: location.id, summary: summary, startsAt: start,
                endsAt: start.addingTimeInterval(7200), technicianIDs: technicians), by: dispatcher)
    }
}

extension TestEngine {
    /// The usual test setup in one call: a fresh database, the application over it with a test
    /// clock, an event recorder subscribed, and a `TestWorld` to act in.
    public func withWorld(
        clock: TestClock = TestClock(), _ body: (Fieldline, TestWorld, EventRecorder) async throws -> Void
    ) async throws {
        try await withDatabase { database in
            let app = Fieldline.forTesting(database: database, clock: clock)
            let recorder = EventRecorder()
            app.events.subscribe(recorder)
            let world = try await TestWorld.make(app)
            try await body(app, world, recorder)
        }
    }
}

// MARK: Texting

extension Fieldline {
    /// The sealing key tests store provider credentials with.
    public static let testSecretKey = "fieldline-test-secret-key-not-for-production"

    /// The application over a test database with Twilio pointed at `twilio` (a fake on loopback),
    /// a secret key, and a public URL the fake signs callbacks for.
    public static func forTesting(
        database: any Database, clock: any WallClock = TestClock(), twilio: FakeTwilio?,
        publicURL: String = "http://fieldline.test", timeout: TimeInterval = 2, email: FakeEmailAPI? = nil,
        emailKey: String? = nil
    ) throws -> Fieldline {
        var logger = Logger(label: "fieldline.test")
        logger.logLevel = .critical
        return Fieldline(
            database: database, clock: clock, passwords: PasswordHasher(cost: 4), logger: logger,
            sms: SMSGateway(
                twilio: twilio.map {
                    TwilioProvider(http: $0.http, baseURL: $0.baseURL, timeout: .milliseconds(Int64(timeout * 1000)))
                },
                console: ConsoleProvider(logger: logger)),
            secrets: try SecretBox(keyText: testSecretKey), publicURL: publicURL,
            email: email.map { fake in
                HTTPEmailProvider(
                    http: twilio?.http ?? HTTPClient.shared, baseURL: fake.baseURL, apiKey: emailKey ?? fake.apiKey,
                    timeout: .milliseconds(Int64(timeout * 1000)))
            }, emailFrom: "notices@northside.test")
    }
}

extension TestWorld {
    /// The number customers text in the tests.
    public static let mainNumber = "+15125550300"
    public static let marketingNumber = "+15125550301"

    /// Adds the account's main chat number, carried by `twilio` (or the console provider).
    @discardableResult
    public func addMainNumber(twilio: FakeTwilio?, mms: Bool = true, rate: Double = 50) async throws -> SenderNumber {
        try await app.senderNumbers.add(
            .init(
                number: Self.mainNumber, label: "Main line", provider: twilio == nil ? "console" : "twilio", chat: true,
                mms: mms, isDefault: true, ratePerSecond: rate, providerAccountID: twilio?.accountSID,
                authToken: twilio?.authToken),
            by: admin)
    }

    @discardableResult
    public func addMarketingNumber(twilio: FakeTwilio?) async throws -> SenderNumber {
        try await app.senderNumbers.add(
            .init(
                number: Self.marketingNumber, label: "Promotions", provider: twilio == nil ? "console" : "twilio",
                chat: false, marketing: true, ratePerSecond: 50, providerAccountID: twilio?.accountSID,
                authToken: twilio?.authToken),
            by: admin)
    }

    /// A text from `from` to one of the account's numbers, straight into the inbound pipeline.
    @discardableResult
    public func textIn(
        from: String, body: String, to number: SenderNumber, sid: String = "SM" + FakeTwilio.hex(32),
        media: [InboundText.Media] = []
    ) async throws -> InboundOutcome {
        try await app.inbound.receive(
            InboundText(
                providerMessageID: sid, from: try PhoneNumber.parse(from), to: number, body: body, media: media))
    }
}

extension TestEngine {
    /// `withWorld` with Twilio faked on loopback and the main number set up on it.
    public func withChatWorld(
        clock: TestClock = TestClock(), callbacks: Bool = false,
        _ body: (Fieldline, TestWorld, FakeTwilio, SenderNumber) async throws -> Void
    ) async throws {
        try await FakeTwilio.running(sendsCallbacks: callbacks) { fake in
            try await withDatabase { database in
                let app = try Fieldline.forTesting(database: database, clock: clock, twilio: fake)
                let world = try await TestWorld.make(app)
                let number = try await world.addMainNumber(twilio: fake)
                try await body(app, world, fake, number)
            }
        }
    }
}

extension TestEngine {
    /// `withChatWorld` plus the email API faked on loopback: what dispatch notices go through.
    public func withNoticeWorld(
        clock: TestClock = TestClock(),
        _ body: (Fieldline, TestWorld, FakeTwilio, FakeEmailAPI, SenderNumber) async throws -> Void
    ) async throws {
        try await FakeEmailAPI.running { email in
            try await FakeTwilio.running(sendsCallbacks: false) { fake in
                try await withDatabase { database in
                    let app = try Fieldline.forTesting(database: database, clock: clock, twilio: fake, email: email)
                    let world = try await TestWorld.make(app)
                    let number = try await world.addMainNumber(twilio: fake)
                    try await body(app, world, fake, email, number)
                }
            }
        }
    }
}
