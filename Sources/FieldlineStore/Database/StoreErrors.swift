import PostgresNIO
import SQLiteNIO

public enum StoreErrors {
    /// Whether `error` is a unique-constraint violation on either engine, so a race between two
    /// writers becomes a clear conflict instead of a server error.
    public static func isUniqueViolation(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError {
            return error.reason == .constraintUniqueFailed || error.reason == .constraint
        }
        if let error = error as? PSQLError {
            return error.serverInfo?[.sqlState] == "23505"
        }
        return false
    }
}
