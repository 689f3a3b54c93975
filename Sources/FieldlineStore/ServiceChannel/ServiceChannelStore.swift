import FieldlineCore
import Foundation
import SQLKit

/// ServiceChannel connections, the work orders seen, and the queue of outgoing changes.
public struct ServiceChannelStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    var isPostgres: Bool { sql.dialect.name == "postgresql" }

    // MARK: Connections

    /// `sync_claimed_at` and `last_poll_at` are the poll claim's (`claimPolls`, `releasePoll`), not
    /// the connection's: never read or written with the row.
    struct ConnectionRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "servicechannel_connections")

        var accountId: String
        var environment: String
        var clientId: String
        var sealedClientSecret: String
        var username: String
        var sealedPassword: String
        var sealedWebhookSecret: String?
        var authorizedByName: String
        var authorizedAt: Date
        var connectedAt: Date
        var syncCursor: Date?
        var syncCursorId: Int?
        var lastSyncAt: Date?
        var lastSyncCount: Int
        var lastError: String?
        var lastErrorAt: Date?
        var lastThrottledAt: Date?
        var pollRequested: Bool

        init(_ c: ServiceChannelConnection) {
            accountId = c.accountID.rawValue
            environment = c.environment.rawValue
            clientId = c.clientID
            sealedClientSecret = c.sealedClientSecret
            username = c.username
            sealedPassword = c.sealedPassword
            sealedWebhookSecret = c.sealedWebhookSecret
            authorizedByName = c.authorizedByName
            authorizedAt = c.authorizedAt
            connectedAt = c.connectedAt
            syncCursor = c.syncCursor
            syncCursorId = c.syncCursorID
            lastSyncAt = c.lastSyncAt
            lastSyncCount = c.lastSyncCount
            lastError = c.lastError
            lastErrorAt = c.lastErrorAt
            lastThrottledAt = c.lastThrottledAt
            pollRequested = c.pollRequested
        }

        var connection: ServiceChannelConnection {
            get throws {
                ServiceChannelConnection(
                    accountID: AccountID(accountId),
                    environment: try ServiceChannelEnvironment.stored(
                        environment, table: "servicechannel_connections", column: "environment"),
                    clientID: clientId, sealedClientSecret: sealedClientSecret, username: username,
                    sealedPassword: sealedPassword, sealedWebhookSecret: sealedWebhookSecret,
                    authorizedByName: authorizedByName, authorizedAt: authorizedAt, connectedAt: connectedAt,
                    syncCursor: syncCursor, syncCursorID: syncCursorId, lastSyncAt: lastSyncAt,
                    lastSyncCount: lastSyncCount, lastError: lastError,
                    lastErrorAt: lastErrorAt, lastThrottledAt: lastThrottledAt, pollRequested: pollRequested)
            }
        }
    }

    public func connection(of accountID: AccountID) async throws -> ServiceChannelConnection? {
        try await sql.select(ConnectionRow.self)
            .where("account_id", .equal, accountID.rawValue).first()?.stored(ConnectionRow.self).connection
    }

    /// Connects, or replaces the credentials of an existing connection (keeping its sync place).
    public func save(_ connection: ServiceChannelConnection) async throws {
        // A reconnect replaces what the office gave (credentials, who authorized it) and clears the
        // last error; the sync place belongs to the poller, which may be moving it right now.
        try await sql.upsert(
            ConnectionRow(connection), onConflict: ["account_id"],
            updating: [
                "environment", "client_id", "sealed_client_secret", "username", "sealed_password",
                "sealed_webhook_secret", "authorized_by_name", "authorized_at", "last_error", "last_error_at",
                "poll_requested",
            ])
    }

    public func deleteConnection(of accountID: AccountID) async throws {
        try await sql.delete(from: "servicechannel_connections").where("account_id", .equal, accountID.rawValue).run()
    }

    /// Records how a poll or a change went, without touching the credentials.
    public func recordHealth(
        of accountID: AccountID, syncedAt: Date? = nil, count: Int? = nil, cursor: (Date, Int?)? = nil,
        error: String? = nil,
        errorAt: Date? = nil, throttledAt: Date? = nil
    ) async throws {
        let update = sql.update("servicechannel_connections").where("account_id", .equal, accountID.rawValue)
        var any = false
        if let syncedAt {
            update.set("last_sync_at", to: syncedAt)
            any = true
        }
        if let count {
            update.set("last_sync_count", to: count)
            any = true
        }
        if let cursor {
            update.set("sync_cursor", to: cursor.0).set("sync_cursor_id", to: SQLBind(cursor.1))
            any = true
        }
        if let errorAt {
            update.set("last_error", to: SQLBind(error)).set("last_error_at", to: errorAt)
            any = true
        }
        if let throttledAt {
            update.set("last_throttled_at", to: throttledAt)
            any = true
        }
        guard any else { return }
        try await update.run()
    }

    public func requestPoll(of accountID: AccountID) async throws {
        try await sql.update("servicechannel_connections").set("poll_requested", to: true)
            .where("account_id", .equal, accountID.rawValue).run()
    }

    /// Accounts whose poll is due (last one before `dueBefore`, or asked for), each taken for
    /// this server until `staleBefore` passes so two servers do not poll one account at once.
    public func claimPolls(at now: Date, dueBefore: Date, staleBefore: Date, limit: Int) async throws -> [AccountID] {
        let query = sql.select().column("account_id").from("servicechannel_connections")
            .where { due in
                due.where("poll_requested", .equal, true)
                    .orWhere("last_poll_at", .is, SQLLiteral.null)
                    .orWhere("last_poll_at", .lessThan, dueBefore)
            }
            .where { free in
                free.where("sync_claimed_at", .is, SQLLiteral.null).orWhere("sync_claimed_at", .lessThan, staleBefore)
            }
            .orderBy("account_id").limit(limit)
        if isPostgres { query.lockingClause(SQLRaw("FOR UPDATE SKIP LOCKED")) }
        let ids = try await query.all().map { try $0.decode(column: "account_id", as: String.self) }
        guard !ids.isEmpty else { return [] }
        // A poll that fails is tried again a minute later, not at once.
        try await sql.update("servicechannel_connections").set("sync_claimed_at", to: now)
            .set("last_poll_at", to: now).set("poll_requested", to: false).where("account_id", .in, ids).run()
        return ids.map(AccountID.init)
    }

    public func releasePoll(of accountID: AccountID) async throws {
        try await sql.update("servicechannel_connections").set("sync_claimed_at", to: SQLLiteral.null)
            .where("account_id", .equal, accountID.rawValue).run()
    }

    // MARK: Work orders

    struct WorkOrderRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "servicechannel_work_orders")

        var accountId: String
        var workOrderId: Int
        var number: String
        var purchaseNumber: String?
        var subscriberId: Int
        var subscriberName: String?
        var locationId: Int
        var locationName: String?
        var locationAddress: String?
        var priority: String?
        var trade: String?
        var category: String?
        var description: String?
        var nte: Double?
        var currency: String?
        var scheduledDate: String?
        var statusPrimary: String
        var statusExtended: String?
        var updatedDate: String
        var ignored: Bool
        var bookingId: String?
        var jobId: String?
        var lastNoteId: Int
        var notice: String?
        var firstSeenAt: Date

        init(_ w: WorkOrderRecord) {
            accountId = w.accountID.rawValue
            workOrderId = w.workOrderID
            number = w.number
            purchaseNumber = w.purchaseNumber
            subscriberId = w.subscriberID
            subscriberName = w.subscriberName
            locationId = w.locationID
            locationName = w.locationName
            locationAddress = w.locationAddress
            priority = w.priority
            trade = w.trade
            category = w.category
            description = w.description
            nte = w.nte
            currency = w.currency
            scheduledDate = w.scheduledDate
            statusPrimary = w.statusPrimary
            statusExtended = w.statusExtended
            updatedDate = w.updatedDate
            ignored = w.ignored
            bookingId = w.bookingID?.rawValue
            jobId = w.jobID?.rawValue
            lastNoteId = w.lastNoteID
            notice = w.notice
            firstSeenAt = w.firstSeenAt
        }

        var record: WorkOrderRecord {
            WorkOrderRecord(
                accountID: AccountID(accountId), workOrderID: workOrderId, number: number,
                purchaseNumber: purchaseNumber, subscriberID: subscriberId, subscriberName: subscriberName,
                locationID: locationId, locationName: locationName, locationAddress: locationAddress,
                priority: priority, trade: trade, category: category, description: description, nte: nte,
                currency: currency, scheduledDate: scheduledDate, statusPrimary: statusPrimary,
                statusExtended: statusExtended, updatedDate: updatedDate, ignored: ignored,
                bookingID: bookingId.map(BookingID.init), jobID: jobId.map(JobID.init), lastNoteID: lastNoteId,
                notice: notice, firstSeenAt: firstSeenAt)
        }
    }

    public func workOrder(_ id: Int, in accountID: AccountID) async throws -> WorkOrderRecord? {
        try await sql.select(WorkOrderRow.self)
            .where("account_id", .equal, accountID.rawValue).where("work_order_id", .equal, id)
            .first()?.stored(WorkOrderRow.self).record
    }

    /// The stored copies of these work orders, by id: a page of a poll reads them at once.
    public func workOrders(_ ids: [Int], in accountID: AccountID) async throws -> [Int: WorkOrderRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await sql.select(WorkOrderRow.self)
            .where("account_id", .equal, accountID.rawValue).where("work_order_id", .in, ids)
            .all().map { try $0.stored(WorkOrderRow.self).record }
        return Dictionary(rows.map { ($0.workOrderID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func workOrder(ofBooking id: BookingID, in accountID: AccountID) async throws -> WorkOrderRecord? {
        try await sql.select(WorkOrderRow.self)
            .where("account_id", .equal, accountID.rawValue).where("booking_id", .equal, id.rawValue)
            .first()?.stored(WorkOrderRow.self).record
    }

    public func workOrder(ofJob id: JobID, in accountID: AccountID) async throws -> WorkOrderRecord? {
        try await sql.select(WorkOrderRow.self)
            .where("account_id", .equal, accountID.rawValue).where("job_id", .equal, id.rawValue)
            .first()?.stored(WorkOrderRow.self).record
    }

    /// New work orders, many to a statement.
    public func insert(_ records: [WorkOrderRecord]) async throws {
        guard !records.isEmpty else { return }
        try await sql.insert(records.map(WorkOrderRow.init))
    }

    /// Writes what ServiceChannel says of the work order, and only that: what it became here (its
    /// booking, its job, the notes copied) is written by its own statements, so a poll running
    /// while someone converts the booking cannot undo the link.
    public func refresh(_ record: WorkOrderRecord) async throws {
        try await sql.update("servicechannel_work_orders")
            .set("number", to: record.number).set("purchase_number", to: SQLBind(record.purchaseNumber))
            .set("subscriber_name", to: SQLBind(record.subscriberName))
            .set("location_name", to: SQLBind(record.locationName))
            .set("location_address", to: SQLBind(record.locationAddress))
            .set("priority", to: SQLBind(record.priority)).set("trade", to: SQLBind(record.trade))
            .set("category", to: SQLBind(record.category)).set("description", to: SQLBind(record.description))
            .set("nte", to: SQLBind(record.nte)).set("currency", to: SQLBind(record.currency))
            .set("scheduled_date", to: SQLBind(record.scheduledDate)).set("status_primary", to: record.statusPrimary)
            .set("status_extended", to: SQLBind(record.statusExtended)).set("updated_date", to: record.updatedDate)
            .where("account_id", .equal, record.accountID.rawValue)
            .where("work_order_id", .equal, record.workOrderID).run()
    }

    public func setNotice(_ notice: String?, ofWorkOrder id: Int, in accountID: AccountID) async throws {
        try await sql.update("servicechannel_work_orders").set("notice", to: SQLBind(notice))
            .where("account_id", .equal, accountID.rawValue).where("work_order_id", .equal, id).run()
    }

    /// Notes up to `noteID` were read; never moves back.
    public func setLastNoteID(_ noteID: Int, ofWorkOrder id: Int, in accountID: AccountID) async throws {
        try await sql.update("servicechannel_work_orders").set("last_note_id", to: noteID)
            .where("account_id", .equal, accountID.rawValue).where("work_order_id", .equal, id)
            .where("last_note_id", .lessThan, noteID).run()
    }

    public func link(_ id: Int, toJob jobID: JobID, in accountID: AccountID) async throws {
        try await sql.update("servicechannel_work_orders").set("job_id", to: jobID.rawValue)
            .where("account_id", .equal, accountID.rawValue).where("work_order_id", .equal, id).run()
    }

    public struct Counts: Sendable, Equatable {
        public var imported: Int
        public var ignored: Int
    }

    public func counts(in accountID: AccountID) async throws -> Counts {
        let row = try await sql.raw(
            """
            SELECT COUNT(*) FILTER (WHERE NOT ignored) AS imported, COUNT(*) FILTER (WHERE ignored) AS ignored
            FROM servicechannel_work_orders WHERE account_id = \(bind: accountID.rawValue)
            """
        ).first()
        return Counts(
            imported: try row?.decode(column: "imported", as: Int?.self) ?? 0,
            ignored: try row?.decode(column: "ignored", as: Int?.self) ?? 0)
    }

    // MARK: Outgoing changes

    /// `sequence`, the change's place among its work order's, is computed by `enqueue`'s insert.
    struct ChangeRow: QueueRow {
        typealias Key = String
        /// `sequence`, the change's place among its work order's, is computed by the insert.
        static let mapping = TableMapping<Self>(table: "servicechannel_changes", assignedByDatabase: ["sequence"])
        static let queue = WorkQueue<Self>(
            stateColumn: "state", waiting: WorkOrderChangeState.queued.rawValue,
            working: WorkOrderChangeState.sending.rawValue, failed: WorkOrderChangeState.failed.rawValue,
            dueColumn: "not_before", reasonColumn: "problem", order: ["q.not_before", "q.sequence"])

        var id: String
        var accountId: String
        var workOrderId: Int
        var bookingId: String?
        var jobId: String?
        var kind: String
        var dedupeKey: String
        var note: String?
        var statusPrimary: String?
        var statusExtended: String?
        var declineReason: Int?
        var mediaId: String?
        var invoiceId: String?
        var declineComment: String?
        var actionNote: String?
        var occurredAt: Date
        var state: String
        var attempts: Int
        var notBefore: Date
        var claimedAt: Date?
        var problem: String?
        var createdAt: Date
        var appliedAt: Date?
        var sequence: Int

        init(_ c: WorkOrderChange) {
            sequence = 0
            id = c.id
            accountId = c.accountID.rawValue
            workOrderId = c.workOrderID
            bookingId = c.bookingID?.rawValue
            jobId = c.jobID?.rawValue
            kind = c.kind.rawValue
            dedupeKey = c.dedupeKey
            note = c.note
            statusPrimary = c.statusPrimary
            statusExtended = c.statusExtended
            declineReason = c.declineReason
            mediaId = c.mediaID?.rawValue
            invoiceId = c.invoiceID?.rawValue
            declineComment = c.declineComment
            actionNote = c.actionNote
            occurredAt = c.occurredAt
            state = c.state.rawValue
            attempts = c.attempts
            notBefore = c.notBefore
            claimedAt = c.claimedAt
            problem = c.problem
            createdAt = c.createdAt
            appliedAt = c.appliedAt
        }

        var change: WorkOrderChange {
            get throws {
                WorkOrderChange(
                    id: id, accountID: AccountID(accountId), workOrderID: workOrderId,
                    bookingID: bookingId.map(BookingID.init),
                    jobID: jobId.map(JobID.init),
                    kind: try WorkOrderChangeKind.stored(kind, table: "servicechannel_changes", column: "kind"),
                    dedupeKey: dedupeKey,
                    note: note, statusPrimary: statusPrimary, statusExtended: statusExtended,
                    declineReason: declineReason,
                    mediaID: mediaId.map(MediaID.init), invoiceID: invoiceId.map(InvoiceID.init),
                    declineComment: declineComment, actionNote: actionNote, occurredAt: occurredAt,
                    state: try WorkOrderChangeState.stored(state, table: "servicechannel_changes", column: "state"),
                    attempts: attempts,
                    notBefore: notBefore, claimedAt: claimedAt, problem: problem, createdAt: createdAt,
                    appliedAt: appliedAt)
            }
        }
    }

    /// Queues a change behind the work order's earlier ones, unless one with its dedupe key was
    /// already queued: false then, and nothing is written.
    @discardableResult
    public func enqueue(_ change: WorkOrderChange) async throws -> Bool {
        let row = ChangeRow(change)
        if isPostgres {
            // Two transactions queuing for one work order take turns, so their sequence numbers
            // differ (SQLite has one writer anyway).
            try await sql.raw(
                """
                SELECT work_order_id FROM servicechannel_work_orders
                WHERE account_id = \(bind: row.accountId) AND work_order_id = \(bind: row.workOrderId) FOR UPDATE
                """
            ).run()
        }
        // The row's columns and values come from its mapping; the sequence, the work order's next,
        // is computed by the insert itself.
        let mapping = ChangeRow.mapping
        let values = mapping.values(of: row)
        let inserted = try await sql.raw(
            """
            INSERT INTO servicechannel_changes (\(idents: mapping.insertedIndexes.map { mapping.columns[$0] }, joinedBy: ", "), sequence)
            SELECT \(binds: mapping.insertedIndexes.map { values[$0] }), COALESCE(MAX(sequence), 0) + 1
            FROM servicechannel_changes
            WHERE account_id = \(bind: row.accountId) AND work_order_id = \(bind: row.workOrderId)
            ON CONFLICT (account_id, work_order_id, dedupe_key) DO NOTHING
            RETURNING id
            """
        ).all()
        return !inserted.isEmpty
    }

    public func changes(ofWorkOrder id: Int, in accountID: AccountID) async throws -> [WorkOrderChange] {
        try await sql.select(ChangeRow.self)
            .where("account_id", .equal, accountID.rawValue).where("work_order_id", .equal, id)
            .orderBy("sequence").orderBy("created_at").all().map { try $0.stored(ChangeRow.self).change }
    }

    /// Claims due changes, each the earliest unsettled one of its work order (a check-in never
    /// overtakes the accept before it): queued ones whose time has come, and ones left `sending`
    /// by a worker that stopped.
    public func claimDue(limit: Int, at now: Date, staleBefore: Date) async throws -> [WorkOrderChange] {
        // A change waits behind the earlier changes to its work order (an invoice excepted: it
        // waits for the hourly export, and what follows it need not).
        try await ChangeRow.queue.claim(
            in: sql, limit: limit, at: now, staleBefore: staleBefore,
            filter: """
                NOT EXISTS (
                  SELECT 1 FROM servicechannel_changes e
                  WHERE e.account_id = q.account_id AND e.work_order_id = q.work_order_id
                    AND e.state IN ('queued', 'sending') AND e.sequence < q.sequence AND e.kind <> 'invoice')
                """
        ) { try $0.change }
    }

    /// Records how an attempt ended, only while the row is still this attempt's claim. An attempt
    /// that did not count (ServiceChannel asked for a pause, or the account is not connected) is
    /// given back, so waiting never uses up the change's attempts.
    @discardableResult
    public func settle(_ change: WorkOrderChange, attemptCounts: Bool = true) async throws -> Bool {
        let update = sql.update("servicechannel_changes")
            .set("state", to: change.state.rawValue).set("not_before", to: change.notBefore)
            .set("problem", to: SQLBind(change.problem)).set("applied_at", to: SQLBind(change.appliedAt))
            .set("action_note", to: SQLBind(change.actionNote))
            .where("id", .equal, change.id)
        if !attemptCounts { update.set(SQLIdentifier("attempts"), to: SQLRaw("attempts - 1")) }
        let updated = try await ChangeRow.queue.stillClaimed(update, attempts: change.attempts).returning("id").all()
        return !updated.isEmpty
    }

    public func nextDue() async throws -> Date? {
        try await ChangeRow.queue.nextDue(in: sql)
    }

    /// Whether this text already went to the work order from here (as a note, or with an accept
    /// or decline): such notes are not copied back into the job.
    public func sentNoteTexts(ofWorkOrder id: Int, in accountID: AccountID) async throws -> Set<String> {
        let rows = try await sql.select().columns("note", "action_note").from("servicechannel_changes")
            .where("account_id", .equal, accountID.rawValue).where("work_order_id", .equal, id).all()
        var texts: Set<String> = []
        for row in rows {
            if let note = try row.decode(column: "note", as: String?.self) { texts.insert(note) }
            if let note = try row.decode(column: "action_note", as: String?.self) { texts.insert(note) }
        }
        return texts
    }

    public struct QueueCounts: Sendable, Equatable {
        public var pending: Int
        public var attention: Int
    }

    public func queueCounts(in accountID: AccountID) async throws -> QueueCounts {
        let row = try await sql.raw(
            """
            SELECT COUNT(*) FILTER (WHERE state IN ('queued', 'sending')) AS pending,
              COUNT(*) FILTER (WHERE state IN ('action_required', 'failed')) AS attention
            FROM servicechannel_changes WHERE account_id = \(bind: accountID.rawValue)
            """
        ).first()
        return QueueCounts(
            pending: try row?.decode(column: "pending", as: Int?.self) ?? 0,
            attention: try row?.decode(column: "attention", as: Int?.self) ?? 0)
    }

    /// The changes that need a person: refused or given up, newest first.
    public func attention(in accountID: AccountID, limit: Int) async throws -> [WorkOrderChange] {
        try await sql.select(ChangeRow.self)
            .where("account_id", .equal, accountID.rawValue)
            .where("state", .in, [WorkOrderChangeState.actionRequired.rawValue, WorkOrderChangeState.failed.rawValue])
            .orderBy("created_at", .descending).limit(limit).all().map { try $0.stored(ChangeRow.self).change }
    }

    // MARK: Subscribers, mappings, rules, locations

    struct SubscriberRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "servicechannel_subscribers")

        var accountId: String
        var subscriberId: Int
        var name: String
        var noteSync: Bool
        var checkInInstructions: String?
        var checkInPin: String?
    }

    /// Remembers subscribers when a work order of theirs first arrives (note sync on); ones
    /// already known stay as they are.
    public func noteSubscribers(_ names: [Int: String], in accountID: AccountID) async throws {
        // One statement for a page's subscribers; those already known keep their settings.
        let rows = names.sorted(by: { $0.key < $1.key }).map { id, name in
            SubscriberRow(
                accountId: accountID.rawValue, subscriberId: id, name: name, noteSync: true, checkInInstructions: nil,
                checkInPin: nil)
        }
        guard !rows.isEmpty else { return }
        try await sql.insert(rows, unlessConflictOn: ["account_id", "subscriber_id"])
    }

    public func subscribers(in accountID: AccountID) async throws -> [SubscriberSettings] {
        try await sql.select(SubscriberRow.self)
            .where("account_id", .equal, accountID.rawValue).orderBy("name").orderBy("subscriber_id")
            .all().map { try Self.settings($0.stored(SubscriberRow.self)) }
    }

    public func subscriber(_ id: Int, in accountID: AccountID) async throws -> SubscriberSettings? {
        try await sql.select(SubscriberRow.self)
            .where("account_id", .equal, accountID.rawValue).where("subscriber_id", .equal, id)
            .first().map { try Self.settings($0.stored(SubscriberRow.self)) }
    }

    static func settings(_ row: SubscriberRow) -> SubscriberSettings {
        SubscriberSettings(
            accountID: AccountID(row.accountId), subscriberID: row.subscriberId, name: row.name,
            noteSync: row.noteSync, checkInInstructions: row.checkInInstructions, checkInPIN: row.checkInPin)
    }

    public func update(_ settings: SubscriberSettings) async throws {
        try await sql.update("servicechannel_subscribers").set("note_sync", to: settings.noteSync)
            .set("check_in_instructions", to: SQLBind(settings.checkInInstructions))
            .set("check_in_pin", to: SQLBind(settings.checkInPIN))
            .where("account_id", .equal, settings.accountID.rawValue)
            .where("subscriber_id", .equal, settings.subscriberID).run()
    }

    struct MappingRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "servicechannel_status_mappings")

        var accountId: String
        var subscriberId: Int
        var milestone: String
        var enabled: Bool
        var statusPrimary: String
        var statusExtended: String?
    }

    /// The account's own mappings (subscriber 0) or a subscriber's overrides.
    public func mappings(subscriber: Int, in accountID: AccountID) async throws -> [StatusMapping] {
        try await sql.select(MappingRow.self)
            .where("account_id", .equal, accountID.rawValue).where("subscriber_id", .equal, subscriber)
            .all().compactMap { row in
                let row = try row.stored(MappingRow.self)
                return WorkOrderMilestone(rawValue: row.milestone).map {
                    StatusMapping(
                        milestone: $0, enabled: row.enabled, primary: row.statusPrimary, extended: row.statusExtended)
                }
            }
    }

    public func saveMapping(_ mapping: StatusMapping, subscriber: Int, in accountID: AccountID) async throws {
        let row = MappingRow(
            accountId: accountID.rawValue, subscriberId: subscriber, milestone: mapping.milestone.rawValue,
            enabled: mapping.enabled, statusPrimary: mapping.primary, statusExtended: mapping.extended)
        // Every column: an extended status the office cleared is cleared.
        try await sql.upsert(row, onConflict: ["account_id", "subscriber_id", "milestone"])
    }

    public func deleteMappings(subscriber: Int, in accountID: AccountID) async throws {
        try await sql.delete(from: "servicechannel_status_mappings").where("account_id", .equal, accountID.rawValue)
            .where("subscriber_id", .equal, subscriber).run()
    }

    struct RuleRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "servicechannel_rules")

        var id: String
        var accountId: String
        var subscriberId: Int?
        var trade: String?
        var priority: String?
        var category: String?
        var outcome: String
        var position: Int
    }

    public func rules(in accountID: AccountID) async throws -> [ConversionRule] {
        try await sql.select(RuleRow.self)
            .where("account_id", .equal, accountID.rawValue).orderBy("position").orderBy("id")
            .all().map { row in
                let row = try row.stored(RuleRow.self)
                return ConversionRule(
                    id: row.id, accountID: AccountID(row.accountId), subscriberID: row.subscriberId, trade: row.trade,
                    priority: row.priority, category: row.category,
                    outcome: try ConversionOutcome.stored(
                        row.outcome, table: "servicechannel_rules", column: "outcome"), position: row.position)
            }
    }

    public func insert(_ rule: ConversionRule) async throws {
        try await sql.insert(
            RuleRow(
                id: rule.id, accountId: rule.accountID.rawValue, subscriberId: rule.subscriberID, trade: rule.trade,
                priority: rule.priority, category: rule.category, outcome: rule.outcome.rawValue,
                position: rule.position))
    }

    @discardableResult
    public func deleteRule(_ id: String, in accountID: AccountID) async throws -> Bool {
        !(try await sql.delete(from: "servicechannel_rules").where("account_id", .equal, accountID.rawValue)
            .where("id", .equal, id).returning("id").all()).isEmpty
    }

    /// A (subscriber, ServiceChannel location) pair.
    public struct MappedPlace: Hashable, Sendable {
        public var subscriber: Int
        public var location: Int

        public init(subscriber: Int, location: Int) {
            self.subscriber = subscriber
            self.location = location
        }
    }

    /// Which customer and location a (subscriber, ServiceChannel location) pair is.
    struct LocationRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "servicechannel_locations")

        var accountId: String
        var subscriberId: Int
        var scLocationId: Int
        var customerId: String
        var locationId: String
    }

    /// Every mapped location of these subscribers, for a page of new work orders at once.
    public func mappedLocations(
        ofSubscribers subscribers: Set<Int>, in accountID: AccountID
    ) async throws -> [MappedPlace: (CustomerID, LocationID)] {
        guard !subscribers.isEmpty else { return [:] }
        let rows = try await sql.select(LocationRow.self)
            .where("account_id", .equal, accountID.rawValue).where("subscriber_id", .in, Array(subscribers)).all()
        var places: [MappedPlace: (CustomerID, LocationID)] = [:]
        for row in rows {
            let mapped = try row.stored(LocationRow.self)
            places[MappedPlace(subscriber: mapped.subscriberId, location: mapped.scLocationId)] = (
                CustomerID(mapped.customerId), LocationID(mapped.locationId)
            )
        }
        return places
    }

    /// Marks every queued change of the account as sent (the demo's history: it has no
    /// ServiceChannel to send them to).
    public func markApplied(in accountID: AccountID, at instant: Date) async throws {
        try await sql.update("servicechannel_changes").set("state", to: WorkOrderChangeState.applied.rawValue)
            .set("applied_at", to: instant).set("attempts", to: 1).where("account_id", .equal, accountID.rawValue)
            .run()
    }

    public func mapLocation(
        subscriber: Int, location: Int, to customer: CustomerID, _ place: LocationID, in accountID: AccountID
    ) async throws {
        try await sql.upsert(
            LocationRow(
                accountId: accountID.rawValue, subscriberId: subscriber, scLocationId: location,
                customerId: customer.rawValue, locationId: place.rawValue),
            onConflict: ["account_id", "subscriber_id", "sc_location_id"], updating: ["customer_id", "location_id"])
    }
}
