import FieldlineCore
import Foundation
import Hummingbird
import NIOCore

/// A submitted `application/x-www-form-urlencoded` form.
struct FormData: Sendable {
    private var values: [String: [String]] = [:]

    /// Decoded by `FormEncoding`, the one decoder for form bodies, query strings and webhooks: `+` is a
    /// space, `%XX` a byte of UTF-8.
    init(encoded: String) {
        for (name, value) in FormEncoding.decode(encoded) {
            values[name, default: []].append(value)
        }
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

    /// A whole number from a form field or a query parameter; blank is absent.
    func int(_ name: String) throws -> Int? {
        guard let raw = self[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        guard let value = Int(raw) else {
            throw FieldlineError.invalid(field: name, message: "Enter a whole number for \(name).")
        }
        return value
    }

    static func read(_ request: Request, context: AppRequestContext) async throws -> FormData {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return FormData(encoded: String(buffer: buffer))
    }
}

extension Request {
    /// The query string, decoded as a browser encodes a GET form (`+` is a space). Every page and API
    /// route reads its query parameters here; Hummingbird's `uri.queryParameters` leaves `+` as typed.
    var query: FormData { FormData(encoded: uri.query ?? "") }
}
