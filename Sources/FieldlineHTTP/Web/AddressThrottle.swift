import Foundation
import Synchronization

/// Attempts per connecting address within a scope (an account's opt-in page, the forgot-password
/// form) in a sliding window. This server's memory: behind several servers each keeps its own count.
final class AddressThrottle: Sendable {
    let limit: Int
    let window: TimeInterval
    private let attempts = Mutex<[String: [Date]]>([:])

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    func allow(_ address: String, scope: String, at now: Date) -> Bool {
        attempts.withLock { attempts in
            let key = "\(scope) \(address)"
            var recent = (attempts[key] ?? []).filter { now.timeIntervalSince($0) < window }
            defer {
                attempts[key] = recent
                if attempts.count > 10_000 { attempts = attempts.filter { !$0.value.isEmpty } }
            }
            guard recent.count < limit else { return false }
            recent.append(now)
            return true
        }
    }
}
