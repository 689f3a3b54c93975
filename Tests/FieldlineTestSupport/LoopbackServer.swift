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
