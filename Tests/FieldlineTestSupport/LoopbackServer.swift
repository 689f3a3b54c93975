import Hummingbird
import Logging
import Synchronization

/// Runs a fake provider's router on 127.0.0.1 on a free port: what every fake in this module needs.
enum LoopbackServer {
    /// Starts `router`, returns the task running it (cancel to stop) and the port it listens on.
    static func start(_ router: Router<BasicRequestContext>, label: String) async -> (Task<Void, any Error>, Int) {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let (ready, readyContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                readyContinuation.yield(channel.localAddress?.port ?? 0)
                readyContinuation.finish()
            }, logger: logger)
        let task = Task { try await app.run() }
        var port = 0
        for await value in ready {
            port = value
            break
        }
        return (task, port)
    }
}

/// The server a fake runs on: started on a free port, stopped by cancelling its task.
final class LoopbackRunner: Sendable {
    private let state = Mutex<(task: Task<Void, any Error>?, port: Int)>((nil, 0))

    func start(_ router: Router<BasicRequestContext>, label: String) async {
        let (task, port) = await LoopbackServer.start(router, label: label)
        state.withLock { $0 = (task, port) }
    }

    var port: Int { state.withLock { $0.port } }

    func stop() async {
        let task = state.withLock { $0.task }
        task?.cancel()
        _ = try? await task?.value
    }
}

/// A fake provider that can be started and stopped.
public protocol LoopbackFake: Sendable {
    func start() async throws
    func stop() async
}

extension LoopbackFake {
    /// Runs `body` with the fake started, and stops it afterwards whether or not `body` throws.
    func run<T: Sendable>(_ body: (Self) async throws -> T) async throws -> T {
        try await start()
        do {
            let result = try await body(self)
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }
}
