import Crypto
import Foundation

/// What stands in for an erased customer's phone number (OP3): a keyed hash, the same for the same
/// number in the same account, so the consent ledger still proves a number's history when the
/// number is known again, while the database alone does not give the number back. The key is the
/// account's own (stored with it) joined with the server's FIELDLINE_SECRET_KEY when there is one:
/// with it, even a full copy of the database cannot test guesses.
public enum ErasureHash {
    public static let prefix = "erased:"

    public static func of(_ e164: String, accountKey: String, secrets: SecretBox?) -> String {
        var material = Data("fieldline-erasure-v1:\(accountKey)".utf8)
        if let secrets { material.append(secrets.keyMaterial(for: "erasure")) }
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data(e164.utf8), using: SymmetricKey(data: SHA256.hash(data: material)))
        return prefix + mac.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// A new account key: 32 random bytes, base64.
    public static func newAccountKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }
}

extension SecretBox {
    /// Bytes derived from the server key for one purpose, never the key itself.
    func keyMaterial(for purpose: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: key))
    }
}
