import FieldlineCore
import Foundation
import Logging
import Synchronization

/// Demo mode's provider: a text "sent" is delivered at once and kept here (and in the message
/// history), so the phone simulator can play the customer without any real phone network.
public final class ConsoleProvider: SMSProvider {
    private let sent = Mutex<[SentSMS]>([])
    private let counter = Atomic<Int>(0)
    private let logger: Logger

    /// How many sent texts are kept in memory for `sentMessages`.
    static let capacity = 2000

    public init(logger: Logger) {
        self.logger = logger
    }

    public func send(_ sms: OutgoingSMS, credentials: SMSCredentials?) async throws(SMSSendError) -> AcceptedSMS {
        let sequence = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let id = "CO" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let record = SentSMS(
            providerID: id, from: sms.from.e164, to: sms.to.e164, body: sms.body, status: "delivered",
            createdAt: Date())
        sent.withLock { log in
            log.append(record)
            if log.count > Self.capacity { log.removeFirst(log.count - Self.capacity) }
        }
        logger.info(
            "Console text #\(sequence) \(sms.from.e164) → \(sms.to.e164): \(LogRedaction.redactingLinks(sms.body))")
        return AcceptedSMS(providerID: id, status: "delivered")
    }

    public func sentMessages(
        from: PhoneNumber, to: PhoneNumber, since: Date, credentials: SMSCredentials?
    ) async throws -> [SentSMS] {
        sent.withLock { log in
            log.filter { $0.from == from.e164 && $0.to == to.e164 && ($0.createdAt ?? since) >= since }.reversed()
        }
    }

    /// The demo's numbers exist only inside Fieldline.
    public func owns(_ number: PhoneNumber, credentials: SMSCredentials?) async throws -> NumberOwnership {
        .owned
    }

    public func fetchMedia(url: String, credentials: SMSCredentials?) async throws -> FetchedMedia {
        throw MediaFetchError.permanent("The demo phone does not send media.")
    }
}
