import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit
import Synchronization

/// What a transaction wants done once it has committed, and only then: live events to publish
/// and queued texts to wake the outbox for. Collected inside `Fieldline.transaction`.
public final class AfterCommit: Sendable {
    private let state = Mutex<
        (events: [(AccountID, LiveEvent)], wakeOutbox: Bool, wakeEmail: Bool, wakeServiceChannel: Bool)
    >(([], false, false, false))

    public init() {}

    public func publish(_ event: LiveEvent, to accountID: AccountID) {
        state.withLock { $0.events.append((accountID, event)) }
    }

    public func wakeOutbox() {
        state.withLock { $0.wakeOutbox = true }
    }

    public func wakeEmail() {
        state.withLock { $0.wakeEmail = true }
    }

    public func wakeServiceChannel() {
        state.withLock { $0.wakeServiceChannel = true }
    }

    /// The events to publish, each once.
    var events: [(AccountID, LiveEvent)] {
        let all = state.withLock { $0.events }
        var seen: [(AccountID, LiveEvent)] = []
        for (account, event) in all where !seen.contains(where: { $0.0 == account && $0.1 == event }) {
            seen.append((account, event))
        }
        return seen
    }

    func run(_ app: Fieldline) {
        for (account, event) in events { app.live.publish(event, to: account) }
        if state.withLock({ $0.wakeOutbox }) { app.outboxSignal.signal() }
        if state.withLock({ $0.wakeEmail }) { app.emailSignal.signal() }
        if state.withLock({ $0.wakeServiceChannel }) { app.serviceChannelSignal.signal() }
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
            let result = try await body(sql, effects)
            // Other server processes hear of the change when it commits, not before (NOTIFY is
            // transactional).
            if let notifications = database.notifications {
                for payload in try live.payloads(effects.events) {
                    try await notifications.notify(channel: LiveEvents.channel, payload: payload, in: sql)
                }
            }
            return (result, effects)
        }
        effects.run(self)
        return result
    }
}
