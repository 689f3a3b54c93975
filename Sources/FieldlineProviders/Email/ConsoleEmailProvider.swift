import FieldlineCore
import Foundation
import Logging
import Synchronization

/// Demo mode's email: logged and kept in memory, delivered nowhere. The same idempotency key
/// answers the same id, like the real service.
public final class ConsoleEmailProvider: EmailProvider {
    public struct Sent: Sendable, Equatable {
        public var id: String
        public var email: OutgoingEmail
    }

    private let sent = Mutex<[Sent]>([])
    private let logger: Logger
    static let capacity = 500

    public init(logger: Logger) {
        self.logger = logger
    }

    public func send(_ email: OutgoingEmail) async throws(EmailSendError) -> String {
        let (id, isNew) = sent.withLock { log -> (String, Bool) in
            if let earlier = log.first(where: { $0.email.idempotencyKey == email.idempotencyKey }) {
                return (earlier.id, false)
            }
            let id = "console-" + UUID().uuidString.lowercased()
            log.append(Sent(id: id, email: email))
            if log.count > Self.capacity { log.removeFirst(log.count - Self.capacity) }
            return (id, true)
        }
        // Links in it (a tracking page, a reset link) are keys: the log shows only their start.
        if isNew {
            logger.info(
                "Console email to \(email.to): \(email.subject)\n\(LogRedaction.redactingLinks(email.text))")
        }
        return id
    }

    public var emails: [Sent] { sent.withLock { $0 } }
}
