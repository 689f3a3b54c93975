import Foundation

/// Guessing passwords is slowed per email address: after `maxFailures` wrong attempts within
/// `window`, that address cannot sign in until the oldest of them has aged out of the window. The
/// same applies to addresses that have no account, so the answer never tells which ones exist.
public enum SignInThrottle {
    public static let maxFailures = 5
    public static let window: TimeInterval = 15 * 60

    /// When sign-in opens again for an address with these failures, or nil when it is open now.
    public static func lockedUntil(failures: [Date], now: Date) -> Date? {
        let recent = failures.filter { $0 > now.addingTimeInterval(-window) && $0 <= now }.sorted(by: >)
        guard recent.count >= maxFailures else { return nil }
        // Opens when fewer than `maxFailures` remain in the window: the `maxFailures`-th newest ages out.
        return recent[maxFailures - 1].addingTimeInterval(window)
    }

    /// "Try again in 12 minutes." for a lock that ends at `until`.
    public static func message(until: Date, now: Date) -> String {
        let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
        return "Too many sign-in attempts for this email. Try again in \(minutes) minute\(minutes == 1 ? "" : "s")."
    }
}
