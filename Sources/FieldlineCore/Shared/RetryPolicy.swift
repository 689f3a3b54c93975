import Foundation

/// Why an attempt at a queued piece of work (a text, an email, a ServiceChannel change, a media
/// download) did not succeed, as the worker that made it reads the other side's answer.
public enum WorkFailure: Sendable, Equatable {
    /// Refused for good: trying again cannot help (a 4xx that names the request as wrong).
    case final(String)
    /// May work later: an outage, a timeout, a rate limit. `retryAfter` is the other side's own
    /// wait (its Retry-After), if it named one.
    case passing(String, retryAfter: TimeInterval? = nil)
    /// The other side asked for a pause of `wait` seconds before anything more (ServiceChannel's
    /// per-minute budget): nothing failed, so it does not count toward giving up.
    case throttled(String, wait: TimeInterval)
}

/// What the queue does with the work after a failed attempt.
public enum WorkOutcome: Sendable, Equatable {
    /// Back in the queue, due after `delay` seconds.
    case retry(after: TimeInterval, reason: String)
    /// Failed for good, with the reason the office sees.
    case fail(reason: String)
}

/// The one retry policy every work queue follows: passing failures are tried again with waits that
/// double from `firstDelay` up to `maximumDelay`, until `maximumAttempts` attempts in all; a final
/// failure ends the work at once. Each queue has its own numbers, chosen for the other side.
public struct RetryPolicy: Sendable, Equatable {
    public let maximumAttempts: Int
    public let firstDelay: TimeInterval
    public let maximumDelay: TimeInterval
    /// Whether a Retry-After replaces the backoff (the other side knows when it will be ready) or
    /// only lengthens it.
    public let followsRetryAfter: Bool

    public init(
        maximumAttempts: Int, firstDelay: TimeInterval, maximumDelay: TimeInterval, followsRetryAfter: Bool = false
    ) {
        self.maximumAttempts = maximumAttempts
        self.firstDelay = firstDelay
        self.maximumDelay = maximumDelay
        self.followsRetryAfter = followsRetryAfter
    }

    /// Texts: 2, 4, 8 … seconds, at most five minutes, eight attempts (a conversation cannot wait long).
    public static let texts = RetryPolicy(maximumAttempts: 8, firstDelay: 2, maximumDelay: 300)
    /// Emails: 30 s doubling, at most an hour, eight attempts; the email service's Retry-After (a
    /// rate limit, or "still processing this key") is followed as given.
    public static let emails = RetryPolicy(
        maximumAttempts: 8, firstDelay: 30, maximumDelay: 3600, followsRetryAfter: true)
    /// ServiceChannel changes: enough for a 10-minute outage and more: the waits grow to 15
    /// minutes, about 2½ hours in all.
    public static let serviceChannelChanges = RetryPolicy(maximumAttempts: 16, firstDelay: 5, maximumDelay: 900)
    /// Media downloads: the provider keeps the file for a while; five attempts over about a minute.
    public static let media = RetryPolicy(maximumAttempts: 5, firstDelay: 2, maximumDelay: 300)

    /// The pause before attempt `attempts + 1`.
    public func delay(afterAttempts attempts: Int) -> TimeInterval {
        min(maximumDelay, firstDelay * pow(2, Double(min(max(attempts - 1, 0), 30))))
    }

    /// What happens to work that has been attempted `attempts` times, the last ending in `failure`.
    public func outcome(of failure: WorkFailure, afterAttempts attempts: Int) -> WorkOutcome {
        switch failure {
        case .final(let reason):
            return .fail(reason: reason)
        case .throttled(let reason, let wait):
            return .retry(after: max(1, wait), reason: reason)
        case .passing(let reason, let retryAfter):
            guard attempts < maximumAttempts else {
                return .fail(reason: "Gave up after \(attempts) attempts: \(reason)")
            }
            let backoff = delay(afterAttempts: attempts)
            let wait = followsRetryAfter ? (retryAfter ?? backoff) : max(retryAfter ?? 0, backoff)
            return .retry(after: max(1, wait), reason: reason)
        }
    }
}
