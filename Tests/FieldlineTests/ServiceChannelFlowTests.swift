import Fieldline
import FieldlineCore
import FieldlineProviders
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

@Suite("ServiceChannel work orders end to end against the fake, on both databases")
struct ServiceChannelFlowTests {
    static let start = Date(timeIntervalSince1970: 1_795_456_800)

    static func drain(_ app: Fieldline) async throws {
        try await ServiceChannelWorker(app: app).drain()
    }

    static func poll(_ app: Fieldline, _ world: TestWorld) async throws -> ServiceChannelSync.Outcome {
        try await app.serviceChannelSync.poll(world.account.id)
    }

    /// The fake's calls after the first `from`, as "METHOD path".
    static func calls(_ fake: FakeServiceChannel, from: Int = 0) -> [String] {
        fake.calls.dropFirst(from).map { "\($0.method) \($0.path)" }
    }

    static func body(_ call: FakeServiceChannel.Call) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(call.body.utf8))) as? [String: Any] ?? [:]
    }

    @Test(
        "The full life: new → booking → accept → job → dispatch → arrive → done, every call in order",
        arguments: TestEngine.available)
    func fullLife(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            fake.add(FakeServiceChannel.workOrder(1, updated: Self.start.addingTimeInterval(-3600)))
            // Already under way before the connection: stays in ServiceChannel (SV2).
            fake.add(
                FakeServiceChannel.workOrder(
                    2, updated: Self.start.addingTimeInterval(-7200), status: "In Progress", extended: "On Site"))
            try await world.connectServiceChannel(fake)
            let first = try await app.serviceChannelSync.pollDue()
            #expect(first[world.account.id]?.created == 1)
            #expect(first[world.account.id]?.ignored == 1)

            let bookings = try await app.bookings.list(status: .new, by: world.dispatcher)
            let booking = try #require(bookings.first { $0.source == "servicechannel" })
            #expect(booking.summary == "Work order WO8840001 — Plumbing · Repair")
            #expect(booking.details?.contains("Not to exceed: USD 450.00") == true)
            #expect(booking.contactName == "Acme Retail · Store 104")

            _ = try await app.bookings.accept(booking.id, by: world.dispatcher)
            let start = clock.now().addingTimeInterval(3600)
            let (_, job) = try await app.bookings.convert(
                booking.id,
                into: .init(
                    customerID: world.customer.id, locationID: world.location.id, summary: booking.summary,
                    startsAt: start, endsAt: start.addingTimeInterval(7200), technicianIDs: [world.technician.id]),
                by: world.dispatcher)
            #expect(job.customFields.isEmpty)
            let detail = try await app.jobs.detail(job.id, by: world.dispatcher)
            #expect(detail.job.customFields["Not to exceed (ServiceChannel)"] == "USD 450.00")
            let assignment = try #require(detail.assignments.first)
            _ = try await app.jobs.dispatch(assignment.id, by: world.dispatcher)
            _ = try await app.jobs.arrive(assignment.id, by: world.technicianActor)
            _ = try await app.jobs.complete(assignment.id, by: world.technicianActor)

            let before = fake.calls.count
            try await Self.drain(app)
            #expect(
                Self.calls(fake, from: before) == [
                    "PUT /workorders/1/accept", "POST /workorders/1/notes", "PUT /workorders/1/status",
                    "POST /workorders/1/universalCheckIn", "POST /workorders/1/universalCheckOut",
                ])
            let sent = Array(fake.calls.dropFirst(before))
            #expect(Self.body(sent[0])["Note"] as? String == "Northside Plumbing has accepted this work order")
            #expect(
                Self.body(sent[1])["Note"] as? String
                    == "Northside Plumbing job #\(job.number) was created for this work order.")
            #expect((Self.body(sent[2])["Status"] as? [String: Any])?["Primary"] as? String == "In Progress")
            #expect(Self.body(sent[4])["PrimaryStatus"] as? String == "Completed")
            #expect(fake.workOrder(1)?.status == .init(primary: "Completed", extended: "Pending Confirmation"))
            #expect(fake.workOrder(2)?.status.primary == "In Progress")

            let panel = try #require(try await app.serviceChannel.panel(forJob: job.id, by: world.dispatcher))
            #expect(panel.changes.map(\.kind) == [.accept, .note, .status, .checkIn, .checkOut])
            #expect(panel.changes.allSatisfy { $0.state == .applied })
            #expect(panel.workOrder.number == "WO8840001")

            // The next poll sees our own changes come back: nothing new, no note copied back.
            clock.advance(by: 60)
            let again = try await Self.poll(app, world)
            #expect(again.notesCopied == 0)
            #expect(again.created == 0)
            let events = try await app.jobs.detail(job.id, by: world.dispatcher).events
            #expect(!events.contains { $0.kind == JobEvent.workOrderNoteKind })
            #expect(fake.tokenLimitViolations == 0)

            // The (subscriber, location) pair is remembered: with a rule, the next one is a job at once.
            _ = try await app.serviceChannel.addRule(
                subscriberID: 2_014_917_243, trade: "plumbing", priority: nil, category: nil, outcome: "job",
                by: world.admin)
            fake.add(FakeServiceChannel.workOrder(3, updated: clock.now(), nte: 1250))
            clock.advance(by: 60)
            let third = try await Self.poll(app, world)
            #expect(third.created == 1)
            let jobs = try await app.jobs.list(status: nil, by: world.dispatcher)
            #expect(jobs.count == 2)
            let direct = try #require(jobs.map(\.job).first { $0.id != job.id })
            #expect(direct.customerID == world.customer.id)
            #expect(direct.customFields["Not to exceed (ServiceChannel)"] == "USD 1,250.00")
            let mark = fake.calls.count
            try await Self.drain(app)
            #expect(Self.calls(fake, from: mark) == ["PUT /workorders/3/accept", "POST /workorders/3/notes"])
        }
    }

    @Test(
        "Done sends the job's files once, later ones stay; the exported invoice goes with the hourly export",
        arguments: TestEngine.available)
    func attachmentsAndInvoice(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            let number = try await world.addMainNumber(twilio: nil)
            fake.add(FakeServiceChannel.workOrder(1, updated: Self.start.addingTimeInterval(-60)))
            try await world.connectServiceChannel(fake)
            _ = try await app.serviceChannelSync.pollDue()
            let booking = try #require(try await app.bookings.list(status: .new, by: world.dispatcher).first)
            let job = try await world.convertToJob(booking.id)

            /// A picture the customer texted, stored, attached to the job.
            func picture(_ bytes: String) async throws {
                guard
                    case .inbox(let messageID, _, _) = try await world.textIn(
                        from: "5125550142", body: "Photo", to: number,
                        media: [.init(url: "https://api.twilio.com/media/\(UUID())", contentType: "image/jpeg")])
                else { throw TestSetupError("the picture did not reach the inbox") }
                let media = try await app.database.write { sql in
                    let store = MessageStore(sql)
                    guard let media = try await store.media(ofMessages: [messageID], in: world.account.id).first else {
                        throw TestSetupError("the text has no media")
                    }
                    try await store.storeMedia(media.id, contentType: "image/jpeg", data: Data(bytes.utf8))
                    return media
                }
                try await app.inbox.attach(media.id, toJob: job.id, by: world.dispatcher)
            }
            try await picture("first picture")
            clock.advance(by: 1)
            try await picture("second picture")

            let assignment = try #require(try await app.jobs.detail(job.id, by: world.dispatcher).assignments.first)
            _ = try await app.jobs.dispatch(assignment.id, by: world.dispatcher)
            _ = try await app.jobs.arrive(assignment.id, by: world.technicianActor)
            try await Self.drain(app)
            _ = try await app.jobs.complete(assignment.id, by: world.technicianActor)
            try await picture("after the job")
            // The answers to the check-out and the first upload are lost: each retry finds the
            // change made and does not make it again.
            fake.loseNextAnswers(2)
            let mark = fake.calls.count
            for _ in 0..<3 {
                try await Self.drain(app)
                clock.advance(by: 10)
            }
            #expect(
                Self.calls(fake, from: mark) == [
                    "POST /workorders/1/universalCheckOut", "GET /workorders/1", "POST /workorders/1/attachments",
                    "GET /workorders/1/attachments", "POST /workorders/1/attachments",
                ])
            let files = fake.attachments(of: 1)
            #expect(
                files.map(\.fileName) == ["fieldline-job-\(job.number)-1.jpg", "fieldline-job-\(job.number)-2.jpg"])
            #expect(files.map { String(decoding: $0.data, as: UTF8.self) } == ["first picture", "second picture"])
            #expect(files.allSatisfy { $0.contentType == "image/jpeg" })

            await #expect(throws: FieldlineError.self) {
                _ = try await app.invoices.save(
                    .init(number: "INV-1", issuedOn: "2026-12-02"), forJob: job.id, by: world.dispatcher)
            }
            _ = try await app.invoices.save(
                .init(
                    number: "INV-\(job.number)", issuedOn: "2026-11-19", labor: "350", material: "$1,200.50",
                    tax: "99.95"), forJob: job.id, by: world.dispatcher)
            clock.advance(by: 600)
            let exported = try await app.invoices.export(forJob: job.id, by: world.dispatcher)
            #expect(exported.amounts.total == 165_045)
            await #expect(
                throws: FieldlineError.conflict(
                    code: .invoiceExported, message: "This invoice was exported and no longer changes.")
            ) {
                _ = try await app.invoices.save(
                    .init(number: "X", issuedOn: "2026-11-19", labor: "1"), forJob: job.id, by: world.dispatcher)
            }
            try await Self.drain(app)
            #expect(fake.invoices.isEmpty)
            // The hourly export; its answer is lost, and the retry finds the work order invoiced.
            clock.advance(by: 3000)
            fake.loseNextAnswers(1)
            try await Self.drain(app)
            clock.advance(by: 60)
            try await Self.drain(app)
            #expect(fake.invoices.count == 1)
            #expect(fake.invoices.first?.number == "INV-\(job.number)")
            #expect(fake.invoices.first?.total == 1650.45)
            #expect(fake.invoices.first?.labor == 350)
            #expect(fake.workOrder(1)?.isInvoiced == true)
            let panel = try #require(try await app.serviceChannel.panel(forJob: job.id, by: world.dispatcher))
            #expect(panel.changes.allSatisfy { $0.state == .applied })
            #expect(panel.changes.filter { $0.kind == .attachment }.count == 2)
            #expect(panel.changes.last?.kind == .invoice)
        }
    }

    @Test(
        "Paging by (UpdatedDate, Id): a work order changed between pages steps over nothing; a second's ties page by id",
        arguments: TestEngine.available)
    func keysetPaging(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            for id in 1...120 {
                fake.add(FakeServiceChannel.workOrder(id, updated: Self.start.addingTimeInterval(Double(id - 200))))
            }
            // Ten more in one and the same second, across a page boundary.
            for id in 121...180 {
                fake.add(FakeServiceChannel.workOrder(id, updated: Self.start.addingTimeInterval(-10)))
            }
            try await world.connectServiceChannel(fake)
            fake.changeAfterNextPage(10)
            let outcome = try #require(try await app.serviceChannelSync.pollDue()[world.account.id])
            #expect(outcome.error == nil)
            #expect(outcome.created == 180)
            let overview = try await app.serviceChannel.overview(by: world.admin)
            #expect(overview.workOrders.imported == 180)
            let connection = try #require(overview.connection)
            // The cursor is the last work order read: the one that changed during the poll.
            #expect(connection.syncCursorID == 10)
            // The next poll starts after it: nothing read twice, nothing new.
            clock.advance(by: 60)
            let again = try await Self.poll(app, world)
            #expect(again.read == 0)
            let pages = fake.calls.filter { $0.path == "/odata/workorders" }.count
            #expect(pages == 1 + 4 + 1)
        }
    }

    @Test(
        "Declining sends ServiceChannel's reason; a plain dismissal declines as Other", arguments: TestEngine.available)
    func decline(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            fake.add(FakeServiceChannel.workOrder(1, updated: Self.start.addingTimeInterval(-60)))
            fake.add(FakeServiceChannel.workOrder(2, updated: Self.start.addingTimeInterval(-30)))
            try await world.connectServiceChannel(fake)
            _ = try await app.serviceChannelSync.pollDue()
            let bookings = try await app.bookings.list(status: .new, by: world.dispatcher)
            #expect(bookings.count == 2)
            let panels = try await bookings.asyncMap { booking in
                try await app.serviceChannel.panel(forBooking: booking.id, by: world.dispatcher)
            }
            let first = try #require(zip(bookings, panels).first { $0.1?.workOrder.workOrderID == 1 }?.0)
            let second = try #require(zip(bookings, panels).first { $0.1?.workOrder.workOrderID == 2 }?.0)

            await #expect(
                throws: FieldlineError.invalid(field: "comment", message: "Say why, when the reason is \"Other\".")
            ) {
                _ = try await app.serviceChannel.decline(
                    booking: first.id, reason: 5, comment: nil, by: world.dispatcher)
            }
            let declined = try await app.serviceChannel.decline(
                booking: first.id, reason: 2, comment: nil, by: world.dispatcher)
            #expect(declined.status == .dismissed)
            _ = try await app.bookings.dismiss(second.id, by: world.dispatcher)
            let mark = fake.calls.count
            try await Self.drain(app)
            let sent = Array(fake.calls.dropFirst(mark))
            #expect(sent.map(\.path) == ["/workorders/1/decline", "/workorders/2/decline"])
            #expect(Self.body(sent[0])["DeclineReasonId"] as? Int == 2)
            #expect(Self.body(sent[0])["Note"] as? String == "Northside Plumbing has declined this work order")
            #expect(Self.body(sent[1])["DeclineReasonId"] as? Int == 5)
            #expect(fake.workOrder(1)?.status == .init(primary: "Open", extended: "Declined"))
            // Declined work orders do not come back as new bookings.
            clock.advance(by: 60)
            #expect(try await Self.poll(app, world).created == 0)
        }
    }

    @Test(
        "A work order accepted in ServiceChannel itself updates its booking and sends nothing",
        arguments: TestEngine.available)
    func acceptedInServiceChannel(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            fake.add(FakeServiceChannel.workOrder(1, updated: Self.start.addingTimeInterval(-60)))
            try await world.connectServiceChannel(fake)
            _ = try await app.serviceChannelSync.pollDue()
            clock.advance(by: 30)
            fake.portalAccept(1)
            // Created after the connection and accepted before our next poll saw it: imported too.
            fake.add(
                FakeServiceChannel.workOrder(
                    2, updated: clock.now(), created: clock.now(), status: "In Progress", extended: "Dispatch Confirmed"
                ))
            clock.advance(by: 60)
            let outcome = try await app.serviceChannelSync.pollDue()
            #expect(outcome[world.account.id]?.updated == 1)
            #expect(outcome[world.account.id]?.created == 1)
            let accepted = try await app.bookings.list(status: .accepted, by: world.dispatcher)
            #expect(accepted.count == 2)
            for booking in accepted {
                let panel = try #require(
                    try await app.serviceChannel.panel(forBooking: booking.id, by: world.dispatcher))
                #expect(panel.workOrder.notice?.contains("accepted directly in ServiceChannel") == true)
                #expect(panel.changes.isEmpty)
            }
            let mark = fake.calls.count
            try await Self.drain(app)
            #expect(fake.calls.count == mark)
        }
    }

    @Test(
        "Notes both ways: Fieldline's go out (edits as new notes), the subscriber's come in; off per subscriber",
        arguments: TestEngine.available)
    func notes(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            fake.add(FakeServiceChannel.workOrder(1, updated: Self.start.addingTimeInterval(-60)))
            try await world.connectServiceChannel(fake)
            _ = try await app.serviceChannelSync.pollDue()
            let booking = try #require(try await app.bookings.list(status: .new, by: world.dispatcher).first)
            let job = try await world.convertToJob(booking.id)
            try await Self.drain(app)

            // The dispatch's answer is lost; the work order was already In Progress, so the retry
            // goes by the note that came with it, and does not send it again.
            let assignment = try #require(try await app.jobs.detail(job.id, by: world.dispatcher).assignments.first)
            _ = try await app.jobs.dispatch(assignment.id, by: world.dispatcher)
            fake.loseNextAnswers(1)
            try await Self.drain(app)
            clock.advance(by: 10)
            try await Self.drain(app)
            #expect(fake.calls.filter { $0.path == "/workorders/1/status" }.count == 1)
            #expect(fake.notes(of: 1).filter { $0.text.hasSuffix("dispatched a technician.") }.count == 1)

            let note = try await app.jobs.addNote(job.id, text: "Bringing a new cartridge.", by: world.dispatcher)
            _ = try await app.jobs.editNote(
                job.id, note: note.id, text: "Bringing two cartridges.", by: world.dispatcher)
            // A technician on the job writes notes and edits their own, not the office's.
            await #expect(throws: FieldlineError.forbidden(permission: "manage_jobs")) {
                _ = try await app.jobs.editNote(job.id, note: note.id, text: "Mine now", by: world.technicianActor)
            }
            let own = try await app.jobs.addNote(job.id, text: "On site at 2.", by: world.technicianActor)
            _ = try await app.jobs.editNote(job.id, note: own.id, text: "On site at 2:15.", by: world.technicianActor)
            try await Self.drain(app)
            #expect(fake.notes(of: 1).map(\.text).contains("Edited note from Luis Romero: On site at 2:15."))
            let texts = fake.notes(of: 1).map(\.text)
            #expect(texts.contains("Marcus Dispatch: Bringing a new cartridge."))
            #expect(texts.contains("Edited note from Marcus Dispatch: Bringing two cartridges."))

            clock.advance(by: 60)
            fake.portalNote(1, text: "Please use the rear entrance.", by: "Jane Ortiz")
            clock.advance(by: 60)
            let copied = try await Self.poll(app, world)
            #expect(copied.notesCopied == 1)
            let events = try await app.jobs.detail(job.id, by: world.dispatcher).events
            let incoming = events.filter { $0.kind == JobEvent.workOrderNoteKind }
            #expect(incoming.map(\.text) == ["Please use the rear entrance."])
            #expect(incoming.first?.actor.name == "ServiceChannel · Jane Ortiz")
            // Read again, nothing is copied twice.
            clock.advance(by: 60)
            fake.portalSetStatus(1, primary: "In Progress", extended: "Parts on Order")
            #expect(try await Self.poll(app, world).notesCopied == 0)

            // Switched off for this subscriber: neither way.
            _ = try await app.serviceChannel.updateSubscriber(
                2_014_917_243, noteSync: false, checkInInstructions: "Call 1-800-555-0199, then the WO number.",
                checkInPIN: "4417", by: world.admin)
            let before = fake.notes(of: 1).count
            _ = try await app.jobs.addNote(job.id, text: "Internal only.", by: world.dispatcher)
            try await Self.drain(app)
            #expect(fake.notes(of: 1).count == before)
            clock.advance(by: 60)
            fake.portalNote(1, text: "Any update?", by: "Jane Ortiz")
            clock.advance(by: 60)
            #expect(try await Self.poll(app, world).notesCopied == 0)
            let panel = try #require(try await app.serviceChannel.panel(forJob: job.id, by: world.technicianActor))
            #expect(panel.subscriber?.checkInPIN == "4417")
        }
    }

    @Test(
        "A change the work order's status no longer allows adds an Action Required note and shows the problem",
        arguments: TestEngine.available)
    func actionRequired(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            fake.add(FakeServiceChannel.workOrder(1, updated: Self.start.addingTimeInterval(-60)))
            try await world.connectServiceChannel(fake)
            _ = try await app.serviceChannelSync.pollDue()
            let booking = try #require(try await app.bookings.list(status: .new, by: world.dispatcher).first)
            // The subscriber canceled it meanwhile.
            fake.portalSetStatus(1, primary: "Completed", extended: "Cancelled")
            _ = try await app.bookings.accept(booking.id, by: world.dispatcher)
            try await Self.drain(app)
            let panel = try #require(try await app.serviceChannel.panel(forBooking: booking.id, by: world.dispatcher))
            #expect(panel.hasProblem)
            #expect(panel.changes.first?.state == .actionRequired)
            let flagged = fake.notes(of: 1).filter(\.actionRequired)
            #expect(flagged.count == 1)
            #expect(flagged.first?.text.hasPrefix("Northside Plumbing could not accept this work order") == true)
            let overview = try await app.serviceChannel.overview(by: world.admin)
            #expect(overview.queue.attention == 1)
        }
    }

    @Test(
        "Throttling, a 10-minute outage and a lost answer: every change applied once, in order, within the token limit",
        arguments: TestEngine.available)
    func outage(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            for id in 1...3 {
                fake.add(FakeServiceChannel.workOrder(id, updated: Self.start.addingTimeInterval(Double(-id))))
            }
            try await world.connectServiceChannel(fake)
            _ = try await app.serviceChannelSync.pollDue()
            let bookings = try await app.bookings.list(status: .new, by: world.dispatcher)
            #expect(bookings.count == 3)

            fake.throttleNext(4)
            _ = try await app.bookings.accept(bookings[0].id, by: world.dispatcher)
            try await Self.drain(app)
            #expect(fake.throttledCalls == 4)

            fake.setOutage(true)
            fake.revokeTokens()
            for booking in bookings.dropFirst() { _ = try await app.bookings.accept(booking.id, by: world.dispatcher) }
            for _ in 0..<20 {
                clock.advance(by: 30)
                try await Self.drain(app)
                _ = try await app.serviceChannelSync.pollDue()
            }
            let overview = try await app.serviceChannel.overview(by: world.admin)
            #expect(overview.connection?.isHealthy == false)
            fake.setOutage(false)
            // The first accept after the outage takes effect but its answer is lost.
            fake.loseNextAnswers(1)
            for _ in 0..<40 {
                clock.advance(by: 30)
                try await Self.drain(app)
            }
            let accepts = fake.calls.filter { $0.path.hasSuffix("/accept") }.map(\.path)
            #expect(accepts.sorted() == ["/workorders/1/accept", "/workorders/2/accept", "/workorders/3/accept"])
            for id in 1...3 {
                #expect(fake.workOrder(id)?.status.primary == "In Progress")
                #expect(fake.notes(of: id).filter { $0.text.hasSuffix("has accepted this work order") }.count == 1)
            }
            let after = try await app.serviceChannel.overview(by: world.admin)
            #expect(after.queue.pending == 0)
            #expect(after.queue.attention == 0)
            #expect(fake.tokenLimitViolations == 0)
            clock.advance(by: 60)
            _ = try await app.serviceChannelSync.pollDue()
            #expect(try await app.serviceChannel.overview(by: world.admin).connection?.isHealthy == true)
        }
    }

    @Test(
        "A cleared extended status stays cleared; a reconnect clears the last error and keeps the sync place",
        arguments: TestEngine.available)
    func savedSettingsReadBack(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            fake.add(FakeServiceChannel.workOrder(1, updated: Self.start.addingTimeInterval(-60)))
            try await world.connectServiceChannel(fake)
            _ = try await app.serviceChannelSync.pollDue()
            let account = world.account.id
            func dispatched() async throws -> StatusMapping? {
                try await app.database.read { sql in
                    try await ServiceChannelStore(sql).mappings(subscriber: 0, in: account)
                        .first { $0.milestone == .dispatched }
                }
            }
            try await app.serviceChannel.saveMappings(
                [.init(milestone: .dispatched, enabled: true, primary: "IN PROGRESS", extended: "Tech En Route")],
                subscriber: nil, by: world.admin)
            #expect(try await dispatched()?.extended == "Tech En Route")
            try await app.serviceChannel.saveMappings(
                [.init(milestone: .dispatched, enabled: true, primary: "IN PROGRESS", extended: nil)],
                subscriber: nil, by: world.admin)
            #expect(try await dispatched()?.extended == nil, "the office cleared it")

            let synced = try #require(try await app.serviceChannel.overview(by: world.admin).connection)
            #expect(synced.syncCursor != nil)
            try await app.database.write { sql in
                try await ServiceChannelStore(sql).recordHealth(
                    of: account, error: "401 from ServiceChannel", errorAt: clock.now())
            }
            try await world.connectServiceChannel(fake)
            let reconnected = try #require(try await app.serviceChannel.overview(by: world.admin).connection)
            #expect(reconnected.lastError == nil && reconnected.lastErrorAt == nil, "a reconnect clears the error")
            #expect(reconnected.syncCursor == synced.syncCursor && reconnected.syncCursorID == synced.syncCursorID)
        }
    }

    @Test(
        "Status mappings: the account's, and a subscriber's own, decide what a dispatch sends",
        arguments: TestEngine.available)
    func mappings(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            fake.add(FakeServiceChannel.workOrder(1, updated: Self.start.addingTimeInterval(-60)))
            fake.add(
                FakeServiceChannel.workOrder(
                    2, updated: Self.start.addingTimeInterval(-30), subscriber: 77, subscriberName: "Bolt Fitness"))
            try await world.connectServiceChannel(fake)
            _ = try await app.serviceChannelSync.pollDue()
            try await app.serviceChannel.saveMappings(
                [
                    .init(milestone: .dispatched, enabled: true, primary: "in progress", extended: "Tech En Route"),
                    .init(milestone: .arrived, enabled: false, primary: nil, extended: nil),
                    .init(milestone: .completed, enabled: true, primary: "Completed", extended: "Confirmed"),
                ], subscriber: 77, by: world.admin)
            await #expect(throws: FieldlineError.self) {
                try await app.serviceChannel.saveMappings(
                    [.init(milestone: .dispatched, enabled: true, primary: "Dispatched", extended: nil)],
                    subscriber: nil, by: world.admin)
            }
            let bookings = try await app.bookings.list(status: .new, by: world.dispatcher)
            for booking in bookings {
                let job = try await world.convertToJob(booking.id, summary: "Work")
                let assignment = try #require(try await app.jobs.detail(job.id, by: world.dispatcher).assignments.first)
                _ = try await app.jobs.dispatch(assignment.id, by: world.dispatcher)
                _ = try await app.jobs.arrive(assignment.id, by: world.technicianActor)
                _ = try await app.jobs.complete(assignment.id, by: world.technicianActor)
            }
            try await Self.drain(app)
            let status2 = try #require(fake.calls.first { $0.path == "/workorders/2/status" })
            #expect((Self.body(status2)["Status"] as? [String: Any])?["Extended"] as? String == "Tech En Route")
            #expect(!fake.calls.contains { $0.path == "/workorders/2/universalCheckIn" })
            #expect(fake.calls.contains { $0.path == "/workorders/1/universalCheckIn" })
            #expect(fake.workOrder(2)?.status == .init(primary: "Completed", extended: "Confirmed"))
            #expect(fake.workOrder(1)?.status == .init(primary: "Completed", extended: "Pending Confirmation"))
        }
    }

    @Test(
        "Connecting needs the authorization and working credentials; other accounts see nothing",
        arguments: TestEngine.available)
    func connectionAndIsolation(engine: TestEngine) async throws {
        let clock = TestClock(Self.start)
        try await engine.withServiceChannelWorld(clock: clock) { app, world, fake in
            let credentials = fake.credentials
            await #expect(throws: FieldlineError.self) {
                try await app.serviceChannel.connect(
                    .init(
                        authorizationAccepted: false, environment: "sandbox", clientID: credentials.clientID,
                        clientSecret: credentials.clientSecret, username: credentials.username,
                        password: credentials.password), by: world.admin)
            }
            do {
                _ = try await app.serviceChannel.connect(
                    .init(
                        authorizationAccepted: true, environment: "sandbox", clientID: credentials.clientID,
                        clientSecret: credentials.clientSecret, username: credentials.username, password: "wrong"),
                    by: world.admin)
                Issue.record("Wrong credentials were accepted.")
            } catch let error as FieldlineError {
                #expect(error.code == "invalid_client_secret")
                #expect(error.message.contains("did not accept these credentials"))
            }
            await #expect(throws: FieldlineError.forbidden(permission: "manage_integrations")) {
                try await world.dispatcher.connectServiceChannelAttempt(app, fake)
            }
            #expect(try await app.serviceChannel.overview(by: world.admin).connection == nil)
            let connection = try await world.connectServiceChannel(fake)
            #expect(connection.sealedPassword != credentials.password)
            #expect(connection.sealedClientSecret.hasPrefix("v1:"))

            fake.add(FakeServiceChannel.workOrder(1, updated: Self.start.addingTimeInterval(-60)))
            _ = try await app.serviceChannelSync.pollDue()
            let booking = try #require(try await app.bookings.list(status: .new, by: world.dispatcher).first)
            let other = try await TestWorld.make(app, name: "Other Co", emailDomain: "other.test")
            #expect(try await app.serviceChannel.panel(forBooking: booking.id, by: other.dispatcher) == nil)
            await #expect(throws: FieldlineError.notFound(entity: "booking", id: booking.id.rawValue)) {
                _ = try await app.serviceChannel.decline(
                    booking: booking.id, reason: 2, comment: nil, by: other.dispatcher)
            }
            #expect(try await app.serviceChannel.overview(by: other.admin).connection == nil)
            #expect(try await app.serviceChannel.overview(by: other.admin).workOrders.imported == 0)
        }
    }
}

extension Actor {
    fileprivate func connectServiceChannelAttempt(_ app: Fieldline, _ fake: FakeServiceChannel) async throws {
        _ = try await app.serviceChannel.connect(
            .init(
                authorizationAccepted: true, environment: "sandbox", clientID: fake.credentials.clientID,
                clientSecret: fake.credentials.clientSecret, username: fake.credentials.username,
                password: fake.credentials.password), by: self)
    }
}

extension Sequence where Element: Sendable {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
