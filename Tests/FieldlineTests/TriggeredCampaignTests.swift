import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import SQLKit
import Testing

@Suite("Transactional campaigns: estimate follow-ups, service reminders, missed-call text-backs")
struct TriggeredCampaignTests {
    /// Monday 2026-11-23, noon in Chicago (the world's customer is in Texas).
    static let noon = Date(timeIntervalSince1970: 1_795_456_800)
    static let day: TimeInterval = 86_400

    func runs(_ app: Fieldline, _ world: TestWorld, _ kind: TriggeredCampaignKind) async throws -> [TriggeredRun] {
        try await app.database.read { sql in
            try await TriggeredCampaignStore(sql).recentRuns(kind, in: world.account.id, limit: 100)
        }
    }

    @Test(
        "An open estimate gets one follow-up after its days; sold, stale and opted-out ones get none",
        arguments: TestEngine.available)
    func estimateFollowUp(engine: TestEngine) async throws {
        let clock = TestClock(Self.noon)
        try await engine.withChatWorld(clock: clock) { app, world, fake, main in
            _ = try await app.triggeredCampaigns.save(
                .estimateFollowUp, .init(enabled: true, days: 3), by: world.marketer)
            let open = try await app.estimates.add(
                .init(summary: "Water heater replacement", amount: "1,850"), to: world.customer.id, by: world.dispatcher
            )
            let sold = try await app.estimates.add(
                .init(summary: "Drain cleaning"), to: world.customer.id, by: world.dispatcher)
            _ = try await app.estimates.decide(sold.id, status: "sold", by: world.dispatcher)
            // A customer who opted out of texts altogether, and one whose only number is a landline.
            let stopped = try await app.customers.create(
                .init(
                    name: "Alma Reyes",
                    location: .init(street: "1 Oak St", city: "Austin", state: "TX", postalCode: "78701"),
                    phones: [.init(number: "(512) 555-0177", kind: "mobile")]), by: world.admin)
            _ = try await world.textIn(from: "5125550177", body: "STOP", to: main)
            let stoppedEstimate = try await app.estimates.add(
                .init(summary: "Sump pump"), to: stopped.id, by: world.dispatcher)
            let landline = try await app.customers.create(
                .init(name: "Ben Ortiz", phones: [.init(number: "(512) 555-0188", kind: "landline")]), by: world.admin)
            _ = try await app.estimates.add(.init(summary: "Repipe"), to: landline.id, by: world.dispatcher)

            clock.advance(by: 2 * Self.day)
            #expect(try await app.triggeredCampaigns.runDue() == 0)
            clock.advance(by: Self.day + 60)
            #expect(try await app.triggeredCampaigns.runDue() == 1)
            #expect(try await app.triggeredCampaigns.runDue() == 0)
            try await OutboxWorker(app: app).drain()
            let texts = fake.sent.filter { $0.body.contains("estimate") }
            #expect(texts.count == 1)
            #expect(texts.first?.to == "+15125550142")
            #expect(texts.first?.from == TestWorld.mainNumber)
            #expect(
                texts.first?.body
                    == "Hi Robert, any questions about the Water heater replacement estimate from Northside Plumbing? Reply here."
            )
            let recorded = try await runs(app, world, .estimateFollowUp)
            #expect(recorded.count == 3)
            #expect(recorded.first { $0.subject == open.id.rawValue }?.messageID != nil)
            #expect(recorded.first { $0.subject == stoppedEstimate.id.rawValue }?.skipReason == "opted_out")
            #expect(recorded.contains { $0.skipReason == "landline" })
            // An estimate whose follow-up fell due more than two weeks ago is left alone.
            let late = try await app.estimates.add(
                .init(summary: "Old quote"), to: world.customer.id, by: world.dispatcher)
            clock.advance(by: 18 * Self.day)
            #expect(try await app.triggeredCampaigns.runDue() == 0)
            #expect(try await runs(app, world, .estimateFollowUp).contains { $0.subject == late.id.rawValue } == false)
        }
    }

    @Test(
        "A follow-up falling due at night waits for the customer's morning; job notifications off skips it",
        arguments: TestEngine.available)
    func followUpQuietHoursAndPreferences(engine: TestEngine) async throws {
        // 22:00 in Chicago.
        let clock = TestClock(Self.noon.addingTimeInterval(10 * 3600))
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            _ = try await app.triggeredCampaigns.save(.estimateFollowUp, .init(enabled: true, days: 1), by: world.admin)
            _ = try await app.estimates.add(
                .init(summary: "Softener install"), to: world.customer.id, by: world.dispatcher)
            let quiet = try await app.customers.create(
                .init(
                    name: "Cara Lin",
                    location: .init(street: "2 Elm St", city: "Austin", state: "TX", postalCode: "78702"),
                    phones: [.init(number: "(512) 555-0199", kind: "mobile", jobNotifications: false)]), by: world.admin
            )
            _ = try await app.estimates.add(.init(summary: "Filter"), to: quiet.id, by: world.dispatcher)
            clock.advance(by: Self.day)
            #expect(try await app.triggeredCampaigns.runDue() == 1)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.isEmpty)
            // 8:00 the next morning in Chicago is 7:00 in El Paso: Texas spans both zones.
            clock.advance(by: 10 * 3600)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.isEmpty)
            clock.advance(by: 3600)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.map(\.to) == ["+15125550142"])
            #expect(try await runs(app, world, .estimateFollowUp).contains { $0.skipReason == "job_notifications_off" })
        }
    }

    @Test(
        "A recurring service is reminded once per due day, and again after it is marked done",
        arguments: TestEngine.available)
    func serviceReminder(engine: TestEngine) async throws {
        let clock = TestClock(Self.noon)
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            _ = try await app.triggeredCampaigns.save(.serviceReminder, .init(enabled: true, days: 7), by: world.admin)
            let service = try await app.estimates.addService(
                .init(name: "Furnace tune-up", intervalMonths: 12, nextDue: "2026-12-03"), to: world.customer.id,
                by: world.dispatcher)
            // Ten days ahead: not yet.
            #expect(try await app.triggeredCampaigns.runDue() == 0)
            clock.advance(by: 3 * Self.day)
            #expect(try await app.triggeredCampaigns.runDue() == 1)
            #expect(try await app.triggeredCampaigns.runDue() == 0)
            try await OutboxWorker(app: app).drain()
            #expect(
                fake.sent.map(\.body) == [
                    "Hi Robert, your Furnace tune-up with Northside Plumbing is due Thu, Dec 3. Reply to book a visit."
                ])
            let done = try await app.estimates.serviceDone(service.id, expecting: "2026-12-03", by: world.dispatcher)
            #expect(done.nextDue == "2027-12-03")
            // A second click on the same "Mark done" finds it moved and changes nothing.
            await #expect(throws: FieldlineError.self) {
                try await app.estimates.serviceDone(service.id, expecting: "2026-12-03", by: world.dispatcher)
            }
            #expect(try await app.triggeredCampaigns.runDue() == 0)
            // Moved back into the window by hand: a new due day is a new reminder.
            _ = try await app.estimates.updateService(
                service.id, intervalMonths: nil, nextDue: "2026-11-28", by: world.dispatcher)
            #expect(try await app.triggeredCampaigns.runDue() == 1)
            // Off means off.
            _ = try await app.triggeredCampaigns.save(.serviceReminder, .init(enabled: false), by: world.admin)
            _ = try await app.estimates.updateService(
                service.id, intervalMonths: nil, nextDue: "2026-11-29", by: world.dispatcher)
            #expect(try await app.triggeredCampaigns.runDue() == 0)
        }
    }

    @Test(
        "A held follow-up is withdrawn when the estimate is answered; the next mobile number is tried when the first is refused",
        arguments: TestEngine.available)
    func withdrawnAndSecondNumber(engine: TestEngine) async throws {
        let clock = TestClock(Self.noon.addingTimeInterval(10 * 3600))  // 22:00: held until morning
        try await engine.withChatWorld(clock: clock) { app, world, fake, main in
            _ = try await app.triggeredCampaigns.save(.estimateFollowUp, .init(enabled: true, days: 1), by: world.admin)
            let estimate = try await app.estimates.add(
                .init(summary: "Softener"), to: world.customer.id, by: world.dispatcher)
            let family = try await app.customers.create(
                .init(
                    name: "Dee Park",
                    location: .init(street: "3 Ash St", city: "Austin", state: "TX", postalCode: "78703"),
                    phones: [
                        .init(number: "(512) 555-0161", kind: "mobile"),
                        .init(number: "(512) 555-0162", kind: "mobile"),
                    ]),
                by: world.admin)
            _ = try await world.textIn(from: "5125550161", body: "STOP", to: main)
            _ = try await app.estimates.add(.init(summary: "Descaling"), to: family.id, by: world.dispatcher)
            clock.advance(by: Self.day)
            #expect(try await app.triggeredCampaigns.runDue() == 2)
            // Sold overnight: the held text must not go in the morning.
            _ = try await app.estimates.decide(estimate.id, status: "sold", by: world.dispatcher)
            clock.advance(by: 11 * 3600)
            try await OutboxWorker(app: app).drain()
            let followUps = fake.sent.filter { $0.body.contains("estimate") }
            #expect(followUps.map(\.to) == ["+15125550162"])
            let recorded = try await runs(app, world, .estimateFollowUp)
            #expect(recorded.first { $0.subject == estimate.id.rawValue }?.skipReason == "estimate_answered")
            let entry = try await app.triggeredCampaigns.overview(by: world.admin).first {
                $0.campaign.kind == .estimateFollowUp
            }
            #expect(entry?.sentLast30Days == 1)
            #expect(entry?.skippedLast30Days == 1)
        }
    }

    @Test("More due than one batch: every one is sent once", arguments: TestEngine.available)
    func manyDue(engine: TestEngine) async throws {
        let clock = TestClock(Self.noon)
        try await engine.withChatWorld(clock: clock) { app, world, _, _ in
            _ = try await app.triggeredCampaigns.save(.estimateFollowUp, .init(enabled: true, days: 1), by: world.admin)
            let count = TriggeredCampaigns.batchSize + 7
            try await app.database.write { sql in
                for index in 0..<count {
                    try await EstimateStore(sql).insert(
                        Estimate(
                            id: .generate(), accountID: world.account.id, customerID: world.customer.id,
                            locationID: nil,
                            summary: "Quote \(index)", amountCents: nil, status: .open,
                            createdAt: Self.noon.addingTimeInterval(-Double(index)), decidedAt: nil))
                }
            }
            clock.advance(by: Self.day)
            #expect(try await app.triggeredCampaigns.runDue() == count)
            #expect(try await app.triggeredCampaigns.runDue() == 0)
            let entry = try await app.triggeredCampaigns.overview(by: world.admin).first {
                $0.campaign.kind == .estimateFollowUp
            }
            #expect(entry?.sentLast30Days == count)
        }
    }

    @Test(
        "Before the texting registration is approved nothing is recorded; approval sends what is still due",
        arguments: TestEngine.available)
    func waitsForRegistration(engine: TestEngine) async throws {
        let clock = TestClock(Self.noon)
        try await engine.withChatWorld(clock: clock) { app, world, fake, _ in
            _ = try await app.registrations.record(.pending, of: .texting, accountID: world.account.id)
            _ = try await app.triggeredCampaigns.save(.estimateFollowUp, .init(enabled: true, days: 1), by: world.admin)
            #expect(try await app.triggeredCampaigns.readiness(of: world.account.id)?.contains("registration") == true)
            _ = try await app.estimates.add(.init(summary: "Boiler"), to: world.customer.id, by: world.dispatcher)
            clock.advance(by: Self.day + 60)
            #expect(try await app.triggeredCampaigns.runDue() == 0)
            #expect(try await runs(app, world, .estimateFollowUp).isEmpty)
            _ = try await app.registrations.record(.approved, of: .texting, accountID: world.account.id)
            #expect(try await app.triggeredCampaigns.readiness(of: world.account.id) == nil)
            #expect(try await app.triggeredCampaigns.runDue() == 1)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.count == 1)
        }
    }

    @Test(
        "A missed call is texted back once per call and once a day per caller; staff and disabled get none",
        arguments: TestEngine.available)
    func missedCall(engine: TestEngine) async throws {
        let clock = TestClock(Self.noon.addingTimeInterval(11 * 3600))  // 23:00: text-backs do not wait
        try await engine.withChatWorld(clock: clock) { app, world, fake, main in
            let caller = try PhoneNumber.parse("(512) 555-0142")
            let call = TriggeredCampaigns.Call(callID: "CA" + FakeTwilio.hex(32), from: caller, to: main)
            #expect(try await app.triggeredCampaigns.textBack(call) == .notEnabled)
            _ = try await app.triggeredCampaigns.save(.missedCall, .init(enabled: true), by: world.admin)
            guard case .queued = try await app.triggeredCampaigns.textBack(call) else {
                Issue.record("The first missed call was not texted back.")
                return
            }
            #expect(try await app.triggeredCampaigns.textBack(call) == .duplicate)
            let again = TriggeredCampaigns.Call(callID: "CA" + FakeTwilio.hex(32), from: caller, to: main)
            #expect(try await app.triggeredCampaigns.textBack(again) == .skipped("texted_recently"))
            _ = try await app.customers.create(
                .init(name: "Office Line", phones: [.init(number: "(512) 555-0170", kind: "landline")]), by: world.admin
            )
            #expect(
                try await app.triggeredCampaigns.textBack(
                    .init(callID: "CA" + FakeTwilio.hex(32), from: try PhoneNumber.parse("(512) 555-0170"), to: main))
                    == .skipped("landline"))
            let technician = try PhoneNumber.parse("(512) 555-0131")
            #expect(
                try await app.triggeredCampaigns.textBack(
                    .init(callID: "CA" + FakeTwilio.hex(32), from: technician, to: main))
                    == .skipped("employee_number"))
            try await OutboxWorker(app: app).drain()
            #expect(
                fake.sent.map(\.body) == [
                    "Sorry we missed your call! This is Northside Plumbing. How can we help? Reply here and we will text you back."
                ])
            #expect(fake.sent.first?.from == TestWorld.mainNumber)
            // A day later the same caller may be texted back again; STOP still wins.
            clock.advance(by: Self.day + 60)
            _ = try await world.textIn(from: "5125550142", body: "STOP", to: main)
            let later = TriggeredCampaigns.Call(callID: "CA" + FakeTwilio.hex(32), from: caller, to: main)
            #expect(try await app.triggeredCampaigns.textBack(later) == .skipped("opted_out"))
        }
    }
}
