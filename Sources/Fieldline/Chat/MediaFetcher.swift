import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Downloads the pictures and videos customers send (CH14) after their webhook was answered, with
/// the provider's credentials, and keeps them so they outlive the provider's copy.
public final class MediaFetcher: Service, Sendable {
    let app: Fieldline
    let pollInterval: TimeInterval
    private let stopping = Atomic<Bool>(false)
    private let signal = WorkSignal()

    /// A claim older than this belongs to a fetcher that stopped: longer than one download can
    /// take (the guarded fetch's timeouts), so a file is never fetched twice at once.
    let staleAfter: TimeInterval

    public init(app: Fieldline, pollInterval: TimeInterval = 2, staleAfter: TimeInterval = 300) {
        self.app = app
        self.pollInterval = pollInterval
        self.staleAfter = staleAfter
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !self.stopping.load(ordering: .relaxed) && !Task.isCancelled {
                do {
                    if try await self.fetchDue() == 0 { await self.signal.wait(timeout: self.pollInterval) }
                } catch {
                    self.app.logger.error("Media fetcher: \(error)")
                    await self.signal.wait(timeout: self.pollInterval)
                }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.signal.signal()
        }
    }

    /// Fetches the media that is due, up to `limit` files; returns how many it settled. Each file
    /// is claimed just before it is fetched: a claim's lease then covers one download, never a
    /// batch of them, so another server never takes over a file that is still being fetched.
    @discardableResult
    public func fetchDue(limit: Int = 10) async throws -> Int {
        var settled = 0
        while settled < limit {
            let now = app.clock.now()
            let claimed = try await app.database.write { sql in
                try await MessageStore(sql).claimMedia(
                    dueBy: now, staleBefore: now.addingTimeInterval(-self.staleAfter), limit: 1)
            }
            guard let (media, attempt) = claimed.first else { break }
            try await fetch(media, attempt: attempt)
            settled += 1
        }
        return settled
    }

    private func fetch(_ media: MessageMedia, attempt: Int) async throws {
        let failure: WorkFailure
        do {
            let found = try await app.database.read { sql -> (Message, SenderNumberStore.Stored?)? in
                guard let message = try await MessageStore(sql).find(media.messageID, in: media.accountID) else {
                    return nil
                }
                guard let number = try await SenderNumberStore(sql).number(message.ourNumber, in: media.accountID)
                else { return (message, nil) }
                return (message, try await SenderNumberStore(sql).find(number.id, in: media.accountID))
            }
            guard let (message, sender) = found else {
                throw MediaFetchError.permanent("The message it came with no longer exists.")
            }
            guard let sender else { throw MediaFetchError.permanent("The number it was sent to was removed.") }
            let provider = try app.sms.provider(for: sender.number.provider)
            let fetched = try await provider.fetchMedia(
                url: media.sourceURL, credentials: try app.senderNumbers.credentials(for: sender))
            try await app.database.write { sql in
                try await MessageStore(sql).storeMedia(media.id, contentType: fetched.contentType, data: fetched.data)
            }
            await app.broadcast(
                .mediaReady(conversationID: message.conversationID, messageID: message.id), to: media.accountID)
            return
        } catch MediaFetchError.permanent(let reason) {
            failure = .final(reason)
        } catch MediaFetchError.transient(let reason) {
            failure = .passing(reason)
        } catch {
            // Credentials that cannot be opened, the database failing mid-way: tried again later,
            // like any passing failure, rather than left claimed until the lease runs out.
            app.logger.warning("Fetching media \(media.id) failed: \(error)")
            failure = .passing("\(error)")
        }
        try await app.database.write { sql in
            let store = MessageStore(sql)
            switch RetryPolicy.media.outcome(of: failure, afterAttempts: attempt) {
            case .fail(let reason):
                try await store.failMedia(media.id, attempt: attempt, error: reason, retryAt: nil)
            case .retry(let delay, let reason):
                try await store.failMedia(
                    media.id, attempt: attempt, error: reason, retryAt: app.clock.now().addingTimeInterval(delay))
            }
        }
    }
}
