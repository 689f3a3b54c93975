import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Logging
import SQLKit
import Testing

/// Upgrading a database that holds data (issue 27.8): a database at the last landed schema, with
/// rows in every table, migrates to this version on both engines, keeps every row and reads back.
@Suite("Upgrading a database with data in every table")
struct SchemaUpgradeTests {
    /// The schema of the last landed release. Raise it when a release with new migrations lands, so
    /// the next migrations are tested against data written by that release.
    static let lastRelease = 14

    static func tables(_ sql: any SQLDatabase, engine: DatabaseEngine) async throws -> [String] {
        let query: SQLQueryString =
            engine == .postgres
            ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        return try await sql.raw(query).all().map { try $0.decode(column: "name", as: String.self) }.sorted()
    }

    static func counts(_ database: any Database) async throws -> [String: Int] {
        try await database.read { sql in
            var counts: [String: Int] = [:]
            for table in try await tables(sql, engine: database.engine) {
                counts[table] = try await sql.raw("SELECT count(*) AS n FROM \(ident: table)").first()?
                    .decode(column: "n", as: Int.self)
            }
            return counts
        }
    }

    @Test("The last release's database, full, migrates and keeps every row", arguments: TestEngine.available)
    func upgrade(engine: TestEngine) async throws {
        let earlier = Migrator(migrations: Schema.migrations.filter { $0.version <= Self.lastRelease })
        // The data is written by this version's use cases into a current database, then copied,
        // through the mappings, into one at the last release's schema: the tables that release
        // has, as it would have held them. (This version's flows also write newer tables, which an
        // earlier schema cannot take.)
        try await engine.withDatabase { current in
            let clock = TestClock()
            let writer = Fieldline.forTesting(database: current, clock: clock, demo: true)
            _ = try await DemoSeed(app: writer).ensure()
            let world = try await TestWorld.make(writer)
            try await UpgradeData.fill(writer, world)

            try await engine.withDatabase(migrator: earlier) { database in
                _ = try await StoredTables.copy(from: current, to: database, earlierSchema: true)
                let before = try await Self.counts(database)
                let empty = before.filter { $0.value == 0 }.map(\.key).sorted()
                #expect(empty == UpgradeData.emptyByDesign, "tables left empty: \(empty)")

                let applied = try await Migrator().migrate(database, logger: Logger(label: "upgrade-test"))
                #expect(applied == Schema.migrations.map(\.version).filter { $0 > Self.lastRelease })
                let after = try await Self.counts(database)
                // Every row is still there (the migrations' own ledger grows by the new ones).
                for (table, count) in before where table != "schema_migrations" {
                    #expect(after[table] == count, "\(table)")
                }
                // What was written reads back through the stores of this version.
                let app = Fieldline.forTesting(database: database, clock: clock, demo: true)
                try await UpgradeData.readBack(app, world)
            }
        }
    }
}

/// The writes that put rows in every table: through the use cases where the product has one,
/// through the store where the row is a worker's or an integration's own bookkeeping.
enum UpgradeData {
    /// Tables nothing writes to in normal use.
    static let emptyByDesign: [String] = []

    static func fill(_ app: Fieldline, _ world: TestWorld) async throws {
        let account = world.account.id
        let now = app.clock.now()
        // People: a wrong password (kept), a session, a reset link.
        _ = try? await app.accounts.signIn(email: "dispatch@northside.test", password: "wrong password", kind: .web)
        _ = try await app.accounts.signIn(email: "admin@northside.test", password: TestWorld.password, kind: .web)
        try await app.passwordChanges.requestReset(email: "admin@northside.test")
        // Jobs and the office's records.
        let job = try await world.bookJob(technicians: [world.technician.id])
        _ = try await app.bookings.create(
            .init(source: "web", customerID: world.customer.id, summary: "Leak under sink"), by: world.dispatcher)
        _ = try await app.estimates.add(.init(summary: "Water heater"), to: world.customer.id, by: world.dispatcher)
        _ = try await app.invoices.save(
            .init(number: "R-1", issuedOn: "2026-12-01", labor: "100"), forJob: job.id, by: world.admin)
        // Texting: a photo in, a reply out (queued), a spammer blocked, a report ahead of its text.
        // Not the test world's usual number: the demo business beside it has that one.
        let number = try await app.senderNumbers.add(
            .init(
                number: "(512) 555-0377", label: "Main line", provider: "console", chat: true, mms: true,
                isDefault: true, ratePerSecond: 1, providerAccountID: nil, authToken: nil),
            by: world.admin)
        guard
            case .inbox(_, let conversation, _) = try await world.textIn(
                from: world.phone.number.e164, body: "Photo of the leak", to: number,
                media: [.init(url: "https://api.twilio.com/2010-04-01/Media/ME1", contentType: "image/jpeg")])
        else { throw TestSetupError("not in inbox") }
        _ = try await app.inbox.reply(to: conversation, body: "On our way", by: world.dispatcher)
        guard case .inbox(_, let spam, _) = try await world.textIn(from: "5125550999", body: "WIN $$$", to: number)
        else { throw TestSetupError("not in inbox") }
        _ = try await app.inbox.block(spam, by: world.admin)
        try await app.deliveryReports.record(
            .init(providerMessageID: "SMearly", status: "delivered", errorCode: nil, errorMessage: nil), for: account)
        // The technician: a position, the job's thread read.
        _ = try await app.field.reportPosition(
            latitude: 30.27, longitude: -97.74, accuracyMeters: 12, recordedAt: nil, by: world.technicianActor)
        try await app.database.write { sql in
            try await FieldStore(sql).markRead(conversation, by: world.technician.id, at: now, in: account)
            // A worker's heartbeat, the photo kept with the job, a missed-call run, a campaign's recipient.
            try await OutboxStore(sql).heartbeat(worker: "worker-upgrade", at: now)
            let media = try #require(
                try await sql.select().column("id").from("message_media").first()?.decode(column: "id", as: String.self)
            )
            try await MessageStore(sql).attach(MediaID(media), to: job.id, by: "Marcus", at: now, in: account)
            _ = try await TriggeredCampaignStore(sql).claim(
                TriggeredRun(
                    kind: .missedCall, subject: "+15125550142", occurrence: "CA1", phone: world.phone.number,
                    messageID: nil, skipReason: "texted_recently", createdAt: now), in: account)
        }
        let campaign = try await app.campaigns.create(
            .init(name: "Fall tune-up", body: "Tune-ups $20 off", audience: CampaignAudience()), timing: .draft,
            by: world.marketer)
        try await app.database.write { sql in
            try await CampaignStore(sql).insertRecipients(
                [.init(phone: world.phone.number, messageID: nil, skipReason: "no_marketing_consent")],
                of: campaign.id, in: account)
            // ServiceChannel: a connection (as connecting stores it), a mapping, a rule.
            try await ServiceChannelStore(sql).save(
                ServiceChannelConnection(
                    accountID: account, environment: .sandbox, clientID: "client", sealedClientSecret: "sealed",
                    username: "northside", sealedPassword: "sealed", authorizedByName: "Ada Admin", authorizedAt: now,
                    connectedAt: now))
        }
        try await app.serviceChannel.saveMappings(
            [.init(milestone: .dispatched, enabled: true, primary: "IN PROGRESS", extended: "ON SITE")],
            subscriber: nil,
            by: world.admin)
        _ = try await app.serviceChannel.addRule(
            subscriberID: nil, trade: "PLUMBING", priority: nil, category: nil, outcome: "job", by: world.admin)
        // Customer imports: one finished with a row it could not import, one uploaded and waiting.
        for csv in ["Name,Phone\r\nImported Person,5125550171\r\nNo Number,555\r\n", "Name\r\nWaiting Person\r\n"] {
            var upload = try await app.customerImports.beginUpload(fileName: "customers.csv", by: world.admin)
            try await upload.append(Array(csv.utf8))
            let value = try await upload.finish()
            if csv.contains("Imported") {
                _ = try await app.customerImports.start(value.id, by: world.admin)
                _ = try await app.customerImports.runNext()
            }
        }
        // An API request's Idempotency-Key, with the answer kept for its retries.
        let claim = IdempotencyClaim(accountID: account, key: "retry-1", fingerprint: "POST /texts", attempt: "a1")
        try await app.database.write { sql in
            try await IdempotencyStore(sql).take(claim, at: now, expiredBefore: now.addingTimeInterval(-86_400))
            try await IdempotencyStore(sql).keep(
                claim, status: 201, contentType: "application/json", body: #"{"id":"m1"}"#)
        }
    }

    static func readBack(_ app: Fieldline, _ world: TestWorld) async throws {
        let detail = try await app.customers.detail(world.customer.id, by: world.admin)
        #expect(detail.customer.name == world.customer.name)
        #expect(!(try await app.inbox.list(status: .open, by: world.admin)).isEmpty)
        #expect(try await app.serviceChannel.overview(by: world.admin).connection != nil)
    }
}
