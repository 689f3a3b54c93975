import FieldlineCore
import Foundation
import SQLKit

/// Jobs' invoices, one per job.
public struct InvoiceStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct Row: StoredRow {
        static let mapping = TableMapping<Self>(table: "invoices")

        var id: String
        var accountId: String
        var jobId: String
        var number: String
        var issuedOn: String
        var laborCents: Int
        var materialCents: Int
        var travelCents: Int
        var freightCents: Int
        var otherCents: Int
        var taxCents: Int
        var status: String
        var exportedAt: Date?
        var createdAt: Date
        var updatedAt: Date

        init(_ invoice: Invoice) {
            id = invoice.id.rawValue
            accountId = invoice.accountID.rawValue
            jobId = invoice.jobID.rawValue
            number = invoice.number
            issuedOn = invoice.issuedOn
            laborCents = invoice.amounts.labor
            materialCents = invoice.amounts.material
            travelCents = invoice.amounts.travel
            freightCents = invoice.amounts.freight
            otherCents = invoice.amounts.other
            taxCents = invoice.amounts.tax
            status = invoice.status.rawValue
            exportedAt = invoice.exportedAt
            createdAt = invoice.createdAt
            updatedAt = invoice.updatedAt
        }

        var invoice: Invoice {
            get throws {
                Invoice(
                    id: InvoiceID(id), accountID: AccountID(accountId), jobID: JobID(jobId), number: number,
                    issuedOn: issuedOn,
                    amounts: .init(
                        labor: laborCents, material: materialCents, travel: travelCents, freight: freightCents,
                        other: otherCents, tax: taxCents),
                    status: try InvoiceStatus.stored(status, table: "invoices", column: "status"),
                    exportedAt: exportedAt, createdAt: createdAt,
                    updatedAt: updatedAt)
            }
        }
    }

    public func invoice(ofJob jobID: JobID, in accountID: AccountID) async throws -> Invoice? {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("job_id", .equal, jobID.rawValue)
            .first()?.stored(Row.self).invoice
    }

    public func find(_ id: InvoiceID, in accountID: AccountID) async throws -> Invoice? {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("id", .equal, id.rawValue)
            .first()?.stored(Row.self).invoice
    }

    /// False when the job already has one (someone else wrote it a moment ago).
    public func insert(_ invoice: Invoice) async throws -> Bool {
        do {
            try await sql.insert(Row(invoice))
            return true
        } catch  where StoreErrors.isUniqueViolation(error) {
            return false
        }
    }

    public func update(_ invoice: Invoice) async throws {
        try await sql.update(Row(invoice)).where("account_id", .equal, invoice.accountID.rawValue).run()
    }
}
