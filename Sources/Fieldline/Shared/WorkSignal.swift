import Foundation
import Synchronization

/// Wakes a sleeping background worker early: signals are coalesced, and a signal sent while
/// the worker is busy is remembered for its next wait.
public final class WorkSignal: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    public init() {}

    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal or after `timeout` seconds, whichever comes first. One waiter
    /// at a time.
    public func wait(timeout: TimeInterval) async {
        let timer = Task { [weak self] in
            do {
                try await Task.sleep(for: .seconds(max(0, timeout)))
            } catch {
                return
            }
            self?.signal()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
        // A timer that fired after a real signal leaves a stale pending flag; that only costs one
        // extra loop turn.
    }
}
