import Fieldline
import FieldlineCore
import Foundation
import Logging
import Synchronization

/// The browsers' live sockets, grouped by account. Each account with at least one socket on this
/// server has one subscription to `LiveEvents`; an event is turned into its JSON once and handed to
/// every socket of the account that may see it. The unread counter (CH3) is recounted at most
/// every 100 ms per account, however many texts arrive.
final class LiveHub: Sendable {
    let app: Fieldline

    struct Client: Sendable {
        var userID: UserID
        var readsChats: Bool
        var seesBoard: Bool
        /// Set for a technician with chat on: their jobs' thread events reach them (TC1, TC4).
        var technicianID: TechnicianID?
        var continuation: AsyncStream<String>.Continuation
    }

    private struct Feed {
        var clients: [UUID: Client] = [:]
        var task: Task<Void, Never>?
        var unreadPending = false
    }

    private let feeds = Mutex<[AccountID: Feed]>([:])

    /// Messages waiting for a slow socket; older ones are dropped (the page re-reads on reconnect).
    static let socketBuffer = 512
    static let unreadDelay: Duration = .milliseconds(100)

    init(app: Fieldline) {
        self.app = app
    }

    var connectedCount: Int { feeds.withLock { $0.values.reduce(0) { $0 + $1.clients.count } } }

    /// A socket joins its account's feed; its stream ends when `disconnect` is called.
    func connect(_ auth: Accounts.Authenticated) -> (UUID, AsyncStream<String>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<String>.makeStream(
            bufferingPolicy: .bufferingNewest(Self.socketBuffer))
        let client = Client(
            userID: auth.user.id, readsChats: Self.readsChats(auth.actor), seesBoard: auth.actor.can(.viewJobs),
            technicianID: Field.chatEnabled(auth.actor) ? auth.actor.technicianID : nil,
            continuation: continuation)
        let accountID = auth.account.id
        let start = feeds.withLock { feeds -> Bool in
            var feed = feeds[accountID] ?? Feed()
            feed.clients[id] = client
            let start = feed.task == nil
            feeds[accountID] = feed
            return start
        }
        if start {
            let events = app.live.subscribe(to: accountID, buffer: 4096)
            let task = Task { [weak self] in
                for await event in events {
                    guard let self else { return }
                    await self.route(event, in: accountID)
                }
            }
            feeds.withLock { $0[accountID]?.task = task }
        }
        return (id, stream)
    }

    func disconnect(_ id: UUID, from accountID: AccountID) {
        let (client, task) = feeds.withLock { feeds -> (Client?, Task<Void, Never>?) in
            guard var feed = feeds[accountID] else { return (nil, nil) }
            let client = feed.clients.removeValue(forKey: id)
            if feed.clients.isEmpty {
                feeds[accountID] = nil
                return (client, feed.task)
            }
            feeds[accountID] = feed
            return (client, nil)
        }
        client?.continuation.finish()
        task?.cancel()
    }

    /// Ends the person's sockets on this server: their streams finish and the sockets close.
    func closeSockets(of userID: UserID, in accountID: AccountID) {
        let closing = feeds.withLock { feeds -> [Client] in
            guard let feed = feeds[accountID] else { return [] }
            return feed.clients.values.filter { $0.userID == userID }
        }
        for client in closing { client.continuation.finish() }
    }

    /// Office users who may read the inbox; technicians get their own job-scoped view.
    static func readsChats(_ actor: Actor) -> Bool {
        actor.role != .technician && actor.can(.viewCustomerChats)
    }

    private func route(_ event: LiveEvent, in accountID: AccountID) async {
        switch event {
        case .accessChanged(let userID):
            closeSockets(of: userID, in: accountID)
        case .unreadChanged:
            scheduleUnreadCount(for: accountID)
        case .dispatchBoardMessage, .technicianPosition, .visitChanged:
            send(LiveMessage(event), to: accountID) { $0.seesBoard }
        case .messageCreated(let conversation?, _), .messageStatusChanged(let conversation?, _, _),
            .mediaReady(let conversation?, _), .conversationChanged(let conversation):
            let message = LiveMessage(event)
            send(message, to: accountID) { $0.readsChats }
            await sendToTechnicians(message, about: conversation, in: accountID)
        default:
            send(LiveMessage(event), to: accountID) { $0.readsChats }
        }
    }

    /// A thread's event reaches the technicians on its job and nobody else in the field; the
    /// lookup is skipped while no technician of the account is connected.
    private func sendToTechnicians(
        _ message: LiveMessage, about conversationID: ConversationID, in accountID: AccountID
    ) async {
        let connected = feeds.withLock { $0[accountID]?.clients.values.filter { $0.technicianID != nil } ?? [] }
        guard !connected.isEmpty, let text = message.json else { return }
        do {
            let following = try await app.field.technicians(following: conversationID, in: accountID)
            for client in connected where client.technicianID.map(following.contains) == true {
                client.continuation.yield(text)
            }
        } catch {
            app.logger.warning("Could not find the technicians following a thread: \(error)")
        }
    }

    private func send(_ message: LiveMessage, to accountID: AccountID, where allowed: (Client) -> Bool) {
        guard let text = message.json else { return }
        let clients = feeds.withLock { $0[accountID]?.clients.values.filter(allowed) ?? [] }
        for client in clients { client.continuation.yield(text) }
    }

    private func scheduleUnreadCount(for accountID: AccountID) {
        let schedule = feeds.withLock { feeds -> Bool in
            guard var feed = feeds[accountID], !feed.unreadPending else { return false }
            feed.unreadPending = true
            feeds[accountID] = feed
            return true
        }
        guard schedule else { return }
        Task {
            try? await Task.sleep(for: Self.unreadDelay)
            feeds.withLock { $0[accountID]?.unreadPending = false }
            do {
                let count = try await app.inbox.unreadCount(in: accountID)
                send(LiveMessage(type: "unread", count: count), to: accountID) { $0.readsChats }
            } catch {
                app.logger.warning("Could not count unread conversations: \(error)")
            }
        }
    }
}

/// What a browser receives on its live socket, as JSON: `{"type": "message", …}`.
struct LiveMessage: Encodable {
    var type: String
    var conversationId: String?
    var messageId: String?
    var status: String?
    var count: Int?
    var userId: String?
    var name: String?
    var state: String?
    var since: Date?
    var serverTime: Date?
    var technicianId: String?

    init(
        type: String, conversationId: String? = nil, messageId: String? = nil, status: String? = nil,
        count: Int? = nil, serverTime: Date? = nil
    ) {
        self.type = type
        self.conversationId = conversationId
        self.messageId = messageId
        self.status = status
        self.count = count
        self.serverTime = serverTime
    }

    init(_ event: LiveEvent) {
        switch event {
        case .messageCreated(let conversation, let message):
            self.init(type: "message", conversationId: conversation?.rawValue, messageId: message.rawValue)
        case .messageStatusChanged(let conversation, let message, let status):
            self.init(
                type: "status", conversationId: conversation?.rawValue, messageId: message.rawValue,
                status: status.rawValue)
        case .mediaReady(let conversation, let message):
            self.init(type: "media", conversationId: conversation?.rawValue, messageId: message.rawValue)
        case .conversationChanged(let conversation):
            self.init(type: "conversation", conversationId: conversation.rawValue)
        case .unreadChanged:
            self.init(type: "unread")
        case .dispatchBoardMessage(let message):
            self.init(type: "board", messageId: message.rawValue)
        case .presence(let presence):
            self.init(type: "presence", conversationId: presence.conversationID.rawValue)
            userId = presence.userID.rawValue
            name = presence.name
            state = presence.state.rawValue
            since = presence.since
        case .technicianPosition(let technician):
            self.init(type: "position")
            technicianId = technician.rawValue
        case .visitChanged(let technician):
            self.init(type: "visit")
            technicianId = technician.rawValue
        case .accessChanged:
            // Never sent: the hub closes the person's sockets instead.
            self.init(type: "access")
        }
    }

    var json: String? {
        (try? JSONCoding.encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// What a browser may send: its presence in a conversation (CH5).
struct LiveClientMessage: Decodable {
    var type: String
    var conversationId: String?
    var state: String?
}
