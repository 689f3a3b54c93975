import Foundation
import Logging
import ServiceLifecycle

/// Runs `work` at once and then every `interval` seconds until the service is asked to stop (or
/// its task is cancelled). An error is logged under `label` and the next round comes as usual:
/// one bad round must not end a background service.
func repeatUntilShutdown(
    every interval: TimeInterval, logger: Logger, label: String, _ work: @escaping @Sendable () async throws -> Void
) async {
    let stopping = StopFlag()
    let wake = WorkSignal()
    await withGracefulShutdownHandler {
        while !stopping.isSet && !Task.isCancelled {
            do {
                try await work()
            } catch {
                logger.error("\(label): \(error)")
            }
            await wake.wait(timeout: interval)
        }
    } onGracefulShutdown: {
        stopping.set()
        wake.signal()
    }
}
