import Foundation

/// What a technician may do with a job's customer thread from the field (TC1–TC5). The office
/// inbox is the whole account's; the field view is one job at a time, and only while the office
/// keeps the thread open.
public enum FieldChatRules {
    public enum Access: Sendable, Equatable {
        /// The technician reads the thread and replies in it.
        case granted
        /// An admin has not given this technician both chat permissions (TC1, TC5).
        case missingPermissions
        /// The technician is not on the job: it is as invisible as another account's.
        case notAssigned
        /// No conversation with the customer is tied to the job; technicians cannot start one (TC2).
        case noThread
        /// The office closed the thread; it comes back when they reopen it (TC4).
        case closed
    }

    /// Chat in the field needs both switches: viewing alone would show a thread the technician is
    /// expected to answer but cannot.
    public static func chatEnabled(_ permissions: TechnicianChatPermissions) -> Bool {
        permissions.canViewChats && permissions.canReplyChats
    }

    /// The checks in the order a person would want the reason: who you are, which job, which thread.
    public static func access(
        permissions: TechnicianChatPermissions, assignedToJob: Bool, thread: ConversationStatus?
    ) -> Access {
        guard chatEnabled(permissions) else { return .missingPermissions }
        guard assignedToJob else { return .notAssigned }
        guard let thread else { return .noThread }
        return thread == .open ? .granted : .closed
    }
}

/// Where a technician's device says it is (DN7), as reported through the API.
public struct TechnicianPosition: Sendable, Equatable, Codable {
    public var technicianID: TechnicianID
    public var accountID: AccountID
    public var latitude: Double
    public var longitude: Double
    /// The device's own estimate of its error, in metres, when it gives one.
    public var accuracyMeters: Double?
    /// When the device took the fix; may be earlier than `receivedAt` for positions sent late.
    public var recordedAt: Date
    public var receivedAt: Date

    public init(
        technicianID: TechnicianID, accountID: AccountID, latitude: Double, longitude: Double,
        accuracyMeters: Double?, recordedAt: Date, receivedAt: Date
    ) {
        self.technicianID = technicianID
        self.accountID = accountID
        self.latitude = latitude
        self.longitude = longitude
        self.accuracyMeters = accuracyMeters
        self.recordedAt = recordedAt
        self.receivedAt = receivedAt
    }

    /// A device clock may run a little ahead; more than this is a wrong clock, not a position.
    public static let allowedClockSkew: TimeInterval = 300
    /// Positions this old say nothing about where the technician is now.
    public static let oldestAccepted: TimeInterval = 24 * 3600

    /// Checks a reported fix field by field, naming the field that is wrong.
    public static func validated(
        latitude: Double?, longitude: Double?, accuracyMeters: Double?, recordedAt: Date?, now: Date
    ) throws(FieldlineError) -> (latitude: Double, longitude: Double, accuracy: Double?, recordedAt: Date) {
        guard let latitude, latitude.isFinite, (-90...90).contains(latitude) else {
            throw .invalid(field: "latitude", message: "latitude is a number of degrees between -90 and 90.")
        }
        guard let longitude, longitude.isFinite, (-180...180).contains(longitude) else {
            throw .invalid(field: "longitude", message: "longitude is a number of degrees between -180 and 180.")
        }
        if let accuracyMeters {
            guard accuracyMeters.isFinite, (0...100_000).contains(accuracyMeters) else {
                throw .invalid(
                    field: "accuracyMeters", message: "accuracyMeters is between 0 and 100000 metres when given.")
            }
        }
        let recorded = recordedAt ?? now
        guard recorded <= now.addingTimeInterval(allowedClockSkew) else {
            throw .invalid(
                field: "recordedAt", message: "recordedAt is in the future; check the device's clock.")
        }
        guard recorded >= now.addingTimeInterval(-oldestAccepted) else {
            throw .invalid(field: "recordedAt", message: "recordedAt is more than a day old.")
        }
        return (latitude, longitude, accuracyMeters, recorded)
    }
}
