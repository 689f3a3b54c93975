import Fieldline
import FieldlineCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// `GET /live` upgraded to a WebSocket: one per browser tab, signed in with the session cookie.
/// The server pushes what changed (messages, statuses, threads, the unread count, presence); the
/// browser sends only its own presence in the conversation it has open.
enum LiveSocket {
    static let path = "/live"
    /// Presence messages a socket may send per second before the rest are ignored.
    static let presenceRate = 5
    /// How often an open socket checks its session is still there with the same access, beyond
    /// the `accessChanged` event that closes it at once (expiry, an event another server missed).
    static let sessionCheck: Duration = .seconds(15)

    static func shouldUpgrade(
        _ request: HTTPRequest, app: Fieldline, hub: LiveHub, logger: Logger
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard (request.path ?? "").split(separator: "?").first == Substring(path) else { return .dontUpgrade }
        // A page on another site must not open a socket with our visitor's cookie.
        guard let origin = request.headerFields[.origin], isOurOrigin(origin, request: request, app: app) else {
            logger.warning("Live socket refused for origin \(request.headerFields[.origin] ?? "none").")
            return .dontUpgrade
        }
        guard let token = sessionToken(in: request),
            let auth = try? await app.accounts.authenticate(token: token, kind: .web)
        else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, _ in
            let (id, stream) = hub.connect(auth)
            defer { hub.disconnect(id, from: auth.account.id) }
            let unread = LiveHub.readsChats(auth.actor) ? try? await app.inbox.unreadCount(by: auth.actor) : nil
            var hello = LiveMessage(type: "hello", count: unread, serverTime: app.clock.now())
            hello.userId = auth.user.id.rawValue
            if let text = hello.json { try await outbound.write(.text(text)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Ends when the hub finishes the stream: the person's access changed.
                    for await text in stream { try await outbound.write(.text(text)) }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: sessionCheck)
                        guard let now = try? await app.accounts.authenticate(token: token, kind: .web),
                            now.actor == auth.actor
                        else { return }
                    }
                }
                group.addTask {
                    var window = (start: Date(), count: 0)
                    for try await message in inbound.messages(maxSize: 4096) {
                        guard case .text(let text) = message,
                            let decoded = try? JSONDecoder().decode(LiveClientMessage.self, from: Data(text.utf8)),
                            decoded.type == "presence", LiveHub.readsChats(auth.actor),
                            let raw = decoded.conversationId, !raw.isEmpty, raw.count <= 64,
                            let state = decoded.state.flatMap(Presence.State.init(rawValue:))
                        else { continue }
                        let now = Date()
                        if now.timeIntervalSince(window.start) >= 1 { window = (now, 0) }
                        window.count += 1
                        guard window.count <= presenceRate else { continue }
                        await app.broadcast(
                            .presence(
                                Presence(
                                    conversationID: ConversationID(raw), userID: auth.user.id, name: auth.user.name,
                                    state: state, since: app.clock.now())), to: auth.account.id)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    static func sessionToken(in request: HTTPRequest) -> String? {
        for header in request.headerFields[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == WebCookies.session { return String(parts[1]) }
            }
        }
        return nil
    }

    /// The page's origin must be the server's public URL, or the host the browser asked for.
    static func isOurOrigin(_ origin: String, request: HTTPRequest, app: Fieldline) -> Bool {
        if origin == originOf(app.publicURL) { return true }
        guard let host = request.authority, let url = URL(string: origin) else { return false }
        let originHost = url.port.map { "\(url.host ?? ""):\($0)" } ?? (url.host ?? "")
        return originHost == host
    }

    static func originOf(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host
        else { return url }
        return components.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}
