import Foundation
import SQLKit

extension SQLRow {
    /// Decodes a snake_case row into a Decodable record type.
    func record<T: Decodable>(_ type: T.Type) throws -> T {
        try decode(model: type, keyDecodingStrategy: .convertFromSnakeCase)
    }
}

extension SQLInsertBuilder {
    /// Inserts an Encodable record; nil properties become NULL columns.
    func record(_ value: some Encodable & Sendable) throws -> Self {
        try model(value, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
    }
}

extension SQLInsertBuilder {
    /// Several Encodable records, one row each; nil properties become NULL columns.
    func records(_ values: [some Encodable & Sendable]) throws -> Self {
        try models(values, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
    }
}

extension SQLUpdateBuilder {
    func record(_ value: some Encodable & Sendable) throws -> Self {
        try set(model: value, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
    }
}

enum JSONColumn {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

enum SearchPattern {
    /// A LIKE pattern matching `text` anywhere, with the user's own `%`, `_` and `\` taken literally.
    static func contains(_ text: String) -> String {
        var escaped = ""
        for character in text.lowercased() {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%\(escaped)%"
    }
}
