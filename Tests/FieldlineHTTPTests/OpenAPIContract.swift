import Foundation
import Testing
import Yams

/// openapi.yaml as a checked contract: every API response a test receives through `api(...)` is
/// validated against its operation's documented status and schema, so a field renamed, retyped or
/// added in a response without the spec changing fails `swift test`.
///
/// The checks are JSON Schema's as OpenAPI 3.1 uses them (`$ref`, `type` with `null`, `enum`,
/// `required`, `properties`, `items`, `additionalProperties`, `allOf`/`oneOf`/`anyOf`), with one
/// deliberate strictness: an object schema that lists `properties` is closed unless it says
/// `additionalProperties`, because a renamed optional field is otherwise invisible.
struct OpenAPIContract: Sendable {
    /// A YAML or JSON value, Sendable.
    indirect enum Value: Sendable, Equatable {
        case object([String: Value])
        case array([Value])
        case string(String)
        case number(Double)
        case bool(Bool)
        case null

        subscript(key: String) -> Value? {
            if case .object(let members) = self { return members[key] }
            return nil
        }

        var string: String? {
            if case .string(let text) = self { return text }
            return nil
        }

        var members: [String: Value] {
            if case .object(let members) = self { return members }
            return [:]
        }

        var elements: [Value] {
            if case .array(let elements) = self { return elements }
            return []
        }

        init(yaml: Any?) {
            switch yaml {
            case let map as [AnyHashable: Any]:
                self = .object(Dictionary(uniqueKeysWithValues: map.map { ("\($0.key.base)", Value(yaml: $0.value)) }))
            case let list as [Any]: self = .array(list.map { Value(yaml: $0) })
            case let flag as Bool: self = .bool(flag)
            case let number as Int: self = .number(Double(number))
            case let number as Double: self = .number(number)
            case let text as String: self = .string(text)
            case nil: self = .null
            default: self = .string("\(yaml!)")
            }
        }
    }

    struct Operation: Sendable {
        var template: [String]
        var method: String
        var responses: [String: Value]
    }

    let operations: [Operation]
    let components: Value

    static let shared: OpenAPIContract = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/FieldlineHTTP/Resources/openapi.yaml")
        do {
            return try OpenAPIContract(yaml: String(contentsOf: file, encoding: .utf8))
        } catch {
            // Every check then reports that the spec could not be read.
            return OpenAPIContract(operations: [], components: .string("openapi.yaml: \(error)"))
        }
    }()

    init(operations: [Operation], components: Value) {
        self.operations = operations
        self.components = components
    }

    init(yaml: String) throws {
        let spec = Value(yaml: try Yams.load(yaml: yaml))
        var operations: [Operation] = []
        for (path, item) in spec["paths"]?.members ?? [:] {
            for (method, operation) in item.members where Self.methods.contains(method) {
                operations.append(
                    Operation(
                        template: path.split(separator: "/").map(String.init), method: method.uppercased(),
                        responses: operation["responses"]?.members ?? [:]))
            }
        }
        self.operations = operations
        components = spec["components"] ?? .null
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    /// The operation serving `path` (under /api/v1, query removed): the path template whose literal
    /// segments match most (`/campaigns/audience-preview` before `/campaigns/{campaignId}`), as the
    /// router picks it, then its `method`. Nil when no template or not that method.
    func operation(method: String, path: String) -> Operation? {
        let segments = path.split(separator: "/").map(String.init)
        func literals(_ template: [String]) -> Int { template.filter { !$0.hasPrefix("{") }.count }
        let best =
            operations
            .filter { operation in
                operation.template.count == segments.count
                    && zip(operation.template, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }
            .max { literals($0.template) < literals($1.template) }
        return operations.first { $0.template == best?.template && $0.method == method }
    }

    /// What is wrong with one response, by the spec; empty when it conforms.
    func violations(method: String, uri: String, status: Int, contentType: String?, body: String) -> [String] {
        if case .string(let problem) = components { return [problem] }
        var path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
        if path.hasPrefix("/api/v1") { path.removeFirst("/api/v1".count) }
        let label = "\(method) \(path) → \(status)"
        guard let operation = operation(method: method, path: path) else {
            // Not an operation of ours: the router's 404 or 405, in the error shape.
            guard status == 404 || status == 405 else {
                return ["\(label): no operation in openapi.yaml serves this path"]
            }
            var found: [String] = []
            if let error = resolve("#/components/schemas/Error"),
                let value = try? JSONDecoder().decode(
                    JSONValue.self, from: Data(body.utf8)
                ).value
            {
                validate(value, against: error, at: "", into: &found)
            } else {
                found.append("the body is not the JSON error shape")
            }
            return found.map { "\(label): \($0)" }
        }
        guard var response = operation.responses[String(status)] ?? operation.responses["default"] else {
            return ["\(label): status \(status) is not documented"]
        }
        if let reference = response["$ref"]?.string { response = resolve(reference) ?? .null }
        guard let schema = response["content"]?["application/json"]?["schema"] else {
            if contentType?.contains("json") == true, !body.isEmpty {
                return ["\(label): the response is JSON but the spec documents no JSON body"]
            }
            return []
        }
        guard contentType?.contains("json") == true else {
            return ["\(label): the spec documents a JSON body; the response is \(contentType ?? "without a type")"]
        }
        let value: Value
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)).value
        } catch {
            return ["\(label): the body is not JSON: \(error)"]
        }
        var found: [String] = []
        validate(value, against: schema, at: "", into: &found)
        return found.map { "\(label): \($0)" }
    }

    func resolve(_ reference: String) -> Value? {
        guard reference.hasPrefix("#/components/") else { return nil }
        var node: Value? = components
        for part in reference.dropFirst("#/components/".count).split(separator: "/") { node = node?[String(part)] }
        return node
    }

    /// `closed` is false for the parts of an `allOf`: the whole decides which properties exist.
    func validate(
        _ value: Value, against schema: Value, at location: String, closed: Bool = true, into found: inout [String]
    ) {
        let here = location.isEmpty ? "body" : location
        if let reference = schema["$ref"]?.string {
            guard let target = resolve(reference) else { return found.append("\(here): unresolvable \(reference)") }
            return validate(value, against: target, at: location, closed: closed, into: &found)
        }
        if let parts = schema["allOf"]?.elements {
            for part in parts { validate(value, against: part, at: location, closed: false, into: &found) }
        }
        for keyword in ["oneOf", "anyOf"] {
            guard let choices = schema[keyword]?.elements else { continue }
            let matches = choices.filter { choice in
                var problems: [String] = []
                validate(value, against: choice, at: location, into: &problems)
                return problems.isEmpty
            }
            if matches.isEmpty { found.append("\(here): matches none of \(keyword)") }
        }
        if let types = schema["type"] {
            let allowed = types.elements.isEmpty ? [types.string ?? ""] : types.elements.compactMap(\.string)
            guard allowed.contains(where: { Self.value(value, is: $0) }) else {
                return found.append(
                    "\(here): \(Self.describe(value)) where the spec says \(allowed.joined(separator: " or "))")
            }
        }
        if let options = schema["enum"]?.elements, !options.contains(value) {
            found.append("\(here): \(Self.describe(value)) is not one of the spec's enum values")
        }
        switch value {
        case .object(let members):
            for key in schema["required"]?.elements.compactMap(\.string) ?? [] where members[key] == nil {
                found.append("\(here): required \(key) is missing")
            }
            let properties = closedProperties(of: schema)
            for (key, member) in members {
                if let property = properties?[key] ?? schema["properties"]?[key] {
                    validate(member, against: property, at: "\(here).\(key)", into: &found)
                } else if let extra = schema["additionalProperties"], extra != .bool(true), extra != .bool(false) {
                    validate(member, against: extra, at: "\(here).\(key)", into: &found)
                } else if closed, properties != nil, schema["additionalProperties"] != .bool(true) {
                    found.append("\(here): \(key) is not in the spec")
                }
            }
        case .array(let elements):
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() {
                    validate(element, against: items, at: "\(here)[\(index)]", into: &found)
                }
            }
        default:
            break
        }
    }

    /// Every property an object schema declares, through `allOf`; nil when it declares none (a
    /// free-form object).
    func closedProperties(of schema: Value) -> [String: Value]? {
        var schema = schema
        if let reference = schema["$ref"]?.string { schema = resolve(reference) ?? .null }
        var properties = schema["properties"]?.members
        for part in schema["allOf"]?.elements ?? [] {
            if let more = closedProperties(of: part) { properties = (properties ?? [:]).merging(more) { $1 } }
        }
        return properties
    }

    static func value(_ value: Value, is type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("string", .string), ("boolean", .bool), ("object", .object), ("array", .array),
            ("number", .number):
            true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    static func describe(_ value: Value) -> String {
        switch value {
        case .object: "an object"
        case .array: "an array"
        case .string(let text): "the string \"\(text.prefix(40))\""
        case .number(let number): "the number \(number)"
        case .bool(let flag): "\(flag)"
        case .null: "null"
        }
    }

    /// JSON read with its kinds kept apart (a Bool is never a number).
    struct JSONValue: Decodable {
        let value: Value

        init(from decoder: any Decoder) throws {
            if var list = try? decoder.unkeyedContainer() {
                var elements: [Value] = []
                while !list.isAtEnd { elements.append(try list.decode(JSONValue.self).value) }
                value = .array(elements)
                return
            }
            if let map = try? decoder.container(keyedBy: AnyKey.self) {
                var members: [String: Value] = [:]
                for key in map.allKeys { members[key.stringValue] = try map.decode(JSONValue.self, forKey: key).value }
                value = .object(members)
                return
            }
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                value = .null
            } else if let flag = try? single.decode(Bool.self) {
                value = .bool(flag)
            } else if let number = try? single.decode(Double.self) {
                value = .number(number)
            } else {
                value = .string(try single.decode(String.self))
            }
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
