import FieldlineCore
import Foundation
import SQLKit

/// Dispatch notice settings, the visits at a site (DN5) and tracking links (DN6).
public struct DispatchStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    // MARK: Settings

    /// One row per account, the settings as JSON: they are read and written whole.
    struct SettingsRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "dispatch_notice_settings")

        var accountId: String
        var settings: String
        var updatedAt: Date
    }

    /// The account's settings; the defaults (both channels off) until someone saves them.
    public func settings(of accountID: AccountID) async throws -> DispatchNoticeSettings {
        guard
            let row = try await sql.select().column("settings").from("dispatch_notice_settings")
                .where("account_id", .equal, accountID.rawValue).first()
        else { return DispatchNoticeSettings() }
        return try JSONColumn.decode(
            DispatchNoticeSettings.self, from: try row.decode(column: "settings", as: String.self))
    }

    public func save(_ settings: DispatchNoticeSettings, of accountID: AccountID, at instant: Date) async throws {
        let json = try JSONColumn.encode(settings)
        try await sql.upsert(
            SettingsRow(accountId: accountID.rawValue, settings: json, updatedAt: instant), onConflict: ["account_id"])
    }

    // MARK: The site (DN5)

    /// Every visit at a service location, of any job there.
    public func visits(at locationID: LocationID, in accountID: AccountID) async throws -> [SiteVisit] {
        try await sql.select()
            .column(SQLColumn("id", table: "s")).column(SQLColumn("status", table: "s"))
            .column(SQLColumn("dispatched_at", table: "s"))
            .column(SQLColumn("status", table: "j"), as: "job_status")
            .from(SQLAlias(SQLIdentifier("assignments"), as: SQLIdentifier("s")))
            .join(
                SQLAlias(SQLIdentifier("jobs"), as: SQLIdentifier("j")), method: SQLJoinMethod.inner,
                on: SQLQueryString("j.id = s.job_id AND j.account_id = s.account_id")
            )
            .where(SQLColumn("account_id", table: "j"), .equal, SQLBind(accountID.rawValue))
            .where(SQLColumn("location_id", table: "j"), .equal, SQLBind(locationID.rawValue))
            .all()
            .map { row in
                let jobStatus = try JobStatus.stored(
                    row.decode(column: "job_status", as: String.self), table: "jobs", column: "status")
                return SiteVisit(
                    assignmentID: AssignmentID(try row.decode(column: "id", as: String.self)),
                    status: try AssignmentStatus.stored(
                        row.decode(column: "status", as: String.self), table: "assignments", column: "status"),
                    jobIsOpen: !jobStatus.isClosed,
                    dispatchedAt: try row.decode(column: "dispatched_at", as: Date?.self))
            }
    }

    /// Holds the site until the transaction ends, so two dispatches to one address at the same
    /// moment decide DN5 one after the other (PostgreSQL; SQLite's one writer already does).
    public func lockSite(_ locationID: LocationID, in accountID: AccountID) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        _ = try await sql.select().column("id").from("locations")
            .where("id", .equal, locationID.rawValue).where("account_id", .equal, accountID.rawValue)
            .for(.update).all()
    }

    /// Whether the technician is working at some visit other than `assignmentID` now.
    public func isWorking(
        _ technicianID: TechnicianID, elsewhereThan assignmentID: AssignmentID, in accountID: AccountID
    ) async throws -> Bool {
        try await sql.select().column("id").from("assignments")
            .where("account_id", .equal, accountID.rawValue).where("technician_id", .equal, technicianID.rawValue)
            .where("status", .equal, AssignmentStatus.working.rawValue).where("id", .notEqual, assignmentID.rawValue)
            .limit(1).first() != nil
    }

    /// Visits on the way right now, with where they are going: (technician, destination).
    public func visitsOnTheWay(in accountID: AccountID) async throws -> [(TechnicianID, Coordinates?)] {
        try await sql.select()
            .column(SQLColumn("technician_id", table: "s"))
            .column(SQLColumn("latitude", table: "l")).column(SQLColumn("longitude", table: "l"))
            .from(SQLAlias(SQLIdentifier("assignments"), as: SQLIdentifier("s")))
            .join(
                SQLAlias(SQLIdentifier("jobs"), as: SQLIdentifier("j")), method: SQLJoinMethod.inner,
                on: SQLQueryString("j.id = s.job_id AND j.account_id = s.account_id")
            )
            .join(
                SQLAlias(SQLIdentifier("locations"), as: SQLIdentifier("l")), method: SQLJoinMethod.inner,
                on: SQLQueryString("l.id = j.location_id AND l.account_id = j.account_id")
            )
            .where(SQLColumn("account_id", table: "s"), .equal, SQLBind(accountID.rawValue))
            .where(SQLColumn("status", table: "s"), .equal, SQLBind(AssignmentStatus.dispatched.rawValue))
            .all()
            .map { row in
                let latitude = try row.decode(column: "latitude", as: Double?.self)
                let longitude = try row.decode(column: "longitude", as: Double?.self)
                return (
                    TechnicianID(try row.decode(column: "technician_id", as: String.self)),
                    latitude.flatMap { lat in longitude.map { Coordinates(latitude: lat, longitude: $0) } }
                )
            }
    }

    // MARK: Tracking links (DN6)

    // The table keeps only each token's SHA-256, so its rows do not open pages; the token itself
    // travels in the notice (the text and email bodies hold the link the customer was sent).

    public struct TrackingLink: Sendable, Equatable, Codable, StoredRow {
        static let mapping = TableMapping<Self>(table: "tracking_links")

        public var tokenDigest: String
        public var accountId: String
        public var jobId: String
        public var assignmentId: String
        public var technicianId: String
        public var createdAt: Date
        public var expiresAt: Date

        public init(
            tokenDigest: String, accountID: AccountID, jobID: JobID, assignmentID: AssignmentID,
            technicianID: TechnicianID, createdAt: Date, expiresAt: Date
        ) {
            self.tokenDigest = tokenDigest
            self.accountId = accountID.rawValue
            self.jobId = jobID.rawValue
            self.assignmentId = assignmentID.rawValue
            self.technicianId = technicianID.rawValue
            self.createdAt = createdAt
            self.expiresAt = expiresAt
        }

        public var accountID: AccountID { AccountID(accountId) }
        public var jobID: JobID { JobID(jobId) }
        public var assignmentID: AssignmentID { AssignmentID(assignmentId) }
        public var technicianID: TechnicianID { TechnicianID(technicianId) }
    }

    public func insert(_ link: TrackingLink) async throws {
        try await sql.insert(link)
    }

    /// The link a token names, whatever its account: the token is the only key a customer has.
    public func link(digest: String) async throws -> TrackingLink? {
        try await sql.select(TrackingLink.self)
            .where("token_digest", .equal, digest).first()?
            .stored(TrackingLink.self)
    }

    /// Ends a visit's links at once (the job was canceled, or the technician taken off it).
    public func expireLinks(of assignmentID: AssignmentID, in accountID: AccountID, at instant: Date) async throws {
        try await sql.update("tracking_links").set("expires_at", to: instant)
            .where("account_id", .equal, accountID.rawValue).where("assignment_id", .equal, assignmentID.rawValue)
            .where("expires_at", .greaterThan, instant).run()
    }
}
