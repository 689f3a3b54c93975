import FieldlineCore
import Foundation
import SQLKit

/// Jobs with their appointments, technician assignments and audit trail.
public struct JobStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct JobRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "jobs")

        var id: String
        var accountId: String
        var number: Int
        var customerId: String
        var locationId: String
        var summary: String
        var status: String
        var customFields: String
        var createdAt: Date
        var updatedAt: Date

        init(_ job: Job) throws {
            id = job.id.rawValue
            accountId = job.accountID.rawValue
            number = job.number
            customerId = job.customerID.rawValue
            locationId = job.locationID.rawValue
            summary = job.summary
            status = job.status.rawValue
            customFields = try JSONColumn.encode(job.customFields)
            createdAt = job.createdAt
            updatedAt = job.updatedAt
        }

        func job() throws -> Job {
            Job(
                id: JobID(id), accountID: AccountID(accountId), number: number, customerID: CustomerID(customerId),
                locationID: LocationID(locationId), summary: summary,
                status: try JobStatus.stored(status, table: "jobs", column: "status"),
                customFields: try JSONColumn.decode([String: String].self, from: customFields), createdAt: createdAt,
                updatedAt: updatedAt)
        }
    }

    public func insert(_ job: Job) async throws {
        try await sql.insert(try JobRow(job))
    }

    public func update(_ job: Job) async throws {
        let row = try JobRow(job)
        try await sql.update("jobs")
            .set("summary", to: row.summary).set("status", to: row.status).set("custom_fields", to: row.customFields)
            .set("updated_at", to: row.updatedAt)
            .where("id", .equal, row.id).where("account_id", .equal, row.accountId)
            .run()
    }

    public func find(_ id: JobID, in accountID: AccountID) async throws -> Job? {
        try await sql.select(JobRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(JobRow.self).job()
    }

    public func jobs(_ ids: [JobID], in accountID: AccountID) async throws -> [JobID: Job] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select(JobRow.self)
            .where("account_id", .equal, accountID.rawValue).where("id", .in, Set(ids.map(\.rawValue)).sorted())
            .all().map { try $0.stored(JobRow.self).job() }
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
    }

    public func jobs(ofCustomer customerID: CustomerID, in accountID: AccountID, limit: Int = 100) async throws -> [Job]
    {
        try await sql.select(JobRow.self)
            .where("customer_id", .equal, customerID.rawValue).where("account_id", .equal, accountID.rawValue)
            .orderBy("number", .descending).limit(limit)
            .all().map { try $0.stored(JobRow.self).job() }
    }

    public func jobs(in accountID: AccountID, status: JobStatus?, limit: Int, offset: Int) async throws -> [Job] {
        let select = sql.select(JobRow.self).where("account_id", .equal, accountID.rawValue)
        if let status { select.where("status", .equal, status.rawValue) }
        return try await select.orderBy("number", .descending).limit(limit).offset(offset)
            .all().map { try $0.stored(JobRow.self).job() }
    }

    /// A customer's jobs that are still ahead (an appointment that has not ended, job not closed),
    /// soonest first, optionally at one location.
    public func upcomingJobs(
        ofCustomer customerID: CustomerID, at locationID: LocationID? = nil, after instant: Date,
        in accountID: AccountID, limit: Int
    ) async throws -> [Job] {
        let select = sql.select().columns(JobRow.mapping.selection("j"))
            .from(SQLAlias(SQLIdentifier("jobs"), as: SQLIdentifier("j")))
            .where(SQLColumn("account_id", table: "j"), .equal, SQLBind(accountID.rawValue))
            .where(SQLColumn("customer_id", table: "j"), .equal, SQLBind(customerID.rawValue))
            .where(
                SQLColumn("status", table: "j"), .in,
                SQLBind.group([JobStatus.scheduled, .inProgress, .hold].map(\.rawValue)))
        if let locationID {
            select.where(SQLColumn("location_id", table: "j"), .equal, SQLBind(locationID.rawValue))
        }
        select.where(
            SQLQueryString(
                """
                EXISTS (SELECT 1 FROM appointments a WHERE a.job_id = j.id AND a.account_id = j.account_id
                        AND a.ends_at >= \(bind: instant))
                """))
        let jobs = try await select.all().map { try $0.stored(JobRow.self).job() }
        let starts = try await nextStarts(of: jobs.map(\.id), after: instant, in: accountID)
        return jobs.sorted {
            (starts[$0.id] ?? .distantFuture, $0.number) < (starts[$1.id] ?? .distantFuture, $1.number)
        }
        .prefix(limit).map { $0 }
    }

    /// The earliest appointment start of each job that ends after `instant`.
    func nextStarts(of jobIDs: [JobID], after instant: Date, in accountID: AccountID) async throws -> [JobID: Date] {
        var starts: [JobID: Date] = [:]
        for appointment in try await appointments(ofJobs: jobIDs, in: accountID) where appointment.endsAt >= instant {
            starts[appointment.jobID] = min(starts[appointment.jobID] ?? .distantFuture, appointment.startsAt)
        }
        return starts
    }

    // MARK: Appointments

    struct AppointmentRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "appointments")

        var id: String
        var accountId: String
        var jobId: String
        var startsAt: Date
        var endsAt: Date
        var arrivalWindowStart: Date
        var arrivalWindowEnd: Date

        init(_ appointment: Appointment) {
            id = appointment.id.rawValue
            accountId = appointment.accountID.rawValue
            jobId = appointment.jobID.rawValue
            startsAt = appointment.startsAt
            endsAt = appointment.endsAt
            arrivalWindowStart = appointment.arrivalWindow.start
            arrivalWindowEnd = appointment.arrivalWindow.end
        }

        var appointment: Appointment {
            Appointment(
                id: AppointmentID(id), accountID: AccountID(accountId), jobID: JobID(jobId), startsAt: startsAt,
                endsAt: endsAt, arrivalWindow: ArrivalWindow(start: arrivalWindowStart, end: arrivalWindowEnd))
        }
    }

    public func insert(_ appointment: Appointment) async throws {
        try await sql.insert(AppointmentRow(appointment))
    }

    public func update(_ appointment: Appointment) async throws {
        let row = AppointmentRow(appointment)
        try await sql.update("appointments")
            .set("starts_at", to: row.startsAt).set("ends_at", to: row.endsAt)
            .set("arrival_window_start", to: row.arrivalWindowStart).set("arrival_window_end", to: row.arrivalWindowEnd)
            .where("id", .equal, row.id).where("account_id", .equal, row.accountId)
            .run()
    }

    public func appointment(_ id: AppointmentID, in accountID: AccountID) async throws -> Appointment? {
        try await sql.select(AppointmentRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(AppointmentRow.self).appointment
    }

    public func appointments(ofJobs jobIDs: [JobID], in accountID: AccountID) async throws -> [Appointment] {
        guard !jobIDs.isEmpty else { return [] }
        return try await sql.select(AppointmentRow.self)
            .where("account_id", .equal, accountID.rawValue).where("job_id", .in, Set(jobIDs.map(\.rawValue)).sorted())
            .orderBy("starts_at").orderBy("id")
            .all().map { try $0.stored(AppointmentRow.self).appointment }
    }

    /// Appointments that overlap `interval`, earliest first.
    public func appointments(overlapping interval: DateInterval, in accountID: AccountID) async throws -> [Appointment]
    {
        try await sql.select(AppointmentRow.self)
            .where("account_id", .equal, accountID.rawValue)
            .where("starts_at", .lessThan, interval.end).where("ends_at", .greaterThan, interval.start)
            .orderBy("starts_at").orderBy("id")
            .all().map { try $0.stored(AppointmentRow.self).appointment }
    }

    // MARK: Assignments

    struct AssignmentRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "assignments")

        var id: String
        var accountId: String
        var jobId: String
        var appointmentId: String
        var technicianId: String
        var status: String
        var dispatchedAt: Date?
        var arrivedAt: Date?
        var completedAt: Date?

        init(_ assignment: Assignment) {
            id = assignment.id.rawValue
            accountId = assignment.accountID.rawValue
            jobId = assignment.jobID.rawValue
            appointmentId = assignment.appointmentID.rawValue
            technicianId = assignment.technicianID.rawValue
            status = assignment.status.rawValue
            dispatchedAt = assignment.dispatchedAt
            arrivedAt = assignment.arrivedAt
            completedAt = assignment.completedAt
        }

        var assignment: Assignment {
            get throws {
                Assignment(
                    id: AssignmentID(id), accountID: AccountID(accountId), jobID: JobID(jobId),
                    appointmentID: AppointmentID(appointmentId), technicianID: TechnicianID(technicianId),
                    status: try AssignmentStatus.stored(status, table: "assignments", column: "status"),
                    dispatchedAt: dispatchedAt,
                    arrivedAt: arrivedAt, completedAt: completedAt)
            }
        }
    }

    public func insert(_ assignment: Assignment) async throws {
        do {
            try await sql.insert(AssignmentRow(assignment))
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(
                code: .alreadyAssigned, message: "This technician is already assigned to that appointment.")
        }
    }

    public func update(_ assignment: Assignment) async throws {
        let row = AssignmentRow(assignment)
        try await sql.update("assignments")
            .set("status", to: row.status).set("dispatched_at", to: row.dispatchedAt)
            .set("arrived_at", to: row.arrivedAt).set("completed_at", to: row.completedAt)
            .where("id", .equal, row.id).where("account_id", .equal, row.accountId)
            .run()
    }

    public func assignment(_ id: AssignmentID, in accountID: AccountID) async throws -> Assignment? {
        try await sql.select(AssignmentRow.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(AssignmentRow.self).assignment
    }

    public func assignments(ofJobs jobIDs: [JobID], in accountID: AccountID) async throws -> [Assignment] {
        guard !jobIDs.isEmpty else { return [] }
        return try await sql.select(AssignmentRow.self)
            .where("account_id", .equal, accountID.rawValue).where("job_id", .in, Set(jobIDs.map(\.rawValue)).sorted())
            .orderBy("id")
            .all().map { try $0.stored(AssignmentRow.self).assignment }
    }

    // MARK: Audit trail

    struct EventRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "job_events")

        var id: String
        var accountId: String
        var jobId: String
        var sequence: Int
        var occurredAt: Date
        var actorKind: String
        var actorId: String?
        var actorName: String
        var kind: String
        var text: String
    }

    public func append(_ event: JobEvent) async throws {
        let last =
            try await sql.select()
            .column(
                SQLFunction(
                    "COALESCE", args: SQLFunction("MAX", args: SQLIdentifier("sequence")), SQLLiteral.numeric("0")),
                as: "last"
            )
            .from("job_events").where("job_id", .equal, event.jobID.rawValue)
            .first()?.decode(column: "last", as: Int.self) ?? 0
        let row = EventRow(
            id: event.id, accountId: event.accountID.rawValue, jobId: event.jobID.rawValue, sequence: last + 1,
            occurredAt: event.occurredAt,
            actorKind: event.actor.kind.rawValue, actorId: event.actor.id, actorName: event.actor.name,
            kind: event.kind,
            text: event.text)
        try await sql.insert(row)
    }

    /// Rewrites a note's text (only notes change after they are written).
    @discardableResult
    public func updateNote(_ id: String, of jobID: JobID, in accountID: AccountID, text: String) async throws -> Bool {
        !(try await sql.update("job_events").set("text", to: text)
            .where("id", .equal, id).where("job_id", .equal, jobID.rawValue)
            .where("account_id", .equal, accountID.rawValue).where("kind", .equal, JobEvent.noteKind)
            .returning("id").all()).isEmpty
    }

    /// The job's trail, newest first.
    public func events(of jobID: JobID, in accountID: AccountID) async throws -> [JobEvent] {
        try await sql.select(EventRow.self)
            .where("job_id", .equal, jobID.rawValue).where("account_id", .equal, accountID.rawValue)
            .orderBy("sequence", .descending)
            .all().map {
                let row = try $0.stored(EventRow.self)
                return JobEvent(
                    id: row.id, accountID: AccountID(row.accountId), jobID: JobID(row.jobId),
                    occurredAt: row.occurredAt,
                    actor: ActorRef(
                        kind: try ActorRef.Kind.stored(row.actorKind, table: "job_events", column: "actor_kind"),
                        id: row.actorId, name: row.actorName),
                    kind: row.kind, text: row.text)
            }
    }
}
