import FieldlineCore
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore

extension Request {
    /// Decodes a JSON body, turning every way it can be wrong into a 4xx with the field named.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: AppRequestContext) async throws -> T {
        let data = try await jsonBody(context: context)
        guard !data.isEmpty else {
            throw HTTPFailure(code: .invalidJSON, message: "The request body is empty; send a JSON object.")
        }
        return try Self.decode(T.self, from: data, context: context)
    }

    /// As `decodeJSON`, for a body that may be left out: no body is nil.
    func decodeOptionalJSON<T: Decodable>(_ type: T.Type, context: AppRequestContext) async throws -> T? {
        let data = try await jsonBody(context: context)
        return data.isEmpty ? nil : try Self.decode(T.self, from: data, context: context)
    }

    private func jsonBody(context: AppRequestContext) async throws -> Data {
        if let contentType = headers[.contentType], !contentType.lowercased().contains("json") {
            throw HTTPFailure(
                code: .unsupportedMediaType,
                message: "Send the body as JSON (Content-Type: application/json).")
        }
        // A body over the limit throws NIOTooManyBytesError, which ErrorMapping turns into a 413.
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        return Data(buffer.readableBytesView)
    }

    private static func decode<T: Decodable>(_ type: T.Type, from data: Data, context: AppRequestContext) throws -> T {
        do {
            return try context.requestDecoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw Self.failure(for: error)
        }
    }

    static func failure(for error: DecodingError) -> HTTPFailure {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return HTTPFailure(
                code: .invalidFieldType,
                message: field.isEmpty
                    ? "The body must be a JSON object." : "Field \(field) must be \(Self.describe(type)).")
        case .valueNotFound(let type, let context):
            return HTTPFailure(
                code: .invalidFieldType,
                message: "Field \(path(context.codingPath)) must be \(Self.describe(type)), not null.")
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return HTTPFailure(code: .missingField, message: "Field \(field) is required.")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                return HTTPFailure(code: .invalidJSON, message: "The request body is not valid JSON.")
            }
            return HTTPFailure(code: .invalidField, message: "Field \(field): \(context.debugDescription)")
        @unknown default:
            return HTTPFailure(code: .invalidJSON, message: "The request body could not be read.")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Double.Type: "a number"
        case is [Any].Type: "an array"
        default:
            String(describing: type).hasPrefix("Dictionary") ? "an object" : "a \(String(describing: type))"
        }
    }
}

extension Parameters {
    /// A path id as a typed identifier; ids are opaque, so only the length is checked.
    func id<Entity>(_ name: String, as _: Identifier<Entity>.Type) throws -> Identifier<Entity> {
        guard let raw = self.get(name), !raw.isEmpty, raw.count <= 64 else {
            throw HTTPFailure(code: .invalidId, message: "The \(name) in the path is missing or malformed.")
        }
        return Identifier(raw)
    }
}
