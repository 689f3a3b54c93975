import FieldlineCore
import Foundation
import Hummingbird
import NIOCore

/// A submitted `application/x-www-form-urlencoded` form.
struct FormData: Sendable {
    private var values: [String: [String]] = [:]

    init(encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            values[key, default: []].append(value)
        }
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    subscript(_ name: String) -> String? {
        values[name]?.last
    }

    func all(_ name: String) -> [String] {
        values[name] ?? []
    }

    /// A checkbox: present means on.
    func checked(_ name: String) -> Bool {
        guard let value = self[name] else { return false }
        return value != "false" && value != "0"
    }

    func double(_ name: String) throws -> Double? {
        guard let raw = self[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let value = Double(raw) else {
            throw FieldlineError.invalid(field: name, message: "\(name.capitalized) must be a number.")
        }
        return value
    }

    func int(_ name: String) throws -> Int? {
        guard let raw = self[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let value = Int(raw) else {
            throw FieldlineError.invalid(field: name, message: "Enter a whole number.")
        }
        return value
    }

    static func read(_ request: Request, context: AppRequestContext) async throws -> FormData {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return FormData(encoded: String(buffer: buffer))
    }
}
