import FieldlineCore
import SQLKit

/// A stored value this version of Fieldline cannot read: an enum value it does not know (written
/// by a newer version, or by hand). Reading it as some default would be worse than failing: an
/// unknown outbox state read as "pending" texts the customer again, an unknown provider read as
/// the console marks a text delivered that was never sent. So the row fails, naming where.
public struct CorruptRow: Error, Equatable, CustomStringConvertible {
    public var table: String
    public var column: String
    public var value: String

    public init(table: String, column: String, value: String) {
        self.table = table
        self.column = column
        self.value = value
    }

    public var description: String {
        "\(table).\(column) holds \"\(value)\", which this version of Fieldline cannot read."
    }
}

extension RawRepresentable where RawValue == String {
    /// The value stored in `table`.`column`, or `CorruptRow` when it is not one this version knows.
    static func stored(_ raw: String, table: String, column: String) throws(CorruptRow) -> Self {
        guard let value = Self(rawValue: raw) else { throw CorruptRow(table: table, column: column, value: raw) }
        return value
    }

    /// A nullable column: NULL stays nil, an unknown value is `CorruptRow`.
    static func stored(ifAny raw: String?, table: String, column: String) throws(CorruptRow) -> Self? {
        guard let raw else { return nil }
        return try stored(raw, table: table, column: column)
    }
}

extension CorruptRow {
    /// The claimed rows of a work queue that this version can read. A row it cannot is settled by
    /// `fail` (marked failed, with this error as its reason) and left out: one bad row must not
    /// stop the queue, and must not be sent as something it is not.
    static func readable<T, Key: Decodable & Sendable>(
        _ rows: [any SQLRow], key: Key.Type, decode: (any SQLRow) throws -> T,
        fail: (_ id: Key, _ reason: CorruptRow) async throws -> Void
    ) async throws -> [T] {
        var readable: [T] = []
        for row in rows {
            do {
                readable.append(try decode(row))
            } catch let corrupt as CorruptRow {
                try await fail(try row.decode(column: "id", as: Key.self), corrupt)
            }
        }
        return readable
    }
}
