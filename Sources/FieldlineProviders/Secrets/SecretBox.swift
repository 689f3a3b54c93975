import Crypto
import Foundation

/// Seals provider credentials before they are stored (AES-GCM with a key derived from
/// `FIELDLINE_SECRET_KEY`), so a copy of the database alone reveals no one's Twilio token.
public struct SecretBox: Sendable {
    let key: SymmetricKey

    /// The shortest key text accepted: a passphrase shorter than this is too easy to guess.
    public static let minimumKeyLength = 16

    public init(keyText: String) throws(SecretBoxError) {
        guard keyText.count >= Self.minimumKeyLength else { throw .keyTooShort }
        key = SymmetricKey(data: SHA256.hash(data: Data("fieldline-secret-box-v1:\(keyText)".utf8)))
    }

    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw SecretBoxError.cannotOpen }
        return "v1:" + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws(SecretBoxError) -> String {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))) else {
            throw .cannotOpen
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw .cannotOpen
        }
    }
}

public enum SecretBoxError: Error, Sendable, CustomStringConvertible {
    case keyTooShort
    /// Sealed with another key, or damaged.
    case cannotOpen

    public var description: String {
        switch self {
        case .keyTooShort:
            "FIELDLINE_SECRET_KEY must be at least \(SecretBox.minimumKeyLength) characters (use a long random string)."
        case .cannotOpen:
            "Stored credentials cannot be opened with this FIELDLINE_SECRET_KEY (was the key changed?)."
        }
    }
}
