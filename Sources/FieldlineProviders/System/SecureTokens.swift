import Crypto
import FieldlineCore
import Foundation

/// Tokens from the system's cryptographic random generator, base64url without padding.
public struct SecureTokens: TokenSource {
    public init() {}

    public func token(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<max(bytes, 16)).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What is stored for a bearer or session token: its SHA-256, so a leaked database holds no
    /// usable credentials.
    public static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
