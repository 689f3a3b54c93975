import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging

/// The application: the database and the side-effect adapters every use case needs. Built once at
/// start-up (or per test) and passed to the feature services.
public struct Fieldline: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public let tokens: any TokenSource
    public let passwords: PasswordHasher
    public let events: DomainEvents
    public let logger: Logger

    public init(
        database: any Database, clock: any WallClock = SystemClock(), tokens: any TokenSource = SecureTokens(),
        passwords: PasswordHasher = PasswordHasher(), events: DomainEvents = DomainEvents(),
        logger: Logger = Logger(label: "fieldline")
    ) {
        self.database = database
        self.clock = clock
        self.tokens = tokens
        self.passwords = passwords
        self.events = events
        self.logger = logger
    }

    public var accounts: Accounts { Accounts(app: self) }
    public var customers: Customers { Customers(app: self) }
    public var technicians: Technicians { Technicians(app: self) }
    public var jobs: Jobs { Jobs(app: self) }
    public var bookings: Bookings { Bookings(app: self) }
}
