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
        case .invoiceExported(let jobID, let invoiceID):
            try await invoice(invoiceID, job: jobID, event: event, sql: sql, effects: effects)
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
            note: "\(company) has declined this work order" + (comment.map { ": \($0)" } ?? ""),
            declineComment: comment, occurredAt: instant, createdAt: app.clock.now())
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
        guard let job = try await JobStore(sql).find(jobID, in: record.accountID) else { return }
        var linked = record
        linked.jobID = job.id
        try await store.link(record.workOrderID, toJob: job.id, in: record.accountID)
        try await store.mapLocation(
            subscriber: record.subscriberID, location: record.locationID, to: job.customerID, job.locationID,
            in: record.accountID)
        if let nte = record.nteText { try await recordNTE(nte, onJob: job.id, in: record.accountID, sql: sql) }
        try await queueAccept(linked, at: instant, sql: sql, effects: effects)
        let company = try await companyName(record.accountID, sql: sql)
        try await enqueue(
            linked, .note, key: "job", note: "\(company) job #\(job.number) was created for this work order.",
            at: instant, sql: sql, effects: effects)
    }

    /// The not-to-exceed amount in the job's custom field, kept up to date as ServiceChannel changes
    /// it (SV7); left alone on a closed job or one already at its custom-field limit.
    func recordNTE(_ text: String, onJob jobID: JobID, in accountID: AccountID, sql: any SQLDatabase) async throws {
        let jobs = JobStore(sql)
        guard var job = try await jobs.find(jobID, in: accountID), !job.status.isClosed,
            job.customFields[Self.nteField] != text
        else { return }
        var fields = job.customFields
        fields[Self.nteField] = text
        guard let valid = try? Job.validatedCustomFields(fields) else { return }
        job.customFields = valid
        job.updatedAt = app.clock.now()
        try await jobs.update(job)
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
        // The job's files go when it is done, whether or not the check-out is sent (SV9).
        guard mapping.enabled else {
            if milestone == .completed {
                try await attachments(of: jobID, record: record, event: event, sql: sql, effects: effects)
            }
            return
        }
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
            try await attachments(of: jobID, record: record, event: event, sql: sql, effects: effects)
        }
    }

    /// The job's files as they are when it is done, each once; files added later stay here (SV9).
    private func attachments(
        of jobID: JobID, record: WorkOrderRecord, event: DomainEvent, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        guard let job = try await JobStore(sql).find(jobID, in: event.accountID) else { return }
        let files = try await MessageStore(sql).attachments(ofJob: jobID, in: event.accountID)
        for (index, file) in files.enumerated() {
            let name = "fieldline-job-\(job.number)-\(index + 1).\(Self.fileExtension(file.media.contentType))"
            try await enqueue(
                record, .attachment, key: "attachment:\(file.media.id)", note: name, mediaID: file.media.id,
                at: event.occurredAt, sql: sql, effects: effects)
        }
    }

    static func fileExtension(_ contentType: String) -> String {
        let subtype = contentType.split(separator: "/").last.map(String.init)?.lowercased() ?? "bin"
        switch subtype {
        case "jpeg", "pjpeg": return "jpg"
        case "quicktime": return "mov"
        case "3gpp": return "3gp"
        default: return String(subtype.filter { $0.isLetter || $0.isNumber }.prefix(8))
        }
    }

    /// An exported invoice goes with the next hourly export (SV11).
    private func invoice(
        _ invoiceID: InvoiceID, job jobID: JobID, event: DomainEvent, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        guard let record = try await ServiceChannelStore(sql).workOrder(ofJob: jobID, in: event.accountID),
            let invoice = try await InvoiceStore(sql).find(invoiceID, in: event.accountID)
        else { return }
        try await enqueue(
            record, .invoice, key: "invoice", note: invoice.number, invoiceID: invoice.id,
            notBefore: Self.nextExport(after: event.occurredAt), at: event.occurredAt, sql: sql, effects: effects)
    }

    /// The hourly export: on the hour.
    static func nextExport(after instant: Date) -> Date {
        Date(timeIntervalSince1970: (instant.timeIntervalSince1970 / 3600).rounded(.up) * 3600)
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
        primary: String? = nil, extended: String? = nil, mediaID: MediaID? = nil, invoiceID: InvoiceID? = nil,
        notBefore: Date? = nil, at instant: Date, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        let change = WorkOrderChange(
            accountID: record.accountID, workOrderID: record.workOrderID, bookingID: record.bookingID,
            jobID: record.jobID, kind: kind, dedupeKey: key, note: note, statusPrimary: primary,
            statusExtended: extended, mediaID: mediaID, invoiceID: invoiceID, occurredAt: instant,
            notBefore: notBefore, createdAt: app.clock.now())
        if try await ServiceChannelStore(sql).enqueue(change) { effects.wakeServiceChannel() }
    }

    private func companyName(_ accountID: AccountID, sql: any SQLDatabase) async throws -> String {
        try await AccountStore(sql).find(accountID)?.name ?? "Fieldline"
    }
}
