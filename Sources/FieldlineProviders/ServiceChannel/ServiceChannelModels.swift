import Foundation

/// Where a ServiceChannel account lives: production or the SB2 sandbox (or, in tests, the fake).
public struct ServiceChannelEndpoints: Sendable, Equatable {
    /// The API root, e.g. https://api.servicechannel.com/v3.
    public var apiBase: String
    public var tokenURL: String

    public init(apiBase: String, tokenURL: String) {
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.tokenURL = tokenURL
    }

    public static let production = ServiceChannelEndpoints(
        apiBase: "https://api.servicechannel.com/v3", tokenURL: "https://login.servicechannel.com/oauth/token")
    public static let sandbox = ServiceChannelEndpoints(
        apiBase: "https://sb2api.servicechannel.com/v3", tokenURL: "https://sb2login.servicechannel.com/oauth/token")
}

/// The client key and secret of the integration, and the API user it acts as.
public struct ServiceChannelCredentials: Sendable, Equatable {
    public var clientID: String
    public var clientSecret: String
    public var username: String
    public var password: String

    public init(clientID: String, clientSecret: String, username: String, password: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.username = username
        self.password = password
    }
}

/// ServiceChannel's limits (SV14): one token request per 5 seconds per user, and a budget of
/// calls per minute per client key (300 in production, 40 in the sandbox).
public struct ServiceChannelLimits: Sendable, Equatable {
    public var callsPerMinute: Int
    public var tokenInterval: TimeInterval
    /// Throttled answers (429) retried after their Retry-After before giving up.
    public var throttleRetries: Int

    public init(callsPerMinute: Int = 300, tokenInterval: TimeInterval = 5, throttleRetries: Int = 3) {
        self.callsPerMinute = callsPerMinute
        self.tokenInterval = tokenInterval
        self.throttleRetries = throttleRetries
    }

    public static let production = ServiceChannelLimits()
    public static let sandbox = ServiceChannelLimits(callsPerMinute: 40)
}

/// Why a call did not do what was asked.
public enum ServiceChannelError: Error, Sendable, Equatable {
    /// The token endpoint refused the client key, secret or API user.
    case authentication(String)
    /// ServiceChannel refused the request (a 4xx with its error body): `code` is its ErrorCode or
    /// the first of its ErrorCodes (e.g. "904", a work order not in a status that allows it).
    case refused(status: Int, code: String?, message: String)
    /// No such record — or one written in the last half minute that the read replica has not
    /// seen yet.
    case notFound(code: String?, message: String)
    /// Still throttled after the retries; try again after `retryAfter` seconds.
    case throttled(retryAfter: TimeInterval)
    /// The network or ServiceChannel failed (5xx, timeout): safe to retry later.
    case unavailable(String)

    public var message: String {
        switch self {
        case .authentication(let message), .unavailable(let message): message
        case .refused(_, _, let message), .notFound(_, let message): message
        case .throttled(let seconds): "ServiceChannel is throttling calls; retry in \(Int(seconds.rounded(.up))) s."
        }
    }
}

/// A work order as `/odata/workorders` returns it; only the fields Fieldline uses, each optional
/// where ServiceChannel leaves it out.
public struct ServiceChannelWorkOrder: Sendable, Equatable, Codable {
    public struct Party: Sendable, Equatable, Codable {
        public var id: Int
        public var name: String?

        public init(id: Int, name: String? = nil) {
            self.id = id
            self.name = name
        }

        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case name = "Name"
        }
    }

    public struct Location: Sendable, Equatable, Codable {
        public var id: Int
        public var storeID: String?
        public var name: String?
        public var address1: String?
        public var city: String?
        public var state: String?
        public var zip: String?
        public var latitude: Double?
        public var longitude: Double?
        public var timeZone: String?

        public init(
            id: Int, storeID: String? = nil, name: String? = nil, address1: String? = nil, city: String? = nil,
            state: String? = nil, zip: String? = nil, latitude: Double? = nil, longitude: Double? = nil,
            timeZone: String? = nil
        ) {
            self.id = id
            self.storeID = storeID
            self.name = name
            self.address1 = address1
            self.city = city
            self.state = state
            self.zip = zip
            self.latitude = latitude
            self.longitude = longitude
            self.timeZone = timeZone
        }

        enum CodingKeys: String, CodingKey {
            case id = "Id"
            case storeID = "StoreId"
            case name = "Name"
            case address1 = "Address1"
            case city = "City"
            case state = "State"
            case zip = "Zip"
            case latitude = "Latitude"
            case longitude = "Longitude"
            case timeZone = "TimeZoneIanaName"
        }
    }

    public struct Status: Sendable, Equatable, Codable {
        public var primary: String
        public var extended: String?

        public init(primary: String, extended: String? = nil) {
            self.primary = primary
            self.extended = extended
        }

        enum CodingKeys: String, CodingKey {
            case primary = "Primary"
            case extended = "Extended"
        }
    }

    public struct Currency: Sendable, Equatable, Codable {
        public var alphabeticalCode: String?

        public init(alphabeticalCode: String?) {
            self.alphabeticalCode = alphabeticalCode
        }

        enum CodingKeys: String, CodingKey {
            case alphabeticalCode = "AlphabeticalCode"
        }
    }

    public var id: Int
    public var number: String
    public var purchaseNumber: String?
    public var subscriber: Party
    public var location: Location
    public var status: Status
    public var priority: String?
    public var trade: String?
    public var category: String?
    public var description: String?
    public var nte: Double?
    public var currency: Currency?
    public var scheduledDate: String?
    public var updatedDate: String
    public var createdDate: String?
    public var isInvoiced: Bool?

    public init(
        id: Int, number: String, purchaseNumber: String? = nil, subscriber: Party, location: Location, status: Status,
        priority: String? = nil, trade: String? = nil, category: String? = nil, description: String? = nil,
        nte: Double? = nil, currency: Currency? = nil, scheduledDate: String? = nil, updatedDate: String,
        createdDate: String? = nil, isInvoiced: Bool? = nil
    ) {
        self.id = id
        self.number = number
        self.purchaseNumber = purchaseNumber
        self.subscriber = subscriber
        self.location = location
        self.status = status
        self.priority = priority
        self.trade = trade
        self.category = category
        self.description = description
        self.nte = nte
        self.currency = currency
        self.scheduledDate = scheduledDate
        self.updatedDate = updatedDate
        self.createdDate = createdDate
        self.isInvoiced = isInvoiced
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case number = "Number"
        case purchaseNumber = "PurchaseNumber"
        case subscriber = "Subscriber"
        case location = "Location"
        case status = "Status"
        case priority = "Priority"
        case trade = "Trade"
        case category = "Category"
        case description = "Description"
        case nte = "Nte"
        case currency = "Currency"
        case scheduledDate = "ScheduledDate"
        case updatedDate = "UpdatedDate"
        case createdDate = "CreatedDate"
        case isInvoiced = "IsInvoiced"
    }

    /// `UpdatedDate` as an instant: ServiceChannel writes ISO 8601, sometimes without a zone
    /// (then UTC) and with or without fractions of a second.
    public var updatedAt: Date? { ServiceChannelDate.parse(updatedDate) }
}

/// A note on a work order.
public struct ServiceChannelNote: Sendable, Equatable, Codable {
    public var id: Int
    public var text: String
    public var actionRequired: Bool
    public var createdBy: String?
    public var dateCreated: String?

    public init(id: Int, text: String, actionRequired: Bool, createdBy: String?, dateCreated: String?) {
        self.id = id
        self.text = text
        self.actionRequired = actionRequired
        self.createdBy = createdBy
        self.dateCreated = dateCreated
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case text = "NoteData"
        case actionRequired = "ActionRequired"
        case createdBy = "CreatedBy"
        case dateCreated = "DateCreated"
    }
}

/// Why a work order is declined (ServiceChannel's DeclineReasonId).
public enum ServiceChannelDeclineReason: Int, Sendable, CaseIterable {
    case cannotMakeETA = 1
    case tradeNotServiced = 2
    case locationNotServiced = 3
    case notUnderWarranty = 4
    case other = 5
    case nteTooLow = 6

    public var label: String {
        switch self {
        case .cannotMakeETA: "Can't make the ETA"
        case .tradeNotServiced: "Trade not serviced"
        case .locationNotServiced: "Location not serviced"
        case .notUnderWarranty: "Not under warranty"
        case .other: "Other"
        case .nteTooLow: "Not-to-exceed too low"
        }
    }
}

public enum ServiceChannelDate {
    /// "2026-11-23T15:04:05Z", "2026-11-23T15:04:05.123", "2026-11-23T15:04:05-06:00" …
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        for candidate in [trimmed, trimmed + "Z"] {
            if let date = plain.date(from: candidate) ?? withFraction.date(from: candidate) { return date }
        }
        return nil
    }

    /// To the millisecond, rounded down: "2026-11-23T15:04:05.123Z". A cursor never lands after
    /// the work order it came from.
    public static func formatMilliseconds(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = Date(timeIntervalSince1970: Double(milliseconds / 1000))
        let whole = format(seconds)
        let fraction = String(format: "%03d", Int(milliseconds % 1000))
        return String(whole.dropLast()) + "." + fraction + "Z"
    }

    /// The form OData filters take: "2026-11-23T15:04:05Z".
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// Where a poll goes on from: the UpdatedDate and Id of the last work order read (no Id: from that
/// instant on, inclusive).
public struct ServiceChannelCursor: Sendable, Equatable {
    public var updated: Date
    public var id: Int?

    public init(updated: Date, id: Int?) {
        self.updated = updated
        self.id = id
    }

    /// After the last work order of a page that has a readable UpdatedDate, to the millisecond.
    public init?(after page: [ServiceChannelWorkOrder]) {
        guard let last = page.last(where: { $0.updatedAt != nil }), let updated = last.updatedAt else { return nil }
        self.updated = Date(timeIntervalSince1970: (updated.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        self.id = last.id
    }
}
