import Foundation

/// The compliance keywords of CH13, recognised only as the whole message: "Stop" and "STOP." opt
/// out; "Please stop calling" is a conversation, not a keyword.
public enum Keyword: String, Sendable, Equatable, CaseIterable {
    case optOut = "opt_out"
    case optIn = "opt_in"
    case help

    static let optOutWords: Set<String> = [
        "stop", "stopall", "end", "cancel", "unsubscribe", "quit", "arret", "revoke", "optout",
    ]
    static let optInWords: Set<String> = ["start", "unstop", "restart", "subscribe", "enroll"]
    static let helpWords: Set<String> = ["help", "info"]

    /// The keyword `body` is, if any. `yes` opts in only while a double opt-in request is pending
    /// for the number; otherwise it is an ordinary reply.
    ///
    /// The sign-up sentence an opt-in link prefills (SC5) opts in when it reaches the marketing
    /// number: sending it is the customer's own written consent.
    public static func classify(
        _ body: String, doubleOptInPending: Bool = false, toMarketingNumber: Bool = false
    ) -> Keyword? {
        let word = normalized(body)
        if optOutWords.contains(word) { return .optOut }
        if optInWords.contains(word) { return .optIn }
        if helpWords.contains(word) { return .help }
        if doubleOptInPending, word == "yes" { return .optIn }
        if toMarketingNumber, word == normalizedSignUpSentence { return .optIn }
        return nil
    }

    /// The sentence an opt-in link puts in the customer's messaging app.
    public static let signUpSentence = "Please sign me up for marketing texts"
    static let normalizedSignUpSentence = normalized(signUpSentence)

    public static func isSignUpSentence(_ body: String) -> Bool {
        normalized(body) == normalizedSignUpSentence
    }

    /// An `sms:` link that opens the phone's messaging app with the sign-up sentence addressed to
    /// `marketingNumber`. RFC 5724 writes `sms:NUMBER?body=…`; the `?&body=` form is the one both iOS
    /// and Android messaging apps read.
    public static func optInLink(to marketingNumber: PhoneNumber) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = signUpSentence.addingPercentEncoding(withAllowedCharacters: allowed) ?? signUpSentence
        return "sms:\(marketingNumber.e164)?&body=\(body)"
    }

    /// Lowercased, accents folded (ARRÊT is ARRET), surrounding white space and punctuation removed.
    static func normalized(_ body: String) -> String {
        let folded = body.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .lowercased()
        let trimmable = CharacterSet.whitespacesAndNewlines.union(.punctuationCharacters).union(.symbols)
        return folded.trimmingCharacters(in: trimmable)
    }
}
