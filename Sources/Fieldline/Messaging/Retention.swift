import FieldlineCore
import FieldlineStore
import Foundation
import Logging
import ServiceLifecycle

/// Message retention (OP3): in accounts that keep texts for a limited time, the words and
/// pictures of older messages are removed, a batch at a time; the messages themselves, their
/// delivery history and the consent ledger stay.
public struct Retention: Sendable {
    let app: Fieldline

    static let batch = 500

    /// One sweep over every account with a retention; how many messages lost their words.
    @discardableResult
    public func sweep() async throws -> Int {
        let now = app.clock.now()
        let accounts = try await app.database.read { sql in try await AccountStore(sql).retentions() }
        var total = 0
        for (accountID, months) in accounts {
            guard let cutoff = Calendar(identifier: .gregorian).date(byAdding: .month, value: -months, to: now) else {
                continue
            }
            while true {
                let redacted = try await app.database.write { sql in
                    try await MessageStore(sql).redact(before: cutoff, in: accountID, at: now, limit: Self.batch)
                }
                total += redacted
                if redacted < Self.batch { break }
            }
        }
        if total > 0 { app.logger.info("Retention removed the words and pictures of \(total) messages.") }
        return total
    }
}

/// Runs the retention sweep hourly (every server may: each batch is its own transaction, and a
/// message already swept is skipped).
public final class RetentionSweeper: Service, Sendable {
    let app: Fieldline
    let interval: TimeInterval

    public init(app: Fieldline, interval: TimeInterval = 3600) {
        self.app = app
        self.interval = interval
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval, logger: app.logger, label: "Retention") { [app] in
            try await app.retention.sweep()
        }
    }
}
