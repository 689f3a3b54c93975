import FieldlineCore

/// A page of a list: `limit` 1–200 (default 50), `offset` from 0.
public struct Paging: Sendable, Equatable {
    public var limit: Int
    public var offset: Int

    public init(limit: Int? = nil, offset: Int? = nil) throws(FieldlineError) {
        let limit = limit ?? 50
        let offset = offset ?? 0
        guard (1...200).contains(limit) else {
            throw .invalid(field: "limit", message: "limit is between 1 and 200.")
        }
        guard offset >= 0 else {
            throw .invalid(field: "offset", message: "offset cannot be negative.")
        }
        self.limit = limit
        self.offset = offset
    }

    private init(checkedLimit: Int, offset: Int) {
        self.limit = checkedLimit
        self.offset = offset
    }

    public static let firstPage = Paging(checkedLimit: 50, offset: 0)
}
