import Hummingbird
import Synchronization

/// A service on loopback that nothing outside the server may reach through it (an admin page, a
/// cloud metadata endpoint): it counts every request, so a test can show none arrived.
public final class InternalService: LoopbackFake {
    private let hits = Mutex(0)
    private let server = LoopbackRunner()

    public init() {}

    public var requests: Int { hits.withLock { $0 } }

    public var baseURL: String { "http://127.0.0.1:\(server.port)" }

    public func start() async throws {
        let router = Router()
        router.get("/**") { _, _ -> String in
            self.hits.withLock { $0 += 1 }
            return "internal secret"
        }
        await server.start(router, label: "internal-service")
    }

    public func stop() async {
        await server.stop()
    }

    /// Runs `body` with the service up, stopped afterwards.
    public static func running<T: Sendable>(_ body: (InternalService) async throws -> T) async throws -> T {
        try await InternalService().run(body)
    }
}
