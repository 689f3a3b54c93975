/// A syntactically plausible email address, lowercased for matching.
public struct EmailAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String

    public static func parse(_ input: String, field: String = "email") throws(FieldlineError) -> EmailAddress {
        let trimmed = input.trimmingWhitespace()
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !trimmed.contains(where: { $0.isWhitespace }), trimmed.count <= 254
        else {
            throw .invalid(field: field, message: "\"\(input)\" is not a valid email address.")
        }
        // Lowercased whole: nobody expects Dana@ and dana@ to be two people, and sign-in matches on it.
        return EmailAddress(value: trimmed.lowercased())
    }

    public init(storedValue: String) {
        self.value = storedValue
    }

    private init(value: String) {
        self.value = value
    }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        self = try EmailAddress.parse(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
