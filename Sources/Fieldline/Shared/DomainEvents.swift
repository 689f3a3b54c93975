import FieldlineCore
import Foundation
import SQLKit
import Synchronization

/// Reacts to what happened, inside the transaction that made it happen: a subscriber that records
/// follow-up work (a notification to send, a ServiceChannel update) commits or rolls back with it.
public protocol DomainEventSubscriber: Sendable {
    func handle(_ event: DomainEvent, in sql: any SQLDatabase) async throws
}

public final class DomainEvents: Sendable {
    private let subscribers = Mutex<[any DomainEventSubscriber]>([])

    public init() {}

    public func subscribe(_ subscriber: any DomainEventSubscriber) {
        subscribers.withLock { $0.append(subscriber) }
    }

    func publish(_ event: DomainEvent, in sql: any SQLDatabase) async throws {
        let current = subscribers.withLock { $0 }
        for subscriber in current {
            try await subscriber.handle(event, in: sql)
        }
    }
}
