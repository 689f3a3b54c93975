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
            try await Customers.checkReferences(
                customer: customerID, location: input.locationID, actor: actor, sql: sql)
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
            try await Customers.checkReferences(
                customer: customerID, location: input.locationID, actor: actor, sql: sql)
            try await EstimateStore(sql).insert(service)
        }
        return service
    }

    /// Changes its name, when it is next due or how often it repeats; what is nil stays.
    public func updateService(
        _ id: RecurringServiceID, name: String? = nil, intervalMonths: Int?, nextDue: String?, by actor: Actor
    ) async throws -> RecurringService {
        try actor.require(.editCustomers)
        var newName: String?
        if let name { newName = try Text.required(name, field: "name", label: "The service's name", maxLength: 100) }
        var interval: Int?
        if let intervalMonths { interval = try RecurringService.validatedInterval(intervalMonths) }
        var day: String?
        if let nextDue { day = try RecurringService.validatedDay(nextDue) }
        return try await changeService(id, by: actor) { [newName, interval, day] service, _ in
            if let newName { service.name = newName }
            if let interval { service.intervalMonths = interval }
            if let day { service.nextDue = day }
        }
    }

    /// The service was done: it is next due one interval after the day it was due (further, for
    /// one left undone several intervals, so it lands on today or later). `expecting` is the due
    /// day the person saw: a second click, or a retried request, finds it moved and changes nothing.
    public func serviceDone(
        _ id: RecurringServiceID, expecting: String?, by actor: Actor
    ) async throws -> RecurringService {
        try actor.require(.editCustomers)
        return try await changeService(id, by: actor) { service, today in
            if let expecting, expecting != service.nextDue {
                throw FieldlineError.conflict(
                    code: .serviceAlreadyMoved,
                    message: "\(service.name) was already moved on; it is next due \(service.dueDateText).")
            }
            service.nextDue = service.dueAfterDone(today: today)
        }
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

    /// Applies `change` to the stored service; it is handed today's day in the account's zone.
    private func changeService(
        _ id: RecurringServiceID, by actor: Actor,
        _ change: @escaping @Sendable (inout RecurringService, String) throws -> Void
    ) async throws -> RecurringService {
        try await app.database.write { sql in
            let store = EstimateStore(sql)
            guard var service = try await store.service(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "recurring service", id: id.rawValue)
            }
            guard let account = try await AccountStore(sql).find(actor.accountID) else {
                throw FieldlineError.notFound(entity: "account", id: actor.accountID.rawValue)
            }
            try change(&service, DayString.of(app.clock.now(), calendar: account.calendar))
            try await store.update(service)
            return service
        }
    }
}
