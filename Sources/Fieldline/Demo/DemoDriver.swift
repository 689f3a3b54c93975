import FieldlineCore
import FieldlineStore
import Foundation
import Logging
import ServiceLifecycle

/// Demo mode only: plays the phones of dispatched technicians, so the tracking page moves. Every
/// few seconds each technician on the way to a confirmed address reports a position a little
/// closer to it, through the same store and live event as a real device (DN7). It stops short of
/// the door: arriving stays a person's action.
public struct DemoDriver: Service {
    let app: Fieldline
    let interval: Duration
    /// How far a simulated van moves per report (about 40 km/h at the default interval).
    let step: Double = 55
    /// Where a technician without a recent fix starts: this far from the destination.
    let startDistance: Double = 3500

    public init(app: Fieldline, interval: Duration = .seconds(5)) {
        self.app = app
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await tick()
            } catch {
                app.logger.warning("Demo driver: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    func tick() async throws {
        guard let account = try await app.accounts.demoAccount() else { return }
        let now = app.clock.now()
        try await app.transaction { sql, effects in
            let field = FieldStore(sql)
            for (technicianID, destination) in try await DispatchStore(sql).visitsOnTheWay(in: account.id) {
                guard let destination else { continue }
                let last = try await field.latestPosition(of: technicianID, in: account.id)
                var here: Coordinates
                if let last, now.timeIntervalSince(last.recordedAt) < 600 {
                    here = Coordinates(latitude: last.latitude, longitude: last.longitude)
                } else {
                    // North-west of the address: the vans start from the shop.
                    let offset = startDistance / 111_195 / 1.414
                    here = Coordinates(
                        latitude: destination.latitude + offset, longitude: destination.longitude - offset)
                }
                let remaining = ArrivalEstimate.greatCircleMeters(here, destination)
                guard remaining > 80 else { continue }
                let fraction = min(step, remaining - 60) / remaining
                here = Coordinates(
                    latitude: here.latitude + (destination.latitude - here.latitude) * fraction,
                    longitude: here.longitude + (destination.longitude - here.longitude) * fraction)
                try await field.insert(
                    TechnicianPosition(
                        technicianID: technicianID, accountID: account.id, latitude: here.latitude,
                        longitude: here.longitude, accuracyMeters: 12, recordedAt: now, receivedAt: now))
                effects.publish(.technicianPosition(technicianID), to: account.id)
            }
        }
    }
}
