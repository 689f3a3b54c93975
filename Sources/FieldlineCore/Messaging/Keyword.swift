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
    public static func classify(_ body: String, doubleOptInPending: Bool = false) -> Keyword? {
        let word = normalized(body)
        if optOutWords.contains(word) { return .optOut }
        if optInWords.contains(word) { return .optIn }
        if helpWords.contains(word) { return .help }
        if doubleOptInPending, word == "yes" { return .optIn }
        return nil
    }

    /// Lowercased, accents folded (ARRÊT is ARRET), surrounding white space and punctuation removed.
    static func normalized(_ body: String) -> String {
        let folded = body.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .lowercased()
        let trimmable = CharacterSet.whitespacesAndNewlines.union(.punctuationCharacters).union(.symbols)
        return folded.trimmingCharacters(in: trimmable)
    }
}
