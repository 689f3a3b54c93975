/// Validation of free text that people type into names and summaries.
public enum Text {
    /// Trims the input and checks it is present and no longer than `maxLength` characters.
    public static func required(
        _ input: String?, field: String, label: String, maxLength: Int = 200
    )
        throws(FieldlineError) -> String
    {
        let trimmed = (input ?? "").trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw .invalid(field: field, message: "\(label) is required.")
        }
        guard trimmed.count <= maxLength else {
            throw .invalid(field: field, message: "\(label) is at most \(maxLength) characters.")
        }
        return trimmed
    }

    /// Trims the input; empty becomes nil.
    public static func optional(
        _ input: String?, field: String, label: String, maxLength: Int = 2000
    )
        throws(FieldlineError) -> String?
    {
        let trimmed = (input ?? "").trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        guard trimmed.count <= maxLength else {
            throw .invalid(field: field, message: "\(label) is at most \(maxLength) characters.")
        }
        return trimmed
    }
}

/// Escaping for text placed in HTML or XML we build by hand (emails, TwiML).
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
