import Foundation

/// The compliance keywords of CH13 and what they do to consent. Which one a text is comes from
/// `ReplyIntent`: the keyword as the whole message ("Stop", "STOP.") and, since consent may be
/// revoked by any reasonable means (CP1), a revocation in the customer's own words ("please stop
/// texting me", "no más mensajes") is an opt-out too.
public enum Keyword: String, Sendable, Equatable, CaseIterable {
    case optOut = "opt_out"
    case optIn = "opt_in"
    case help

    /// The keyword `body` is, if any. `yes` opts in only while a double opt-in request is pending
    /// for the number; otherwise it is an ordinary reply.
    ///
    /// The sign-up sentence an opt-in link prefills (SC5) opts in when it reaches the marketing
    /// number: sending it is the customer's own written consent.
    public static func classify(
        _ body: String, doubleOptInPending: Bool = false, toMarketingNumber: Bool = false
    ) -> Keyword? {
        classify(
            body, reading: ReplyIntent.classify(body), doubleOptInPending: doubleOptInPending,
            toMarketingNumber: toMarketingNumber)
    }

    /// The keyword of a text already read by `ReplyIntent.classify`.
    public static func classify(
        _ body: String, reading intent: ReplyIntent, doubleOptInPending: Bool = false,
        toMarketingNumber: Bool = false
    ) -> Keyword? {
        switch intent {
        case .revoke: return .optOut
        case .resume: return .optIn
        case .help: return .help
        case .possibleRevoke, .nothing:
            guard doubleOptInPending || toMarketingNumber else { return nil }
            let word = normalized(body)
            if doubleOptInPending, word == "yes" { return .optIn }
            if toMarketingNumber, word == normalizedSignUpSentence { return .optIn }
            return nil
        }
    }

    /// The text is one word, as a keyword is ("STOP", "Start!"), not a sentence.
    public static func isBare(_ body: String) -> Bool {
        !normalized(body).contains(where: { $0.isWhitespace || $0.isPunctuation })
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
