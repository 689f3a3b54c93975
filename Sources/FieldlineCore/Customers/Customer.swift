import Foundation

public struct Customer: Sendable, Equatable, Codable {
    public var id: CustomerID
    public var accountID: AccountID
    public var name: String
    public var notes: String?
    /// Labels the office gives customers ("vip", "maintenance plan"), for campaign audiences.
    public var tags: [String]
    public var createdAt: Date
    public var updatedAt: Date
    /// When the customer was erased (OP3): what stays is this record, named `erasedName`, for the
    /// jobs that keep pointing at it.
    public var erasedAt: Date?

    public init(
        id: CustomerID, accountID: AccountID, name: String, notes: String?, tags: [String] = [], createdAt: Date,
        updatedAt: Date, erasedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.notes = notes
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.erasedAt = erasedAt
    }

    /// What an erased customer is called from then on.
    public static let erasedName = "Erased customer"

    /// Tags as people type them, comma-separated or one per entry: trimmed, lowercased, without
    /// duplicates, in the order given.
    public static func validatedTags(_ input: [String]) throws(FieldlineError) -> [String] {
        var tags: [String] = []
        for entry in input {
            for piece in entry.split(separator: ",") {
                let tag = String(piece).trimmingWhitespace().lowercased()
                guard !tag.isEmpty else { continue }
                guard tag.count <= 40 else {
                    throw .invalid(field: "tags", message: "A tag is at most 40 characters.")
                }
                guard !tag.contains("|") else {
                    throw .invalid(field: "tags", message: "A tag cannot contain \"|\".")
                }
                if !tags.contains(tag) { tags.append(tag) }
            }
        }
        guard tags.count <= 20 else {
            throw .invalid(field: "tags", message: "A customer has at most 20 tags.")
        }
        return tags
    }
}

/// Where work happens. A verified address (geocoded and confirmed) unlocks distance and ETA on the
/// tracking page later (DN6).
public struct ServiceLocation: Sendable, Equatable, Codable {
    public var id: LocationID
    public var accountID: AccountID
    public var customerID: CustomerID
    public var name: String?
    public var address: Address
    public var verified: Bool
    public var coordinates: Coordinates?
    /// Access notes for whoever goes there: gate codes, pets, where to park.
    public var notes: String?
    public var createdAt: Date

    public init(
        id: LocationID, accountID: AccountID, customerID: CustomerID, name: String?, address: Address,
        verified: Bool, coordinates: Coordinates?, notes: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.customerID = customerID
        self.name = name
        self.address = address
        self.verified = verified
        self.coordinates = coordinates
        self.notes = notes
        self.createdAt = createdAt
    }
}

public struct Address: Sendable, Equatable, Codable {
    public var street: String
    public var unit: String?
    public var city: String
    public var state: String
    public var postalCode: String

    public init(street: String, unit: String? = nil, city: String, state: String, postalCode: String) {
        self.street = street
        self.unit = unit
        self.city = city
        self.state = state
        self.postalCode = postalCode
    }

    public static func validated(
        street: String?, unit: String?, city: String?, state: String?, postalCode: String?
    ) throws(FieldlineError) -> Address {
        let state = try Text.required(state, field: "state", label: "State", maxLength: 40)
        return Address(
            street: try Text.required(street, field: "street", label: "Street address", maxLength: 200),
            unit: try Text.optional(unit, field: "unit", label: "Unit", maxLength: 40),
            city: try Text.required(city, field: "city", label: "City", maxLength: 100),
            state: state.count == 2 ? state.uppercased() : state,
            postalCode: try Text.required(postalCode, field: "postalCode", label: "Postal code", maxLength: 20))
    }

    public var oneLine: String {
        let streetLine = [street, unit].compactMap { $0 }.joined(separator: " ")
        return "\(streetLine), \(city), \(state) \(postalCode)"
    }
}

public struct Coordinates: Sendable, Equatable, Codable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// Both or neither: a lone latitude is a typo, not a position.
    public static func validated(latitude: Double?, longitude: Double?) throws(FieldlineError) -> Coordinates? {
        switch (latitude, longitude) {
        case (nil, nil):
            return nil
        case (let latitude?, let longitude?):
            guard (-90...90).contains(latitude) else {
                throw .invalid(field: "latitude", message: "Latitude is between -90 and 90.")
            }
            guard (-180...180).contains(longitude) else {
                throw .invalid(field: "longitude", message: "Longitude is between -180 and 180.")
            }
            return Coordinates(latitude: latitude, longitude: longitude)
        default:
            throw .invalid(field: "latitude", message: "Give both latitude and longitude, or neither.")
        }
    }
}

/// Per-number choices about automatic texts (SC3). Chat replies are not governed by these.
public struct NotificationPreferences: Sendable, Equatable, Codable {
    /// Appointment reminders, "on the way" notices and other job texts.
    public var jobNotifications: Bool
    /// Promotions; only honoured together with explicit marketing consent.
    public var marketingUpdates: Bool

    public init(jobNotifications: Bool = true, marketingUpdates: Bool = false) {
        self.jobNotifications = jobNotifications
        self.marketingUpdates = marketingUpdates
    }
}

public struct PhoneContact: Sendable, Equatable, Codable {
    public var id: PhoneContactID
    public var accountID: AccountID
    public var customerID: CustomerID
    public var number: PhoneNumber
    public var kind: PhoneKind
    public var label: String?
    public var preferences: NotificationPreferences
    public var createdAt: Date

    public init(
        id: PhoneContactID, accountID: AccountID, customerID: CustomerID, number: PhoneNumber, kind: PhoneKind,
        label: String?, preferences: NotificationPreferences, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.customerID = customerID
        self.number = number
        self.kind = kind
        self.label = label
        self.preferences = preferences
        self.createdAt = createdAt
    }
}

public struct EmailContact: Sendable, Equatable, Codable {
    public var id: EmailContactID
    public var accountID: AccountID
    public var customerID: CustomerID
    public var address: EmailAddress
    public var jobNotifications: Bool
    public var createdAt: Date

    public init(
        id: EmailContactID, accountID: AccountID, customerID: CustomerID, address: EmailAddress,
        jobNotifications: Bool, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.customerID = customerID
        self.address = address
        self.jobNotifications = jobNotifications
        self.createdAt = createdAt
    }
}
