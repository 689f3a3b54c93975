import FieldlineCore
import FieldlineStore
import Foundation
import Logging
import SQLKit
import ServiceLifecycle
import Synchronization

/// Something a screen showing the account should react to at once (CH3–CH5): the browser's live
/// socket forwards these, and tests listen to them.
public enum LiveEvent: Sendable, Equatable, Codable {
    /// A text arrived or was queued; `conversationID` is nil for texts outside the inbox.
    case messageCreated(conversationID: ConversationID?, messageID: MessageID)
    /// A text's delivery status moved.
    case messageStatusChanged(conversationID: ConversationID?, messageID: MessageID, status: DeliveryStatus)
    /// A picture or video a customer sent has been downloaded and can be shown.
    case mediaReady(conversationID: ConversationID?, messageID: MessageID)
    /// A thread was read, marked unread, closed, reopened, blocked or re-tied.
    case conversationChanged(ConversationID)
    /// Something that changes the unread counter happened.
    case unreadChanged
    /// A text from an employee or technician number reached the dispatch board (FS7).
    case dispatchBoardMessage(MessageID)
    /// Who is looking at or typing in a conversation (CH5).
    case presence(Presence)
    /// A technician's device reported where it is (DN7).
    case technicianPosition(TechnicianID)
    /// A technician's visit moved on: dispatched, arrived or done (the tracking page follows it).
    case visitChanged(TechnicianID)
    /// A person's sessions ended or what they may see changed (signed out, switched off, a new
    /// role, chat access or password): their open live sockets close at once, and a reconnect
    /// finds the session gone or sees only what the new access allows.
    case accessChanged(UserID)
}

/// One person's presence in one conversation.
public struct Presence: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        case viewing, typing, left
    }

    public var conversationID: ConversationID
    public var userID: UserID
    public var name: String
    public var state: State
    /// When they started typing (for "typing · 12 s"), or when they last said they are viewing.
    public var since: Date

    public init(conversationID: ConversationID, userID: UserID, name: String, state: State, since: Date) {
        self.conversationID = conversationID
        self.userID = userID
        self.name = name
        self.state = state
        self.since = since
    }
}

/// Account-scoped publish/subscribe for live events. In process, publishing never blocks: a
/// subscriber that falls behind loses the oldest events, and screens re-read state on reconnect.
/// Across processes (PostgreSQL), events also travel by LISTEN/NOTIFY: a transaction's events are
/// notified inside it, so other servers hear of a change exactly when it committed.
public final class LiveEvents: Sendable {
    private struct Subscriber {
        var accountID: AccountID
        var continuation: AsyncStream<LiveEvent>.Continuation
    }

    /// The NOTIFY channel the servers share.
    public static let channel = "fieldline_live"

    /// Identifies this process's own notifications, which it has delivered already.
    public let nodeID = UUID().uuidString.lowercased()
    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    /// Whether this process is hearing the other servers' events right now (PostgreSQL only).
    let relaying = Mutex(false)
    public var isRelaying: Bool { relaying.withLock { $0 } }

    public init() {}

    /// Delivers to this process's subscribers of the account.
    public func publish(_ event: LiveEvent, to accountID: AccountID) {
        let targets = subscribers.withLock { all in all.values.filter { $0.accountID == accountID } }
        for target in targets { target.continuation.yield(event) }
    }

    /// The events of one account from now on. The stream ends when the subscription is dropped.
    public func subscribe(to accountID: AccountID, buffer: Int = 256) -> AsyncStream<LiveEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<LiveEvent>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = Subscriber(accountID: accountID, continuation: continuation) }
        return stream
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }

    // MARK: Between processes

    struct Envelope: Codable {
        var origin: String
        var account: String
        var events: [LiveEvent]
    }

    /// The NOTIFY payloads carrying `events` (split so each stays under PostgreSQL's 8,000 bytes).
    func payloads(_ events: [(AccountID, LiveEvent)]) throws -> [String] {
        var payloads: [String] = []
        for (account, group) in Dictionary(grouping: events, by: \.0) {
            var chunk: [LiveEvent] = []
            for (_, event) in group {
                chunk.append(event)
                if chunk.count == 20 {
                    payloads.append(try Self.encode(Envelope(origin: nodeID, account: account.rawValue, events: chunk)))
                    chunk = []
                }
            }
            if !chunk.isEmpty {
                payloads.append(try Self.encode(Envelope(origin: nodeID, account: account.rawValue, events: chunk)))
            }
        }
        return payloads
    }

    /// A payload another process notified; its own are ignored (they were delivered at once).
    func receive(_ payload: String) {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(payload.utf8)),
            envelope.origin != nodeID
        else { return }
        for event in envelope.events { publish(event, to: AccountID(envelope.account)) }
    }

    static func encode(_ envelope: Envelope) throws -> String {
        String(decoding: try JSONEncoder().encode(envelope), as: UTF8.self)
    }
}

extension Fieldline {
    /// Publishes an event that is not part of a transaction (presence, a downloaded file): here at
    /// once, and to the other server processes when there are any.
    public func broadcast(_ event: LiveEvent, to accountID: AccountID) async {
        live.publish(event, to: accountID)
        guard let notifications = database.notifications else { return }
        do {
            for payload in try live.payloads([(accountID, event)]) {
                try await database.read { sql in
                    try await notifications.notify(channel: LiveEvents.channel, payload: payload, in: sql)
                }
            }
        } catch {
            logger.warning("Could not pass a live event to the other servers: \(error)")
        }
    }
}

/// Relays the other server processes' live events to this one's subscribers (PostgreSQL only;
/// SQLite serves a single process). Reconnects after a lost connection.
public struct LiveEventRelay: Service {
    let app: Fieldline

    public init(app: Fieldline) {
        self.app = app
    }

    public func run() async throws {
        guard let notifications = app.database.notifications else {
            // Nothing to relay, but a service that returns early would stop the whole server.
            try? await gracefulShutdown()
            return
        }
        // Listening never ends by itself: graceful shutdown cancels it.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await notifications.listen(
                        channel: LiveEvents.channel, listening: { app.live.relaying.withLock { $0 = true } }
                    ) { payload in
                        app.live.receive(payload)
                    }
                    app.live.relaying.withLock { $0 = false }
                } catch {
                    app.live.relaying.withLock { $0 = false }
                    if Task.isCancelled { break }
                    app.logger.warning("Live event relay lost its connection (\(error)); reconnecting.")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
