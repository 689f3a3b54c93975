import Foundation
import SQLKit
import Synchronization

/// A table's one declaration: a `Codable` struct whose stored properties are the table's columns,
/// in the table's own terms (snake_case names become camelCase properties; values are the stored
/// String, Int, Int64, Double, Bool or Date, optional where the column is nullable). Its
/// `mapping` derives everything else: the column list every select reads, the insert statements
/// (one row, many rows, copies of a template), whole-row updates and decoding. Nothing else in
/// the store spells a table's columns out, so a column added to the struct is read and written
/// everywhere, and two columns cannot trade places in a bind list.
///
/// Turning a row into a domain value, where an unknown stored enum value is a `CorruptRow`, stays
/// beside each row type: that is the one place a column's meaning is written down.
protocol StoredRow: Codable, Sendable {
    static var mapping: TableMapping<Self> { get }
}

struct TableMapping<Row: StoredRow>: Sendable {
    let table: String
    /// Every column, in the struct's declaration order.
    let columns: [String]
    /// The coding keys, in the same order (what the synthesized `encode(to:)` calls them).
    let keys: [String]
    /// Columns the database assigns (an identity key): read, never written.
    let assignedByDatabase: Set<String>
    /// The insert's text up to its values, built once: every text passes through the messages
    /// insert, and serialising two dozen quoted identifiers per row was a measurable cost.
    let insertPrefix: String
    let insertedIndexes: [Int]
    /// Whole-row update statements, built on first use.
    let updateTexts = UpdateTextCache()

    /// - Parameter assignedByDatabase: columns the database fills in itself (an identity key),
    ///   left out of inserts.
    init(table: String, assignedByDatabase: Set<String> = []) {
        self.table = table
        let keys = ColumnKeyRecorder.keys(of: Row.self)
        let columns = keys.map(Self.snakeCase)
        precondition(
            assignedByDatabase.isSubset(of: columns), "\(table): \(assignedByDatabase) are not columns of \(Row.self)")
        self.keys = keys
        self.columns = columns
        self.assignedByDatabase = assignedByDatabase
        let insertedIndexes = columns.indices.filter { !assignedByDatabase.contains(columns[$0]) }
        self.insertedIndexes = insertedIndexes
        let names = insertedIndexes.map { "\"\(columns[$0])\"" }.joined(separator: ", ")
        self.insertPrefix = "INSERT INTO \"\(table)\" (\(names)) VALUES "
    }

    /// The columns for a select, qualified by `alias` when the query joins.
    func selection(_ alias: String? = nil) -> [SQLColumn] {
        columns.map { SQLColumn($0, table: alias) }
    }

    /// Every column's value, in `columns` order.
    func values(of row: Row) -> [any Encodable & Sendable] {
        let encoder = ColumnValueEncoder(keys: keys, capturing: nil)
        do {
            try row.encode(to: encoder)
        } catch {
            preconditionFailure("\(table): \(Row.self) encodes only column values (\(error))")
        }
        return encoder.values
    }

    func decode(_ row: any SQLRow) throws -> Row {
        try row.record(Row.self)
    }

    /// The index of `column`; a name that is not a column is a programming error.
    func index(of column: String) -> Int {
        guard let index = columns.firstIndex(of: column) else {
            preconditionFailure("\(table) has no column \(column) in \(Row.self)")
        }
        return index
    }

    /// snake_case for a camelCase key, as SQLKit's `convertFromSnakeCase` reads it back:
    /// `providerMessageId` ↔ `provider_message_id`, `e164` stays.
    static func snakeCase(_ key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase {
                result.append("_")
                result.append(contentsOf: character.lowercased())
            } else {
                result.append(character)
            }
        }
        return result
    }
}

extension SQLDatabase {
    /// Inserts one row.
    func insert<Row: StoredRow>(_ row: Row) async throws {
        try await raw(Self.insertQuery([row])).run()
    }

    /// Inserts one row and reads back `column` (a key the database assigned).
    func insert<Row: StoredRow>(_ row: Row, returning column: String) async throws -> (any SQLRow)? {
        var query = Self.insertQuery([row])
        query.appendInterpolation(unsafeRaw: " RETURNING \"\(column)\"")
        return try await raw(query).first()
    }

    /// Inserts rows, as many per statement as the engines' bind limits allow. With
    /// `keepingAssignedKeys`, the database-assigned columns are written too (a copy of a database).
    func insert<Row: StoredRow>(_ rows: [Row], keepingAssignedKeys: Bool = false) async throws {
        let perStatement = max(1, 30_000 / max(1, Row.mapping.columns.count))
        for chunk in rows.chunked(into: perStatement) {
            try await raw(Self.insertQuery(chunk, keepingAssignedKeys: keepingAssignedKeys)).run()
        }
    }

    /// Inserts rows, every column kept, into a table that has only `columns` of them: a copy into
    /// a database at an earlier schema, whose tables lack the newer columns.
    func insert<Row: StoredRow>(_ rows: [Row], onlyColumns columns: Set<String>) async throws {
        let perStatement = max(1, 30_000 / max(1, Row.mapping.columns.count))
        for chunk in rows.chunked(into: perStatement) {
            try await raw(Self.insertQuery(chunk, keepingAssignedKeys: true, onlyColumns: columns)).run()
        }
    }

    private static func insertQuery<Row: StoredRow>(
        _ rows: some Collection<Row>, keepingAssignedKeys: Bool = false, onlyColumns: Set<String>? = nil
    ) -> SQLQueryString {
        let mapping = Row.mapping
        var query = SQLQueryString("")
        let indexes: [Int]
        if let onlyColumns {
            indexes = mapping.columns.indices.filter { onlyColumns.contains(mapping.columns[$0]) }
            let names = indexes.map { "\"\(mapping.columns[$0])\"" }.joined(separator: ", ")
            query.appendInterpolation(unsafeRaw: "INSERT INTO \"\(mapping.table)\" (\(names)) VALUES ")
        } else if keepingAssignedKeys && !mapping.assignedByDatabase.isEmpty {
            indexes = Array(mapping.columns.indices)
            let names = mapping.columns.map { "\"\($0)\"" }.joined(separator: ", ")
            query.appendInterpolation(unsafeRaw: "INSERT INTO \"\(mapping.table)\" (\(names)) VALUES ")
        } else {
            indexes = mapping.insertedIndexes
            query.appendInterpolation(unsafeRaw: mapping.insertPrefix)
        }
        var first = true
        for row in rows {
            query.appendInterpolation(unsafeRaw: first ? "(" : ", (")
            first = false
            let values = mapping.values(of: row)
            query.appendInterpolation(binds: indexes.map { values[$0] })
            query.appendInterpolation(unsafeRaw: ")")
        }
        return query
    }

    /// Inserts copies of `template` that differ only in the `varying` columns, each copy made by
    /// `vary` from the template and one element. The template's other columns are bound once per
    /// statement and only the varying ones per copy, from a `VALUES` list (whose columns are
    /// `column1`, `column2` … on both engines): binding every column of every copy of a
    /// 100,000-text campaign cost more than the database's own work. The copies are inserted in
    /// the order given (a database-assigned key follows it).
    func insert<Row: StoredRow, Element>(
        copiesOf template: Row, varying: [String], for elements: [Element],
        _ vary: (inout Row, Element) -> Void
    ) async throws {
        let mapping = Row.mapping
        let varyingIndexes = varying.map(mapping.index(of:))
        let constants = mapping.values(of: template)
        let perStatement = max(1, min(2000, 30_000 / max(1, varying.count)))
        for chunk in elements.chunked(into: perStatement) {
            var query = SQLQueryString("")
            let names = mapping.insertedIndexes.map { "\"\(mapping.columns[$0])\"" }.joined(separator: ", ")
            query.appendInterpolation(unsafeRaw: "INSERT INTO \"\(mapping.table)\" (\(names)) SELECT ")
            for (position, index) in mapping.insertedIndexes.enumerated() {
                if position > 0 { query.appendInterpolation(unsafeRaw: ", ") }
                if let varyingPosition = varyingIndexes.firstIndex(of: index) {
                    query.appendInterpolation(unsafeRaw: "v.column\(varyingPosition + 1)")
                } else {
                    query.appendInterpolation(bind: constants[index])
                }
            }
            query.appendInterpolation(unsafeRaw: " FROM (VALUES ")
            // One encoder for the chunk, keeping only the varying columns of each copy.
            let encoder = ColumnValueEncoder(keys: mapping.keys, capturing: Set(varyingIndexes))
            for (position, element) in chunk.enumerated() {
                var copy = template
                vary(&copy, element)
                encoder.restart()
                try copy.encode(to: encoder)
                query.appendInterpolation(unsafeRaw: position == 0 ? "(" : ", (")
                query.appendInterpolation(binds: varyingIndexes.map { encoder.captured[$0] ?? String?.none })
                query.appendInterpolation(unsafeRaw: ")")
            }
            query.appendInterpolation(unsafeRaw: ") AS v")
            try await raw(query).run()
        }
    }

    /// Inserts a row, or where one with the same `conflict` columns exists, sets `updating` of it
    /// (every other column when nil) to the new row's values.
    func upsert<Row: StoredRow>(_ row: Row, onConflict conflict: [String], updating: [String]? = nil) async throws {
        let mapping = Row.mapping
        let updated =
            (updating ?? mapping.insertedIndexes.map { mapping.columns[$0] }.filter { !conflict.contains($0) })
            .map { "\"\(mapping.columns[mapping.index(of: $0)])\" = EXCLUDED.\"\($0)\"" }
        var query = Self.insertQuery([row])
        query.appendInterpolation(
            unsafeRaw: " ON CONFLICT (\(Self.quoted(conflict, of: mapping))) "
                + (updated.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(updated.joined(separator: ", "))"))
        try await raw(query).run()
    }

    /// Inserts a row unless one with the same `conflict` columns exists; whether it did.
    @discardableResult
    func insert<Row: StoredRow>(_ row: Row, unlessConflictOn conflict: [String]) async throws -> Bool {
        let mapping = Row.mapping
        var query = Self.insertQuery([row])
        query.appendInterpolation(
            unsafeRaw: " ON CONFLICT (\(Self.quoted(conflict, of: mapping))) DO NOTHING RETURNING 1 AS inserted")
        return try await raw(query).first() != nil
    }

    /// Inserts each of `rows` unless one with the same `conflict` columns exists, as many per
    /// statement as the bind limits allow.
    func insert<Row: StoredRow>(_ rows: [Row], unlessConflictOn conflict: [String]) async throws {
        let mapping = Row.mapping
        let perStatement = max(1, 30_000 / max(1, mapping.columns.count))
        for chunk in rows.chunked(into: perStatement) {
            var query = Self.insertQuery(chunk)
            query.appendInterpolation(unsafeRaw: " ON CONFLICT (\(Self.quoted(conflict, of: mapping))) DO NOTHING")
            try await raw(query).run()
        }
    }

    private static func quoted<Row: StoredRow>(_ columns: [String], of mapping: TableMapping<Row>) -> String {
        columns.map { "\"\(mapping.columns[mapping.index(of: $0)])\"" }.joined(separator: ", ")
    }

    /// `SELECT <every column> FROM <table>`, to be narrowed with `where`.
    func select<Row: StoredRow>(_: Row.Type) -> SQLSelectBuilder {
        select().columns(Row.mapping.selection()).from(Row.mapping.table)
    }

    /// Sets every column but `key` (and those `leaving` out) of the row whose `key` column holds
    /// the row's own value. The statement's text is built once per table and set of columns: a
    /// conversation is updated by every inbound text, inside the one SQLite writer's transaction,
    /// where serialising SQLKit's update builder (an identifier and a bind per column) cost a
    /// fifth of the inbound rate.
    func update<Row: StoredRow>(_ row: Row, key: String = "id", leaving: Set<String> = []) -> RowUpdate {
        let mapping = Row.mapping
        let values = mapping.values(of: row)
        let text = mapping.updateText(key: key, leaving: leaving)
        var query = SQLQueryString("")
        query.appendInterpolation(unsafeRaw: text.set)
        for (position, index) in text.indexes.enumerated() {
            query.appendInterpolation(unsafeRaw: text.separators[position])
            query.appendInterpolation(bind: values[index])
        }
        query.appendInterpolation(unsafeRaw: text.where)
        query.appendInterpolation(bind: values[mapping.index(of: key)])
        return RowUpdate(sql: self, query: query)
    }
}

/// A whole-row update (`sql.update(row)`), narrowed with further conditions before it runs.
struct RowUpdate: Sendable {
    let sql: any SQLDatabase
    var query: SQLQueryString

    /// And `column` `op` `value` (`.equal` or `.notEqual`).
    func `where`(_ column: String, _ op: SQLBinaryOperator, _ value: some Encodable & Sendable) -> RowUpdate {
        precondition(op == .equal || op == .notEqual, "RowUpdate compares with = or <>")
        var narrowed = self
        narrowed.query.appendInterpolation(unsafeRaw: " AND \"\(column)\" \(op == .equal ? "=" : "<>") ")
        narrowed.query.appendInterpolation(bind: value)
        return narrowed
    }

    /// And `column` is one of `values` (none: no row).
    func `where`(_ column: String, in values: [some Encodable & Sendable]) -> RowUpdate {
        var narrowed = self
        guard !values.isEmpty else {
            narrowed.query.appendInterpolation(unsafeRaw: " AND 1 = 0")
            return narrowed
        }
        narrowed.query.appendInterpolation(unsafeRaw: " AND \"\(column)\" IN (")
        narrowed.query.appendInterpolation(binds: values)
        narrowed.query.appendInterpolation(unsafeRaw: ")")
        return narrowed
    }

    func run() async throws {
        try await sql.raw(query).run()
    }

    /// Runs it, answering `column` of each row it changed.
    func returning(_ column: String) async throws -> [any SQLRow] {
        var returning = query
        returning.appendInterpolation(unsafeRaw: " RETURNING \"\(column)\"")
        return try await sql.raw(returning).all()
    }
}

extension TableMapping {
    /// `UPDATE "t" SET "a" = ` … `, "b" = ` … ` WHERE "key" = `, split around the binds, with the
    /// value positions in order; built once per (key, leaving).
    func updateText(key: String, leaving: Set<String>) -> UpdateText {
        updateTexts.text(for: UpdateTextKey(key: key, leaving: leaving)) {
            let indexes = columns.indices.filter { index in
                columns[index] != key && !assignedByDatabase.contains(columns[index])
                    && !leaving.contains(columns[index])
            }
            precondition(!indexes.isEmpty, "\(table): an update that sets nothing")
            return UpdateText(
                set: "UPDATE \"\(table)\" SET ",
                indexes: indexes,
                separators: indexes.enumerated().map { "\($0.offset == 0 ? "" : ", ")\"\(columns[$0.element])\" = " },
                where: " WHERE \"\(columns[index(of: key)])\" = ")
        }
    }
}

struct UpdateTextKey: Hashable, Sendable {
    var key: String
    var leaving: Set<String>
}

struct UpdateText: Sendable {
    var set: String
    var indexes: [Int]
    /// `"column" = ` before each bind, in `indexes` order.
    var separators: [String]
    var `where`: String
}

/// Each mapping's update texts, built on first use.
final class UpdateTextCache: Sendable {
    private let texts = Mutex<[UpdateTextKey: UpdateText]>([:])

    func text(for key: UpdateTextKey, build: () -> UpdateText) -> UpdateText {
        if let text = texts.withLock({ $0[key] }) { return text }
        let text = build()
        texts.withLock { $0[key] = text }
        return text
    }
}

extension SQLRow {
    /// This row as its table's stored row.
    func stored<Row: StoredRow>(_: Row.Type) throws -> Row {
        try Row.mapping.decode(self)
    }
}

// MARK: - Deriving the columns and their values from the struct

/// Walks a row type's synthesized `init(from:)` once, noting the keys it asks for, in order.
private struct ColumnKeyRecorder: Decoder {
    final class Keys {
        var names: [String] = []
    }
    let recorded: Keys
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    static func keys<T: Decodable>(of type: T.Type) -> [String] {
        let recorder = ColumnKeyRecorder(recorded: Keys())
        do {
            _ = try T(from: recorder)
        } catch {
            preconditionFailure("\(T.self) is not a stored row: \(error)")
        }
        return recorder.recorded.names
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Container<Key>(recorded: recorded))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(
            [Any].self, .init(codingPath: codingPath, debugDescription: "A stored row's columns hold single values"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SampleValue() }

    /// Answers every column with a sample value of its type.
    struct Container<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let recorded: Keys
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) throws -> Bool {
            recorded.names.append(key.stringValue)
            return true
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            recorded.names.append(key.stringValue)
            // Data decodes itself from an unkeyed container of bytes; a column holds it whole.
            if let data = Data() as? T { return data }
            return try T(from: SampleDecoder())
        }
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            recorded.names.append(key.stringValue)
            return nil
        }
        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws
            -> KeyedDecodingContainer<NestedKey>
        { throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "not a column")) }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "not a column"))
        }
        func superDecoder() throws -> any Decoder { SampleDecoder() }
        func superDecoder(forKey key: Key) throws -> any Decoder { SampleDecoder() }
    }

    struct SampleDecoder: Decoder {
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] = [:]
        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            throw DecodingError.typeMismatch(
                type, .init(codingPath: [], debugDescription: "A stored row's columns hold single values"))
        }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch(
                [Any].self, .init(codingPath: [], debugDescription: "A stored row's columns hold single values"))
        }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { SampleValue() }
    }

    struct SampleValue: SingleValueDecodingContainer {
        var codingPath: [any CodingKey] = []
        func decodeNil() -> Bool { false }
        func decode(_ type: Bool.Type) throws -> Bool { false }
        func decode(_ type: String.Type) throws -> String { "" }
        func decode(_ type: Double.Type) throws -> Double { 0 }
        func decode(_ type: Float.Type) throws -> Float { 0 }
        func decode(_ type: Int.Type) throws -> Int { 0 }
        func decode(_ type: Int8.Type) throws -> Int8 { 0 }
        func decode(_ type: Int16.Type) throws -> Int16 { 0 }
        func decode(_ type: Int32.Type) throws -> Int32 { 0 }
        func decode(_ type: Int64.Type) throws -> Int64 { 0 }
        func decode(_ type: UInt.Type) throws -> UInt { 0 }
        func decode(_ type: UInt8.Type) throws -> UInt8 { 0 }
        func decode(_ type: UInt16.Type) throws -> UInt16 { 0 }
        func decode(_ type: UInt32.Type) throws -> UInt32 { 0 }
        func decode(_ type: UInt64.Type) throws -> UInt64 { 0 }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: SampleDecoder()) }
    }
}

/// Collects a row's column values in declaration order, as binds (nil as NULL). With `capturing`,
/// only the values at those positions are kept (a copy's varying columns).
private final class ColumnValueEncoder: Encoder {
    let keys: [String]
    /// Per column, whether to keep its value (nil: keep every value, in `values`).
    let capturing: [Bool]?
    var values: [any Encodable & Sendable] = []
    /// The kept values, by column position.
    var captured: [(any Encodable & Sendable)?]
    var position = 0
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(keys: [String], capturing: Set<Int>?) {
        self.keys = keys
        self.capturing = capturing.map { kept in keys.indices.map { kept.contains($0) } }
        self.captured = Array(repeating: nil, count: capturing == nil ? 0 : keys.count)
        if capturing == nil { values.reserveCapacity(keys.count) }
    }

    /// Ready for the next row (a copy's varying columns are overwritten in place).
    func restart() {
        position = 0
    }

    func append(_ value: any Encodable & Sendable, key: some CodingKey) {
        // The synthesized encode(to:) visits the properties in the order init(from:) does.
        assert(position < keys.count && keys[position] == key.stringValue, "column order differs at \(key)")
        if let capturing {
            if capturing[position] { captured[position] = value }
        } else {
            values.append(value)
        }
        position += 1
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Container<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        preconditionFailure("A stored row's columns hold single values")
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        preconditionFailure("A stored row's columns hold single values")
    }

    struct Container<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: ColumnValueEncoder
        var codingPath: [any CodingKey] { [] }

        func encodeNil(forKey key: Key) { encoder.append(String?.none, key: key) }
        func encode(_ value: Bool, forKey key: Key) { encoder.append(value, key: key) }
        func encode(_ value: String, forKey key: Key) { encoder.append(value, key: key) }
        func encode(_ value: Double, forKey key: Key) { encoder.append(value, key: key) }
        func encode(_ value: Int, forKey key: Key) { encoder.append(value, key: key) }
        func encode(_ value: Int64, forKey key: Key) { encoder.append(value, key: key) }
        func encode<T: Encodable>(_ value: T, forKey key: Key) {
            switch value {
            case let date as Date: encoder.append(date, key: key)
            case let data as Data: encoder.append(data, key: key)
            case let number as Int32: encoder.append(number, key: key)
            case let number as Float: encoder.append(number, key: key)
            default: preconditionFailure("\(T.self) is not a column value")
            }
        }
        func encodeIfPresent(_ value: Bool?, forKey key: Key) { encoder.append(value, key: key) }
        func encodeIfPresent(_ value: String?, forKey key: Key) { encoder.append(value, key: key) }
        func encodeIfPresent(_ value: Double?, forKey key: Key) { encoder.append(value, key: key) }
        func encodeIfPresent(_ value: Int?, forKey key: Key) { encoder.append(value, key: key) }
        func encodeIfPresent(_ value: Int64?, forKey key: Key) { encoder.append(value, key: key) }
        func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) {
            if let value { return encode(value, forKey: key) }
            // A NULL typed as its column's type: PostgreSQL refuses a text NULL for a timestamp.
            switch T.self {
            case is Date.Type: encoder.append(Date?.none, key: key)
            case is Data.Type: encoder.append(Data?.none, key: key)
            case is Int32.Type: encoder.append(Int32?.none, key: key)
            case is Float.Type: encoder.append(Float?.none, key: key)
            default: preconditionFailure("\(T.self) is not a column value")
            }
        }
        func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        )
            -> KeyedEncodingContainer<NestedKey>
        { preconditionFailure("A stored row's columns hold single values") }
        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            preconditionFailure("A stored row's columns hold single values")
        }
        func superEncoder() -> any Encoder { preconditionFailure("A stored row's columns hold single values") }
        func superEncoder(forKey key: Key) -> any Encoder {
            preconditionFailure("A stored row's columns hold single values")
        }
    }
}
