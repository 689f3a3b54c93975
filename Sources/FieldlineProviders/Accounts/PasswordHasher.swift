import HummingbirdBcrypt
import NIOPosix

/// bcrypt with a configurable cost: production uses 12, tests a low cost to stay fast. Hashing is
/// deliberately slow, so it runs on NIO's blocking thread pool instead of tying up the few
/// cooperative threads that serve every other request.
public struct PasswordHasher: Sendable {
    public let cost: UInt8

    public init(cost: UInt8 = 12) {
        self.cost = cost
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
