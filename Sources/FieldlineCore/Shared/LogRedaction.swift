import Foundation

/// What may go into a log of a text or an email. Links in them can be bearer URLs — a tracking
/// page, a password reset — that give whoever holds them access; a log is read by more people than
/// the recipient. Any token-like part of a link (16 or more letters, digits, `-` or `_`) keeps its
/// first four characters only.
public enum LogRedaction {
    public static func redactingLinks(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "http", options: .caseInsensitive) {
            result += rest[..<start.lowerBound]
            let link = rest[start.lowerBound...].prefix { !$0.isWhitespace && $0 != "\"" && $0 != "<" && $0 != ">" }
            result += redactTokens(in: link)
            rest = rest[link.endIndex...]
        }
        return result + rest
    }

    private static func redactTokens(in link: Substring) -> String {
        var output = ""
        var run = ""
        func flush() {
            output += run.count >= 16 ? run.prefix(4) + "…" : run
            run = ""
        }
        for character in link {
            if character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_") {
                run.append(character)
            } else {
                flush()
                output.append(character)
            }
        }
        flush()
        return output
    }
}
