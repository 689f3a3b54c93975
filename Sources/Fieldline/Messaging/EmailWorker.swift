import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Sends queued emails. Each email's id is its idempotency key at the provider, so an email
/// whose send was cut off (a crash, a timeout) is simply sent again and still arrives once.
public final class EmailWorker: Service, Sendable {
    let app: Fieldline
    let batchSize: Int
    /// A `sending` row older than this belongs to a worker that stopped.
    let staleAfter: TimeInterval

    /// One email per claim by default: a claim is then never older than one send (at most the
    /// provider's timeout), far inside `staleAfter`, so no other worker takes it over mid-send.
    public init(app: Fieldline, batchSize: Int = 1, staleAfter: TimeInterval = 120) {
        self.app = app
        self.batchSize = batchSize
        self.staleAfter = staleAfter
    }

    public func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            while !stopping.isSet && !Task.isCancelled {
                do {
                    let sent = try await drain()
                    if sent > 0 { continue }
                    let next = try await app.database.read { sql in try await EmailStore(sql).nextDue() }
                    let wait = next.map { min(30, max(0.05, $0.timeIntervalSince(app.clock.now()))) } ?? 30
                    await app.emailSignal.wait(timeout: wait)
                } catch {
                    app.logger.error("Email worker: \(error)")
                    await app.emailSignal.wait(timeout: 2)
                }
            }
        } onGracefulShutdown: {
            stopping.set()
            self.app.emailSignal.signal()
        }
    }

    /// Sends every email due now; returns how many were settled (sent, failed or put back).
    @discardableResult
    public func drain() async throws -> Int {
        var handled = 0
        while true {
            let now = app.clock.now()
            let batch = try await app.database.write { sql in
                try await EmailStore(sql).claimDue(
                    limit: self.batchSize, at: now, staleBefore: now.addingTimeInterval(-self.staleAfter))
            }
            guard !batch.isEmpty else { return handled }
            for email in batch {
                try await send(email)
                handled += 1
            }
        }
    }

    private func send(_ email: Email) async throws {
        var settled = email
        do throws(EmailSendError) {
            let id = try await app.email.send(
                OutgoingEmail(
                    from: "\(Self.displayName(email.fromName)) <\(app.emailFrom)>", to: email.to.value,
                    subject: email.subject, html: email.html, text: email.text, idempotencyKey: email.id.rawValue))
            settled.status = .sent
            settled.providerMessageID = id
            settled.sentAt = app.clock.now()
            settled.errorMessage = nil
        } catch {
            let failure: WorkFailure =
                switch error {
                case .rejected(let message): .final(message)
                case .transient(let message, let retryAfter): .passing(message, retryAfter: retryAfter)
                }
            switch RetryPolicy.emails.outcome(of: failure, afterAttempts: email.attempts) {
            case .fail(let reason):
                settled.status = .failed
                settled.errorMessage = reason
            case .retry(let delay, let reason):
                settled.status = .queued
                settled.errorMessage = reason
                settled.notBefore = app.clock.now().addingTimeInterval(delay)
            }
        }
        if settled.status == .failed {
            app.logger.warning("Email \(email.id) failed: \(settled.errorMessage ?? "")")
        }
        let final = settled
        let recorded = try await app.database.write { sql in try await EmailStore(sql).settle(final) }
        if !recorded {
            app.logger.warning("Email \(email.id): another worker took this send over; its result stands.")
        }
    }

    /// A display name goes inside a quoted string when it has characters that mean something in
    /// an address header.
    static func displayName(_ name: String) -> String {
        let cleaned = name.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ")
        return cleaned.contains(where: { ",;:<>@()[]\\.".contains($0) }) ? "\"\(cleaned)\"" : cleaned
    }
}

/// Set once when the service is asked to stop.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
