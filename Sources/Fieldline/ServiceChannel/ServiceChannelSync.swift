import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import SQLKit

/// Brings ServiceChannel's work orders in (SV2, SV5, SV10): polls each connection by
/// UpdatedDate, turns new Open work orders into bookings (or jobs, by the rules), notices work
/// orders accepted in ServiceChannel itself, and copies the subscriber's notes onto the job.
public struct ServiceChannelSync: Sendable {
    let app: Fieldline

    /// How often a connection is polled when nothing asks sooner: notes arrive well within the
    /// five minutes SV10 allows.
    public static let pollInterval: TimeInterval = 60
    /// A poll claimed longer ago than this belongs to a server that stopped.
    static let pollLease: TimeInterval = 15 * 60

    public struct Outcome: Sendable, Equatable {
        public var read = 0
        public var created = 0
        public var updated = 0
        public var ignored = 0
        public var notesCopied = 0
        public var error: String?
    }

    /// Polls every connection that is due (or asked for a poll); any number of servers may run it.
    /// Connections are polled side by side, a few at a time (each has its own budget), so one
    /// that is throttled or slow does not hold the others back.
    @discardableResult
    public func pollDue(concurrently width: Int = 4) async throws -> [AccountID: Outcome] {
        let now = app.clock.now()
        let accounts = try await app.database.write { sql in
            try await ServiceChannelStore(sql).claimPolls(
                at: now, dueBefore: now.addingTimeInterval(1 - Self.pollInterval),
                staleBefore: now.addingTimeInterval(-Self.pollLease), limit: 50)
        }
        var outcomes: [AccountID: Outcome] = [:]
        for start in stride(from: 0, to: accounts.count, by: max(1, width)) {
            let slice = accounts[start..<min(accounts.count, start + max(1, width))]
            await withTaskGroup(of: (AccountID, Outcome).self) { group in
                for account in slice {
                    group.addTask { (account, await self.pollReleasing(account)) }
                }
                for await (account, outcome) in group { outcomes[account] = outcome }
            }
        }
        return outcomes
    }

    /// One account's poll, whatever happens: its errors are recorded as its health, and its
    /// claim is given back.
    private func pollReleasing(_ accountID: AccountID) async -> Outcome {
        var outcome: Outcome
        do {
            outcome = try await poll(accountID)
        } catch {
            let message = (error as? FieldlineError)?.message ?? "\(error)"
            app.logger.error("ServiceChannel poll of \(accountID): \(message)")
            outcome = Outcome()
            outcome.error = message
            let now = app.clock.now()
            try? await app.database.write { sql in
                try await ServiceChannelStore(sql).recordHealth(of: accountID, error: message, errorAt: now)
            }
        }
        do {
            try await app.database.write { sql in try await ServiceChannelStore(sql).releasePoll(of: accountID) }
        } catch {
            app.logger.error("ServiceChannel poll of \(accountID) could not give its claim back: \(error)")
        }
        return outcome
    }

    /// Reads every work order changed since the connection's cursor, page by page in
    /// (UpdatedDate, Id) order; the cursor moves past each page as the page is stored.
    public func poll(_ accountID: AccountID) async throws -> Outcome {
        var outcome = Outcome()
        guard
            let connection = try await app.database.read({ sql in
                try await ServiceChannelStore(sql).connection(of: accountID)
            })
        else { return outcome }
        let client = try app.serviceChannel.client(for: connection)
        var cursor = ServiceChannelCursor(updated: connection.pollStart, id: connection.syncCursorID)
        do {
            while true {
                let page = try await client.workOrderPage(from: cursor)
                let notes = try await notesToCopy(page, connection: connection, client: client)
                let counts = try await ingest(page, notes: notes, connection: connection)
                outcome.read += page.count
                outcome.created += counts.created
                outcome.updated += counts.updated
                outcome.ignored += counts.ignored
                outcome.notesCopied += counts.notesCopied
                guard let next = ServiceChannelCursor(after: page) else { break }
                if next == cursor {
                    // A whole page within one millisecond: nothing more to read at this cursor.
                    app.logger.warning("ServiceChannel poll of \(accountID) made no progress past \(cursor).")
                    break
                }
                cursor = next
                try await app.database.write { sql in
                    try await ServiceChannelStore(sql).recordHealth(of: accountID, cursor: (next.updated, next.id))
                }
                if page.count < ServiceChannelClient.pageSize { break }
            }
            let now = app.clock.now()
            let read = outcome.read
            try await app.database.write { sql in
                try await ServiceChannelStore(sql).recordHealth(of: accountID, syncedAt: now, count: read)
            }
        } catch let error as ServiceChannelError {
            let now = app.clock.now()
            outcome.error = error.message
            app.logger.warning("ServiceChannel poll of \(accountID): \(error.message)")
            let throttledAt: Date?
            if case .throttled = error { throttledAt = now } else { throttledAt = nil }
            try await app.database.write { sql in
                try await ServiceChannelStore(sql).recordHealth(
                    of: accountID, error: error.message, errorAt: now, throttledAt: throttledAt)
            }
        }
        return outcome
    }

    // MARK: Notes from ServiceChannel

    /// The notes of the page's work orders that have a job whose subscriber syncs notes and that
    /// changed since last seen: read before the page's transaction (no call inside one).
    private func notesToCopy(
        _ page: [ServiceChannelWorkOrder], connection: ServiceChannelConnection, client: ServiceChannelClient
    ) async throws(ServiceChannelError) -> [Int: [ServiceChannelNote]] {
        let candidates: [Int]
        do {
            candidates = try await app.database.read { sql in
                let store = ServiceChannelStore(sql)
                let known = try await store.workOrders(page.map(\.id), in: connection.accountID)
                var ids: [Int] = []
                var syncing: [Int: Bool] = [:]
                for order in page {
                    guard let record = known[order.id], record.jobID != nil, record.updatedDate != order.updatedDate
                    else { continue }
                    if syncing[record.subscriberID] == nil {
                        syncing[record.subscriberID] =
                            try await store.subscriber(record.subscriberID, in: connection.accountID)?.noteSync ?? true
                    }
                    if syncing[record.subscriberID] == true { ids.append(order.id) }
                }
                return ids
            }
        } catch {
            throw .unavailable("Fieldline could not read its own work orders: \(error)")
        }
        var notes: [Int: [ServiceChannelNote]] = [:]
        for id in candidates {
            notes[id] = try await client.notes(id)
        }
        return notes
    }

    // MARK: Storing a page

    struct PageCounts {
        var created = 0
        var updated = 0
        var ignored = 0
        var notesCopied = 0
    }

    private func ingest(
        _ page: [ServiceChannelWorkOrder], notes: [Int: [ServiceChannelNote]], connection: ServiceChannelConnection
    ) async throws(ServiceChannelError) -> PageCounts {
        guard !page.isEmpty else { return PageCounts() }
        do {
            return try await app.transaction { sql, effects in
                let store = ServiceChannelStore(sql)
                let known = try await store.workOrders(page.map(\.id), in: connection.accountID)
                let rules = try await store.rules(in: connection.accountID)
                // Each subscriber new to the page once, not once per work order.
                let fresh = page.filter { known[$0.id] == nil }
                var subscribers: [Int: String] = [:]
                for order in fresh {
                    subscribers[order.subscriber.id] = order.subscriber.name ?? "Subscriber \(order.subscriber.id)"
                }
                try await store.noteSubscribers(subscribers, in: connection.accountID)
                let places = try await store.mappedLocations(
                    ofSubscribers: Set(subscribers.keys), in: connection.accountID)
                var counts = PageCounts()
                var plan = NewWorkOrders()
                for order in page {
                    if var record = known[order.id] {
                        guard record.updatedDate != order.updatedDate || notes[order.id] != nil else { continue }
                        counts.notesCopied += try await update(
                            &record, from: order, notes: notes[order.id], sql: sql, effects: effects)
                        counts.updated += 1
                    } else if try await create(
                        order, connection: connection, rules: rules, mapped: places, plan: &plan, sql: sql,
                        effects: effects)
                    {
                        counts.created += 1
                    } else {
                        counts.ignored += 1
                    }
                }
                try await BookingStore(sql).insert(plan.bookings)
                try await store.insert(plan.records)
                let integration = Actor(integration: "ServiceChannel", accountID: connection.accountID)
                for booking in plan.bookings {
                    try await app.react(
                        to: DomainEvent(
                            accountID: connection.accountID, occurredAt: booking.createdAt,
                            actor: .user(integration), kind: .bookingCreated(booking.id)), in: sql, effects: effects)
                }
                return counts
            }
        } catch let error as FieldlineError {
            throw .unavailable("A work order could not be stored: \(error.message)")
        } catch {
            throw .unavailable("Work orders could not be stored: \(error)")
        }
    }

    /// What a page's new work orders become, written together: one statement for their bookings
    /// and one for their records, not two per work order.
    struct NewWorkOrders {
        var bookings: [Booking] = []
        var records: [WorkOrderRecord] = []
    }

    /// A work order seen for the first time: a booking, a job, or (already started before the
    /// connection) remembered as not imported. Returns whether it was imported.
    private func create(
        _ order: ServiceChannelWorkOrder, connection: ServiceChannelConnection, rules: [ConversionRule],
        mapped places: [ServiceChannelStore.MappedPlace: (CustomerID, LocationID)], plan: inout NewWorkOrders,
        sql: any SQLDatabase, effects: AfterCommit
    ) async throws -> Bool {
        let now = app.clock.now()
        var record = Self.record(order, accountID: connection.accountID, firstSeenAt: now)
        let imports = WorkOrderIntake.imports(
            primary: order.status.primary, extended: order.status.extended,
            createdAt: order.createdDate.flatMap(ServiceChannelDate.parse), connectedAt: connection.connectedAt)
        record.ignored = !imports
        guard imports else {
            plan.records.append(record)
            return false
        }
        let mapped = places[.init(subscriber: order.subscriber.id, location: order.location.id)]
        let outcome = ConversionRule.outcome(
            of: rules, subscriberID: order.subscriber.id, trade: order.trade, priority: order.priority,
            category: order.category)
        if outcome == .job, let (customer, location) = mapped {
            let starts = Self.appointmentStart(order.scheduledDate, now: now)
            let job = try await app.jobs.book(
                Jobs.NewJob(
                    customerID: customer, locationID: location, summary: Self.summary(order), startsAt: starts,
                    endsAt: starts.addingTimeInterval(2 * 3600)),
                by: Actor(integration: "ServiceChannel", accountID: connection.accountID), in: sql, effects: effects)
            try await ServiceChannelStore(sql).insert([record])
            try await app.serviceChannelChanges.linkJob(job.id, to: record, at: now, sql: sql, effects: effects)
            return true
        }
        let accepted = WorkOrderIntake.isAccepted(primary: order.status.primary)
        let booking = Booking(
            id: .generate(), accountID: connection.accountID, source: "servicechannel", customerID: mapped?.0,
            locationID: mapped?.1, contactName: Self.contactName(order), contactPhone: nil,
            summary: Self.summary(order), details: Self.details(order),
            requestedFor: order.scheduledDate.flatMap(ServiceChannelDate.parse), status: accepted ? .accepted : .new,
            jobID: nil, createdAt: now, updatedAt: now)
        record.bookingID = booking.id
        if accepted { record.notice = Self.acceptedElsewhere(order) }
        plan.bookings.append(booking)
        plan.records.append(record)
        return true
    }

    /// A work order seen before: its fields refreshed, its booking accepted when someone
    /// accepted it in ServiceChannel (SV5), the subscriber's new notes copied to its job (SV10).
    /// Returns how many notes were copied.
    private func update(
        _ record: inout WorkOrderRecord, from order: ServiceChannelWorkOrder, notes: [ServiceChannelNote]?,
        sql: any SQLDatabase, effects: AfterCommit
    ) async throws -> Int {
        let store = ServiceChannelStore(sql)
        let fresh = Self.record(order, accountID: record.accountID, firstSeenAt: record.firstSeenAt)
        let wasAccepted = WorkOrderIntake.isAccepted(primary: record.statusPrimary)
        record.number = fresh.number
        record.purchaseNumber = fresh.purchaseNumber
        record.subscriberName = fresh.subscriberName
        record.locationName = fresh.locationName
        record.locationAddress = fresh.locationAddress
        record.priority = fresh.priority
        record.trade = fresh.trade
        record.category = fresh.category
        record.description = fresh.description
        record.nte = fresh.nte
        record.currency = fresh.currency
        record.scheduledDate = fresh.scheduledDate
        record.statusPrimary = fresh.statusPrimary
        record.statusExtended = fresh.statusExtended
        record.updatedDate = fresh.updatedDate
        try await store.refresh(record)
        if let jobID = record.jobID, let nte = record.nteText {
            try await app.serviceChannelChanges.recordNTE(nte, onJob: jobID, in: record.accountID, sql: sql)
        }
        let integration = Actor(integration: "ServiceChannel", accountID: record.accountID)
        if !record.ignored, !wasAccepted, WorkOrderIntake.isAccepted(primary: order.status.primary),
            let bookingID = record.bookingID,
            let booking = try await BookingStore(sql).find(bookingID, in: record.accountID), booking.status == .new
        {
            let ours = try await store.changes(ofWorkOrder: record.workOrderID, in: record.accountID)
                .contains { $0.kind == .accept }
            if !ours {
                _ = try await app.bookings.change(bookingID, .accept, by: integration, in: sql, effects: effects)
                record.notice = Self.acceptedElsewhere(order)
                try await store.setNotice(record.notice, ofWorkOrder: record.workOrderID, in: record.accountID)
            }
        }
        var copied = 0
        if let notes, let jobID = record.jobID {
            let sent = try await store.sentNoteTexts(ofWorkOrder: record.workOrderID, in: record.accountID)
            let jobs = JobStore(sql)
            for note in notes.sorted(by: { $0.id < $1.id }) where note.id > record.lastNoteID {
                record.lastNoteID = note.id
                guard !sent.contains(note.text) else { continue }
                try await jobs.append(
                    JobEvent(
                        id: UUID().uuidString.lowercased(), accountID: record.accountID, jobID: jobID,
                        occurredAt: note.dateCreated.flatMap(ServiceChannelDate.parse) ?? app.clock.now(),
                        actor: ActorRef(
                            kind: .integration, id: nil,
                            name: "ServiceChannel" + (note.createdBy.map { " · \($0)" } ?? "")),
                        kind: JobEvent.workOrderNoteKind, text: note.text))
                copied += 1
            }
            try await store.setLastNoteID(record.lastNoteID, ofWorkOrder: record.workOrderID, in: record.accountID)
        }
        return copied
    }

    // MARK: Shapes

    static func record(_ order: ServiceChannelWorkOrder, accountID: AccountID, firstSeenAt: Date) -> WorkOrderRecord {
        let address = [
            order.location.address1,
            [order.location.city, order.location.state].compactMap { $0 }.joined(separator: ", "),
            order.location.zip,
        ].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        return WorkOrderRecord(
            accountID: accountID, workOrderID: order.id, number: order.number, purchaseNumber: order.purchaseNumber,
            subscriberID: order.subscriber.id, subscriberName: order.subscriber.name, locationID: order.location.id,
            locationName: order.location.name ?? order.location.storeID.map { "Store \($0)" },
            locationAddress: address.isEmpty ? nil : address, priority: order.priority, trade: order.trade,
            category: order.category, description: order.description, nte: order.nte,
            currency: order.currency?.alphabeticalCode, scheduledDate: order.scheduledDate,
            statusPrimary: order.status.primary,
            statusExtended: order.status.extended, updatedDate: order.updatedDate, firstSeenAt: firstSeenAt)
    }

    static func summary(_ order: ServiceChannelWorkOrder) -> String {
        let what = [order.trade, order.category].compactMap { $0?.capitalized }.joined(separator: " · ")
        let text = "Work order \(order.number)" + (what.isEmpty ? "" : " — \(what)")
        return String(text.prefix(500))
    }

    static func contactName(_ order: ServiceChannelWorkOrder) -> String {
        let text = [order.subscriber.name, order.location.name ?? order.location.storeID.map { "Store \($0)" }]
            .compactMap { $0 }.joined(separator: " · ")
        return String((text.isEmpty ? "ServiceChannel subscriber \(order.subscriber.id)" : text).prefix(200))
    }

    static func details(_ order: ServiceChannelWorkOrder) -> String {
        var lines: [String] = []
        if let description = order.description, !description.isEmpty { lines.append(description) }
        if let priority = order.priority { lines.append("Priority: \(priority)") }
        let record = record(order, accountID: AccountID(""), firstSeenAt: Date())
        if let nte = record.nteText { lines.append("Not to exceed: \(nte)") }
        if let address = record.locationAddress { lines.append("Location: \(address)") }
        return String(lines.joined(separator: "\n").prefix(10_000))
    }

    static func acceptedElsewhere(_ order: ServiceChannelWorkOrder) -> String {
        "Work order \(order.number) was accepted directly in ServiceChannel (\(order.status.primary)"
            + (order.status.extended.map { " / \($0)" } ?? "") + "); this booking now says so."
    }

    /// A job made straight from a work order starts at its scheduled date, else at the next
    /// whole hour, for the office to move.
    static func appointmentStart(_ scheduled: String?, now: Date) -> Date {
        if let scheduled = scheduled.flatMap(ServiceChannelDate.parse), scheduled > now { return scheduled }
        return Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.up) * 3600)
    }
}
