import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// Customers and how to reach them: locations, phone numbers with their preferences, emails.
public struct Customers: Sendable {
    let app: Fieldline

    public struct NewLocation: Sendable {
        public var name: String?
        public var street: String?
        public var unit: String?
        public var city: String?
        public var state: String?
        public var postalCode: String?
        public var verified: Bool?
        public var latitude: Double?
        public var longitude: Double?
        public var notes: String?

        public init(
            name: String? = nil, street: String?, unit: String? = nil, city: String?, state: String?,
            postalCode: String?, verified: Bool? = nil, latitude: Double? = nil, longitude: Double? = nil,
            notes: String? = nil
        ) {
            self.name = name
            self.street = street
            self.unit = unit
            self.city = city
            self.state = state
            self.postalCode = postalCode
            self.verified = verified
            self.latitude = latitude
            self.longitude = longitude
            self.notes = notes
        }
    }

    public struct NewPhone: Sendable {
        public var number: String?
        public var kind: String?
        public var label: String?
        public var jobNotifications: Bool?
        public var marketingUpdates: Bool?

        public init(
            number: String?, kind: String? = nil, label: String? = nil, jobNotifications: Bool? = nil,
            marketingUpdates: Bool? = nil
        ) {
            self.number = number
            self.kind = kind
            self.label = label
            self.jobNotifications = jobNotifications
            self.marketingUpdates = marketingUpdates
        }
    }

    public struct NewCustomer: Sendable {
        public var name: String?
        public var notes: String?
        public var location: NewLocation?
        public var phones: [NewPhone]
        public var emails: [String]
        public var tags: [String]

        public init(
            name: String?, notes: String? = nil, location: NewLocation? = nil, phones: [NewPhone] = [],
            emails: [String] = [], tags: [String] = []
        ) {
            self.name = name
            self.notes = notes
            self.tags = tags
            self.location = location
            self.phones = phones
            self.emails = emails
        }
    }

    /// Creates a customer with, optionally, a first location, phone numbers and emails — all or
    /// nothing, so a refused phone number leaves no half-made customer behind.
    public func create(_ input: NewCustomer, by actor: Actor) async throws -> Customer {
        try actor.require(.editCustomers)
        let now = app.clock.now()
        let customer = Customer(
            id: .generate(), accountID: actor.accountID,
            name: try Text.required(input.name, field: "name", label: "Customer name", maxLength: 200),
            notes: try Text.optional(input.notes, field: "notes", label: "Notes", maxLength: 5000),
            tags: try Customer.validatedTags(input.tags), createdAt: now, updatedAt: now)
        let location = try input.location.map { try makeLocation($0, customer: customer.id, account: actor.accountID) }
        let phones = try input.phones.map { try makePhone($0, customer: customer.id, account: actor.accountID) }
        let emails = try input.emails.map { try makeEmail($0, customer: customer.id, account: actor.accountID) }
        try await app.database.write { sql in
            let store = CustomerStore(sql)
            try await store.insert(customer)
            if let location { try await store.insert(location) }
            for phone in phones {
                try await store.insert(phone)
                try await ConsentStore(sql).relinkErased(
                    phone.number, hashed: try await erasedHash(of: phone, sql), in: phone.accountID)
            }
            for email in emails { try await store.insert(email) }
        }
        return customer
    }

    /// Changes what is given; nil leaves a field as it is.
    public func update(
        _ id: CustomerID, name: String?, notes: String?, tags: [String]? = nil, by actor: Actor
    ) async throws -> Customer {
        let tags = try tags.map { try Customer.validatedTags($0) }
        try actor.require(.editCustomers)
        return try await app.database.write { sql in
            let store = CustomerStore(sql)
            var customer = try await Self.living(id, store: store, in: actor.accountID)
            if let name {
                customer.name = try Text.required(name, field: "name", label: "Customer name", maxLength: 200)
            }
            if let notes { customer.notes = try Text.optional(notes, field: "notes", label: "Notes", maxLength: 5000) }
            if let tags { customer.tags = tags }
            customer.updatedAt = app.clock.now()
            try await store.update(customer)
            return customer
        }
    }

    public func find(_ id: CustomerID, by actor: Actor) async throws -> Customer {
        try actor.require(.viewCustomers)
        guard
            let customer = try await app.database.read({ sql in
                try await CustomerStore(sql).find(id, in: actor.accountID)
            })
        else { throw FieldlineError.notFound(entity: "customer", id: id.rawValue) }
        return customer
    }

    public func search(_ query: String?, paging: Paging = .firstPage, by actor: Actor) async throws -> [CustomerSummary]
    {
        try actor.require(.viewCustomers)
        let text = String((query ?? "").prefix(100))
        return try await app.database.read { sql in
            let store = CustomerStore(sql)
            let customers = try await store.search(
                text, in: actor.accountID, limit: paging.limit, offset: paging.offset)
            let ids = customers.map(\.id)
            let phones = Dictionary(
                grouping: try await store.phones(ofCustomers: ids, in: actor.accountID), by: \.customerID)
            let locations = Dictionary(
                grouping: try await store.locations(ofCustomers: ids, in: actor.accountID), by: \.customerID)
            let summaries = customers.map { customer in
                CustomerSummary(
                    customer: customer, phones: phones[customer.id] ?? [], firstLocation: locations[customer.id]?.first,
                    locationCount: locations[customer.id]?.count ?? 0)
            }
            return summaries
        }
    }

    /// Everything the customer page shows, read in one go.
    public func detail(_ id: CustomerID, by actor: Actor) async throws -> CustomerDetail {
        try actor.require(.viewCustomers)
        return try await app.database.read { sql in
            let store = CustomerStore(sql)
            guard let customer = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "customer", id: id.rawValue)
            }
            let jobs = actor.can(.viewJobs) ? try await JobStore(sql).jobs(ofCustomer: id, in: actor.accountID) : []
            let appointments = try await JobStore(sql).appointments(ofJobs: jobs.map(\.id), in: actor.accountID)
            return CustomerDetail(
                customer: customer, locations: try await store.locations(of: id, in: actor.accountID),
                phones: try await store.phones(of: id, in: actor.accountID),
                emails: try await store.emails(of: id, in: actor.accountID), jobs: jobs,
                nextAppointmentByJob: Dictionary(grouping: appointments, by: \.jobID).compactMapValues(\.first),
                estimates: try await EstimateStore(sql).estimates(of: id, in: actor.accountID),
                services: try await EstimateStore(sql).services(of: id, in: actor.accountID))
        }
    }

    // MARK: Locations

    public func addLocation(
        _ input: NewLocation, to customerID: CustomerID, by actor: Actor
    ) async throws -> ServiceLocation {
        try actor.require(.editCustomers)
        let location = try makeLocation(input, customer: customerID, account: actor.accountID)
        try await app.database.write { sql in
            let store = CustomerStore(sql)
            _ = try await Self.living(customerID, store: store, in: actor.accountID)
            try await store.insert(location)
        }
        return location
    }

    public func updateLocation(
        _ id: LocationID, with input: NewLocation, by actor: Actor
    ) async throws -> ServiceLocation {
        try actor.require(.editCustomers)
        return try await app.database.write { sql in
            let store = CustomerStore(sql)
            guard let existing = try await store.location(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "location", id: id.rawValue)
            }
            _ = try await Self.living(existing.customerID, store: store, in: actor.accountID)
            var location = try makeLocation(input, customer: existing.customerID, account: actor.accountID)
            location.id = existing.id
            location.createdAt = existing.createdAt
            // Notes left out are kept (older API clients know nothing of them); an empty text clears them.
            if input.notes == nil { location.notes = existing.notes }
            try await store.update(location)
            return location
        }
    }

    public func location(_ id: LocationID, by actor: Actor) async throws -> ServiceLocation {
        try actor.require(.viewCustomers)
        guard
            let location = try await app.database.read({ sql in
                try await CustomerStore(sql).location(id, in: actor.accountID)
            })
        else { throw FieldlineError.notFound(entity: "location", id: id.rawValue) }
        return location
    }

    // MARK: Phone numbers and emails

    public func addPhone(_ input: NewPhone, to customerID: CustomerID, by actor: Actor) async throws -> PhoneContact {
        try actor.require(.editCustomers)
        let phone = try makePhone(input, customer: customerID, account: actor.accountID)
        try await app.database.write { sql in
            let store = CustomerStore(sql)
            _ = try await Self.living(customerID, store: store, in: actor.accountID)
            if let owner = try await store.phone(number: phone.number, in: actor.accountID) {
                let ownerName = try await store.find(owner.customerID, in: actor.accountID)?.name ?? "another customer"
                throw FieldlineError.conflict(
                    code: .phoneTaken, message: "\(phone.number.displayed) already belongs to \(ownerName).")
            }
            try await store.insert(phone)
            try await ConsentStore(sql).relinkErased(
                phone.number, hashed: try await erasedHash(of: phone, sql), in: phone.accountID)
        }
        return phone
    }

    public struct PhoneChanges: Sendable {
        public var kind: String?
        public var label: String?
        public var jobNotifications: Bool?
        public var marketingUpdates: Bool?

        public init(
            kind: String? = nil, label: String? = nil, jobNotifications: Bool? = nil, marketingUpdates: Bool? = nil
        ) {
            self.kind = kind
            self.label = label
            self.jobNotifications = jobNotifications
            self.marketingUpdates = marketingUpdates
        }
    }

    public func updatePhone(_ id: PhoneContactID, _ changes: PhoneChanges, by actor: Actor) async throws -> PhoneContact
    {
        try actor.require(.editCustomers)
        return try await app.database.write { sql in
            let store = CustomerStore(sql)
            guard var phone = try await store.phone(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "phone", id: id.rawValue)
            }
            if let kind = changes.kind { phone.kind = try Self.phoneKind(kind) }
            if let label = changes.label {
                phone.label = try Text.optional(label, field: "label", label: "Label", maxLength: 40)
            }
            let before = phone.preferences
            if let value = changes.jobNotifications { phone.preferences.jobNotifications = value }
            if let value = changes.marketingUpdates { phone.preferences.marketingUpdates = value }
            try await store.update(phone)
            let changed = [
                before.jobNotifications != phone.preferences.jobNotifications
                    ? "job texts \(phone.preferences.jobNotifications ? "on" : "off")" : nil,
                before.marketingUpdates != phone.preferences.marketingUpdates
                    ? "marketing updates \(phone.preferences.marketingUpdates ? "on" : "off")" : nil,
            ].compactMap { $0 }
            if !changed.isEmpty {
                try await AuditStore(sql).append(
                    AuditEntry(
                        // Not the number itself: the log is kept for ever, and the customer may
                        // later be erased.
                        by: actor, .consentChanged, subject: "a number of customer \(phone.customerID.rawValue)",
                        detail: changed.joined(separator: "; "), at: app.clock.now()))
            }
            return phone
        }
    }

    public func removePhone(_ id: PhoneContactID, by actor: Actor) async throws {
        try actor.require(.editCustomers)
        try await app.database.write { sql in
            let store = CustomerStore(sql)
            guard try await store.phone(id, in: actor.accountID) != nil else {
                throw FieldlineError.notFound(entity: "phone", id: id.rawValue)
            }
            try await store.deletePhone(id, in: actor.accountID)
        }
    }

    public func addEmail(
        _ address: String?, jobNotifications: Bool?, to customerID: CustomerID, by actor: Actor
    )
        async throws -> EmailContact
    {
        try actor.require(.editCustomers)
        var email = try makeEmail(address ?? "", customer: customerID, account: actor.accountID)
        if let jobNotifications { email.jobNotifications = jobNotifications }
        let created = email
        try await app.database.write { sql in
            let store = CustomerStore(sql)
            _ = try await Self.living(customerID, store: store, in: actor.accountID)
            try await store.insert(created)
        }
        return created
    }

    public func updateEmail(_ id: EmailContactID, jobNotifications: Bool, by actor: Actor) async throws -> EmailContact
    {
        try actor.require(.editCustomers)
        return try await app.database.write { sql in
            let store = CustomerStore(sql)
            guard var email = try await store.email(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "email", id: id.rawValue)
            }
            email.jobNotifications = jobNotifications
            try await store.update(email)
            return email
        }
    }

    public func removeEmail(_ id: EmailContactID, by actor: Actor) async throws {
        try actor.require(.editCustomers)
        try await app.database.write { sql in
            let store = CustomerStore(sql)
            guard try await store.email(id, in: actor.accountID) != nil else {
                throw FieldlineError.notFound(entity: "email", id: id.rawValue)
            }
            try await store.deleteEmail(id, in: actor.accountID)
        }
    }

    // MARK: Validation

    private func makeLocation(_ input: NewLocation, customer: CustomerID, account: AccountID) throws -> ServiceLocation
    {
        ServiceLocation(
            id: .generate(), accountID: account, customerID: customer,
            name: try Text.optional(input.name, field: "locationName", label: "Location name", maxLength: 120),
            address: try Address.validated(
                street: input.street, unit: input.unit, city: input.city, state: input.state,
                postalCode: input.postalCode),
            verified: input.verified ?? false,
            coordinates: try Coordinates.validated(latitude: input.latitude, longitude: input.longitude),
            notes: try Text.optional(input.notes, field: "locationNotes", label: "Access notes", maxLength: 1000),
            createdAt: app.clock.now())
    }

    /// The customer, unless erased: nothing is added to an erased customer.
    static func living(_ id: CustomerID, store: CustomerStore, in accountID: AccountID) async throws -> Customer {
        guard let customer = try await store.find(id, in: accountID) else {
            throw FieldlineError.notFound(entity: "customer", id: id.rawValue)
        }
        guard customer.erasedAt == nil else {
            throw FieldlineError.conflict(
                code: .customerErased, message: "This customer was erased; add a new customer instead.")
        }
        return customer
    }

    private func makePhone(_ input: NewPhone, customer: CustomerID, account: AccountID) throws -> PhoneContact {
        let defaults = NotificationPreferences()
        return PhoneContact(
            id: .generate(), accountID: account, customerID: customer,
            number: try PhoneNumber.parse(input.number ?? ""),
            kind: try input.kind.map(Self.phoneKind) ?? .unknown,
            label: try Text.optional(input.label, field: "label", label: "Label", maxLength: 40),
            preferences: NotificationPreferences(
                jobNotifications: input.jobNotifications ?? defaults.jobNotifications,
                marketingUpdates: input.marketingUpdates ?? defaults.marketingUpdates),
            createdAt: app.clock.now())
    }

    private func makeEmail(_ address: String, customer: CustomerID, account: AccountID) throws -> EmailContact {
        EmailContact(
            id: .generate(), accountID: account, customerID: customer, address: try EmailAddress.parse(address),
            jobNotifications: true, createdAt: app.clock.now())
    }

    static func phoneKind(_ raw: String) throws(FieldlineError) -> PhoneKind {
        guard let kind = PhoneKind(rawValue: raw.lowercased()) else {
            throw .invalid(field: "kind", message: "Phone type must be mobile, landline or unknown.")
        }
        return kind
    }
}

public struct CustomerSummary: Sendable, Equatable {
    public var customer: Customer
    public var phones: [PhoneContact]
    public var firstLocation: ServiceLocation?
    public var locationCount: Int
}

public struct CustomerDetail: Sendable, Equatable {
    public var customer: Customer
    public var locations: [ServiceLocation]
    public var phones: [PhoneContact]
    public var emails: [EmailContact]
    public var jobs: [Job]
    public var nextAppointmentByJob: [JobID: Appointment]
    /// Newest first.
    public var estimates: [Estimate]
    /// Soonest due first.
    public var services: [RecurringService]
}

extension Customers {
    /// That a record about to name a customer and a location names ones of this account, the
    /// location being the customer's (bookings, estimates, recurring services).
    static func checkReferences(
        customer: CustomerID?, location: LocationID?, actor: Actor, sql: any SQLDatabase
    ) async throws {
        let store = CustomerStore(sql)
        if let customer { _ = try await living(customer, store: store, in: actor.accountID) }
        if let location {
            guard let found = try await store.location(location, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "location", id: location.rawValue)
            }
            if let customer, found.customerID != customer {
                throw FieldlineError.invalid(field: "locationId", message: "That location belongs to another customer.")
            }
        }
    }
}
