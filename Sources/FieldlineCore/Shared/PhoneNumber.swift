/// A phone number in E.164 form (`+15125550143`). The only way to make one is `parse`, so a value of
/// this type is always normalised: every table and comparison uses the same spelling of a number.
public struct PhoneNumber: Hashable, Sendable, Codable, CustomStringConvertible {
    public let e164: String

    private init(e164: String) {
        self.e164 = e164
    }

    /// Parses what people type: `(512) 555-0143`, `512.555.0143`, `+1 512 555 0143`,
    /// `1-512-555-0143`, `00 44 20 7946 0958`. Numbers without a country code are read as North
    /// American (NANP), the market Fieldline serves first.
    public static func parse(_ input: String) throws(FieldlineError) -> PhoneNumber {
        let trimmed = input.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw .invalid(field: "phone", message: "Enter a phone number.")
        }
        var digits = ""
        var sawPlus = false
        for (index, character) in trimmed.enumerated() {
            switch character {
            case "0"..."9": digits.append(character)
            case "+" where index == 0: sawPlus = true
            case " ", "-", ".", "(", ")", "\u{00A0}": continue
            default:
                throw .invalid(
                    field: "phone",
                    message: "\"\(input)\" is not a phone number: only digits, spaces, + - . ( ) are allowed.")
            }
        }
        if !sawPlus, digits.hasPrefix("00") {
            sawPlus = true
            digits.removeFirst(2)
        }
        if sawPlus {
            if digits.hasPrefix("1") {
                return try nanp(String(digits.dropFirst()), original: input)
            }
            guard (8...15).contains(digits.count), digits.first != "0" else {
                throw .invalid(
                    field: "phone",
                    message: "\"\(input)\" is not a valid international number (8 to 15 digits after +).")
            }
            return PhoneNumber(e164: "+" + digits)
        }
        if digits.count == 11, digits.hasPrefix("1") {
            return try nanp(String(digits.dropFirst()), original: input)
        }
        if digits.count == 10 {
            return try nanp(digits, original: input)
        }
        throw .invalid(
            field: "phone",
            message: "\"\(input)\" is not a valid phone number: use 10 digits, or + and the country code.")
    }

    private static func nanp(_ tenDigits: String, original: String) throws(FieldlineError) -> PhoneNumber {
        let characters = Array(tenDigits)
        guard characters.count == 10 else {
            throw .invalid(
                field: "phone", message: "\"\(original)\" is not a valid North American number (10 digits).")
        }
        // Area codes and exchanges never start with 0 or 1 in the North American plan.
        guard characters[0] >= "2", characters[3] >= "2" else {
            throw .invalid(
                field: "phone",
                message: "\"\(original)\" is not a valid North American number: area code and exchange start with 2–9."
            )
        }
        return PhoneNumber(e164: "+1" + tenDigits)
    }

    /// Trusts a value that was normalised before it was stored.
    public init(storedE164: String) {
        self.e164 = storedE164
    }

    /// How people read it: `(512) 555-0143` for North American numbers, E.164 otherwise.
    public var displayed: String {
        let digits = Array(e164.dropFirst())
        guard digits.count == 11, digits[0] == "1" else { return e164 }
        let area = String(digits[1...3])
        let exchange = String(digits[4...6])
        let line = String(digits[7...10])
        return "(\(area)) \(exchange)-\(line)"
    }

    public var description: String { e164 }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        self = try PhoneNumber.parse(raw)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(e164)
    }
}

/// Whether a number can receive texts. Unknown until proven either way (a delivered text, a
/// carrier lookup, or Twilio's 30006 landline error).
public enum PhoneKind: String, Sendable, Codable, CaseIterable {
    case mobile, landline, unknown
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
