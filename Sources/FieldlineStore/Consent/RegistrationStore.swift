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

    struct Row: Codable {
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
        let rows = try await sql.select().column("*").from("registrations")
            .where("account_id", .equal, accountID.rawValue).all().map { try $0.record(Row.self) }
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
        try await sql.insert(into: "registrations")
            .columns(
                "account_id", "kind", "details", "status", "rejection_reason", "submitted_at", "decided_at",
                "updated_at"
            )
            .values(
                SQLBind(registration.accountID.rawValue), SQLBind(registration.kind.rawValue),
                SQLBind(try JSONColumn.encode(registration.details)), SQLBind(registration.status.rawValue),
                SQLBind(registration.rejectionReason), SQLBind(registration.submittedAt),
                SQLBind(registration.decidedAt), SQLBind(registration.updatedAt)
            )
            .onConflict(with: ["account_id", "kind"]) { conflict in
                conflict.set(excludedValueOf: "details").set(excludedValueOf: "status")
                    .set(excludedValueOf: "rejection_reason").set(excludedValueOf: "submitted_at")
                    .set(excludedValueOf: "decided_at").set(excludedValueOf: "updated_at")
            }
            .run()
    }
}
