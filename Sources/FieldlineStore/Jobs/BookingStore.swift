import FieldlineCore
import Foundation
import SQLKit

public struct BookingStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct BookingRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "bookings")

        var id: String
        var accountId: String
        var source: String
        var customerId: String?
        var locationId: String?
        var contactName: String?
        var contactPhone: String?
        var summary: String
        var details: String?
        var requestedFor: Date?
        var status: String
        var jobId: String?
        var createdAt: Date
        var updatedAt: Date

        init(_ booking: Booking) {
            id = booking.id.rawValue
            accountId = booking.accountID.rawValue
            source = booking.source
            customerId = booking.customerID?.rawValue
            locationId = booking.locationID?.rawValue
            contactName = booking.contactName
            contactPhone = booking.contactPhone?.e164
            summary = booking.summary
            details = booking.details
            requestedFor = booking.requestedFor
            status = booking.status.rawValue
            jobId = booking.jobID?.rawValue
            createdAt = booking.createdAt
            updatedAt = booking.updatedAt
        }

        var booking: Booking {
            get throws {
                Booking(
                    id: BookingID(id), accountID: AccountID(accountId), source: source,
                    customerID: customerId.map(CustomerID.init), locationID: locationId.map(LocationID.init),
                    contactName: contactName, contactPhone: contactPhone.map(PhoneNumber.init(storedE164:)),
                    summary: summary,
                    details: details, requestedFor: requestedFor,
                    status: try BookingStatus.stored(status, table: "bookings", column: "status"),
                    jobID: jobId.map(JobID.init), createdAt: createdAt, updatedAt: updatedAt)
            }
        }
    }

    public func insert(_ booking: Booking) async throws {
        try await sql.insert(BookingRow(booking))
    }

    /// Several bookings in one statement (a page of ServiceChannel work orders).
    public func insert(_ bookings: [Booking]) async throws {
        guard !bookings.isEmpty else { return }
        try await sql.insert(bookings.map(BookingRow.init))
    }

    public func update(_ booking: Booking) async throws {
        let row = BookingRow(booking)
        try await sql.update("bookings")
            .set("status", to: row.status).set("job_id", to: row.jobId).set("customer_id", to: row.customerId)
            .set("location_id", to: row.locationId).set("updated_at", to: row.updatedAt)
            .where("id", .equal, row.id).where("account_id", .equal, row.accountId)
            .run()
    }

    public func find(_ id: BookingID, in accountID: AccountID) async throws -> Booking? {
        try await sql.select(BookingRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(BookingRow.self).booking
    }

    public func bookings(
        in accountID: AccountID, status: BookingStatus?, limit: Int, offset: Int
    ) async throws -> [Booking] {
        let select = sql.select(BookingRow.self).where("account_id", .equal, accountID.rawValue)
        if let status { select.where("status", .equal, status.rawValue) }
        return try await select.orderBy("created_at", .descending).orderBy("id").limit(limit).offset(offset)
            .all().map { try $0.stored(BookingRow.self).booking }
    }
}
