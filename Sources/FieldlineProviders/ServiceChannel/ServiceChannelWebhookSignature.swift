import Crypto
import Foundation

/// ServiceChannel signs each webhook delivery: `Sign-Type: HMACSHA256` and `Sign-Data`, the
/// Base64 HMAC-SHA256 of the raw body with the key registered for the webhook.
public enum ServiceChannelWebhookSignature {
    public static func sign(_ body: Data, secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))))
            .base64EncodedString()
    }

    public static func isValid(_ body: Data, signType: String?, signData: String?, secret: String) -> Bool {
        guard signType?.caseInsensitiveCompare("HMACSHA256") == .orderedSame,
            let signData, let sent = Data(base64Encoded: signData.trimmingCharacters(in: .whitespaces))
        else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            sent, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }
}
