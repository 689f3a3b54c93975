import FieldlineCore
import Foundation
import SQLKit

/// Estimates and recurring services: the customer records the triggered campaigns watch.
public struct EstimateStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct EstimateRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "estimates")

        var id: String
        var accountId: String
        var customerId: String
        var locationId: String?
        var summary: String
        var amountCents: Int?
        var status: String
        var createdAt: Date
        var decidedAt: Date?

        init(_ estimate: Estimate) {
            id = estimate.id.rawValue
            accountId = estimate.accountID.rawValue
            customerId = estimate.customerID.rawValue
            locationId = estimate.locationID?.rawValue
            summary = estimate.summary
            amountCents = estimate.amountCents
            status = estimate.status.rawValue
            createdAt = estimate.createdAt
            decidedAt = estimate.decidedAt
        }

        var estimate: Estimate {
            get throws {
                Estimate(
                    id: EstimateID(id), accountID: AccountID(accountId), customerID: CustomerID(customerId),
                    locationID: locationId.map(LocationID.init), summary: summary, amountCents: amountCents,
                    status: try EstimateStatus.stored(status, table: "estimates", column: "status"),
                    createdAt: createdAt, decidedAt: decidedAt)
            }
        }
    }

    public func insert(_ estimate: Estimate) async throws {
        try await sql.insert(EstimateRow(estimate))
    }

    public func update(_ estimate: Estimate) async throws {
        try await sql.update(EstimateRow(estimate)).where("account_id", .equal, estimate.accountID.rawValue).run()
    }

    public func find(_ id: EstimateID, in accountID: AccountID) async throws -> Estimate? {
        try await sql.select(EstimateRow.self).where("id", .equal, id.rawValue)
            .where("account_id", .equal, accountID.rawValue).first()?.stored(EstimateRow.self).estimate
    }

    public func estimates(of customerID: CustomerID, in accountID: AccountID) async throws -> [Estimate] {
        try await sql.select(EstimateRow.self).where("account_id", .equal, accountID.rawValue)
            .where("customer_id", .equal, customerID.rawValue).orderBy("created_at", .descending).orderBy("id")
            .all().map { try $0.stored(EstimateRow.self).estimate }
    }

    /// Open estimates given between `givenFrom` and `givenUntil` that no follow-up has acted on,
    /// oldest first.
    public func awaitingFollowUp(
        in accountID: AccountID, givenFrom: Date, givenUntil: Date, limit: Int
    ) async throws -> [Estimate] {
        try await sql.select().columns(EstimateRow.mapping.selection("e"))
            .from(SQLAlias(SQLIdentifier("estimates"), as: SQLIdentifier("e")))
            .where(SQLColumn("account_id", table: "e"), .equal, SQLBind(accountID.rawValue))
            .where(SQLColumn("status", table: "e"), .equal, SQLBind(EstimateStatus.open.rawValue))
            .where(SQLColumn("created_at", table: "e"), .greaterThan, SQLBind(givenFrom))
            .where(SQLColumn("created_at", table: "e"), .lessThanOrEqual, SQLBind(givenUntil))
            .where(
                SQLRaw(
                    "NOT EXISTS (SELECT 1 FROM triggered_runs r WHERE r.account_id = e.account_id AND r.kind = '\(TriggeredCampaignKind.estimateFollowUp.rawValue)' AND r.subject = e.id)"
                )
            )
            .orderBy(SQLColumn("created_at", table: "e")).limit(limit)
            .all().map { try $0.stored(EstimateRow.self).estimate }
    }

    // MARK: Recurring services

    struct ServiceRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "recurring_services")

        var id: String
        var accountId: String
        var customerId: String
        var locationId: String?
        var name: String
        var intervalMonths: Int
        var nextDue: String
        var createdAt: Date

        init(_ service: RecurringService) {
            id = service.id.rawValue
            accountId = service.accountID.rawValue
            customerId = service.customerID.rawValue
            locationId = service.locationID?.rawValue
            name = service.name
            intervalMonths = service.intervalMonths
            nextDue = service.nextDue
            createdAt = service.createdAt
        }

        var service: RecurringService {
            RecurringService(
                id: RecurringServiceID(id), accountID: AccountID(accountId), customerID: CustomerID(customerId),
                locationID: locationId.map(LocationID.init), name: name, intervalMonths: intervalMonths,
                nextDue: nextDue, createdAt: createdAt)
        }
    }

    public func insert(_ service: RecurringService) async throws {
        try await sql.insert(ServiceRow(service))
    }

    public func update(_ service: RecurringService) async throws {
        try await sql.update(ServiceRow(service)).where("account_id", .equal, service.accountID.rawValue).run()
    }

    public func delete(_ id: RecurringServiceID, in accountID: AccountID) async throws {
        try await sql.delete(from: "recurring_services").where("id", .equal, id.rawValue)
            .where("account_id", .equal, accountID.rawValue).run()
    }

    public func service(_ id: RecurringServiceID, in accountID: AccountID) async throws -> RecurringService? {
        try await sql.select(ServiceRow.self).where("id", .equal, id.rawValue)
            .where("account_id", .equal, accountID.rawValue).first()?.stored(ServiceRow.self).service
    }

    public func services(of customerID: CustomerID, in accountID: AccountID) async throws -> [RecurringService] {
        try await sql.select(ServiceRow.self).where("account_id", .equal, accountID.rawValue)
            .where("customer_id", .equal, customerID.rawValue).orderBy("next_due").orderBy("id")
            .all().map { try $0.stored(ServiceRow.self).service }
    }

    /// Services due on a day in `days` whose reminder for that due day has not gone, soonest first.
    public func awaitingReminder(
        in accountID: AccountID, days: ClosedRange<String>, limit: Int
    ) async throws -> [RecurringService] {
        try await sql.select().columns(ServiceRow.mapping.selection("s"))
            .from(SQLAlias(SQLIdentifier("recurring_services"), as: SQLIdentifier("s")))
            .where(SQLColumn("account_id", table: "s"), .equal, SQLBind(accountID.rawValue))
            .where(SQLColumn("next_due", table: "s"), .greaterThanOrEqual, SQLBind(days.lowerBound))
            .where(SQLColumn("next_due", table: "s"), .lessThanOrEqual, SQLBind(days.upperBound))
            .where(
                SQLRaw(
                    "NOT EXISTS (SELECT 1 FROM triggered_runs r WHERE r.account_id = s.account_id AND r.kind = '\(TriggeredCampaignKind.serviceReminder.rawValue)' AND r.subject = s.id AND r.occurrence = s.next_due)"
                )
            )
            .orderBy(SQLColumn("next_due", table: "s")).limit(limit)
            .all().map { try $0.stored(ServiceRow.self).service }
    }
}
