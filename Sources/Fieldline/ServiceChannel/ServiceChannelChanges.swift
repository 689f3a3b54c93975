import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// Turns what happens to a work order's booking or job into queued changes for ServiceChannel,
/// inside the transaction that made it happen: the change exists exactly when the booking was
/// accepted, the technician dispatched, the note written (SV3, SV6–SV8, SV10).
struct ServiceChannelChanges: Sendable {
    let app: Fieldline

    /// The job custom field the not-to-exceed amount goes into (SV7).
    static let nteField = "Not to exceed (ServiceChannel)"

    func handle(_ event: DomainEvent, in sql: any SQLDatabase, effects: AfterCommit) async throws {
        switch event.kind {
        case .bookingStatusChanged(let id, let status):
            // The sync itself accepts a booking that was accepted in ServiceChannel: nothing to send.
            guard event.actor.kind != .integration else { return }
            guard let record = try await ServiceChannelStore(sql).workOrder(ofBooking: id, in: event.accountID) else {
                return
            }
            switch status {
            case .accepted:
                try await queueAccept(record, at: event.occurredAt, sql: sql, effects: effects)
            case .dismissed:
                // A plain dismissal declines with "Other"; `ServiceChannel.decline` queued its own
                // reason first, and this one then finds it already there.
                try await queueDecline(
                    record, reason: 5, comment: "Dismissed in Fieldline", at: event.occurredAt, sql: sql,
                    effects: effects)
            case .converted:
                guard let booking = try await BookingStore(sql).find(id, in: event.accountID), let jobID = booking.jobID
                else { return }
                try await linkJob(jobID, to: record, at: event.occurredAt, sql: sql, effects: effects)
            case .new:
                return
            }
        case .technicianDispatched(let jobID, _, _):
            try await milestone(.dispatched, job: jobID, event: event, sql: sql, effects: effects)
        case .technicianArrived(let jobID, _, _):
            try await milestone(.arrived, job: jobID, event: event, sql: sql, effects: effects)
        case .jobCompleted(let jobID):
            try await milestone(.completed, job: jobID, event: event, sql: sql, effects: effects)
        case .jobNoteAdded(let jobID, let noteID), .jobNoteEdited(let jobID, let noteID):
            try await note(noteID, job: jobID, event: event, sql: sql, effects: effects)
        default:
            return
        }
    }

    // MARK: Queuing

    func queueAccept(
        _ record: WorkOrderRecord, at instant: Date, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        // Accepted in ServiceChannel already (SV5): accepting again would only be refused.
        guard !WorkOrderIntake.isAccepted(primary: record.statusPrimary) else { return }
        let company = try await companyName(record.accountID, sql: sql)
        try await enqueue(
            record, .accept, key: "accept", note: "\(company) has accepted this work order", at: instant, sql: sql,
            effects: effects)
    }

    func queueDecline(
        _ record: WorkOrderRecord, reason: Int, comment: String?, at instant: Date, sql: any SQLDatabase,
        effects: AfterCommit
    ) async throws {
        let company = try await companyName(record.accountID, sql: sql)
        var change = WorkOrderChange(
            accountID: record.accountID, workOrderID: record.workOrderID, bookingID: record.bookingID,
            jobID: record.jobID, kind: .decline, dedupeKey: "decline",
            note: "\(company) has declined this work order" + (comment.map { ": \($0)" } ?? ""), occurredAt: instant,
            createdAt: app.clock.now())
        change.declineReason = reason
        if try await ServiceChannelStore(sql).enqueue(change) { effects.wakeServiceChannel() }
    }

    /// A job now does the work order's work (converted, or created directly): ServiceChannel
    /// hears the job number, the (subscriber, location) pair is remembered for next time, and
    /// the not-to-exceed amount lands on the job (SV6, SV7).
    func linkJob(
        _ jobID: JobID, to record: WorkOrderRecord, at instant: Date, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        let store = ServiceChannelStore(sql)
        let jobs = JobStore(sql)
        guard var job = try await jobs.find(jobID, in: record.accountID) else { return }
        var linked = record
        linked.jobID = job.id
        try await store.update(linked)
        try await store.mapLocation(
            subscriber: record.subscriberID, location: record.locationID, to: job.customerID, job.locationID,
            in: record.accountID)
        if let nte = record.nteText, job.customFields[Self.nteField] == nil {
            job.customFields[Self.nteField] = nte
            job.updatedAt = app.clock.now()
            try await jobs.update(job)
        }
        try await queueAccept(linked, at: instant, sql: sql, effects: effects)
        let company = try await companyName(record.accountID, sql: sql)
        try await enqueue(
            linked, .note, key: "job", note: "\(company) job #\(job.number) was created for this work order.",
            at: instant, sql: sql, effects: effects)
    }

    private func milestone(
        _ milestone: WorkOrderMilestone, job jobID: JobID, event: DomainEvent, sql: any SQLDatabase,
        effects: AfterCommit
    ) async throws {
        let store = ServiceChannelStore(sql)
        guard let record = try await store.workOrder(ofJob: jobID, in: event.accountID) else { return }
        let mapping = StatusMapping.resolve(
            milestone, subscriber: try await store.mappings(subscriber: record.subscriberID, in: event.accountID),
            account: try await store.mappings(subscriber: 0, in: event.accountID))
        guard mapping.enabled else { return }
        let company = try await companyName(record.accountID, sql: sql)
        switch milestone {
        case .dispatched:
            try await enqueue(
                record, .status, key: "dispatched", note: "\(company) dispatched a technician.",
                primary: mapping.primary, extended: mapping.extended, at: event.occurredAt, sql: sql,
                effects: effects)
        case .arrived:
            try await enqueue(record, .checkIn, key: "arrived", at: event.occurredAt, sql: sql, effects: effects)
        case .completed:
            try await enqueue(
                record, .checkOut, key: "completed", note: "Work completed by \(company).", primary: mapping.primary,
                extended: mapping.extended, at: event.occurredAt, sql: sql, effects: effects)
        }
    }

    private func note(
        _ noteID: String, job jobID: JobID, event: DomainEvent, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        let store = ServiceChannelStore(sql)
        guard let record = try await store.workOrder(ofJob: jobID, in: event.accountID),
            try await store.subscriber(record.subscriberID, in: event.accountID)?.noteSync ?? true,
            let note = try await JobStore(sql).events(of: jobID, in: event.accountID).first(where: { $0.id == noteID })
        else { return }
        let edited: Bool
        if case .jobNoteEdited = event.kind { edited = true } else { edited = false }
        // ServiceChannel cannot change a note: an edit goes as a new one (SV10).
        let key = edited ? "note:\(noteID):\(Int(event.occurredAt.timeIntervalSince1970 * 1000))" : "note:\(noteID)"
        let text = (edited ? "Edited note from \(note.actor.name): " : "\(note.actor.name): ") + note.text
        try await enqueue(record, .note, key: key, note: text, at: event.occurredAt, sql: sql, effects: effects)
    }

    private func enqueue(
        _ record: WorkOrderRecord, _ kind: WorkOrderChangeKind, key: String, note: String? = nil,
        primary: String? = nil, extended: String? = nil, at instant: Date, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        let change = WorkOrderChange(
            accountID: record.accountID, workOrderID: record.workOrderID, bookingID: record.bookingID,
            jobID: record.jobID, kind: kind, dedupeKey: key, note: note, statusPrimary: primary,
            statusExtended: extended, occurredAt: instant, createdAt: app.clock.now())
        if try await ServiceChannelStore(sql).enqueue(change) { effects.wakeServiceChannel() }
    }

    private func companyName(_ accountID: AccountID, sql: any SQLDatabase) async throws -> String {
        try await AccountStore(sql).find(accountID)?.name ?? "Fieldline"
    }
}
