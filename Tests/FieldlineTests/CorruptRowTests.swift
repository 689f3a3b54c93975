import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import SQLKit
import Testing

/// Every enum-valued column read back with a value this version does not know (issue 27.1): the
/// read fails with `CorruptRow` naming the table, column and value — never a default standing in
/// for it — and a queued text whose row cannot be read fails instead of going out.
@Suite("A stored value this version cannot read is an error, never a default")
struct CorruptRowTests {
    struct Column: Sendable {
        var table: String
        var column: String
        /// The row's key column and value.
        var key: String
        var id: String
        /// Further key columns, where one column does not name one row.
        var alsoWhere: [String: String] = [:]
        var read: @Sendable (any SQLDatabase) async throws -> Void
    }

    @Test("Each enum-valued column, corrupted, gives the typed error on both engines", arguments: TestEngine.available)
    func everyColumn(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            let account = world.account.id
            guard
                case .inbox(_, let conversationID, _) = try await world.textIn(
                    from: world.phone.number.e164, body: "Is anyone coming?", to: number)
            else { throw TestSetupError("not in inbox") }
            let reply = try await app.inbox.reply(to: conversationID, body: "Yes, at 3", by: world.dispatcher)
            let job = try await world.bookJob(technicians: [world.technician.id])
            let assignment = try #require(
                try await app.database.read { try await JobStore($0).assignments(ofJobs: [job.id], in: account) }.first)
            let booking = try await app.bookings.create(
                .init(source: "web", customerID: world.customer.id, summary: "Leak under sink"), by: world.dispatcher)
            let estimate = try await app.estimates.add(
                .init(summary: "Water heater"), to: world.customer.id, by: world.dispatcher)
            let invoice = try await app.invoices.save(
                .init(number: "R-1", issuedOn: "2026-12-01", labor: "100"), forJob: job.id, by: world.admin)
            let campaign = try await app.campaigns.create(
                .init(name: "Fall tune-up", body: "Tune-ups $20 off", audience: CampaignAudience()), timing: .draft,
                by: world.marketer)
            let email = Email(
                id: .generate(), accountID: account, jobID: job.id, purpose: .transactional,
                automation: .dispatchNotice, to: EmailAddress(storedValue: "robert@example.com"), fromName: "Northside",
                subject: "On the way", html: "<p>Hi</p>", text: "Hi", status: .queued, attempts: 0,
                notBefore: app.clock.now(), claimedAt: nil, providerMessageID: nil, errorMessage: nil,
                createdAt: app.clock.now(), sentAt: nil)
            try await app.database.write { try await EmailStore($0).insert(email) }
            // A second number texts STOP: its consent row and ledger entry.
            _ = try await world.textIn(from: "5125550188", body: "STOP", to: number)
            let stopped = PhoneNumber(storedE164: "+15125550188")
            let ledgerID = try #require(
                try await app.database.read { try await ConsentStore($0).ledger(of: stopped, in: account) }.first?.id)
            let events = try await app.database.read { try await JobStore($0).events(of: job.id, in: account) }
            let event = try #require(events.first)
            // A photo in, ServiceChannel connected with a rule and a queued change.
            _ = try await world.textIn(
                from: world.phone.number.e164, body: "Photo", to: number,
                media: [.init(url: "https://api.twilio.com/2010-04-01/Media/ME1", contentType: "image/jpeg")])
            let mediaID = try #require(
                try await app.database.read { sql in
                    try await sql.select().column("id").from("message_media").first()?
                        .decode(column: "id", as: String.self)
                })
            let now = app.clock.now()
            let change = WorkOrderChange(
                accountID: account, workOrderID: 7, bookingID: nil, jobID: nil, kind: .note, dedupeKey: "n1",
                note: "On site", occurredAt: now, createdAt: now)
            try await app.database.write { sql in
                try await ServiceChannelStore(sql).save(
                    ServiceChannelConnection(
                        accountID: account, environment: .sandbox, clientID: "client", sealedClientSecret: "sealed",
                        username: "northside", sealedPassword: "sealed", authorizedByName: "Ada Admin",
                        authorizedAt: now, connectedAt: now))
                _ = try await ServiceChannelStore(sql).enqueue(change)
            }
            let rule = try await app.serviceChannel.addRule(
                subscriberID: nil, trade: "PLUMBING", priority: nil, category: nil, outcome: "job", by: world.admin)

            func message(_ column: String) -> Column {
                Column(table: "messages", column: column, key: "id", id: reply.id.rawValue) {
                    _ = try await MessageStore($0).find(reply.id, in: account)
                }
            }
            func emailColumn(_ column: String) -> Column {
                Column(table: "emails", column: column, key: "id", id: email.id.rawValue) {
                    _ = try await EmailStore($0).all(in: account)
                }
            }
            let columns: [Column] = [
                message("direction"), message("disposition"), message("purpose"), message("author_kind"),
                message("automation"), message("status"), message("encoding"),
                Column(table: "conversations", column: "status", key: "id", id: conversationID.rawValue) {
                    _ = try await ConversationStore($0).find(phone: world.phone.number, in: account)
                },
                Column(
                    table: "conversations", column: "last_message_direction", key: "id", id: conversationID.rawValue
                ) { _ = try await ConversationStore($0).find(phone: world.phone.number, in: account) },
                Column(table: "outbox", column: "state", key: "message_id", id: reply.id.rawValue) {
                    _ = try await OutboxStore($0).find(message: reply.id)
                },
                Column(table: "sender_numbers", column: "provider", key: "id", id: number.id.rawValue) {
                    _ = try await SenderNumberStore($0).find(number.id, in: account)
                },
                Column(table: "phone_contacts", column: "kind", key: "id", id: world.phone.id.rawValue) {
                    _ = try await CustomerStore($0).phone(number: world.phone.number, in: account)
                },
                Column(table: "jobs", column: "status", key: "id", id: job.id.rawValue) {
                    _ = try await JobStore($0).find(job.id, in: account)
                },
                Column(table: "assignments", column: "status", key: "id", id: assignment.id.rawValue) {
                    _ = try await JobStore($0).assignment(assignment.id, in: account)
                },
                Column(table: "job_events", column: "actor_kind", key: "id", id: event.id) {
                    _ = try await JobStore($0).events(of: job.id, in: account)
                },
                Column(table: "users", column: "chat_access", key: "id", id: world.dispatcher.userID.rawValue) {
                    _ = try await AccountStore($0).user(world.dispatcher.userID, in: account)
                },
                Column(table: "bookings", column: "status", key: "id", id: booking.id.rawValue) {
                    _ = try await BookingStore($0).find(booking.id, in: account)
                },
                Column(table: "estimates", column: "status", key: "id", id: estimate.id.rawValue) {
                    _ = try await EstimateStore($0).find(estimate.id, in: account)
                },
                Column(table: "invoices", column: "status", key: "id", id: invoice.id.rawValue) {
                    _ = try await InvoiceStore($0).find(invoice.id, in: account)
                },
                Column(table: "campaigns", column: "status", key: "id", id: campaign.id.rawValue) {
                    _ = try await CampaignStore($0).find(campaign.id, in: account)
                },
                Column(table: "campaigns", column: "created_by_kind", key: "id", id: campaign.id.rawValue) {
                    _ = try await CampaignStore($0).find(campaign.id, in: account)
                },
                Column(table: "registrations", column: "status", key: "account_id", id: account.rawValue) {
                    _ = try await RegistrationStore($0).registrations(of: account)
                },
                Column(
                    table: "registrations", column: "kind", key: "account_id", id: account.rawValue,
                    alsoWhere: ["kind": RegistrationKind.marketing.rawValue]
                ) {
                    _ = try await RegistrationStore($0).registrations(of: account)
                },

                emailColumn("purpose"), emailColumn("automation"), emailColumn("status"),
                Column(table: "sms_consent", column: "marketing", key: "phone", id: stopped.e164) {
                    _ = try await ConsentStore($0).consent(of: stopped, in: account)
                },
                Column(table: "consent_ledger", column: "scope", key: "id", id: ledgerID) {
                    _ = try await ConsentStore($0).ledger(of: stopped, in: account)
                },
                Column(table: "consent_ledger", column: "actor_kind", key: "id", id: ledgerID) {
                    _ = try await ConsentStore($0).ledger(of: stopped, in: account)
                },
                Column(table: "message_media", column: "state", key: "id", id: mediaID) {
                    _ = try await MessageStore($0).media(MediaID(mediaID), in: account)
                },
                Column(
                    table: "servicechannel_connections", column: "environment", key: "account_id", id: account.rawValue
                ) {
                    _ = try await ServiceChannelStore($0).connection(of: account)
                },
                Column(table: "servicechannel_rules", column: "outcome", key: "id", id: rule.id) {
                    _ = try await ServiceChannelStore($0).rules(in: account)
                },
                Column(table: "servicechannel_changes", column: "kind", key: "id", id: change.id) {
                    _ = try await ServiceChannelStore($0).changes(ofWorkOrder: 7, in: account)
                },
                Column(table: "servicechannel_changes", column: "state", key: "id", id: change.id) {
                    _ = try await ServiceChannelStore($0).changes(ofWorkOrder: 7, in: account)
                },
            ]
            for column in columns {
                let original = try await app.database.read { sql in
                    let select = sql.select().column(SQLIdentifier(column.column)).from(column.table)
                        .where(SQLIdentifier(column.key), .equal, column.id)
                    for (key, value) in column.alsoWhere { select.where(SQLIdentifier(key), .equal, value) }
                    return try await select.first()?.decode(column: column.column, as: String?.self)
                }
                try await app.database.write { sql in
                    let update = sql.update(column.table).set(SQLIdentifier(column.column), to: "from_the_future")
                        .where(SQLIdentifier(column.key), .equal, column.id)
                    for (key, value) in column.alsoWhere { update.where(SQLIdentifier(key), .equal, value) }
                    try await update.run()
                }
                await #expect(
                    throws: CorruptRow(table: column.table, column: column.column, value: "from_the_future"),
                    "\(column.table).\(column.column)"
                ) { try await app.database.read { try await column.read($0) } }
                try await app.database.write { sql in
                    let update = sql.update(column.table).set(SQLIdentifier(column.column), to: SQLBind(original))
                        .where(SQLIdentifier(column.key), .equal, column.id)
                    for (key, value) in column.alsoWhere {
                        // A key column that is the one corrupted now holds the corrupt value.
                        update.where(SQLIdentifier(key), .equal, key == column.column ? "from_the_future" : value)
                    }
                    try await update.run()
                }
                // Put back, the row reads again.
                try await app.database.read { try await column.read($0) }
            }
            // The audit log cannot be changed, even by hand (the database refuses), so its
            // unreadable row is one written so: an action from a newer version.
            try await app.database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO audit_log (account_id, actor_name, action, occurred_at)
                    VALUES (\(bind: account.rawValue), 'Someone', 'from_the_future', \(bind: app.clock.now()))
                    """
                ).run()
            }
            await #expect(throws: CorruptRow(table: "audit_log", column: "action", value: "from_the_future")) {
                _ = try await app.database.read { sql in
                    try await AuditStore(sql).entries(matching: AuditFilter(), in: account, limit: 50, offset: 0)
                }
            }
        }
    }

    @Test(
        "A queued text whose row cannot be read fails with the reason and is not sent", arguments: TestEngine.available)
    func outboxFailsUnreadable(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            guard
                case .inbox(_, let conversationID, _) = try await world.textIn(
                    from: world.phone.number.e164, body: "Hi", to: number)
            else { throw TestSetupError("not in inbox") }
            let reply = try await app.inbox.reply(to: conversationID, body: "On our way", by: world.dispatcher)
            try await app.database.write { sql in
                try await sql.update("messages").set("purpose", to: "from_the_future")
                    .where("id", .equal, reply.id.rawValue).run()
            }
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.isEmpty)
            let row = try await app.database.read { sql in
                try await sql.select().columns("status", "error_code", "error_message").from("messages")
                    .where("id", .equal, reply.id.rawValue).first()
            }
            #expect(try row?.decode(column: "status", as: String.self) == "failed")
            #expect(try row?.decode(column: "error_code", as: String.self) == "corrupt_row")
            #expect(try row?.decode(column: "error_message", as: String.self).contains("messages.purpose") == true)
            #expect(try await app.database.read { try await OutboxStore($0).find(message: reply.id) } == nil)
        }
    }
}
