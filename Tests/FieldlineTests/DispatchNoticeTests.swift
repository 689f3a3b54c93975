import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

@Suite("Dispatch notices: on-the-way texts and emails, the DN5 limit, preferences, tracking links")
struct DispatchNoticeTests {
    /// Turns both channels on (and tracking), as an admin saves them.
    static func enableNotices(
        _ world: TestWorld, text: Bool = true, email: Bool = true, limit: Bool = true, tracking: Bool = true
    ) async throws {
        var settings = try await world.app.dispatchNotices.overview(by: world.admin).settings
        settings.textEnabled = text
        settings.emailEnabled = email
        settings.limitWhenSeveralDispatched = limit
        settings.trackingEnabled = tracking
        _ = try await world.app.dispatchNotices.update(settings, by: world.admin)
    }

    /// Dispatches the technician's visit on `job`.
    static func dispatch(_ world: TestWorld, _ job: Job, technician: TechnicianID? = nil) async throws -> Assignment {
        let detail = try await world.app.jobs.detail(job.id, by: world.dispatcher)
        let wanted = technician ?? world.technician.id
        let assignment = try #require(detail.assignments.first { $0.technicianID == wanted })
        return try await world.app.jobs.dispatch(assignment.id, by: world.dispatcher)
    }

    static func notices(_ world: TestWorld) async throws -> [Message] {
        try await world.app.database.read { sql in
            try await MessageStore(sql).messages(
                between: world.phone.number, and: try PhoneNumber.parse(TestWorld.mainNumber), in: world.account.id,
                limit: 100)
        }.filter { $0.author.automation == .dispatchNotice }
    }

    static func emails(_ world: TestWorld) async throws -> [Email] {
        try await world.app.database.read { sql in try await EmailStore(sql).all(in: world.account.id) }
    }

    static func token(in text: String) -> String? { TrackingRules.token(in: text) }

    @Test(
        "DN1, DN4, CH11: a dispatch texts and emails the customer, with the technician and a tracking link",
        arguments: TestEngine.available)
    func textAndEmail(engine: TestEngine) async throws {
        try await engine.withNoticeWorld { app, world, twilio, email, _ in
            try await Self.enableNotices(world)
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            _ = try await Self.dispatch(world, job)

            let texts = try await Self.notices(world)
            let text = try #require(texts.first)
            #expect(texts.count == 1)
            #expect(text.purpose == .transactional && text.jobID == job.id)
            #expect(text.author.id == world.technician.id.rawValue && text.author.name == "Luis Romero")
            // No chat thread existed, so the notice did not open one (CH11).
            #expect(text.conversationID == nil)
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).isEmpty)
            #expect(
                text.body.hasPrefix(
                    "Northside Plumbing: Luis is on the way to you now. Follow along: http://fieldline.test/t/"))
            #expect(text.body.count <= 160)
            let token = try #require(Self.token(in: text.body))

            try await OutboxWorker(app: app).drain()
            #expect(twilio.sent.map(\.body) == [text.body])
            #expect(twilio.sent.first?.from == TestWorld.mainNumber)

            try await EmailWorker(app: app).drain()
            let sent = try #require(email.received.first)
            #expect(email.received.count == 1)
            #expect(sent.to == ["robert@example.com"])
            #expect(sent.from == "Northside Plumbing <notices@northside.test>")
            #expect(sent.subject == "Luis from Northside Plumbing is on the way")
            #expect(
                sent.text.contains("Hi Robert,")
                    && sent.text.contains("Luis Romero (rated 4.8/5) is on the way for job #\(job.number)"))
            #expect(sent.text.contains("http://fieldline.test/t/\(token)"))
            #expect(sent.html.contains("http://fieldline.test/avatars/technicians/\(world.technician.id.rawValue).svg"))
            #expect(
                sent.html.contains("★ 4.8 rating") && sent.html.contains("href=\"http://fieldline.test/t/\(token)\""))
            #expect(try await Self.emails(world).map(\.status) == [.sent])

            let view = try await app.tracking.view(token: token)
            #expect(view.phase == .onTheWay && view.technicianName == "Luis Romero" && view.technicianRating == 4.8)
            #expect(view.address == world.location.address.oneLine)

            // Every step is on the job's trail.
            let trail = try await app.jobs.detail(job.id, by: world.dispatcher).events.map(\.text)
            #expect(trail.contains("On-the-way text to \(world.phone.number.displayed) queued"))
            #expect(trail.contains("On-the-way email to robert@example.com queued"))
        }
    }

    @Test(
        "CH11: a notice joins the manual thread that exists, without changing its state",
        arguments: TestEngine.available)
    func joinsExistingThread(engine: TestEngine) async throws {
        try await engine.withNoticeWorld { app, world, _, _, number in
            try await Self.enableNotices(world, email: false)
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let (thread, _) = try await app.inbox.start(
                phone: "5125550142", body: "Hi Robert, we are booked for today.", by: world.dispatcher)
            _ = try await world.textIn(from: "5125550142", body: "Great, thanks", to: number)
            let before = try await app.inbox.detail(thread.id, by: world.dispatcher).conversation

            _ = try await Self.dispatch(world, job)
            let notice = try #require(try await Self.notices(world).first)
            #expect(notice.conversationID == thread.id)
            let after = try await app.inbox.detail(thread.id, by: world.dispatcher).conversation
            #expect(after.unread == before.unread && after.awaitingReply == before.awaitingReply)
            #expect(after.status == .open)
            let entries = try await app.inbox.messages(of: thread.id, by: world.dispatcher)
            #expect(entries.last?.message.author.automation == .dispatchNotice)
        }
    }

    @Test(
        "DN5: one notice while anyone is on the way or working at the site; again once all are done",
        arguments: TestEngine.available)
    func limitWhenSeveral(engine: TestEngine) async throws {
        try await engine.withNoticeWorld { app, world, _, _, _ in
            try await Self.enableNotices(world)
            let job = try await world.bookJob(
                hoursFromNow: 1, technicians: [world.technician.id, world.secondTechnician.id])
            let luis = try await Self.dispatch(world, job)
            #expect(try await Self.notices(world).count == 1)
            // Priya is dispatched while Luis is on the way: nothing, by text or email.
            let priya = try await Self.dispatch(world, job, technician: world.secondTechnician.id)
            #expect(try await Self.notices(world).count == 1)
            #expect(try await Self.emails(world).count == 1)
            let trail = try await app.jobs.detail(job.id, by: world.dispatcher).events.map(\.text)
            #expect(trail.contains { $0.hasPrefix("No on-the-way notice for Priya Nair") })

            // Another job at the same site, dispatched while Luis works there: still nothing.
            _ = try await app.jobs.arrive(luis.id, by: world.dispatcher)
            let second = try await world.bookJob(
                summary: "Check the softener", hoursFromNow: 2, technicians: [world.secondTechnician.id])
            _ = try await app.jobs.arrive(priya.id, by: world.dispatcher)
            _ = try await app.jobs.complete(priya.id, by: world.dispatcher)
            _ = try await Self.dispatch(world, second, technician: world.secondTechnician.id)
            #expect(try await Self.notices(world).count == 1)

            // Once everyone has finished there, the next dispatch notifies again.
            _ = try await app.jobs.complete(luis.id, by: world.dispatcher)
            let secondVisit = try #require(
                try await app.jobs.detail(second.id, by: world.dispatcher).assignments.first)
            _ = try await app.jobs.arrive(secondVisit.id, by: world.dispatcher)
            _ = try await app.jobs.complete(secondVisit.id, by: world.dispatcher)
            let third = try await world.bookJob(
                summary: "Follow-up", hoursFromNow: 26, technicians: [world.technician.id])
            _ = try await Self.dispatch(world, third)
            #expect(try await Self.notices(world).count == 2)
            #expect(try await Self.emails(world).count == 2)
        }
    }

    @Test("DN5 off: every dispatch notifies", arguments: TestEngine.available)
    func limitOff(engine: TestEngine) async throws {
        try await engine.withNoticeWorld { _, world, _, _, _ in
            try await Self.enableNotices(world, limit: false)
            let job = try await world.bookJob(
                hoursFromNow: 1, technicians: [world.technician.id, world.secondTechnician.id])
            _ = try await Self.dispatch(world, job)
            _ = try await Self.dispatch(world, job, technician: world.secondTechnician.id)
            let notices = try await Self.notices(world)
            #expect(notices.count == 2)
            #expect(
                Set(notices.compactMap(\.author.id)) == [
                    world.technician.id.rawValue, world.secondTechnician.id.rawValue,
                ])
        }
    }

    @Test(
        "DN8: job-notice preferences and opt-outs are honoured, each channel on its own",
        arguments: TestEngine.available)
    func preferencesAndOptOuts(engine: TestEngine) async throws {
        try await engine.withNoticeWorld { app, world, twilio, email, number in
            try await Self.enableNotices(world)
            let detail = try await app.customers.detail(world.customer.id, by: world.admin)
            let address = try #require(detail.emails.first)
            _ = try await app.customers.updatePhone(world.phone.id, .init(jobNotifications: false), by: world.admin)
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let visit = try await Self.dispatch(world, job)
            #expect(try await Self.notices(world).isEmpty)
            #expect(try await Self.emails(world).count == 1)
            _ = try await app.jobs.arrive(visit.id, by: world.dispatcher)
            _ = try await app.jobs.complete(visit.id, by: world.dispatcher)
            var trail = try await app.jobs.detail(job.id, by: world.dispatcher).events.map(\.text)
            #expect(trail.contains { $0.hasPrefix("On-the-way text to \(world.phone.number.displayed) not sent:") })

            // Text STOP: no job notice either, even with the preference back on.
            _ = try await app.customers.updatePhone(world.phone.id, .init(jobNotifications: true), by: world.admin)
            _ = try await world.textIn(from: "5125550142", body: "STOP", to: number)
            _ = try await app.customers.updateEmail(address.id, jobNotifications: false, by: world.admin)
            let second = try await world.bookJob(
                summary: "Second visit", hoursFromNow: 30, technicians: [world.secondTechnician.id])
            _ = try await Self.dispatch(world, second, technician: world.secondTechnician.id)
            #expect(try await Self.notices(world).isEmpty)
            #expect(try await Self.emails(world).count == 1)
            trail = try await app.jobs.detail(second.id, by: world.dispatcher).events.map(\.text)
            #expect(trail.contains { $0.hasPrefix("On-the-way email to robert@example.com not sent:") })

            try await OutboxWorker(app: app).drain()
            try await EmailWorker(app: app).drain()
            // Only the STOP acknowledgment ever reached the phone.
            #expect(twilio.sent.count == 1)
            #expect(email.received.count == 1)
        }
    }

    @Test(
        "DN2, DN3: texts need a ready default number; bad templates are refused by name",
        arguments: TestEngine.available)
    func settingsChecks(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            var settings = try await app.dispatchNotices.overview(by: world.admin)
            #expect(!settings.text.ready && settings.text.problem?.contains("no default texting number") == true)
            settings.settings.textEnabled = true
            await expectFailure("text_not_ready") {
                _ = try await app.dispatchNotices.update(settings.settings, by: world.admin)
            }
            await expectFailure("forbidden") {
                _ = try await app.dispatchNotices.update(settings.settings, by: world.dispatcher)
            }
            settings.settings.textEnabled = false
            settings.settings.emailEnabled = true
            settings.settings.emailTemplate = "Hi {customer_first_name}, {tech} is coming"
            do {
                _ = try await app.dispatchNotices.update(settings.settings, by: world.admin)
                Issue.record("an unknown token was saved")
            } catch let error as FieldlineError {
                #expect(error.code == "invalid_email_template" && error.message.contains("{tech}"))
            }
            // The preview reports the same problem without saving anything.
            let preview = try await app.dispatchNotices.preview(settings.settings, by: world.admin)
            #expect(preview.problem?.code == "invalid_email_template")
            #expect(try await app.dispatchNotices.overview(by: world.admin).settings == DispatchNoticeSettings())

            _ = try await world.addMainNumber(twilio: nil)
            let ready = try await app.dispatchNotices.overview(by: world.admin)
            #expect(ready.text.ready && ready.text.number?.number.e164 == TestWorld.mainNumber)
            var good = ready.settings
            good.textEnabled = true
            good.textTemplate = "{company_name}: {technician_first_name} is on the way! {tracking_link}"
            let saved = try await app.dispatchNotices.update(good, by: world.admin)
            #expect(saved.settings.textEnabled && saved.settings.textTemplate == good.textTemplate)
        }
    }

    @Test("DN3: the preview fills in the next real visit", arguments: TestEngine.available)
    func previewFromRealJob(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let empty = try await app.dispatchNotices.preview(DispatchNoticeSettings(), by: world.admin)
            #expect(empty.basedOn == nil && empty.text?.contains("Sam is on the way") == true)
            let job = try await world.bookJob(hoursFromNow: 3, technicians: [world.technician.id])
            let preview = try await app.dispatchNotices.preview(DispatchNoticeSettings(), by: world.admin)
            #expect(preview.basedOn == "Job #\(job.number) · Robert Castellanos · Luis Romero")
            #expect(preview.text?.hasPrefix("Northside Plumbing: Luis is on the way") == true)
            #expect(preview.subject == "Luis from Northside Plumbing is on the way")
            #expect(preview.emailText?.contains("job #\(job.number)") == true)
            #expect((preview.textWorstCase ?? 999) <= 160 && preview.problem == nil)
        }
    }

    @Test(
        "DN6: the tracking link shows position only for verified addresses, follows the visit, and ends",
        arguments: TestEngine.available)
    func trackingLink(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withNoticeWorld(clock: clock) { app, world, _, _, _ in
            try await Self.enableNotices(world, email: false)
            let luis = world.technicianActor
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            // Where Luis was before he set off is the previous customer's business.
            _ = try await app.field.reportPosition(
                latitude: 30.40, longitude: -97.90, accuracyMeters: 10, recordedAt: nil, by: luis)
            clock.advance(by: 60)
            let visit = try await Self.dispatch(world, job)
            let notice = try #require(try await Self.notices(world).first)
            #expect(notice.encoding == .gsm7)
            let token = try #require(Self.token(in: notice.body))

            // Unverified address: the technician and the address, never where the technician is.
            var view = try await app.tracking.view(token: token)
            #expect(!view.verified && view.position == nil && view.destination == nil && view.estimate == nil)

            _ = try await app.customers.updateLocation(
                world.location.id,
                with: .init(
                    street: "418 Birchwood Ln", city: "Austin", state: "TX", postalCode: "78704", verified: true,
                    latitude: 30.25, longitude: -97.76),
                by: world.admin)
            // A fix from before the dispatch, even reported late, is never shown.
            clock.advance(by: 30)
            _ = try await app.field.reportPosition(
                latitude: 30.40, longitude: -97.90, accuracyMeters: 10,
                recordedAt: clock.now().addingTimeInterval(-120), by: luis)
            #expect(try await app.tracking.view(token: token).position == nil)
            _ = try await app.field.reportPosition(
                latitude: 30.30, longitude: -97.76, accuracyMeters: 10, recordedAt: nil, by: luis)
            view = try await app.tracking.view(token: token)
            #expect(view.verified && view.destination == Coordinates(latitude: 30.25, longitude: -97.76))
            #expect(view.position == Coordinates(latitude: 30.30, longitude: -97.76))
            #expect(view.estimate?.distanceText == "3.5 mi" && view.estimate?.etaText == "about 11 min")

            _ = try await app.jobs.arrive(visit.id, by: luis)
            view = try await app.tracking.view(token: token)
            #expect(view.phase == .arrived && view.arrivedAt != nil && view.position == nil)

            // On the way to a second customer while still working at the first: no position shown.
            let other = try await app.customers.create(
                .init(
                    name: "Second Customer",
                    location: .init(
                        street: "9 Elm St", city: "Austin", state: "TX", postalCode: "78701", verified: true,
                        latitude: 30.27, longitude: -97.74),
                    phones: [.init(number: "(512) 555-0190", kind: "mobile")]), by: world.admin)
            let otherLocation = try #require(try await app.customers.detail(other.id, by: world.admin).locations.first)
            let start = clock.now().addingTimeInterval(3600)
            let second = try await app.jobs.book(
                .init(
                    customerID: other.id, locationID: otherLocation.id, summary: "Next", startsAt: start,
                    endsAt: start.addingTimeInterval(3600), technicianIDs: [world.technician.id]), by: world.dispatcher)
            _ = try await Self.dispatch(world, second)
            let secondNotice = try #require(
                try await app.database.read { sql in
                    try await MessageStore(sql).messages(ofJob: second.id, in: world.account.id)
                }.first { $0.author.automation == .dispatchNotice })
            let secondToken = try #require(Self.token(in: secondNotice.body))
            _ = try await app.field.reportPosition(
                latitude: 30.26, longitude: -97.75, accuracyMeters: 10, recordedAt: nil, by: luis)
            #expect(try await app.tracking.view(token: secondToken).position == nil)
            _ = try await app.jobs.complete(visit.id, by: luis)
            #expect(try await app.tracking.view(token: secondToken).position != nil)

            clock.advance(by: TrackingRules.lifetime + 1)
            await expectFailure("tracking_link_not_found") { _ = try await app.tracking.view(token: token) }
            await expectFailure("tracking_link_not_found") {
                _ = try await app.tracking.view(token: String(repeating: "A", count: 22))
            }
            await expectFailure("tracking_link_not_found") { _ = try await app.tracking.view(token: "../../etc") }
        }
    }

    @Test("A canceled job ends its tracking link at once", arguments: TestEngine.available)
    func canceledJobEndsLink(engine: TestEngine) async throws {
        try await engine.withNoticeWorld { app, world, _, _, _ in
            try await Self.enableNotices(world, email: false)
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            _ = try await Self.dispatch(world, job)
            let notice = try #require(try await Self.notices(world).first)
            let token = try #require(Self.token(in: notice.body))
            #expect(try await app.tracking.view(token: token).phase == .onTheWay)
            _ = try await app.jobs.cancel(job.id, reason: "Customer called", by: world.dispatcher)
            await expectFailure("tracking_link_not_found") { _ = try await app.tracking.view(token: token) }
        }
    }

    @Test("Emails are retried after failures and arrive exactly once", arguments: TestEngine.available)
    func emailRetries(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withNoticeWorld(clock: clock) { app, world, _, email, _ in
            try await Self.enableNotices(world, text: false)
            email.fail(next: [.serverErrorAfterAccepting, .rateLimited(retryAfter: 30), .serverError])
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            _ = try await Self.dispatch(world, job)
            let worker = EmailWorker(app: app)
            for _ in 0..<4 {
                try await worker.drain()
                clock.advance(by: 3600)
            }
            #expect(email.requestCount == 4)
            #expect(email.received.count == 1)
            let stored = try #require(try await Self.emails(world).first)
            #expect(
                stored.status == .sent && stored.attempts == 4 && stored.providerMessageID == email.received.first?.id)
        }
    }

    @Test("Refused emails fail for good without retrying", arguments: TestEngine.available)
    func emailRefused(engine: TestEngine) async throws {
        try await FakeEmailAPI.running { email in
            try await engine.withDatabase { database in
                let app = try Fieldline.forTesting(database: database, twilio: nil, email: email, emailKey: "re_wrong")
                let world = try await TestWorld.make(app)
                try await Self.enableNotices(world, text: false)
                let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
                _ = try await Self.dispatch(world, job)
                try await EmailWorker(app: app).drain()
                let stored = try #require(try await Self.emails(world).first)
                #expect(stored.status == .failed && stored.attempts == 1)
            }
        }
    }
}
