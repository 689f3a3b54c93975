import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// Requests for work that are not jobs yet: accepted, dismissed, or converted into a job.
public struct Bookings: Sendable {
    let app: Fieldline

    public struct NewBooking: Sendable {
        public var source: String?
        public var customerID: CustomerID?
        public var locationID: LocationID?
        public var contactName: String?
        public var contactPhone: String?
        public var summary: String?
        public var details: String?
        public var requestedFor: Date?

        public init(
            source: String? = nil, customerID: CustomerID? = nil, locationID: LocationID? = nil,
            contactName: String? = nil, contactPhone: String? = nil, summary: String?, details: String? = nil,
            requestedFor: Date? = nil
        ) {
            self.source = source
            self.customerID = customerID
            self.locationID = locationID
            self.contactName = contactName
            self.contactPhone = contactPhone
            self.summary = summary
            self.details = details
            self.requestedFor = requestedFor
        }
    }

    public func create(_ input: NewBooking, by actor: Actor) async throws -> Booking {
        try actor.require(.manageJobs)
        let now = app.clock.now()
        let phone = try input.contactPhone.flatMap { $0.isEmpty ? nil : $0 }.map { raw throws(FieldlineError) in
            try PhoneNumber.parse(raw)
        }
        let booking = Booking(
            id: .generate(), accountID: actor.accountID, source: try BookingSource.validated(input.source),
            customerID: input.customerID, locationID: input.locationID,
            contactName: try Text.optional(
                input.contactName, field: "contactName", label: "Contact name", maxLength: 200),
            contactPhone: phone,
            summary: try Text.required(input.summary, field: "summary", label: "Summary", maxLength: 500),
            details: try Text.optional(input.details, field: "details", label: "Details", maxLength: 10_000),
            requestedFor: input.requestedFor, status: .new, jobID: nil, createdAt: now, updatedAt: now)
        guard booking.customerID != nil || booking.contactName != nil || booking.contactPhone != nil else {
            throw FieldlineError.invalid(
                field: "customerId", message: "A booking needs a customer, or at least a contact name or phone number.")
        }
        try await app.database.write { sql in
            try await Customers.checkReferences(
                customer: booking.customerID, location: booking.locationID, actor: actor, sql: sql)
            try await BookingStore(sql).insert(booking)
            try await app.events.publish(
                DomainEvent(
                    accountID: actor.accountID, occurredAt: now, actor: .user(actor), kind: .bookingCreated(booking.id)),
                in: sql)
        }
        return booking
    }

    public func find(_ id: BookingID, by actor: Actor) async throws -> Booking {
        try actor.require(.viewJobs)
        guard
            let booking = try await app.database.read({ sql in try await BookingStore(sql).find(id, in: actor.accountID)
            })
        else { throw FieldlineError.notFound(entity: "booking", id: id.rawValue) }
        return booking
    }

    public func list(status: BookingStatus?, paging: Paging = .firstPage, by actor: Actor) async throws -> [Booking] {
        try actor.require(.viewJobs)
        return try await app.database.read { sql in
            try await BookingStore(sql).bookings(
                in: actor.accountID, status: status, limit: paging.limit, offset: paging.offset)
        }
    }

    /// Ties a booking to a customer (and optionally one of their locations), e.g. after creating the
    /// customer from a phone request. Only open bookings change.
    public func attach(
        _ id: BookingID, to customerID: CustomerID, location: LocationID?, by actor: Actor
    ) async throws
        -> Booking
    {
        try actor.require(.manageJobs)
        return try await app.database.write { sql in
            let store = BookingStore(sql)
            guard var booking = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "booking", id: id.rawValue)
            }
            guard booking.status == .new || booking.status == .accepted else {
                throw FieldlineError.conflict(
                    code: .invalidBookingTransition, message: "A \(booking.status.rawValue) booking cannot change.")
            }
            try await Customers.checkReferences(customer: customerID, location: location, actor: actor, sql: sql)
            booking.customerID = customerID
            booking.locationID = location
            booking.updatedAt = app.clock.now()
            try await store.update(booking)
            return booking
        }
    }

    public func accept(_ id: BookingID, by actor: Actor) async throws -> Booking {
        try await change(id, .accept, by: actor)
    }

    public func dismiss(_ id: BookingID, by actor: Actor) async throws -> Booking {
        try await change(id, .dismiss, by: actor)
    }

    /// Turns the booking into a job in one transaction: the job exists exactly when the booking
    /// says converted.
    public func convert(_ id: BookingID, into input: Jobs.NewJob, by actor: Actor) async throws -> (Booking, Job) {
        try actor.require(.manageJobs)
        return try await app.transaction { sql, effects in
            let store = BookingStore(sql)
            guard var booking = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "booking", id: id.rawValue)
            }
            booking.status = try booking.status.after(.convert)
            let job = try await app.jobs.book(input, by: actor, in: sql, effects: effects)
            booking.jobID = job.id
            booking.customerID = job.customerID
            booking.locationID = job.locationID
            booking.updatedAt = app.clock.now()
            try await store.update(booking)
            try await publishStatus(booking, actor: actor, sql: sql, effects: effects)
            return (booking, job)
        }
    }

    private func change(_ id: BookingID, _ action: BookingAction, by actor: Actor) async throws -> Booking {
        try actor.require(.manageJobs)
        return try await app.transaction { sql, effects in
            try await change(id, action, by: actor, in: sql, effects: effects)
        }
    }

    /// Moves a booking inside an existing transaction (the ServiceChannel sync and decline use it).
    func change(
        _ id: BookingID, _ action: BookingAction, by actor: Actor, in sql: any SQLDatabase, effects: AfterCommit
    ) async throws -> Booking {
        let store = BookingStore(sql)
        guard var booking = try await store.find(id, in: actor.accountID) else {
            throw FieldlineError.notFound(entity: "booking", id: id.rawValue)
        }
        booking.status = try booking.status.after(action)
        booking.updatedAt = app.clock.now()
        try await store.update(booking)
        try await publishStatus(booking, actor: actor, sql: sql, effects: effects)
        return booking
    }

    private func publishStatus(
        _ booking: Booking, actor: Actor, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        try await app.react(
            to: DomainEvent(
                accountID: actor.accountID, occurredAt: app.clock.now(), actor: .user(actor),
                kind: .bookingStatusChanged(booking.id, booking.status)), in: sql, effects: effects)
    }

}
