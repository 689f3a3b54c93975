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

/// ServiceChannel's timestamps, read and written by hand: a page of work orders carries three
/// per work order, and building date formatters for each dominated the sync's time.
public enum ServiceChannelDate {
    /// "2026-11-23T15:04:05Z", "2026-11-23T15:04:05.123", "2026-11-23T15:04:05-06:00" … (no zone:
    /// UTC); nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8).filter { $0 != UInt8(ascii: " ") }
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<(from + count)] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }
        guard let year = number(0, 4), byte(4) == UInt8(ascii: "-"), let month = number(5, 2),
            byte(7) == UInt8(ascii: "-"), let day = number(8, 2), byte(10) == UInt8(ascii: "T"),
            let hour = number(11, 2), byte(13) == UInt8(ascii: ":"), let minute = number(14, 2),
            byte(16) == UInt8(ascii: ":"), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if byte(index) == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while let digit = byte(index), digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") {
                fraction += Double(digit - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        switch byte(index) {
        case nil:
            break
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let hours = number(index + 1, 2), byte(index + 3) == UInt8(ascii: ":"),
                let minutes = number(index + 4, 2), index + 6 == bytes.count
            else { return nil }
            offset = (hours * 3600 + minutes * 60) * (byte(index) == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// To the millisecond, rounded down: "2026-11-23T15:04:05.123Z". A cursor never lands after
    /// the work order it came from.
    public static func formatMilliseconds(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let whole = format(Date(timeIntervalSince1970: Double(milliseconds / 1000)))
        return String(whole.dropLast()) + "." + pad(Int(milliseconds % 1000), 3) + "Z"
    }

    /// The form OData filters take: "2026-11-23T15:04:05Z".
    public static func format(_ date: Date) -> String {
        let total = Int((date.timeIntervalSince1970).rounded(.down))
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        let secondsOfDay = total - days * 86400
        let (year, month, day) = civilFromDays(days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2)):"
            + "\(pad(secondsOfDay % 3600 / 60, 2)):\(pad(secondsOfDay % 60, 2))Z"
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
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
