import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// A customer's estimates and recurring services: what the follow-up and reminder campaigns watch.
public struct Estimates: Sendable {
    let app: Fieldline

    public struct NewEstimate: Sendable {
        public var summary: String?
        public var amount: String?
        public var locationID: LocationID?

        public init(summary: String?, amount: String? = nil, locationID: LocationID? = nil) {
            self.summary = summary
            self.amount = amount
            self.locationID = locationID
        }
    }

    public func add(_ input: NewEstimate, to customerID: CustomerID, by actor: Actor) async throws -> Estimate {
        try actor.require(.editCustomers)
        let estimate = Estimate(
            id: .generate(), accountID: actor.accountID, customerID: customerID, locationID: input.locationID,
            summary: try Text.required(input.summary, field: "summary", label: "What the estimate is for"),
            amountCents: try Estimate.cents(from: input.amount), status: .open, createdAt: app.clock.now(),
            decidedAt: nil)
        try await app.database.write { sql in
            try await requireCustomer(customerID, location: input.locationID, accountID: actor.accountID, sql: sql)
            try await EstimateStore(sql).insert(estimate)
        }
        return estimate
    }

    /// Sold or declined ends the follow-up; back to open restarts nothing already sent.
    public func decide(_ id: EstimateID, status: String?, by actor: Actor) async throws -> Estimate {
        try actor.require(.editCustomers)
        guard let status = status.flatMap(EstimateStatus.init(rawValue:)) else {
            throw FieldlineError.invalid(field: "status", message: "An estimate is open, sold or declined.")
        }
        return try await app.database.write { sql in
            let store = EstimateStore(sql)
            guard var estimate = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "estimate", id: id.rawValue)
            }
            estimate.status = status
            estimate.decidedAt = status == .open ? nil : app.clock.now()
            try await store.update(estimate)
            return estimate
        }
    }

    public struct NewService: Sendable {
        public var name: String?
        public var intervalMonths: Int?
        public var nextDue: String?
        public var locationID: LocationID?

        public init(name: String?, intervalMonths: Int?, nextDue: String?, locationID: LocationID? = nil) {
            self.name = name
            self.intervalMonths = intervalMonths
            self.nextDue = nextDue
            self.locationID = locationID
        }
    }

    public func addService(
        _ input: NewService, to customerID: CustomerID, by actor: Actor
    ) async throws -> RecurringService {
        try actor.require(.editCustomers)
        let service = RecurringService(
            id: .generate(), accountID: actor.accountID, customerID: customerID, locationID: input.locationID,
            name: try Text.required(input.name, field: "name", label: "The service's name", maxLength: 100),
            intervalMonths: try RecurringService.validatedInterval(input.intervalMonths),
            nextDue: try RecurringService.validatedDay(input.nextDue), createdAt: app.clock.now())
        try await app.database.write { sql in
            try await requireCustomer(customerID, location: input.locationID, accountID: actor.accountID, sql: sql)
            try await EstimateStore(sql).insert(service)
        }
        return service
    }

    /// Changes when it is next due or how often it repeats; what is nil stays.
    public func updateService(
        _ id: RecurringServiceID, intervalMonths: Int?, nextDue: String?, by actor: Actor
    ) async throws -> RecurringService {
        try actor.require(.editCustomers)
        var interval: Int?
        if let intervalMonths { interval = try RecurringService.validatedInterval(intervalMonths) }
        var day: String?
        if let nextDue { day = try RecurringService.validatedDay(nextDue) }
        return try await changeService(id, by: actor) { [interval, day] service in
            if let interval { service.intervalMonths = interval }
            if let day { service.nextDue = day }
        }
    }

    /// The service was done: it is next due one interval after the day it was due.
    public func serviceDone(_ id: RecurringServiceID, by actor: Actor) async throws -> RecurringService {
        try actor.require(.editCustomers)
        return try await changeService(id, by: actor) { service in service.nextDue = service.followingDue() }
    }

    public func removeService(_ id: RecurringServiceID, by actor: Actor) async throws -> RecurringService {
        try actor.require(.editCustomers)
        return try await app.database.write { sql in
            let store = EstimateStore(sql)
            guard let service = try await store.service(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "recurring service", id: id.rawValue)
            }
            try await store.delete(id, in: actor.accountID)
            return service
        }
    }

    private func changeService(
        _ id: RecurringServiceID, by actor: Actor, _ change: @escaping @Sendable (inout RecurringService) -> Void
    ) async throws -> RecurringService {
        try await app.database.write { sql in
            let store = EstimateStore(sql)
            guard var service = try await store.service(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "recurring service", id: id.rawValue)
            }
            change(&service)
            try await store.update(service)
            return service
        }
    }

    private func requireCustomer(
        _ customerID: CustomerID, location: LocationID?, accountID: AccountID, sql: any SQLDatabase
    ) async throws {
        let customers = CustomerStore(sql)
        guard try await customers.find(customerID, in: accountID) != nil else {
            throw FieldlineError.notFound(entity: "customer", id: customerID.rawValue)
        }
        if let location {
            guard let found = try await customers.location(location, in: accountID), found.customerID == customerID
            else {
                throw FieldlineError.invalid(field: "locationId", message: "That location is not this customer's.")
            }
        }
    }
}
