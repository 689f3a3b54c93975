import FieldlineCore
import FieldlineStore
import Foundation
import Logging
import ServiceLifecycle

/// Starts campaigns when their time comes (and takes over a campaign whose server stopped while
/// queuing it). Woken at once by "send now"; otherwise it sleeps until the next scheduled one.
public final class CampaignScheduler: Service, Sendable {
    let app: Fieldline

    public init(app: Fieldline) {
        self.app = app
    }

    public func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            while !stopping.isSet && !Task.isCancelled {
                do {
                    try await app.campaigns.queueDue()
                    let next = try await app.database.read { sql in try await CampaignStore(sql).nextScheduledAt() }
                    // A stale lease is looked for at least every 30 s.
                    let wait = next.map { min(30, max(0.05, $0.timeIntervalSince(app.clock.now()))) } ?? 30
                    await app.campaignSignal.wait(timeout: wait)
                } catch {
                    app.logger.error("Campaign scheduler: \(error)")
                    await app.campaignSignal.wait(timeout: 5)
                }
            }
        } onGracefulShutdown: {
            stopping.set()
            self.app.campaignSignal.signal()
        }
    }
}
