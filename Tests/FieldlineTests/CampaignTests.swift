import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import SQLKit
import Testing

@Suite("Campaigns and registrations, end to end with the fake Twilio")
struct CampaignTests {
    /// Monday 2026-11-23, 19:30 in Chicago: 20:30 in Florida (past its 20:00), 17:30 in California.
    static let evening = Date(timeIntervalSince1970: 1_795_483_800)
    /// 8:00 the next morning in Chicago: 8:00 in Florida's panhandle too, so Florida may be texted.
    static let nextMorning = Date(timeIntervalSince1970: 1_795_528_800)
    /// Noon the next day in Chicago: inside every seeded recipient's window.
    static let nextNoon = Date(timeIntervalSince1970: 1_795_543_200)

    struct Seeded {
        var expectedNow: Set<String> = []
        var expectedMorning: Set<String> = []
        var skipped: [String: Int] = [:]
        /// The admitted ones in California, two hours behind Chicago.
        var california: Set<String> = []
        var candidates = 0
        var vipAdmitted = 0
    }

    /// `count` customers, each with one number: a fifth with explicit marketing consent, a fifth
    /// that opted in but turned marketing updates off, a fifth opted out of everything, a fifth
    /// that ended marketing, a fifth never asked; every seventh a landline; one blocked; in
    /// Texas, Florida and California in turn; every other one tagged "vip".
    static func seed(_ count: Int, app: Fieldline, account: AccountID, at now: Date) async throws -> Seeded {
        try await app.database.write { sql in
            var seeded = Seeded()
            let customers = CustomerStore(sql)
            let consent = ConsentStore(sql)
            for index in 0..<count {
                let customer = Customer(
                    id: .generate(), accountID: account, name: "Customer \(index)", notes: nil,
                    tags: index % 2 == 0 ? ["vip"] : [], createdAt: now, updatedAt: now)
                try await customers.insert(customer)
                let state = ["TX", "FL", "CA"][index % 3]
                try await customers.insert(
                    ServiceLocation(
                        id: .generate(), accountID: account, customerID: customer.id, name: nil,
                        address: Address(street: "\(index) Main St", city: "Town", state: state, postalCode: "00000"),
                        verified: false, coordinates: nil, createdAt: now))
                let phone = PhoneNumber(storedE164: "+1737\(2_000_000 + index)")
                let landline = index % 7 == 6
                let consentKind = index % 5
                try await customers.insert(
                    PhoneContact(
                        id: .generate(), accountID: account, customerID: customer.id, number: phone,
                        kind: landline ? .landline : .mobile, label: nil,
                        preferences: NotificationPreferences(
                            jobNotifications: true, marketingUpdates: consentKind != 3),
                        createdAt: now))
                switch consentKind {
                case 1, 3: try await consent.save(SMSConsent(phone: phone, marketing: .optedIn), in: account, at: now)
                case 2:
                    try await consent.save(
                        SMSConsent(phone: phone, optedOut: true, marketing: .optedOut), in: account, at: now)
                case 4: try await consent.save(SMSConsent(phone: phone, marketing: .optedOut), in: account, at: now)
                default: break
                }
                let blocked = index == 11
                if blocked { try await ConversationStore(sql).block(phone, by: "Test", at: now, in: account) }
                guard consentKind == 1 || consentKind == 3 else { continue }
                seeded.candidates += 1
                if blocked {
                    seeded.skipped["number_blocked", default: 0] += 1
                } else if landline {
                    seeded.skipped["landline", default: 0] += 1
                } else if consentKind == 3 {
                    seeded.skipped["marketing_updates_off", default: 0] += 1
                } else if state == "FL" {
                    seeded.expectedMorning.insert(phone.e164)
                    if index % 2 == 0 { seeded.vipAdmitted += 1 }
                } else {
                    seeded.expectedNow.insert(phone.e164)
                    if state == "CA" { seeded.california.insert(phone.e164) }
                    if index % 2 == 0 { seeded.vipAdmitted += 1 }
                }
            }
            return seeded
        }
    }

    @Test(
        "The marketing limit counts across campaigns; campaigns pass over threads waiting for an answer (CP4)",
        arguments: TestEngine.available)
    func frequencyLimit(engine: TestEngine) async throws {
        let clock = TestClock(Self.nextNoon)
        try await engine.withChatWorld(clock: clock) { app, world, fake, main in
            _ = try await world.addMarketingNumber(twilio: fake)
            let seeded = try await Self.seed(40, app: app, account: world.account.id, at: clock.now())
            let reachable = seeded.expectedNow.union(seeded.expectedMorning).sorted()
            try #require(reachable.count >= 3)
            // One of them asked something nobody has answered yet.
            let asking = reachable[0]
            _ = try await world.textIn(from: asking, body: "Do you have Saturday slots?", to: main)
            let worker = OutboxWorker(app: app)
            func run(_ name: String) async throws -> Campaigns.Summary {
                let campaign = try await app.campaigns.create(
                    .init(name: name, body: "Northside: \(name)", audience: CampaignAudience()), timing: .now,
                    by: world.marketer)
                _ = try await app.campaigns.queueDue()
                try await worker.drain()
                let summary = try await app.campaigns.find(campaign.id, by: world.marketer)
                clock.advance(by: 86_400)
                return summary
            }
            for week in 1...4 {
                let summary = try await run("Offer \(week)")
                #expect(summary.progress.skippedReasons["open_conversation"] == 1)
                #expect(summary.progress.skippedReasons["frequency_limit"] == nil)
            }
            let fifth = try await run("Offer 5")
            #expect(fifth.progress.skippedReasons["frequency_limit"] == reachable.count - 1)
            #expect(fifth.progress.skippedReasons["open_conversation"] == 1)
            let offers = Dictionary(
                grouping: fake.sent.filter { $0.body.hasPrefix("Northside: Offer") }, by: \.to
            ).mapValues(\.count)
            #expect(offers.count == reachable.count - 1)
            #expect(offers.values.allSatisfy { $0 == 4 }, "never more than 4 in 30 days")
            #expect(offers[asking] == nil)

            // The office raises the limit and lets campaigns reach open threads: the preview agrees.
            await #expect(throws: FieldlineError.self) {
                _ = try await app.accounts.update(.init(marketingLimit: MarketingLimit(texts: 0)), by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                _ = try await app.accounts.update(.init(marketingLimit: MarketingLimit(texts: 9)), by: world.marketer)
            }
            let raised = try await app.accounts.update(
                .init(marketingLimit: MarketingLimit(texts: 5, days: 30, skipOpenConversations: false)), by: world.admin
            )
            #expect(raised.marketingLimit.texts == 5)
            #expect(try await app.accounts.find(world.account.id).marketingLimit == raised.marketingLimit)
            var preview = try await app.campaigns.preview(CampaignAudience(), by: world.marketer)
            #expect(preview.admitted == reachable.count)
            #expect(preview.skipped["frequency_limit"] == nil && preview.skipped["open_conversation"] == nil)

            // Back to 4: a month after the first offer, it has left the window.
            _ = try await app.accounts.update(.init(marketingLimit: MarketingLimit()), by: world.admin)
            preview = try await app.campaigns.preview(CampaignAudience(), by: world.marketer)
            #expect(preview.skipped["frequency_limit"] == reachable.count - 1)
            clock.advance(by: 26 * 86_400)
            preview = try await app.campaigns.preview(CampaignAudience(), by: world.marketer)
            #expect(preview.skipped["frequency_limit"] == nil)
        }
    }

    @Test(
        "5,000 recipients with mixed consent: exactly the consenting ones get it, none in their quiet hours",
        arguments: TestEngine.available)
    func fiveThousand(engine: TestEngine) async throws {
        let clock = TestClock(Self.evening)
        try await engine.withChatWorld(clock: clock) { app, world, fake, main in
            let marketing = try await world.addMarketingNumber(twilio: fake)
            let seeded = try await Self.seed(5000, app: app, account: world.account.id, at: clock.now())

            let everyone = try await app.campaigns.preview(CampaignAudience(), by: world.marketer)
            #expect(everyone.consenting == seeded.candidates)
            #expect(everyone.admitted == seeded.expectedNow.count + seeded.expectedMorning.count)
            #expect(everyone.heldForQuietHours == seeded.expectedMorning.count)
            #expect(everyone.skipped == seeded.skipped)
            #expect(everyone.blockedBecause == nil)
            let vip = try await app.campaigns.preview(CampaignAudience(tags: ["VIP"]), by: world.marketer)
            #expect(vip.admitted == seeded.vipAdmitted)

            let campaign = try await app.campaigns.create(
                .init(
                    name: "Fall tune-up", body: "Northside: furnace tune-ups $20 off this week",
                    audience: CampaignAudience()),
                timing: .now, by: world.marketer)
            #expect(try await app.campaigns.queueDue() == 1)
            #expect(try await app.campaigns.queueDue() == 0)
            var summary = try await app.campaigns.find(campaign.id, by: world.marketer)
            #expect(summary.campaign.status == .queued)
            #expect(summary.progress.total == seeded.candidates)
            #expect(summary.progress.count(.queued) == seeded.expectedNow.count)
            #expect(summary.progress.count(.held) == seeded.expectedMorning.count)
            #expect(summary.progress.skippedReasons == seeded.skipped)

            // Three recipients still waiting text STOP to the chat number: they get nothing more.
            let stopping =
                Array(seeded.expectedNow.sorted().prefix(2)) + Array(seeded.expectedMorning.sorted().prefix(1))
            for phone in stopping { _ = try await world.textIn(from: phone, body: "STOP", to: main) }

            let worker = OutboxWorker(app: app)
            try await worker.drain()
            let evening = fake.sent.filter { $0.from == marketing.number.e164 }
            #expect(Set(evening.map(\.to)) == seeded.expectedNow.subtracting(stopping))
            #expect(evening.count == seeded.expectedNow.count - 2)
            #expect(
                evening.allSatisfy { $0.body == "Northside: furnace tune-ups $20 off this week\nReply STOP to opt out" }
            )
            summary = try await app.campaigns.find(campaign.id, by: world.marketer)
            #expect(summary.progress.count(.held) == seeded.expectedMorning.count)
            #expect(summary.progress.count(.queued) == 0)

            clock.set(Self.nextMorning)
            try await worker.drain()
            let all = fake.sent.filter { $0.from == marketing.number.e164 }
            #expect(all.count == seeded.expectedNow.count + seeded.expectedMorning.count - 3)
            #expect(Set(all.map(\.to)) == seeded.expectedNow.union(seeded.expectedMorning).subtracting(stopping))
            summary = try await app.campaigns.find(campaign.id, by: world.marketer)
            #expect(summary.progress.isFinished)
            #expect(summary.progress.count(.sent) + summary.progress.count(.delivered) == all.count)
            var reasons = seeded.skipped
            reasons["opted_out"] = 3
            #expect(summary.progress.skippedReasons == reasons)
        }
    }

    @Test(
        "A campaign whose server stopped halfway is taken up again without texting anyone twice",
        arguments: TestEngine.available)
    func resumesOnce(engine: TestEngine) async throws {
        let clock = TestClock(Self.evening)
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            _ = try await world.addMarketingNumber(twilio: fake)
            let seeded = try await Self.seed(1000, app: app, account: world.account.id, at: clock.now())
            let campaign = try await app.campaigns.create(
                .init(name: "Resume", body: "Spring special", audience: CampaignAudience()), timing: .now,
                by: world.marketer)
            #expect(try await app.campaigns.queueDue() == 1)
            // As if the server had died mid-way: back to queuing, its lease long gone.
            try await app.database.write { sql in
                try await sql.update("campaigns").set("status", to: "queuing")
                    .set("updated_at", to: clock.now().addingTimeInterval(-600)).where(
                        "id", .equal, campaign.id.rawValue
                    )
                    .run()
            }
            #expect(try await app.campaigns.queueDue() == 1)
            let summary = try await app.campaigns.find(campaign.id, by: world.marketer)
            #expect(summary.campaign.status == .queued)
            #expect(summary.progress.total == seeded.candidates)
            clock.set(Self.nextNoon)
            try await OutboxWorker(app: app).drain()
            let texts = fake.sent.filter { $0.from == TestWorld.marketingNumber }
            #expect(texts.count == seeded.expectedNow.count + seeded.expectedMorning.count)
            #expect(Set(texts.map(\.to)).count == texts.count)
        }
    }

    @Test("Canceling takes back what has not gone; drafts, schedules and refusals", arguments: TestEngine.available)
    func lifecycle(engine: TestEngine) async throws {
        let clock = TestClock(Self.evening)
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            let draft = Campaigns.Draft(name: "Offer", body: "Tune-ups $20 off", audience: CampaignAudience())
            // No marketing number yet: a draft is fine, sending is refused with the reason.
            let saved = try await app.campaigns.create(draft, timing: .draft, by: world.marketer)
            #expect(saved.status == .draft)
            await #expect(throws: FieldlineError.self) {
                try await app.campaigns.create(draft, timing: .now, by: world.marketer)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.campaigns.create(draft, timing: .draft, by: world.dispatcher)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.campaigns.create(
                    .init(name: "Long", body: String(repeating: "x", count: 139), audience: CampaignAudience()),
                    timing: .draft, by: world.marketer)
            }
            _ = try await world.addMarketingNumber(twilio: fake)
            _ = try await Self.seed(300, app: app, account: world.account.id, at: clock.now())

            let later = try await app.campaigns.update(
                saved.id, draft, timing: .at(clock.now().addingTimeInterval(3600)), by: world.marketer)
            #expect(later.status == .scheduled)
            #expect(try await app.campaigns.queueDue() == 0)
            clock.advance(by: 3601)
            #expect(try await app.campaigns.queueDue() == 1)
            await #expect(throws: FieldlineError.self) {
                try await app.campaigns.update(saved.id, draft, timing: nil, by: world.marketer)
            }
            let canceled = try await app.campaigns.cancel(saved.id, by: world.marketer)
            #expect(canceled.status == .canceled)
            clock.set(Self.nextMorning)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.filter { $0.from == TestWorld.marketingNumber }.isEmpty)
            let progress = try await app.campaigns.find(saved.id, by: world.marketer).progress
            #expect(progress.isFinished && progress.skippedReasons["campaign_canceled", default: 0] > 0)
        }
    }

    @Test(
        "Nothing is texted before the texting registration; marketing waits for its own",
        arguments: TestEngine.available)
    func registrationsGate(engine: TestEngine) async throws {
        // Monday noon: the opt-in request is not held for quiet hours.
        try await engine.withChatWorld(clock: TestClock(Date(timeIntervalSince1970: 1_795_456_800))) {
            app, world, fake, main in
            let marketing = try await world.addMarketingNumber(twilio: fake)
            _ = try await app.registrations.record(.pending, of: .texting, accountID: world.account.id)
            await #expect(throws: FieldlineError.conflict(code: .textingNotRegistered, message: "")) {
                do {
                    _ = try await app.inbox.start(phone: "5125550142", body: "Hello", by: world.dispatcher)
                } catch FieldlineError.conflict(let code, _) {
                    throw FieldlineError.conflict(code: code, message: "")
                }
            }
            // A STOP still counts, and the inbound text is stored; its confirmation cannot go.
            let stop = try await world.textIn(from: "5125550199", body: "STOP", to: main)
            guard case .inbox = stop else { throw TestSetupError("the STOP was not stored") }
            #expect(try await app.consent.consent(of: try PhoneNumber.parse("5125550199"), by: world.admin).optedOut)

            _ = try await app.registrations.record(.approved, of: .texting, accountID: world.account.id)
            _ = try await app.registrations.record(
                .rejected, of: .marketing, reason: "Sample message lacks opt-out language", accountID: world.account.id)
            _ = try await app.inbox.start(phone: "5125550142", body: "Hello", by: world.dispatcher)
            await #expect(throws: FieldlineError.self) {
                try await app.consent.requestMarketingOptIn(ofPhone: world.phone.id, by: world.marketer)
            }
            let preview = try await app.campaigns.preview(CampaignAudience(), by: world.marketer)
            #expect(preview.blockedBecause?.contains("marketing registration") == true)
            await #expect(throws: FieldlineError.self) {
                try await app.campaigns.create(
                    .init(name: "Offer", body: "Deal", audience: CampaignAudience()), timing: .now, by: world.marketer)
            }
            // Rejected: the admin fixes it and resubmits; the operator approves.
            let registration = try await app.registrations.save(
                .marketing,
                details: RegistrationDetails(
                    useCase: "Seasonal offers", optInDescription: "Double opt-in by text",
                    sampleMessage: "Northside: $20 off tune-ups. Reply STOP to opt out"),
                by: world.admin)
            #expect(registration.status == .rejected)
            #expect(try await app.registrations.submit(.marketing, by: world.admin).status == .pending)
            await #expect(throws: FieldlineError.self) {
                try await app.registrations.submit(.marketing, by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.registrations.save(.texting, details: RegistrationDetails(), by: world.marketer)
            }
            _ = try await app.registrations.record(.approved, of: .marketing, accountID: world.account.id)
            _ = try await app.consent.requestMarketingOptIn(ofPhone: world.phone.id, by: world.marketer)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.contains { $0.from == marketing.number.e164 && $0.body.contains("YES") })
        }
    }

    @Test("The opt-in link's sentence opts in at the marketing number only", arguments: TestEngine.available)
    func optInLink(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, main in
            let marketing = try await world.addMarketingNumber(twilio: fake)
            let phone = try PhoneNumber.parse("5125550142")
            _ = try await world.textIn(from: "5125550142", body: Keyword.signUpSentence, to: main)
            #expect(try await app.consent.consent(of: phone, by: world.admin).marketing == MarketingConsent.none)
            _ = try await world.textIn(from: "5125550142", body: Keyword.signUpSentence + "!", to: marketing)
            #expect(try await app.consent.consent(of: phone, by: world.admin).marketing == .optedIn)
            let history = try await app.consent.history(ofPhone: world.phone.id, by: world.admin)
            #expect(history.ledger.last?.method == "opt_in_link")
            // Their own consent turns marketing updates on for the number.
            #expect(history.phone.preferences.marketingUpdates)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.contains { $0.from == marketing.number.e164 && $0.to == phone.e164 })
            // Their first text, to the chat number, still waits for an answer: campaigns pass over
            // them until someone replies (CP4).
            var preview = try await app.campaigns.preview(CampaignAudience(), by: world.marketer)
            #expect(preview.admitted == 0 && preview.skipped["open_conversation"] == 1)
            let thread = try #require(try await app.inbox.list(status: .open, by: world.dispatcher).first)
            _ = try await app.inbox.reply(
                to: thread.conversation.id, body: "You're signed up, thanks!", by: world.dispatcher)
            preview = try await app.campaigns.preview(CampaignAudience(), by: world.marketer)
            #expect(preview.admitted == 1)
        }
    }

    @Test(
        "The outbox re-reads quiet hours: a campaign that outlasts the evening waits for the morning",
        arguments: TestEngine.available)
    func outlastsTheEvening(engine: TestEngine) async throws {
        let clock = TestClock(Self.evening)
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            _ = try await world.addMarketingNumber(twilio: fake)
            let seeded = try await Self.seed(60, app: app, account: world.account.id, at: clock.now())
            _ = try await app.campaigns.create(
                .init(name: "Late", body: "Late offer", audience: CampaignAudience()), timing: .now, by: world.marketer)
            try await app.campaigns.queueDue()
            // The number is slow: by the time the worker reaches them it is 21:30 in Chicago, and
            // only California (19:30) is still inside its window.
            clock.set(Self.evening.addingTimeInterval(2 * 3600))
            try await OutboxWorker(app: app).drain()
            #expect(Set(fake.sent.filter { $0.from == TestWorld.marketingNumber }.map(\.to)) == seeded.california)
            #expect(!seeded.california.isEmpty)
            clock.set(Self.nextNoon)
            try await OutboxWorker(app: app).drain()
            let texts = fake.sent.filter { $0.from == TestWorld.marketingNumber }
            #expect(Set(texts.map(\.to)) == seeded.expectedNow.union(seeded.expectedMorning))
        }
    }

    @Test("Canceling stops texts a worker had already claimed", arguments: TestEngine.available)
    func cancelInFlight(engine: TestEngine) async throws {
        let clock = TestClock(Self.nextNoon)
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            let marketing = try await world.addMarketingNumber(twilio: fake)
            let seeded = try await Self.seed(40, app: app, account: world.account.id, at: clock.now())
            let campaign = try await app.campaigns.create(
                .init(name: "Oops", body: "Wrong price", audience: CampaignAudience()), timing: .now,
                by: world.marketer)
            try await app.campaigns.queueDue()
            // A worker holds them all when the marketer cancels, then stops without sending.
            let claimed = try await app.database.write { sql in
                try await OutboxStore(sql).claimBatch(for: marketing.id, limit: 100, at: clock.now(), worker: "w1")
            }
            #expect(claimed.count == seeded.expectedNow.count + seeded.expectedMorning.count)
            _ = try await app.campaigns.cancel(campaign.id, by: world.marketer)
            try await app.database.write { sql in try await OutboxStore(sql).unclaim(claimed.map(\.id)) }
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.filter { $0.from == TestWorld.marketingNumber }.isEmpty)
            let progress = try await app.campaigns.find(campaign.id, by: world.marketer).progress
            #expect(progress.skippedReasons["campaign_canceled"] == claimed.count)
        }
    }

    @Test(
        "Sign-ups who are not customers get campaigns; a revoked registration stops a campaign with the reason",
        arguments: TestEngine.available)
    func signUpsAndStops(engine: TestEngine) async throws {
        let clock = TestClock(Self.nextMorning.addingTimeInterval(3 * 3600))
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            // One number both chats and markets: its opt-in link still signs people up.
            let both = try await app.senderNumbers.add(
                .init(
                    number: TestWorld.marketingNumber, label: "Main and promotions", provider: "twilio", chat: true,
                    marketing: true, ratePerSecond: 50, providerAccountID: fake.accountSID,
                    authToken: fake.authToken),
                by: world.admin)
            _ = try await world.textIn(from: "5125550177", body: Keyword.signUpSentence, to: both)
            let stranger = try PhoneNumber.parse("5125550177")
            #expect(try await app.consent.consent(of: stranger, by: world.admin).marketing == .optedIn)
            let preview = try await app.campaigns.preview(CampaignAudience(), by: world.marketer)
            #expect(preview.admitted == 1)
            // A tag filter is about customers: the stranger is not one.
            #expect(
                try await app.campaigns.preview(CampaignAudience(tags: ["vip"]), by: world.marketer).consenting == 0)

            let campaign = try await app.campaigns.create(
                .init(name: "Hello", body: "Welcome offer", audience: CampaignAudience()), timing: .now,
                by: world.marketer)
            _ = try await app.registrations.record(
                .rejected, of: .marketing, reason: "Campaign vetting failed", accountID: world.account.id)
            try await app.campaigns.queueDue()
            let stopped = try await app.campaigns.find(campaign.id, by: world.marketer).campaign
            #expect(stopped.status == .draft && stopped.problem?.contains("marketing registration") == true)
            #expect(try await app.campaigns.queueDue() == 0)

            _ = try await app.registrations.record(.approved, of: .marketing, accountID: world.account.id)
            _ = try await app.campaigns.update(
                campaign.id, .init(name: "Hello", body: "Welcome offer", audience: CampaignAudience()), timing: .now,
                by: world.marketer)
            try await app.campaigns.queueDue()
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.contains { $0.to == stranger.e164 && $0.body.hasPrefix("Welcome offer") })
            #expect(try await app.campaigns.find(campaign.id, by: world.marketer).campaign.problem == nil)
        }
    }

    @Test("A STOP's confirmation goes before a campaign's backlog on the same number", arguments: TestEngine.available)
    func confirmationsFirst(engine: TestEngine) async throws {
        let clock = TestClock(Self.nextMorning.addingTimeInterval(3 * 3600))
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            let marketing = try await world.addMarketingNumber(twilio: fake)
            _ = try await Self.seed(50, app: app, account: world.account.id, at: clock.now())
            _ = try await app.campaigns.create(
                .init(name: "Big", body: "Big offer", audience: CampaignAudience()), timing: .now, by: world.marketer)
            try await app.campaigns.queueDue()
            _ = try await world.textIn(from: "5125550142", body: "STOP", to: marketing)
            let first = try await app.database.write { sql in
                try await OutboxStore(sql).claimNext(for: marketing.id, at: clock.now(), worker: "w1")
            }
            let message = try await app.database.read { sql in
                try await MessageStore(sql).find(try #require(first).messageID, in: world.account.id)
            }
            #expect(message?.author.automation == .optOutConfirmation)
        }
    }
}
