import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import ServiceLifecycle

/// Polls ServiceChannel and applies the queued changes (SV14). Each change is claimed, applied
/// and settled like a queued text: a retry first asks ServiceChannel whether the last attempt
/// already took effect (its answer may have been lost), so nothing is applied twice; throttling
/// waits its Retry-After; an outage backs off and resumes.
public final class ServiceChannelWorker: Service, Sendable {
    let app: Fieldline
    /// A `sending` row older than this belongs to a worker that stopped.
    let staleAfter: TimeInterval

    /// Longer than one call can take (the minute's budget, three Retry-After waits of up to a
    /// minute, timeouts and a new token: about six minutes at worst), so a change is never taken
    /// over while its first attempt may still land.
    public init(app: Fieldline, staleAfter: TimeInterval = 600) {
        self.app = app
        self.staleAfter = staleAfter
    }

    public func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.pollLoop(stopping) }
                group.addTask { await self.changeLoop(stopping) }
            }
        } onGracefulShutdown: {
            stopping.set()
            self.app.serviceChannelSignal.signal()
            self.app.serviceChannelPollSignal.signal()
        }
    }

    private func pollLoop(_ stopping: StopFlag) async {
        while !stopping.isSet && !Task.isCancelled {
            do {
                try await app.serviceChannelSync.pollDue()
            } catch {
                app.logger.error("ServiceChannel poll: \(error)")
            }
            await app.serviceChannelPollSignal.wait(timeout: 15)
        }
    }

    private func changeLoop(_ stopping: StopFlag) async {
        while !stopping.isSet && !Task.isCancelled {
            do {
                if try await drain() > 0 { continue }
                let next = try await app.database.read { sql in try await ServiceChannelStore(sql).nextDue() }
                let wait = next.map { min(30, max(0.05, $0.timeIntervalSince(app.clock.now()))) } ?? 30
                await app.serviceChannelSignal.wait(timeout: wait)
            } catch {
                app.logger.error("ServiceChannel changes: \(error)")
                await app.serviceChannelSignal.wait(timeout: 5)
            }
        }
    }

    /// Applies every change due now, one at a time; returns how many were settled.
    @discardableResult
    public func drain() async throws -> Int {
        var handled = 0
        while true {
            let now = app.clock.now()
            let batch = try await app.database.write { sql in
                try await ServiceChannelStore(sql).claimDue(
                    limit: 1, at: now, staleBefore: now.addingTimeInterval(-self.staleAfter))
            }
            guard let change = batch.first else { return handled }
            try await apply(change)
            handled += 1
        }
    }

    private func apply(_ change: WorkOrderChange) async throws {
        var settled = change
        let connection = try await app.database.read { sql in
            try await ServiceChannelStore(sql).connection(of: change.accountID)
        }
        guard let connection else {
            // Kept, not failed: the change goes when the account connects again.
            settled.state = .queued
            settled.notBefore = app.clock.now().addingTimeInterval(15 * 60)
            settled.problem = "ServiceChannel is not connected; this goes once it is."
            try await settle(settled, attemptCounts: false)
            return
        }
        let client: ServiceChannelClient
        do {
            client = try app.serviceChannel.client(for: connection)
        } catch {
            settled.state = .queued
            settled.notBefore = app.clock.now().addingTimeInterval(15 * 60)
            settled.problem = error.message
            try await settle(settled, attemptCounts: false)
            return
        }
        let payload: Payload
        do {
            payload = try await self.payload(of: change)
        } catch let problem as FieldlineError {
            settled.state = .failed
            settled.problem = problem.message
            try await settle(settled)
            return
        }
        // Throttling is a pause ServiceChannel asked for, not a failed attempt.
        var attemptCounts = true
        do throws(ServiceChannelError) {
            if change.attempts > 1, try await alreadyApplied(change, client: client) {
                app.logger.info("ServiceChannel change \(change.id) had already taken effect; not sent again.")
            } else {
                try await send(change, payload: payload, client: client)
            }
            settled.state = .applied
            settled.appliedAt = app.clock.now()
            settled.problem = nil
        } catch .refused(_, let code, let message) {
            if change.kind == .accept, code == "5202" {
                settled.state = .applied
                settled.appliedAt = app.clock.now()
                settled.problem = nil
            } else if code == "904" {
                settled = try await actionRequired(change, message: message, client: client, connection: connection)
            } else {
                settled.state = .failed
                settled.problem = "ServiceChannel refused this: \(message)"
            }
        } catch .notFound(_, let message) {
            // Possibly a replica that has not seen the work order yet: try again shortly.
            settled = retry(change, problem: message)
        } catch .throttled(let seconds) {
            attemptCounts = false
            settled = self.settled(
                change,
                after: .throttled(
                    "ServiceChannel is throttling; waiting \(Int(seconds.rounded(.up))) s.", wait: seconds))
            let now = app.clock.now()
            try await app.database.write { sql in
                try await ServiceChannelStore(sql).recordHealth(of: change.accountID, throttledAt: now)
            }
        } catch .authentication(let message) {
            settled = retry(change, problem: "ServiceChannel refused the connection's credentials: \(message)")
            settled.notBefore = max(settled.notBefore, app.clock.now().addingTimeInterval(300))
            let now = app.clock.now()
            try await app.database.write { sql in
                try await ServiceChannelStore(sql).recordHealth(of: change.accountID, error: message, errorAt: now)
            }
        } catch .unavailable(let message) {
            settled = retry(change, problem: message)
        }
        try await settle(settled, attemptCounts: attemptCounts)
    }

    private func retry(_ change: WorkOrderChange, problem: String) -> WorkOrderChange {
        settled(change, after: .passing(problem))
    }

    /// The change after a failed attempt, as the queues' one retry policy says.
    private func settled(_ change: WorkOrderChange, after failure: WorkFailure) -> WorkOrderChange {
        var settled = change
        switch RetryPolicy.serviceChannelChanges.outcome(of: failure, afterAttempts: change.attempts) {
        case .fail(let reason):
            settled.state = .failed
            settled.problem = reason
        case .retry(let delay, let reason):
            settled.state = .queued
            settled.problem = reason
            settled.notBefore = app.clock.now().addingTimeInterval(delay)
        }
        return settled
    }

    /// The work order is no longer in a status that allows the change (SV4): a note marked
    /// Action Required tells the subscriber's people, and the booking or job shows the problem.
    private func actionRequired(
        _ change: WorkOrderChange, message: String, client: ServiceChannelClient,
        connection: ServiceChannelConnection
    ) async throws -> WorkOrderChange {
        let (company, record) = try await app.database.read { sql in
            (
                try await AccountStore(sql).find(change.accountID)?.name ?? "Fieldline",
                try await ServiceChannelStore(sql).workOrder(change.workOrderID, in: change.accountID)
            )
        }
        let status = record.map { " (\($0.statusText))" } ?? ""
        let note =
            "\(company) could not \(change.intent): the work order's status\(status) does not allow it. Please update the work order in ServiceChannel."
        do throws(ServiceChannelError) {
            try await client.addNote(change.workOrderID, text: note, actionRequired: true)
        } catch {
            // The refusal stands; the note is tried again with the change.
            return retry(change, problem: "Refused (\(message)); the Action Required note could not be added yet.")
        }
        var settled = change
        settled.state = .actionRequired
        settled.actionNote = note
        settled.problem =
            "ServiceChannel refused: \(message) A note marked Action Required was added to the work order."
        return settled
    }

    /// What a change sends besides its own row: the file, or the invoice.
    struct Payload {
        var file: (contentType: String, data: Data)?
        var invoice: Invoice?
    }

    private func payload(of change: WorkOrderChange) async throws -> Payload {
        try await app.database.read { sql in
            var payload = Payload()
            if change.kind == .attachment {
                guard let mediaID = change.mediaID,
                    let (media, data) = try await MessageStore(sql).mediaData(mediaID, in: change.accountID)
                else {
                    throw FieldlineError.notFound(entity: "file", id: change.mediaID?.rawValue ?? "")
                }
                payload.file = (media.contentType, data)
            }
            if change.kind == .invoice {
                guard let invoiceID = change.invoiceID,
                    let invoice = try await InvoiceStore(sql).find(invoiceID, in: change.accountID)
                else {
                    throw FieldlineError.notFound(entity: "invoice", id: change.invoiceID?.rawValue ?? "")
                }
                payload.invoice = invoice
            }
            return payload
        }
    }

    /// Whether an earlier attempt, whose answer never came, already did this.
    private func alreadyApplied(
        _ change: WorkOrderChange, client: ServiceChannelClient
    ) async throws(ServiceChannelError) -> Bool {
        // A status may already be the one asked for (a dispatch after an accept is In Progress
        // either way): the note that came with it says whether it landed.
        if change.kind == .note || (change.kind == .status && change.note != nil) {
            let text = change.note ?? ""
            return try await client.notes(change.workOrderID).contains { $0.text == text }
        }
        if change.kind == .attachment {
            return try await client.attachmentNames(change.workOrderID).contains(change.note ?? "")
        }
        let order = try await client.workOrder(change.workOrderID)
        let primary = order.status.primary
        let extended = order.status.extended
        func same(_ lhs: String?, _ rhs: String?) -> Bool {
            (lhs ?? "").caseInsensitiveCompare(rhs ?? "") == .orderedSame
        }
        switch change.kind {
        case .accept:
            return WorkOrderIntake.isAccepted(primary: primary) || same(primary, WorkOrderIntake.completed)
        case .decline:
            return same(extended, WorkOrderIntake.declined)
        case .status:
            return same(primary, change.statusPrimary)
                && (change.statusExtended == nil || same(extended, change.statusExtended))
        case .checkIn:
            return same(extended, "On Site") || same(primary, WorkOrderIntake.completed)
        case .checkOut:
            return same(primary, WorkOrderIntake.completed)
        case .invoice:
            return order.isInvoiced == true
        case .note, .attachment:
            return false
        }
    }

    private func send(
        _ change: WorkOrderChange, payload: Payload, client: ServiceChannelClient
    ) async throws(ServiceChannelError) {
        let id = change.workOrderID
        switch change.kind {
        case .accept:
            try await client.accept(id, note: change.note ?? "")
        case .decline:
            try await client.decline(
                id, reason: change.declineReason.flatMap(ServiceChannelDeclineReason.init(rawValue:)) ?? .other,
                customReason: change.declineComment, note: change.note ?? "")
        case .status:
            try await client.setStatus(
                id, primary: change.statusPrimary ?? WorkOrderIntake.inProgress, extended: change.statusExtended,
                note: change.note ?? "")
        case .note:
            try await client.addNote(id, text: change.note ?? "")
        case .checkIn:
            try await client.checkIn(id, at: change.occurredAt, latitude: nil, longitude: nil)
        case .checkOut:
            try await client.checkOut(
                id, at: change.occurredAt, resolution: change.note ?? "Work completed.",
                extendedStatus: change.statusExtended)
        case .attachment:
            guard let file = payload.file else { return }
            try await client.uploadAttachment(
                id, fileName: change.note ?? "attachment", contentType: file.contentType, data: file.data,
                description: "From Fieldline, when the job was done.")
        case .invoice:
            guard let invoice = payload.invoice else { return }
            func dollars(_ cents: Int) -> Double { Double(cents) / 100 }
            try await client.createInvoice(
                workOrder: id, number: invoice.number, date: invoice.issuedOn,
                total: dollars(invoice.amounts.total), tax: dollars(invoice.amounts.tax),
                labor: dollars(invoice.amounts.labor), material: dollars(invoice.amounts.material),
                travel: dollars(invoice.amounts.travel), freight: dollars(invoice.amounts.freight),
                other: dollars(invoice.amounts.other))
        }
    }

    private func settle(_ change: WorkOrderChange, attemptCounts: Bool = true) async throws {
        let recorded = try await app.database.write { sql in
            try await ServiceChannelStore(sql).settle(change, attemptCounts: attemptCounts)
        }
        if !recorded {
            app.logger.warning("ServiceChannel change \(change.id): another worker took it over; its result stands.")
        }
    }
}
