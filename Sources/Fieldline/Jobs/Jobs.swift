import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// Booking, rescheduling, canceling, assigning and moving technicians through their visits.
/// Every change writes the job's audit trail and emits a domain event in the same transaction.
public struct Jobs: Sendable {
    let app: Fieldline

    public struct NewJob: Sendable {
        public var customerID: CustomerID
        public var locationID: LocationID
        public var summary: String?
        public var startsAt: Date?
        public var endsAt: Date?
        public var arrivalWindowStart: Date?
        public var arrivalWindowEnd: Date?
        public var technicianIDs: [TechnicianID]
        public var customFields: [String: String]?

        public init(
            customerID: CustomerID, locationID: LocationID, summary: String?, startsAt: Date?, endsAt: Date?,
            arrivalWindowStart: Date? = nil, arrivalWindowEnd: Date? = nil, technicianIDs: [TechnicianID] = [],
            customFields: [String: String]? = nil
        ) {
            self.customerID = customerID
            self.locationID = locationID
            self.summary = summary
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.arrivalWindowStart = arrivalWindowStart
            self.arrivalWindowEnd = arrivalWindowEnd
            self.technicianIDs = technicianIDs
            self.customFields = customFields
        }
    }

    public func book(_ input: NewJob, by actor: Actor) async throws -> Job {
        try actor.require(.manageJobs)
        return try await app.transaction { sql, effects in try await book(input, by: actor, in: sql, effects: effects) }
    }

    /// Books inside an existing transaction (booking conversion uses it).
    func book(_ input: NewJob, by actor: Actor, in sql: any SQLDatabase, effects: AfterCommit) async throws -> Job {
        let summary = try Job.validatedSummary(input.summary)
        let customFields = try Job.validatedCustomFields(input.customFields)
        let times = try AppointmentTimes(
            startsAt: input.startsAt, endsAt: input.endsAt, arrivalWindowStart: input.arrivalWindowStart,
            arrivalWindowEnd: input.arrivalWindowEnd)
        let customers = CustomerStore(sql)
        _ = try await Customers.living(input.customerID, store: customers, in: actor.accountID)
        guard let location = try await customers.location(input.locationID, in: actor.accountID) else {
            throw FieldlineError.notFound(entity: "location", id: input.locationID.rawValue)
        }
        guard location.customerID == input.customerID else {
            throw FieldlineError.invalid(field: "locationId", message: "That location belongs to another customer.")
        }
        let technicians = try await activeTechnicians(Array(Set(input.technicianIDs)), in: actor.accountID, sql: sql)
        let now = app.clock.now()
        let number = try await AccountStore(sql).allocateJobNumber(actor.accountID)
        let job = Job(
            id: .generate(), accountID: actor.accountID, number: number, customerID: input.customerID,
            locationID: input.locationID, summary: summary, status: .scheduled, customFields: customFields,
            createdAt: now, updatedAt: now)
        let appointment = Appointment(
            id: .generate(), accountID: actor.accountID, jobID: job.id, startsAt: times.startsAt, endsAt: times.endsAt,
            arrivalWindow: times.arrivalWindow)
        let store = JobStore(sql)
        try await store.insert(job)
        try await store.insert(appointment)
        let text = try await timeText(actor.accountID, sql: sql)
        try await record(
            job: job, actor: actor, kind: "booked",
            text: "Booked job #\(job.number) for \(text.range(times.startsAt, times.endsAt))",
            event: .jobBooked(job.id), sql: sql, effects: effects)
        for technician in technicians {
            try await assign(technician, to: appointment, of: job, by: actor, sql: sql, effects: effects)
        }
        return job
    }

    public struct JobChanges: Sendable {
        public var summary: String?
        public var customFields: [String: String]?

        public init(summary: String? = nil, customFields: [String: String]? = nil) {
            self.summary = summary
            self.customFields = customFields
        }
    }

    public func update(_ id: JobID, _ changes: JobChanges, by actor: Actor) async throws -> Job {
        try actor.require(.manageJobs)
        return try await app.transaction { sql, effects in
            var job = try await openJob(id, actor: actor, sql: sql, toDo: "edit it")
            var notes: [String] = []
            if let summary = changes.summary {
                let validated = try Job.validatedSummary(summary)
                if validated != job.summary { notes.append("summary to \"\(validated)\"") }
                job.summary = validated
            }
            if let fields = changes.customFields {
                let validated = try Job.validatedCustomFields(fields)
                if validated != job.customFields { notes.append("custom fields") }
                job.customFields = validated
            }
            guard !notes.isEmpty else { return job }
            job.updatedAt = app.clock.now()
            try await JobStore(sql).update(job)
            try await record(
                job: job, actor: actor, kind: "edited", text: "Changed \(notes.joined(separator: " and "))", event: nil,
                sql: sql, effects: effects)
            return job
        }
    }

    public func reschedule(
        _ appointmentID: AppointmentID, startsAt: Date?, endsAt: Date?, arrivalWindowStart: Date? = nil,
        arrivalWindowEnd: Date? = nil, by actor: Actor
    ) async throws -> Appointment {
        try actor.require(.manageJobs)
        let times = try AppointmentTimes(
            startsAt: startsAt, endsAt: endsAt, arrivalWindowStart: arrivalWindowStart,
            arrivalWindowEnd: arrivalWindowEnd)
        return try await app.transaction { sql, effects in
            let store = JobStore(sql)
            guard var appointment = try await store.appointment(appointmentID, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "appointment", id: appointmentID.rawValue)
            }
            let job = try await openJob(appointment.jobID, actor: actor, sql: sql, toDo: "reschedule it")
            let text = try await timeText(actor.accountID, sql: sql)
            let before = text.range(appointment.startsAt, appointment.endsAt)
            appointment.startsAt = times.startsAt
            appointment.endsAt = times.endsAt
            appointment.arrivalWindow = times.arrivalWindow
            try await store.update(appointment)
            try await record(
                job: job, actor: actor, kind: "rescheduled",
                text: "Rescheduled from \(before) to \(text.range(times.startsAt, times.endsAt))",
                event: .jobRescheduled(job.id, appointment.id), sql: sql, effects: effects)
            return appointment
        }
    }

    public func cancel(_ id: JobID, reason: String?, by actor: Actor) async throws -> Job {
        try actor.require(.manageJobs)
        let reason = try Text.optional(reason, field: "reason", label: "Reason", maxLength: 500)
        return try await app.transaction { sql, effects in
            var job = try await openJob(id, actor: actor, sql: sql, toDo: "cancel it")
            job.status = .canceled
            job.updatedAt = app.clock.now()
            try await JobStore(sql).update(job)
            try await record(
                job: job, actor: actor, kind: "canceled",
                text: reason.map { "Canceled the job: \($0)" } ?? "Canceled the job", event: .jobCanceled(job.id),
                sql: sql, effects: effects)
            return job
        }
    }

    public func hold(_ id: JobID, reason: String?, by actor: Actor) async throws -> Job {
        try actor.require(.manageJobs)
        let reason = try Text.optional(reason, field: "reason", label: "Reason", maxLength: 500)
        return try await app.transaction { sql, effects in
            guard var job = try await JobStore(sql).find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "job", id: id.rawValue)
            }
            job.status = try JobRules.hold(job.status)
            job.updatedAt = app.clock.now()
            try await JobStore(sql).update(job)
            try await record(
                job: job, actor: actor, kind: "hold",
                text: reason.map { "Put the job on hold: \($0)" } ?? "Put the job on hold",
                event: .jobPutOnHold(job.id),
                sql: sql, effects: effects)
            return job
        }
    }

    public func resume(_ id: JobID, by actor: Actor) async throws -> Job {
        try actor.require(.manageJobs)
        return try await app.transaction { sql, effects in
            let store = JobStore(sql)
            guard var job = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "job", id: id.rawValue)
            }
            let visits = try await store.assignments(ofJobs: [id], in: actor.accountID).map(\.status)
            job.status = try JobRules.resume(job.status, assignments: visits)
            job.updatedAt = app.clock.now()
            try await store.update(job)
            try await record(
                job: job, actor: actor, kind: "resumed",
                text: "Took the job off hold (\(job.status.label.lowercased()))",
                event: .jobResumed(job.id), sql: sql, effects: effects)
            return job
        }
    }

    public func assign(
        _ technicianID: TechnicianID, to appointmentID: AppointmentID, by actor: Actor
    ) async throws -> Assignment {
        try actor.require(.manageJobs)
        return try await app.transaction { sql, effects in
            let store = JobStore(sql)
            guard let appointment = try await store.appointment(appointmentID, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "appointment", id: appointmentID.rawValue)
            }
            let job = try await openJob(appointment.jobID, actor: actor, sql: sql, toDo: "assign technicians")
            guard let technician = try await activeTechnicians([technicianID], in: actor.accountID, sql: sql).first
            else {
                throw FieldlineError.notFound(entity: "technician", id: technicianID.rawValue)
            }
            let assignment = try await assign(
                technician, to: appointment, of: job, by: actor, sql: sql, effects: effects)
            try await refreshStatus(of: job, actor: actor, sql: sql, effects: effects)
            return assignment
        }
    }

    public func dispatch(_ id: AssignmentID, by actor: Actor) async throws -> Assignment {
        try await advance(id, .dispatch, by: actor)
    }

    public func arrive(_ id: AssignmentID, by actor: Actor) async throws -> Assignment {
        try await advance(id, .arrive, by: actor)
    }

    public func complete(_ id: AssignmentID, by actor: Actor) async throws -> Assignment {
        try await advance(id, .complete, by: actor)
    }

    /// Moves one technician's visit along Scheduled → Dispatched → Working → Done. Office staff
    /// dispatch; a technician may mark only their own visit arrived or done.
    public func advance(_ id: AssignmentID, _ action: AssignmentAction, by actor: Actor) async throws -> Assignment {
        try await app.transaction { sql, effects in
            let store = JobStore(sql)
            guard var assignment = try await store.assignment(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "assignment", id: id.rawValue)
            }
            let ownVisit = actor.technicianID == assignment.technicianID && actor.can(.reportArrival)
            guard actor.can(.dispatchJobs) || (ownVisit && action != .dispatch) else {
                throw FieldlineError.forbidden(permission: Permission.dispatchJobs.rawValue)
            }
            guard let job = try await store.find(assignment.jobID, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "job", id: assignment.jobID.rawValue)
            }
            assignment.status = try JobRules.next(assignment.status, after: action, jobStatus: job.status)
            let now = app.clock.now()
            let technician = try await TechnicianStore(sql).find(assignment.technicianID, in: actor.accountID)
            let name = technician?.name ?? "Technician"
            let (kind, text, event): (String, String, DomainEvent.Kind)
            switch action {
            case .dispatch:
                assignment.dispatchedAt = now
                (kind, text, event) = (
                    "dispatched", "Dispatched \(name)",
                    .technicianDispatched(job.id, assignment.id, assignment.technicianID)
                )
            case .arrive:
                assignment.arrivedAt = now
                (kind, text, event) = (
                    "arrived", "\(name) arrived and started working",
                    .technicianArrived(job.id, assignment.id, assignment.technicianID)
                )
            case .complete:
                assignment.completedAt = now
                (kind, text, event) = (
                    "completed", "\(name) finished the visit",
                    .assignmentCompleted(job.id, assignment.id, assignment.technicianID)
                )
            }
            try await store.update(assignment)
            effects.publish(.visitChanged(assignment.technicianID), to: actor.accountID)
            try await record(job: job, actor: actor, kind: kind, text: text, event: event, sql: sql, effects: effects)
            try await refreshStatus(of: job, actor: actor, sql: sql, effects: effects)
            return assignment
        }
    }

    // MARK: Notes

    /// Writes a note on the job's trail. Office staff and the job's own technicians may; a job
    /// from ServiceChannel sends it to the work order (SV10).
    public func addNote(_ id: JobID, text: String?, by actor: Actor) async throws -> JobEvent {
        let text = try JobEvent.validatedNote(text)
        return try await app.transaction { sql, effects in
            let job = try await notableJob(id, actor: actor, sql: sql)
            let note = JobEvent(
                id: UUID().uuidString.lowercased(), accountID: job.accountID, jobID: job.id,
                occurredAt: app.clock.now(), actor: .user(actor), kind: JobEvent.noteKind, text: text)
            try await JobStore(sql).append(note)
            try await app.react(
                to: DomainEvent(
                    accountID: job.accountID, occurredAt: note.occurredAt, actor: note.actor,
                    kind: .jobNoteAdded(job.id, note.id)), in: sql, effects: effects)
            return note
        }
    }

    /// Changes a note's text; ServiceChannel gets the new text as a new note (it cannot edit).
    public func editNote(_ id: JobID, note noteID: String, text: String?, by actor: Actor) async throws -> JobEvent {
        let text = try JobEvent.validatedNote(text)
        return try await app.transaction { sql, effects in
            let job = try await notableJob(id, actor: actor, sql: sql)
            let store = JobStore(sql)
            guard var note = try await store.events(of: job.id, in: actor.accountID).first(where: { $0.id == noteID }),
                note.kind == JobEvent.noteKind
            else { throw FieldlineError.notFound(entity: "note", id: noteID) }
            // The office edits any note; anyone else only their own.
            guard actor.can(.manageJobs) || note.actor.id == actor.userID.rawValue else {
                throw FieldlineError.forbidden(permission: Permission.manageJobs.rawValue)
            }
            guard note.text != text else { return note }
            note.text = text
            try await store.updateNote(noteID, of: job.id, in: actor.accountID, text: text)
            try await app.react(
                to: DomainEvent(
                    accountID: job.accountID, occurredAt: app.clock.now(), actor: .user(actor),
                    kind: .jobNoteEdited(job.id, note.id)), in: sql, effects: effects)
            return note
        }
    }

    private func notableJob(_ id: JobID, actor: Actor, sql: any SQLDatabase) async throws -> Job {
        let store = JobStore(sql)
        guard let job = try await store.find(id, in: actor.accountID) else {
            throw FieldlineError.notFound(entity: "job", id: id.rawValue)
        }
        if actor.can(.manageJobs) { return job }
        let assignments = try await store.assignments(ofJobs: [id], in: actor.accountID)
        try requireVisible(job: job, assignments: assignments, actor: actor)
        guard actor.can(.reportArrival) else {
            throw FieldlineError.forbidden(permission: Permission.manageJobs.rawValue)
        }
        return job
    }

    // MARK: Reading

    public func detail(_ id: JobID, by actor: Actor) async throws -> JobDetail {
        try await app.database.read { sql in
            let store = JobStore(sql)
            guard let job = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "job", id: id.rawValue)
            }
            let assignments = try await store.assignments(ofJobs: [id], in: actor.accountID)
            try requireVisible(job: job, assignments: assignments, actor: actor)
            let customers = CustomerStore(sql)
            guard let customer = try await customers.find(job.customerID, in: actor.accountID),
                let location = try await customers.location(job.locationID, in: actor.accountID)
            else { throw FieldlineError.notFound(entity: "job", id: id.rawValue) }
            let technicians = try await TechnicianStore(sql).technicians(
                assignments.map(\.technicianID), in: actor.accountID)
            return JobDetail(
                job: job, customer: customer, location: location,
                phones: try await customers.phones(of: customer.id, in: actor.accountID),
                appointments: try await store.appointments(ofJobs: [id], in: actor.accountID),
                assignments: assignments, technicians: technicians,
                events: try await store.events(of: id, in: actor.accountID))
        }
    }

    public struct ListItem: Sendable, Equatable {
        public var job: Job
        public var customer: Customer
    }

    /// Jobs newest first, each with its customer.
    public func list(status: JobStatus?, paging: Paging = .firstPage, by actor: Actor) async throws -> [ListItem] {
        try actor.require(.viewJobs)
        return try await app.database.read { sql in
            let jobs = try await JobStore(sql).jobs(
                in: actor.accountID, status: status, limit: paging.limit, offset: paging.offset)
            let customers = try await CustomerStore(sql).customers(jobs.map(\.customerID), in: actor.accountID)
            return jobs.compactMap { job in customers[job.customerID].map { ListItem(job: job, customer: $0) } }
        }
    }

    /// The visits of one day in the account's time zone (`yyyy-MM-dd`; today when nil), earliest
    /// first. Technicians see only their own.
    /// The job's visits whose technician is booked elsewhere at the same time, with those other
    /// visits (open jobs only): the job page flags them.
    public func doubleBookings(ofJob id: JobID, by actor: Actor) async throws -> [AssignmentID: [DoubleBooking.Slot]] {
        try actor.require(.viewJobs)
        return try await app.database.read { sql in
            let store = JobStore(sql)
            let own = try await store.appointments(ofJobs: [id], in: actor.accountID)
            guard let start = own.map(\.startsAt).min(), let end = own.map(\.endsAt).max(), start < end else {
                return [:]
            }
            let appointments = try await store.appointments(
                overlapping: DateInterval(start: start, end: end), in: actor.accountID)
            let slots = try await Self.slots(of: appointments, store: store, accountID: actor.accountID)
            let mine = Set(slots.filter { $0.jobID == id }.map(\.assignmentID))
            return DoubleBooking.conflicts(among: slots).filter { mine.contains($0.key) }
        }
    }

    /// Every technician's place on these visits, leaving out canceled and completed jobs.
    static func slots(
        of appointments: [Appointment], store: JobStore, accountID: AccountID
    ) async throws -> [DoubleBooking.Slot] {
        let jobs = try await store.jobs(Array(Set(appointments.map(\.jobID))), in: accountID)
        let byID = Dictionary(uniqueKeysWithValues: appointments.map { ($0.id, $0) })
        return try await store.assignments(ofJobs: Array(jobs.keys), in: accountID).compactMap { assignment in
            guard let job = jobs[assignment.jobID], !job.status.isClosed,
                let appointment = byID[assignment.appointmentID]
            else { return nil }
            return DoubleBooking.Slot(assignment, job: job, appointment: appointment)
        }
    }

    public func schedule(day: String?, by actor: Actor) async throws -> DaySchedule {
        guard actor.can(.viewJobs) || actor.can(.viewAssignedJobs) else {
            throw FieldlineError.forbidden(permission: Permission.viewJobs.rawValue)
        }
        return try await app.database.read { sql in
            guard let account = try await AccountStore(sql).find(actor.accountID) else {
                throw FieldlineError.notFound(entity: "account", id: actor.accountID.rawValue)
            }
            let calendar = account.calendar
            let dayText = day ?? DayString.of(app.clock.now(), calendar: calendar)
            guard let interval = DayString.interval(of: dayText, calendar: calendar) else {
                throw FieldlineError.invalid(field: "date", message: "\"\(dayText)\" is not a date; use yyyy-MM-dd.")
            }
            let store = JobStore(sql)
            let appointments = try await store.appointments(overlapping: interval, in: actor.accountID)
            let jobIDs = Array(Set(appointments.map(\.jobID)))
            let jobs = try await store.jobs(jobIDs, in: actor.accountID)
            let assignments = try await store.assignments(ofJobs: jobIDs, in: actor.accountID)
            let customers = CustomerStore(sql)
            let customerByID = try await customers.customers(jobs.values.map(\.customerID), in: actor.accountID)
            let locationByID = try await customers.locations(jobs.values.map(\.locationID), in: actor.accountID)
            let technicianByID = try await TechnicianStore(sql).technicians(
                assignments.map(\.technicianID), in: actor.accountID)
            let byAppointment = Dictionary(grouping: assignments, by: \.appointmentID)
            var visits: [DaySchedule.Visit] = []
            for appointment in appointments {
                guard let job = jobs[appointment.jobID], let customer = customerByID[job.customerID],
                    let location = locationByID[job.locationID]
                else { continue }
                let crew = byAppointment[appointment.id] ?? []
                if !actor.can(.viewJobs), !crew.contains(where: { $0.technicianID == actor.technicianID }) { continue }
                visits.append(
                    DaySchedule.Visit(
                        appointment: appointment, job: job, customer: customer, location: location,
                        assignments: crew.compactMap { assignment in
                            technicianByID[assignment.technicianID].map { (assignment, $0) }
                        }.map { DaySchedule.Crew(assignment: $0.0, technician: $0.1) }))
            }
            return DaySchedule(day: dayText, interval: interval, account: account, visits: visits)
        }
    }

    // MARK: Helpers

    private func requireVisible(job: Job, assignments: [Assignment], actor: Actor) throws {
        if actor.can(.viewJobs) { return }
        if actor.can(.viewAssignedJobs), let technicianID = actor.technicianID,
            assignments.contains(where: { $0.technicianID == technicianID })
        {
            return
        }
        // Jobs a technician is not on are as invisible as another account's.
        throw FieldlineError.notFound(entity: "job", id: job.id.rawValue)
    }

    private func openJob(_ id: JobID, actor: Actor, sql: any SQLDatabase, toDo action: String) async throws -> Job {
        guard let job = try await JobStore(sql).find(id, in: actor.accountID) else {
            throw FieldlineError.notFound(entity: "job", id: id.rawValue)
        }
        try JobRules.requireOpen(job.status, toDo: action)
        return job
    }

    private func activeTechnicians(
        _ ids: [TechnicianID], in accountID: AccountID, sql: any SQLDatabase
    ) async throws
        -> [Technician]
    {
        let found = try await TechnicianStore(sql).technicians(ids, in: accountID)
        return try ids.map { id in
            guard let technician = found[id] else {
                throw FieldlineError.notFound(entity: "technician", id: id.rawValue)
            }
            guard technician.active else {
                throw FieldlineError.conflict(
                    code: .technicianInactive, message: "\(technician.name) is inactive and cannot be assigned.")
            }
            return technician
        }
    }

    @discardableResult
    private func assign(
        _ technician: Technician, to appointment: Appointment, of job: Job, by actor: Actor, sql: any SQLDatabase,
        effects: AfterCommit
    ) async throws -> Assignment {
        let assignment = Assignment(
            id: .generate(), accountID: actor.accountID, jobID: job.id, appointmentID: appointment.id,
            technicianID: technician.id, status: .scheduled, dispatchedAt: nil, arrivedAt: nil, completedAt: nil)
        try await JobStore(sql).insert(assignment)
        try await record(
            job: job, actor: actor, kind: "assigned", text: "Assigned \(technician.name)",
            event: .technicianAssigned(job.id, assignment.id, technician.id), sql: sql, effects: effects)
        return assignment
    }

    /// Re-derives the job status from its assignments, recording the change when there is one.
    private func refreshStatus(of job: Job, actor: Actor, sql: any SQLDatabase, effects: AfterCommit) async throws {
        let store = JobStore(sql)
        guard var current = try await store.find(job.id, in: actor.accountID) else { return }
        let statuses = try await store.assignments(ofJobs: [job.id], in: actor.accountID).map(\.status)
        let derived = JobRules.jobStatus(current: current.status, assignments: statuses)
        guard derived != current.status else { return }
        current.status = derived
        current.updatedAt = app.clock.now()
        try await store.update(current)
        try await record(
            job: current, actor: actor, kind: "status", text: "Job is now \(derived.label.lowercased())",
            event: derived == .completed ? .jobCompleted(job.id) : nil, sql: sql, effects: effects)
    }

    private func record(
        job: Job, actor: Actor, kind: String, text: String, event: DomainEvent.Kind?, sql: any SQLDatabase,
        effects: AfterCommit
    ) async throws {
        let now = app.clock.now()
        let actorRef = ActorRef.user(actor)
        try await JobStore(sql).append(
            JobEvent(
                id: UUID().uuidString.lowercased(), accountID: job.accountID, jobID: job.id, occurredAt: now,
                actor: actorRef, kind: kind, text: text))
        if let event {
            try await app.react(
                to: DomainEvent(accountID: job.accountID, occurredAt: now, actor: actorRef, kind: event), in: sql,
                effects: effects)
        }
    }

    private func timeText(_ accountID: AccountID, sql: any SQLDatabase) async throws -> TimeText {
        let zone = try await AccountStore(sql).find(accountID)?.timeZone ?? "UTC"
        return TimeText(timeZoneIdentifier: zone)
    }
}

public struct JobDetail: Sendable, Equatable {
    public var job: Job
    public var customer: Customer
    public var location: ServiceLocation
    public var phones: [PhoneContact]
    public var appointments: [Appointment]
    public var assignments: [Assignment]
    public var technicians: [TechnicianID: Technician]
    public var events: [JobEvent]
}

extension DaySchedule {
    /// The day's technicians booked on two open visits at once.
    public var doubleBookings: [AssignmentID: [DoubleBooking.Slot]] {
        DoubleBooking.conflicts(
            among: visits.filter { !$0.job.status.isClosed }.flatMap { visit in
                visit.assignments.map {
                    DoubleBooking.Slot($0.assignment, job: visit.job, appointment: visit.appointment)
                }
            })
    }
}

public struct DaySchedule: Sendable, Equatable {
    public struct Crew: Sendable, Equatable {
        public var assignment: Assignment
        public var technician: Technician
    }

    public struct Visit: Sendable, Equatable {
        public var appointment: Appointment
        public var job: Job
        public var customer: Customer
        public var location: ServiceLocation
        public var assignments: [Crew]
    }

    public var day: String
    public var interval: DateInterval
    public var account: Account
    public var visits: [Visit]
}
