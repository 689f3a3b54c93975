/// How an SMS body will travel: its encoding, how many segments the carrier bills, and whether it
/// fits the product's one-message limit (CH10). Pure, so the composer's countdown, the API's refusal
/// and the outbox all agree.
public struct MessageText: Sendable, Equatable {
    public enum Encoding: String, Sendable, Equatable, Codable {
        /// The GSM 03.38 7-bit alphabet: 160 septets in one segment, 153 per segment when split.
        case gsm7
        /// Anything else (emoji, most accents outside the GSM table): UTF-16, 70 code units in one
        /// segment, 67 per segment when split.
        case ucs2
    }

    /// The longest message a person may send (CH10), in characters as people count them.
    public static let maximumCharacters = 160

    public let body: String
    public let encoding: Encoding
    /// Characters as a person counts them (grapheme clusters).
    public let characters: Int
    /// Septets (GSM-7, extension characters count two) or UTF-16 code units (UCS-2).
    public let units: Int
    public let segments: Int

    public init(_ body: String) {
        self.body = body
        characters = body.count
        if let septets = Self.gsm7Septets(body) {
            encoding = .gsm7
            units = septets.reduce(0, +)
            segments = Self.segmentCount(costs: septets, single: 160, split: 153)
        } else {
            encoding = .ucs2
            // A character outside the BMP takes two code units that must stay in one segment.
            let costs = body.unicodeScalars.map { $0.value > 0xFFFF ? 2 : 1 }
            units = costs.reduce(0, +)
            segments = Self.segmentCount(costs: costs, single: 70, split: 67)
        }
    }

    /// Characters left before the 160-character limit (negative when over).
    public var remaining: Int { Self.maximumCharacters - characters }

    /// The body to send, trimmed, after checking it is neither empty nor over the limit.
    public static func validatedOutbound(_ body: String?) throws(FieldlineError) -> MessageText {
        let trimmed = (body ?? "").trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw .invalid(field: "body", message: "Write a message first.")
        }
        let text = MessageText(trimmed)
        guard text.characters <= maximumCharacters else {
            throw .invalid(
                field: "body",
                message: "Messages are at most \(maximumCharacters) characters; this one has \(text.characters).")
        }
        return text
    }

    /// Septet cost per scalar, or nil when some scalar is outside GSM-7.
    static func gsm7Septets(_ body: String) -> [Int]? {
        var costs: [Int] = []
        costs.reserveCapacity(body.unicodeScalars.count)
        for scalar in body.unicodeScalars {
            if gsm7Basic.contains(scalar) {
                costs.append(1)
            } else if gsm7Extension.contains(scalar) {
                costs.append(2)
            } else {
                return nil
            }
        }
        return costs
    }

    /// Fills segments without splitting a multi-unit character across two of them.
    static func segmentCount(costs: [Int], single: Int, split: Int) -> Int {
        let total = costs.reduce(0, +)
        if total == 0 { return 0 }
        if total <= single { return 1 }
        var segments = 1
        var used = 0
        for cost in costs {
            if used + cost > split {
                segments += 1
                used = 0
            }
            used += cost
        }
        return segments
    }

    static let gsm7Basic: Set<Unicode.Scalar> = Set(
        ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà").unicodeScalars)

    static let gsm7Extension: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[~]|€".unicodeScalars)
}
