import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit
import Synchronization

/// What a transaction wants done once it has committed, and only then: live events to publish
/// and queued texts to wake the outbox for. Collected inside `Fieldline.transaction`.
public final class AfterCommit: Sendable {
    private let state = Mutex<(events: [(AccountID, LiveEvent)], wakeOutbox: Bool)>(([], false))

    public init() {}

    public func publish(_ event: LiveEvent, to accountID: AccountID) {
        state.withLock { $0.events.append((accountID, event)) }
    }

    public func wakeOutbox() {
        state.withLock { $0.wakeOutbox = true }
    }

    func run(_ app: Fieldline) {
        let (events, wake) = state.withLock { ($0.events, $0.wakeOutbox) }
        var seen: [(AccountID, LiveEvent)] = []
        for (account, event) in events where !seen.contains(where: { $0.0 == account && $0.1 == event }) {
            seen.append((account, event))
            app.live.publish(event, to: account)
        }
        if wake { app.outboxSignal.signal() }
    }
}

extension Fieldline {
    /// One write transaction whose follow-up effects run after it committed (never after a
    /// rollback): every chat and messaging use case writes through here.
    public func transaction<T: Sendable>(
        _ body: @Sendable (any SQLDatabase, AfterCommit) async throws -> T
    ) async throws -> T {
        // The effects are collected per attempt: the database may run a body again (group commit).
        let (result, effects) = try await database.write { sql in
            let effects = AfterCommit()
            return (try await body(sql, effects), effects)
        }
        effects.run(self)
        return result
    }
}
