import Foundation

/// Distance and ETA on the tracking page (DN6). There is no routing service: the road distance is
/// the straight-line (great-circle) distance times a detour factor, driven at an urban average
/// speed. The page says "about"; once the technician is close it says "arriving now".
public struct ArrivalEstimate: Sendable, Equatable {
    /// Roads are rarely straight; 1.3 is the usual city detour ratio.
    public static let detourFactor = 1.3
    /// An urban average including lights and turns: 40 km/h.
    public static let averageSpeedMetersPerSecond = 40_000.0 / 3600
    /// Closer than this the technician is pulling up.
    public static let arrivingMeters = 150.0
    /// A position older than this no longer tells where the technician is.
    public static let staleAfter: TimeInterval = 15 * 60

    public var straightMeters: Double
    public var minutes: Int?

    public init(from technician: Coordinates, to destination: Coordinates, reportedAt: Date, now: Date) {
        straightMeters = Self.greatCircleMeters(technician, destination)
        if now.timeIntervalSince(reportedAt) > Self.staleAfter {
            minutes = nil
        } else if straightMeters < Self.arrivingMeters {
            minutes = 0
        } else {
            let seconds = straightMeters * Self.detourFactor / Self.averageSpeedMetersPerSecond
            minutes = max(1, Int((seconds / 60).rounded(.up)))
        }
    }

    public var distanceText: String {
        let miles = straightMeters / 1609.344
        if miles < 0.1 { return "\(Int((straightMeters * 3.28084 / 10).rounded()) * 10) ft" }
        if miles < 10 { return String(format: "%.1f mi", miles) }
        return "\(Int(miles.rounded())) mi"
    }

    public var etaText: String? {
        guard let minutes else { return nil }
        if minutes == 0 { return "arriving now" }
        if minutes < 60 { return "about \(minutes) min" }
        let hours = minutes / 60
        let rest = minutes % 60
        return rest == 0 ? "about \(hours) h" : "about \(hours) h \(rest) min"
    }

    /// Haversine on a sphere of the Earth's mean radius: within 0.5 % of the ellipsoid, far below
    /// the error of the detour factor.
    public static func greatCircleMeters(_ a: Coordinates, _ b: Coordinates) -> Double {
        let radius = 6_371_008.8
        let lat1 = a.latitude * .pi / 180
        let lat2 = b.latitude * .pi / 180
        let dLat = lat2 - lat1
        let dLon = (b.longitude - a.longitude) * .pi / 180
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(lat1) * cos(lat2) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * radius * asin(min(1, sqrt(h)))
    }
}

/// How long a tracking link lives and what its page shows.
public enum TrackingRules {
    /// A link works for this long after the dispatch, and never after the visit ended.
    public static let lifetime: TimeInterval = 12 * 3600
    /// 128 random bits: unguessable, short enough for a text.
    public static let tokenBytes = 16
    /// `base64url(16 bytes)` without padding.
    public static let tokenLength = 22

    public enum Phase: String, Sendable, Equatable {
        case onTheWay = "on_the_way"
        case arrived
        case finished
        case expired
    }

    /// The token of the tracking link in a notice's text, if it carries one.
    public static func token(in text: String) -> String? {
        guard let range = text.range(of: "/t/") else { return nil }
        let token = String(text[range.upperBound...].prefix(tokenLength))
        return token.count == tokenLength ? token : nil
    }

    public static func phase(
        assignment: AssignmentStatus, jobStatus: JobStatus, expiresAt: Date, now: Date
    ) -> Phase {
        if jobStatus == .canceled || now >= expiresAt { return .expired }
        switch assignment {
        case .scheduled: return .expired  // never dispatched again after an undo
        case .dispatched: return .onTheWay
        case .working: return .arrived
        case .done: return .finished
        }
    }
}
