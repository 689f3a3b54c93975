import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// A browser tab's live socket, for tests. It sends exactly the handshake headers given (a browser
/// sends one `Origin` and its cookie), so the server's origin and session checks are exercised as
/// they are in a browser; then it collects the text frames the server pushes.
final class LiveTestClient: Sendable {
    /// The raw JSON texts pushed so far, in arrival order.
    let received = Mutex<[String]>([])
    /// `nil` while connecting, then whether the server accepted the upgrade.
    let connected = Mutex<Bool?>(nil)
    /// Set once an accepted socket has ended (the server closed it, or `close`).
    let ended = Mutex(false)
    private let outgoing: AsyncStream<String>.Continuation
    private let outgoingStream: AsyncStream<String>
    private let task = Mutex<Task<Void, Never>?>(nil)

    init() {
        (outgoingStream, outgoing) = AsyncStream<String>.makeStream()
    }

    private enum Handshake {
        case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    func connect(port: Int, cookie: String?, origin: String?) {
        var headers = HTTPHeaders([("Host", "127.0.0.1:\(port)")])
        if let cookie { headers.add(name: "Cookie", value: cookie) }
        if let origin { headers.add(name: "Origin", value: origin) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/live", headers: headers)
        let outgoingStream = self.outgoingStream
        let task = Task {
            do {
                let handshake = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let upgrader = NIOTypedWebSocketClientUpgrader<Handshake> { channel, _ in
                                channel.eventLoop.makeCompletedFuture {
                                    .upgraded(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                                }
                            }
                            let upgrade = NIOTypedHTTPClientUpgradeConfiguration<Handshake>(
                                upgradeRequestHead: head, upgraders: [upgrader],
                                notUpgradingCompletionHandler: { $0.eventLoop.makeSucceededFuture(.refused) })
                            var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                                upgradeConfiguration: upgrade)
                            // The server's first frame often arrives in the same read as its 101
                            // answer; NIO drops such bytes unless told to hand them on.
                            configuration.leftOverBytesStrategy = .forwardBytes
                            return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                                configuration: configuration)
                        }
                    }
                guard case .upgraded(let channel) = try await handshake.get() else {
                    connected.withLock { $0 = false }
                    return
                }
                connected.withLock { $0 = true }
                try await channel.executeThenClose { inbound, outbound in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in outgoingStream {
                                let frame = WebSocketFrame(
                                    fin: true, opcode: .text, maskKey: .random(),
                                    data: ByteBuffer(string: text))
                                try await outbound.write(frame)
                            }
                        }
                        group.addTask {
                            for try await frame in inbound {
                                if frame.opcode == .connectionClose { return }
                                guard frame.opcode == .text else { continue }
                                let text = String(buffer: frame.unmaskedData)
                                self.received.withLock { $0.append(text) }
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
                ended.withLock { $0 = true }
            } catch {
                ended.withLock { $0 = true }
                connected.withLock { if $0 == nil { $0 = false } }
            }
        }
        self.task.withLock { $0 = task }
    }

    /// Waits (up to `timeout` seconds) for a pushed message matching `predicate`; `nil` if none
    /// came or the server refused the socket. Generous by default: CI runs every suite at once on
    /// two cores, and a late message is not what these tests are about.
    func waitFor(
        timeout: Double = 10, _ predicate: @escaping ([String: Any]) -> Bool
    ) async throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let texts = received.withLock { $0 }
            let objects = texts.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            if let found = objects.first(where: predicate) { return found }
            if connected.withLock({ $0 }) == false { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Opens a socket and waits for the server's `hello`, which also means the server has the socket
    /// registered for pushes.
    static func connectedWithHello(
        port: Int, cookie: String?, origin: String?
    ) async throws -> (LiveTestClient, [String: Any]?) {
        let client = LiveTestClient()
        client.connect(port: port, cookie: cookie, origin: origin)
        return (client, try await client.waitFor { $0["type"] as? String == "hello" })
    }

    /// Waits (up to `timeout` seconds) for the server to end the socket; whether it did.
    func waitUntilEnded(timeout: Double = 10) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if ended.withLock({ $0 }) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func send(_ object: [String: String]) throws {
        outgoing.yield(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    func close() {
        outgoing.finish()
        task.withLock { $0?.cancel() }
    }
}
