import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt with a configurable cost: production uses 12, tests a low cost to stay fast. Hashing is
/// deliberately slow, so it runs on NIO's blocking thread pool instead of tying up the few
/// cooperative threads that serve every other request.
public struct PasswordHasher: Sendable {
    public let cost: UInt8

    public init(cost: UInt8 = 12) {
        self.cost = cost
    }

    /// Hashes of nothing anyone knows, one per cost, made when first needed.
    private static let decoys = Mutex<[UInt8: String]>([:])

    /// Spends the same work as `verify` and always fails: checked when an address has no account,
    /// so a wrong address takes as long to refuse as a wrong password.
    public func verifyDecoy(_ password: String) async throws -> Bool {
        let cost = self.cost
        let decoy = try await NIOThreadPool.singleton.runIfActive {
            Self.decoys.withLock { decoys in
                if let known = decoys[cost] { return known }
                let made = Bcrypt.hash(SecureTokens().token(bytes: 24), cost: cost)
                decoys[cost] = made
                return made
            }
        }
        _ = try await verify(password, against: decoy)
        return false
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
