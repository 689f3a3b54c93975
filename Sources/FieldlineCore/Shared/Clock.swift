import Foundation

/// The current time, passed in so rules and use cases can be tested at any instant.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// Unguessable tokens for sessions, API keys and public links.
public protocol TokenSource: Sendable {
    /// A URL-safe random token carrying at least `bytes` bytes of entropy.
    func token(bytes: Int) -> String
}
