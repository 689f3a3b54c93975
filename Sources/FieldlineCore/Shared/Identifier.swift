import Foundation

/// A typed identifier: a `CustomerID` can never be passed where a `JobID` is expected.
/// The raw value is an opaque string so both engines store it the same way.
public struct Identifier<Entity>: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// A new random identifier (a lowercase UUID).
    public static func generate() -> Self {
        Self(UUID().uuidString.lowercased())
    }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

public typealias AccountID = Identifier<Account>
public typealias UserID = Identifier<User>
public typealias CustomerID = Identifier<Customer>
public typealias LocationID = Identifier<ServiceLocation>
public typealias PhoneContactID = Identifier<PhoneContact>
public typealias EmailContactID = Identifier<EmailContact>
public typealias TechnicianID = Identifier<Technician>
public typealias JobID = Identifier<Job>
public typealias AppointmentID = Identifier<Appointment>
public typealias AssignmentID = Identifier<Assignment>
public typealias BookingID = Identifier<Booking>
public typealias CampaignID = Identifier<Campaign>
public typealias EstimateID = Identifier<Estimate>
public typealias RecurringServiceID = Identifier<RecurringService>
