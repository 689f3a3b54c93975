import FieldlineCore
import Foundation
import SQLKit

/// Customers with their service locations, phone numbers and emails.
public struct CustomerStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct CustomerRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "customers")

        var id: String
        var accountId: String
        var name: String
        var searchName: String
        var notes: String?
        var tags: String
        var createdAt: Date
        var updatedAt: Date
        var erasedAt: Date?

        init(_ customer: Customer) {
            id = customer.id.rawValue
            accountId = customer.accountID.rawValue
            name = customer.name
            searchName = customer.name.lowercased()
            notes = customer.notes
            tags = CustomerStore.storedTags(customer.tags)
            createdAt = customer.createdAt
            updatedAt = customer.updatedAt
            erasedAt = customer.erasedAt
        }

        var customer: Customer {
            Customer(
                id: CustomerID(id), accountID: AccountID(accountId), name: name, notes: notes,
                tags: tags.split(separator: "|").map(String.init), createdAt: createdAt, updatedAt: updatedAt,
                erasedAt: erasedAt)
        }
    }

    /// "|vip|plan|": bars around every tag, so `LIKE '%|vip|%'` matches the whole tag only.
    public static func storedTags(_ tags: [String]) -> String {
        tags.isEmpty ? "" : "|" + tags.joined(separator: "|") + "|"
    }

    public func insert(_ customer: Customer) async throws {
        try await sql.insert(CustomerRow(customer))
    }

    public func update(_ customer: Customer) async throws {
        let row = CustomerRow(customer)
        try await sql.update("customers")
            .set("name", to: row.name).set("search_name", to: row.searchName).set("notes", to: row.notes)
            .set("tags", to: row.tags)
            .set("updated_at", to: row.updatedAt)
            .where("id", .equal, row.id).where("account_id", .equal, row.accountId)
            .run()
    }

    public func find(_ id: CustomerID, in accountID: AccountID) async throws -> Customer? {
        try await sql.select(CustomerRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(CustomerRow.self).customer
    }

    /// Customers whose name, phone number (any format: compared on digits) or location name or
    /// address contains `query`; all customers when the query is empty. Alphabetical.
    public func search(_ query: String, in accountID: AccountID, limit: Int, offset: Int) async throws -> [Customer] {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        let select = sql.select().columns(CustomerRow.mapping.selection("c"))
            .from(SQLAlias(SQLIdentifier("customers"), as: SQLIdentifier("c")))
            .where(SQLColumn("account_id", table: "c"), .equal, SQLBind(accountID.rawValue))
            .where(SQLColumn("erased_at", table: "c"), .is, SQLLiteral.null)
        if !trimmed.isEmpty {
            let text = SearchPattern.contains(trimmed)
            let digits = trimmed.filter(\.isNumber)
            select.where(
                SQLQueryString(
                    """
                    (c.search_name LIKE \(bind: text) ESCAPE '\\'
                     OR EXISTS (SELECT 1 FROM locations l WHERE l.customer_id = c.id AND l.account_id = c.account_id
                                AND l.search_text LIKE \(bind: text) ESCAPE '\\')
                     OR (\(bind: digits.count) >= 3 AND EXISTS (SELECT 1 FROM phone_contacts p
                                WHERE p.customer_id = c.id AND p.account_id = c.account_id
                                AND p.e164 LIKE \(bind: "%" + digits + "%"))))
                    """))
        }
        return try await select.orderBy(SQLColumn("search_name", table: "c")).orderBy(SQLColumn("id", table: "c"))
            .limit(limit).offset(offset)
            .all().map { try $0.stored(CustomerRow.self).customer }
    }

    // MARK: Locations

    struct LocationRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "locations")

        var id: String
        var accountId: String
        var customerId: String
        var name: String?
        var street: String
        var unit: String?
        var city: String
        var state: String
        var postalCode: String
        var searchText: String
        var verified: Bool
        var latitude: Double?
        var longitude: Double?
        var notes: String?
        var createdAt: Date

        init(_ location: ServiceLocation) {
            id = location.id.rawValue
            accountId = location.accountID.rawValue
            customerId = location.customerID.rawValue
            name = location.name
            street = location.address.street
            unit = location.address.unit
            city = location.address.city
            state = location.address.state
            postalCode = location.address.postalCode
            searchText = [location.name, location.address.oneLine].compactMap { $0 }.joined(separator: " ").lowercased()
            verified = location.verified
            latitude = location.coordinates?.latitude
            longitude = location.coordinates?.longitude
            notes = location.notes
            createdAt = location.createdAt
        }

        var location: ServiceLocation {
            let coordinates: Coordinates? =
                if let latitude, let longitude { Coordinates(latitude: latitude, longitude: longitude) } else { nil }
            return ServiceLocation(
                id: LocationID(id), accountID: AccountID(accountId), customerID: CustomerID(customerId), name: name,
                address: Address(street: street, unit: unit, city: city, state: state, postalCode: postalCode),
                verified: verified, coordinates: coordinates, notes: notes, createdAt: createdAt)
        }
    }

    public func insert(_ location: ServiceLocation) async throws {
        try await sql.insert(LocationRow(location))
    }

    public func update(_ location: ServiceLocation) async throws {
        let row = LocationRow(location)
        try await sql.update("locations")
            .set("name", to: row.name).set("street", to: row.street).set("unit", to: row.unit)
            .set("city", to: row.city).set("state", to: row.state).set("postal_code", to: row.postalCode)
            .set("search_text", to: row.searchText).set("verified", to: row.verified)
            .set("latitude", to: row.latitude).set("longitude", to: row.longitude).set("notes", to: row.notes)
            .where("id", .equal, row.id).where("account_id", .equal, row.accountId)
            .run()
    }

    public func location(_ id: LocationID, in accountID: AccountID) async throws -> ServiceLocation? {
        try await sql.select(LocationRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(LocationRow.self).location
    }

    public func locations(of customerID: CustomerID, in accountID: AccountID) async throws -> [ServiceLocation] {
        try await sql.select(LocationRow.self)
            .where("customer_id", .equal, customerID.rawValue).where("account_id", .equal, accountID.rawValue)
            .orderBy("created_at").orderBy("id")
            .all().map { try $0.stored(LocationRow.self).location }
    }

    public func locations(ofCustomers ids: [CustomerID], in accountID: AccountID) async throws -> [ServiceLocation] {
        guard !ids.isEmpty else { return [] }
        return try await sql.select(LocationRow.self)
            .where("account_id", .equal, accountID.rawValue)
            .where("customer_id", .in, Set(ids.map(\.rawValue)).sorted())
            .orderBy("created_at").orderBy("id")
            .all().map { try $0.stored(LocationRow.self).location }
    }

    public func locations(_ ids: [LocationID], in accountID: AccountID) async throws -> [LocationID: ServiceLocation] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select(LocationRow.self)
            .where("account_id", .equal, accountID.rawValue).where("id", .in, Set(ids.map(\.rawValue)).sorted())
            .all().map { try $0.stored(LocationRow.self).location }
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
    }

    public func customers(_ ids: [CustomerID], in accountID: AccountID) async throws -> [CustomerID: Customer] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select(CustomerRow.self)
            .where("account_id", .equal, accountID.rawValue).where("id", .in, Set(ids.map(\.rawValue)).sorted())
            .all().map { try $0.stored(CustomerRow.self).customer }
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
    }

    // MARK: Phone numbers

    struct PhoneRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "phone_contacts")

        var id: String
        var accountId: String
        var customerId: String
        var e164: String
        var kind: String
        var label: String?
        var jobNotifications: Bool
        var marketingUpdates: Bool
        var createdAt: Date

        init(_ phone: PhoneContact) {
            id = phone.id.rawValue
            accountId = phone.accountID.rawValue
            customerId = phone.customerID.rawValue
            e164 = phone.number.e164
            kind = phone.kind.rawValue
            label = phone.label
            jobNotifications = phone.preferences.jobNotifications
            marketingUpdates = phone.preferences.marketingUpdates
            createdAt = phone.createdAt
        }

        var phone: PhoneContact {
            get throws {
                PhoneContact(
                    id: PhoneContactID(id), accountID: AccountID(accountId), customerID: CustomerID(customerId),
                    number: PhoneNumber(storedE164: e164),
                    kind: try PhoneKind.stored(kind, table: "phone_contacts", column: "kind"), label: label,
                    preferences: NotificationPreferences(
                        jobNotifications: jobNotifications, marketingUpdates: marketingUpdates),
                    createdAt: createdAt)
            }
        }
    }

    public func insert(_ phone: PhoneContact) async throws {
        do {
            try await sql.insert(PhoneRow(phone))
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(
                code: .phoneTaken, message: "\(phone.number.displayed) already belongs to a customer in this account."
            )
        }
    }

    public func update(_ phone: PhoneContact) async throws {
        let row = PhoneRow(phone)
        try await sql.update("phone_contacts")
            .set("kind", to: row.kind).set("label", to: row.label)
            .set("job_notifications", to: row.jobNotifications).set("marketing_updates", to: row.marketingUpdates)
            .where("id", .equal, row.id).where("account_id", .equal, row.accountId)
            .run()
    }

    /// Records what the carrier proved about a number: a landline (30006) or, by a delivered
    /// text, a mobile. Only `replacing` kinds are changed, so a person's choice is not overwritten
    /// by a weaker signal.
    public func setKind(
        of number: PhoneNumber, to kind: PhoneKind, replacing: [PhoneKind], in accountID: AccountID
    ) async throws {
        try await sql.update("phone_contacts").set("kind", to: kind.rawValue)
            .where("account_id", .equal, accountID.rawValue).where("e164", .equal, number.e164)
            .where("kind", .in, replacing.map(\.rawValue))
            .run()
    }

    public func deletePhone(_ id: PhoneContactID, in accountID: AccountID) async throws {
        try await sql.delete(from: "phone_contacts")
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue).run()
    }

    public func phone(_ id: PhoneContactID, in accountID: AccountID) async throws -> PhoneContact? {
        try await sql.select(PhoneRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(PhoneRow.self).phone
    }

    public func phone(number: PhoneNumber, in accountID: AccountID) async throws -> PhoneContact? {
        try await sql.select(PhoneRow.self)
            .where("e164", .equal, number.e164).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(PhoneRow.self).phone
    }

    public func phones(of customerID: CustomerID, in accountID: AccountID) async throws -> [PhoneContact] {
        try await sql.select(PhoneRow.self)
            .where("customer_id", .equal, customerID.rawValue).where("account_id", .equal, accountID.rawValue)
            .orderBy("created_at").orderBy("id")
            .all().map { try $0.stored(PhoneRow.self).phone }
    }

    public func phones(ofCustomers ids: [CustomerID], in accountID: AccountID) async throws -> [PhoneContact] {
        guard !ids.isEmpty else { return [] }
        return try await sql.select(PhoneRow.self)
            .where("account_id", .equal, accountID.rawValue)
            .where("customer_id", .in, Set(ids.map(\.rawValue)).sorted())
            .orderBy("created_at").orderBy("id")
            .all().map { try $0.stored(PhoneRow.self).phone }
    }

    // MARK: Emails

    struct EmailRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "email_contacts")

        var id: String
        var accountId: String
        var customerId: String
        var address: String
        var jobNotifications: Bool
        var createdAt: Date

        var email: EmailContact {
            EmailContact(
                id: EmailContactID(id), accountID: AccountID(accountId), customerID: CustomerID(customerId),
                address: EmailAddress(storedValue: address), jobNotifications: jobNotifications, createdAt: createdAt)
        }
    }

    public func insert(_ email: EmailContact) async throws {
        let row = EmailRow(
            id: email.id.rawValue, accountId: email.accountID.rawValue, customerId: email.customerID.rawValue,
            address: email.address.value, jobNotifications: email.jobNotifications, createdAt: email.createdAt)
        do {
            try await sql.insert(row)
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(code: .emailTaken, message: "This customer already has \(email.address).")
        }
    }

    public func update(_ email: EmailContact) async throws {
        try await sql.update("email_contacts").set("job_notifications", to: email.jobNotifications)
            .where("id", .equal, email.id.rawValue).where("account_id", .equal, email.accountID.rawValue).run()
    }

    public func email(_ id: EmailContactID, in accountID: AccountID) async throws -> EmailContact? {
        try await sql.select(EmailRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(EmailRow.self).email
    }

    public func deleteEmail(_ id: EmailContactID, in accountID: AccountID) async throws {
        try await sql.delete(from: "email_contacts")
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue).run()
    }

    public func emails(of customerID: CustomerID, in accountID: AccountID) async throws -> [EmailContact] {
        try await sql.select(EmailRow.self)
            .where("customer_id", .equal, customerID.rawValue).where("account_id", .equal, accountID.rawValue)
            .orderBy("created_at").orderBy("id")
            .all().map { try $0.stored(EmailRow.self).email }
    }

    /// Every customer record holding `address` in the account (one address may belong to two).
    public func emails(address: EmailAddress, in accountID: AccountID) async throws -> [EmailContact] {
        try await sql.select(EmailRow.self)
            .where("address", .equal, address.value).where("account_id", .equal, accountID.rawValue)
            .all().map { try $0.stored(EmailRow.self).email }
    }
}

// MARK: Erasure (OP3)

extension CustomerStore {
    /// What an erasure removed, for the person who asked and the audit log.
    public struct Erased: Sendable, Equatable {
        public var numbers = 0
        public var emails = 0
        public var messages = 0
        public var conversations = 0
        public var locationsRemoved = 0
        /// Locations jobs still point at: kept, emptied of their address.
        public var locationsBlanked = 0
        public var estimates = 0
        public var trackingLinks = 0
        public var jobsKept = 0

        public var summary: String {
            [
                "\(numbers) phone number\(numbers == 1 ? "" : "s")", "\(emails) email\(emails == 1 ? "" : "s")",
                "\(messages) message\(messages == 1 ? "" : "s")",
                "\(locationsRemoved + locationsBlanked) location\(locationsRemoved + locationsBlanked == 1 ? "" : "s")",
                "\(estimates) estimate\(estimates == 1 ? "" : "s")",
                "\(trackingLinks) tracking link\(trackingLinks == 1 ? "" : "s")",
            ].joined(separator: ", ")
                + "; \(jobsKept) job\(jobsKept == 1 ? "" : "s") kept as \"\(Customer.erasedName)\""
        }
    }

    /// Erases a customer, in the caller's transaction: their numbers, emails, messages (with their
    /// pictures and queued sends), conversations, estimates and recurring services, tracking
    /// links, ServiceChannel location links, and the locations no job needs are removed; the
    /// locations jobs point at lose their address; bookings lose their contact details. Their
    /// numbers in the consent ledger, the consent states and campaign records become `hash(number)`.
    /// The customer row stays, renamed, for the jobs the business keeps.
    public func erase(
        _ customer: Customer, hash: (String) -> String, at now: Date
    ) async throws -> Erased {
        let account = customer.accountID.rawValue
        var erased = Erased()
        let phones = try await sql.select().column("e164").from("phone_contacts")
            .where("account_id", .equal, account).where("customer_id", .equal, customer.id.rawValue)
            .all().map { try $0.decode(column: "e164", as: String.self) }
        let addresses = try await sql.select().column("address").from("email_contacts")
            .where("account_id", .equal, account).where("customer_id", .equal, customer.id.rawValue)
            .all().map { try $0.decode(column: "address", as: String.self) }
        let jobIDs = try await sql.select().column("id").from("jobs")
            .where("account_id", .equal, account).where("customer_id", .equal, customer.id.rawValue)
            .all().map { try $0.decode(column: "id", as: String.self) }
        erased.numbers = phones.count
        erased.emails = addresses.count
        erased.jobsKept = jobIDs.count

        if !phones.isEmpty {
            erased.messages = try await count("messages", account: account, column: "phone", in: phones)
            erased.conversations = try await count("conversations", account: account, column: "phone", in: phones)
            // Pictures and queued sends go with their messages (ON DELETE CASCADE).
            try await sql.delete(from: "messages").where("account_id", .equal, account).where("phone", .in, phones)
                .run()
            try await sql.delete(from: "conversations").where("account_id", .equal, account)
                .where("phone", .in, phones).run()
            for phone in phones {
                let hashed = hash(phone)
                // A hashed state left by an earlier erasure of the same number gives way.
                try await sql.delete(from: "sms_consent").where("account_id", .equal, account)
                    .where("phone", .equal, hashed).run()
                for (table, column) in [
                    ("sms_consent", "phone"), ("consent_ledger", "phone"), ("campaign_recipients", "phone"),
                    ("triggered_runs", "phone"), ("triggered_runs", "subject"),
                ] {
                    try await sql.update(table).set(SQLIdentifier(column), to: hashed)
                        .where("account_id", .equal, account).where(SQLIdentifier(column), .equal, phone).run()
                }
                try await sql.update("bookings").set("contact_phone", to: SQLLiteral.null)
                    .where("account_id", .equal, account).where("contact_phone", .equal, phone).run()
            }
        }
        if !addresses.isEmpty {
            // Emails of no job to these addresses; those of the customer's jobs go below.
            try await sql.delete(from: "emails").where("account_id", .equal, account)
                .where("to_address", .in, addresses).where("job_id", .is, SQLLiteral.null).run()
        }
        if !jobIDs.isEmpty {
            // What went to the customer about their jobs, whichever number or address it used.
            erased.messages += try await count("messages", account: account, column: "job_id", in: jobIDs)
            try await sql.delete(from: "messages").where("account_id", .equal, account).where("job_id", .in, jobIDs)
                .run()
            try await sql.delete(from: "conversations").where("account_id", .equal, account)
                .where("job_id", .in, jobIDs).run()
            try await sql.delete(from: "emails").where("account_id", .equal, account).where("job_id", .in, jobIDs).run()
            // The job's own history keeps what happened, not where the notices went.
            try await sql.update("job_events").set("text", to: "On-the-way notice sent (the customer was erased).")
                .where("account_id", .equal, account).where("job_id", .in, jobIDs).where("kind", .equal, "notice").run()
            erased.trackingLinks = try await count("tracking_links", account: account, column: "job_id", in: jobIDs)
            try await sql.delete(from: "tracking_links").where("account_id", .equal, account)
                .where("job_id", .in, jobIDs).run()
        }
        erased.estimates = try await count(
            "estimates", account: account, column: "customer_id", in: [customer.id.rawValue])
        for table in [
            "estimates", "recurring_services", "servicechannel_locations", "phone_contacts", "email_contacts",
        ] {
            try await sql.delete(from: table).where("account_id", .equal, account)
                .where("customer_id", .equal, customer.id.rawValue).run()
        }
        try await sql.update("bookings").set("contact_name", to: SQLLiteral.null)
            .set("contact_phone", to: SQLLiteral.null).set("details", to: SQLLiteral.null)
            .where("account_id", .equal, account).where("customer_id", .equal, customer.id.rawValue).run()

        // Locations: those a job points at stay, blank; the rest go.
        let locationIDs = try await sql.select().column("id").from("locations")
            .where("account_id", .equal, account).where("customer_id", .equal, customer.id.rawValue)
            .all().map { try $0.decode(column: "id", as: String.self) }
        let kept = Set(
            try await sql.select().column("location_id").from("jobs").where("account_id", .equal, account)
                .where("customer_id", .equal, customer.id.rawValue)
                .all().map { try $0.decode(column: "location_id", as: String.self) })
        let removable = locationIDs.filter { !kept.contains($0) }
        erased.locationsRemoved = removable.count
        erased.locationsBlanked = locationIDs.count - removable.count
        if !removable.isEmpty {
            try await sql.delete(from: "locations").where("account_id", .equal, account).where("id", .in, removable)
                .run()
        }
        if !kept.isEmpty {
            try await sql.update("locations").set("name", to: SQLLiteral.null).set("street", to: Customer.erasedName)
                .set("unit", to: SQLLiteral.null).set("city", to: "").set("state", to: "").set("postal_code", to: "")
                .set("search_text", to: "").set("latitude", to: SQLLiteral.null).set("longitude", to: SQLLiteral.null)
                .set("notes", to: SQLLiteral.null)
                .where("account_id", .equal, account).where("id", .in, Array(kept)).run()
        }
        try await sql.update("customers").set("name", to: Customer.erasedName).set("search_name", to: "")
            .set("notes", to: SQLLiteral.null).set("tags", to: "").set("erased_at", to: now).set("updated_at", to: now)
            .where("account_id", .equal, account).where("id", .equal, customer.id.rawValue).run()
        return erased
    }

    private func count(_ table: String, account: String, column: String, in values: [String]) async throws -> Int {
        try await sql.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from(table)
            .where("account_id", .equal, account).where(SQLIdentifier(column), .in, values)
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

// MARK: Many at once (imports, OP1)

extension CustomerStore {
    public func insert(customers: [Customer]) async throws {
        try await sql.insert(customers.map(CustomerRow.init))
    }

    public func insert(locations: [ServiceLocation]) async throws {
        try await sql.insert(locations.map(LocationRow.init))
    }

    public func insert(phones: [PhoneContact]) async throws {
        try await sql.insert(phones.map(PhoneRow.init))
    }

    public func insert(emails: [EmailContact]) async throws {
        try await sql.insert(
            emails.map {
                EmailRow(
                    id: $0.id.rawValue, accountId: $0.accountID.rawValue, customerId: $0.customerID.rawValue,
                    address: $0.address.value, jobNotifications: $0.jobNotifications, createdAt: $0.createdAt)
            })
    }

    /// Which customer each of `numbers` belongs to, for those that belong to one.
    public func phoneOwners(_ numbers: [PhoneNumber], in accountID: AccountID) async throws -> [PhoneNumber: CustomerID]
    {
        var owners: [PhoneNumber: CustomerID] = [:]
        for slice in Self.slices(Array(Set(numbers.map(\.e164)))) {
            for row in try await sql.select().column("e164").column("customer_id").from("phone_contacts")
                .where("account_id", .equal, accountID.rawValue).where("e164", .in, slice).all()
            {
                owners[PhoneNumber(storedE164: try row.decode(column: "e164", as: String.self))] = CustomerID(
                    try row.decode(column: "customer_id", as: String.self))
            }
        }
        return owners
    }

    /// The living customers holding each of `addresses`: the earliest one where several do.
    public func emailOwners(
        _ addresses: [EmailAddress], in accountID: AccountID
    ) async throws
        -> [EmailAddress: CustomerID]
    {
        var owners: [EmailAddress: CustomerID] = [:]
        for slice in Self.slices(Array(Set(addresses.map(\.value)))) {
            var query: SQLQueryString = "SELECT e.address, e.customer_id FROM email_contacts e"
            query += " JOIN customers c ON c.id = e.customer_id AND c.erased_at IS NULL"
            query += " WHERE e.account_id = \(bind: accountID.rawValue) AND e.address IN (\(binds: slice))"
            // Newest first, so where two customers share an address the earliest one wins.
            query += " ORDER BY e.created_at DESC"
            let rows = try await sql.raw(query).all()
            for row in rows {
                owners[EmailAddress(storedValue: try row.decode(column: "address", as: String.self))] = CustomerID(
                    try row.decode(column: "customer_id", as: String.self))
            }
        }
        return owners
    }

    public func emails(ofCustomers ids: [CustomerID], in accountID: AccountID) async throws -> [EmailContact] {
        var emails: [EmailContact] = []
        for slice in Self.slices(ids.map(\.rawValue)) {
            emails += try await sql.select(EmailRow.self).where("account_id", .equal, accountID.rawValue)
                .where("customer_id", .in, slice).orderBy("created_at").all()
                .map { try $0.stored(EmailRow.self).email }
        }
        return emails
    }

    /// Lists cut to a size every engine binds in one statement.
    static func slices(_ values: [String], size: Int = 500) -> [[String]] {
        stride(from: 0, to: values.count, by: size).map { Array(values[$0..<min($0 + size, values.count)]) }
    }
}
