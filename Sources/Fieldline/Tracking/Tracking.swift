import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation

/// The public arrival-tracking page behind an "on the way" notice (DN6). The token is the only key:
/// no sign-in, so the view holds only what the customer may see. An unverified address shows the
/// technician and the address; only a verified one adds where the technician is.
public struct Tracking: Sendable {
    let app: Fieldline

    public struct View: Sendable, Equatable {
        public var phase: TrackingRules.Phase
        public var accountID: AccountID
        public var technicianID: TechnicianID
        public var companyName: String
        /// The business's texting number, for the customer to call or text back; nil when it has none.
        public var companyPhone: PhoneNumber?
        public var technicianName: String
        public var technicianInitials: String
        public var technicianPhotoURL: String
        /// Only at 4 stars or more (DN4).
        public var technicianRating: Double?
        public var address: String
        public var verified: Bool
        /// Verified addresses only.
        public var destination: Coordinates?
        /// Verified addresses only, and only fixes reported since the dispatch.
        public var position: Coordinates?
        public var positionRecordedAt: Date?
        public var estimate: ArrivalEstimate?
        public var arrivalWindow: String
        public var arrivedAt: Date?
        public var arrivedAtText: String?
        public var expiresAt: Date
    }

    /// The page behind a token; unknown and expired tokens are the same "not found", so the answer
    /// tells nothing about which tokens once existed.
    public func view(token: String) async throws -> View {
        guard token.count == TrackingRules.tokenLength,
            token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { throw Self.notFound }
        return try await app.database.read { sql in
            guard let link = try await DispatchStore(sql).link(digest: SecureTokens.digest(token)) else {
                throw Self.notFound
            }
            let jobs = JobStore(sql)
            guard let job = try await jobs.find(link.jobID, in: link.accountID),
                let assignment = try await jobs.assignment(link.assignmentID, in: link.accountID),
                let appointment = try await jobs.appointment(assignment.appointmentID, in: link.accountID),
                let technician = try await TechnicianStore(sql).find(link.technicianID, in: link.accountID),
                let location = try await CustomerStore(sql).location(job.locationID, in: link.accountID),
                let account = try await AccountStore(sql).find(link.accountID)
            else { throw Self.notFound }
            let now = app.clock.now()
            let phase = TrackingRules.phase(
                assignment: assignment.status, jobStatus: job.status, expiresAt: link.expiresAt, now: now)
            guard phase != .expired else { throw Self.notFound }
            let text = TimeText(timeZoneIdentifier: account.timeZone)
            var view = View(
                phase: phase, accountID: link.accountID, technicianID: technician.id, companyName: account.name,
                companyPhone: try await SenderNumberStore(sql).defaultNumber(in: link.accountID)?.number,
                technicianName: technician.name, technicianInitials: technician.initials,
                technicianPhotoURL: technician.photoURL ?? Avatar.path(for: technician.id),
                technicianRating: technician.publicRating, address: location.address.oneLine,
                verified: location.verified && location.coordinates != nil, destination: nil, position: nil,
                positionRecordedAt: nil, estimate: nil,
                arrivalWindow: text.range(appointment.arrivalWindow.start, appointment.arrivalWindow.end),
                arrivedAt: assignment.arrivedAt, arrivedAtText: assignment.arrivedAt.map(text.time),
                expiresAt: link.expiresAt)
            guard view.verified, let destination = location.coordinates else { return view }
            view.destination = destination
            // Only fixes since the dispatch, and none while the technician works at another
            // visit: where they were before is the previous customer's business.
            if phase == .onTheWay, let dispatchedAt = assignment.dispatchedAt,
                try await !DispatchStore(sql).isWorking(
                    technician.id, elsewhereThan: assignment.id, in: link.accountID),
                let fix = try await FieldStore(sql).latestPosition(of: technician.id, in: link.accountID),
                fix.recordedAt >= dispatchedAt
            {
                let here = Coordinates(latitude: fix.latitude, longitude: fix.longitude)
                view.position = here
                view.positionRecordedAt = fix.recordedAt
                view.estimate = ArrivalEstimate(from: here, to: destination, reportedAt: fix.recordedAt, now: now)
            }
            return view
        }
    }

    static let notFound = FieldlineError.notFound(entity: "tracking link", id: "")
}
