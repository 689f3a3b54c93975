import FieldlineCore
import Foundation
import SQLKit

/// The account's carrier registrations (SC1). An account without a row has a registration that
/// was never submitted.
public struct RegistrationStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct Row: StoredRow {
        static let mapping = TableMapping<Self>(table: "registrations")

        var accountId: String
        var kind: String
        var details: String
        var status: String
        var rejectionReason: String?
        var submittedAt: Date?
        var decidedAt: Date?
        var updatedAt: Date
    }

    /// Both registrations, texting first.
    public func registrations(of accountID: AccountID) async throws -> [Registration] {
        let rows = try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).all().map { try $0.stored(Row.self) }
        // A row of a kind this version does not know is unreadable, not absent: it would
        // otherwise stand in as "not submitted".
        for row in rows { _ = try RegistrationKind.stored(row.kind, table: "registrations", column: "kind") }
        return try RegistrationKind.allCases.map { kind in
            guard let row = rows.first(where: { $0.kind == kind.rawValue }) else {
                return Registration(accountID: accountID, kind: kind, updatedAt: Date(timeIntervalSince1970: 0))
            }
            return Registration(
                accountID: accountID, kind: kind,
                details: try JSONColumn.decode(RegistrationDetails.self, from: row.details),
                status: try RegistrationStatus.stored(row.status, table: "registrations", column: "status"),
                rejectionReason: row.rejectionReason,
                submittedAt: row.submittedAt, decidedAt: row.decidedAt, updatedAt: row.updatedAt)
        }
    }

    /// The two statuses alone, for the Messenger's check of every text.
    public func statuses(
        of accountID: AccountID
    ) async throws -> (texting: RegistrationStatus, marketing: RegistrationStatus) {
        let rows = try await sql.select().columns("kind", "status").from("registrations")
            .where("account_id", .equal, accountID.rawValue).all()
        var texting = RegistrationStatus.notSubmitted
        var marketing = RegistrationStatus.notSubmitted
        for row in rows {
            let status =
                try RegistrationStatus.stored(
                    row.decode(column: "status", as: String.self), table: "registrations", column: "status")
            switch try RegistrationKind.stored(
                row.decode(column: "kind", as: String.self), table: "registrations", column: "kind")
            {
            case .texting: texting = status
            case .marketing: marketing = status
            }
        }
        return (texting, marketing)
    }

    public func save(_ registration: Registration) async throws {
        try await sql.upsert(
            Row(
                accountId: registration.accountID.rawValue, kind: registration.kind.rawValue,
                details: try JSONColumn.encode(registration.details), status: registration.status.rawValue,
                rejectionReason: registration.rejectionReason, submittedAt: registration.submittedAt,
                decidedAt: registration.decidedAt, updatedAt: registration.updatedAt),
            onConflict: ["account_id", "kind"])
    }
}
