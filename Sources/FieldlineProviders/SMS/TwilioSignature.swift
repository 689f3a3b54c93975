import Crypto
import FieldlineCore
import Foundation

/// Twilio's `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, URL + every POST parameter as
/// name+value, sorted by name and then by value)).
public enum TwilioSignature {
    public static func sign(url: String, parameters: [(name: String, value: String)], authToken: String) -> String {
        let sorted = parameters.sorted { $0.name == $1.name ? $0.value < $1.value : $0.name < $1.name }
        var payload = url
        for parameter in sorted {
            payload += parameter.name
            payload += parameter.value
        }
        let key = SymmetricKey(data: Data(authToken.utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(payload.utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// Whether `signature` was made for this request at `url`, which is checked as given and with
    /// the scheme's default port added or removed (proxies and Twilio disagree about it).
    public static func isValid(
        _ signature: String, url: String, parameters: [(name: String, value: String)], authToken: String
    ) -> Bool {
        let given = Data(signature.utf8)
        var matched = false
        for candidate in urlVariants(url) {
            let expected = Data(sign(url: candidate, parameters: parameters, authToken: authToken).utf8)
            // Every candidate is compared in full, so timing tells nothing about which one matched.
            if SecretComparison.equal(expected, given) { matched = true }
        }
        return matched
    }

    static func urlVariants(_ url: String) -> [String] {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            return [url]
        }
        let defaultPort = scheme == "https" ? 443 : scheme == "http" ? 80 : nil
        guard let defaultPort else { return [url] }
        if components.port == defaultPort {
            components.port = nil
            return [url, components.string].compactMap { $0 }
        }
        if components.port == nil {
            components.port = defaultPort
            return [url, components.string].compactMap { $0 }
        }
        return [url]
    }
}
