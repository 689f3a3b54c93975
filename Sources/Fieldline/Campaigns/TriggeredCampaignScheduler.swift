import FieldlineCore
import FieldlineStore
import Foundation
import Logging
import ServiceLifecycle

/// Sends the estimate follow-ups and service reminders that have come due, once a minute. They
/// are counted in days, so a minute late is on time; every server may run it (each text is
/// claimed before it goes).
public final class TriggeredCampaignScheduler: Service, Sendable {
    let app: Fieldline
    let interval: TimeInterval

    public init(app: Fieldline, interval: TimeInterval = 60) {
        self.app = app
        self.interval = interval
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval, logger: app.logger, label: "Triggered campaigns") { [app] in
            try await app.triggeredCampaigns.runDue()
        }
    }
}
