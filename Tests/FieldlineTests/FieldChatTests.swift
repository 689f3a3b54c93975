import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

/// Runs `call` and checks it fails with the application error `code`.
func expectFailure(
    _ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ call: () async throws -> Void
) async {
    let error = await #expect(throws: FieldlineError.self, sourceLocation: sourceLocation) { try await call() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
}

@Suite("Technicians in the field: my jobs, the job's thread, replies, read marks, positions")
struct FieldChatTests {
    /// A technician's session as sign-in builds it, after an admin set both chat switches.
    static func technician(
        _ id: TechnicianID, in world: TestWorld, view: Bool = true, reply: Bool = true
    ) async throws -> Actor {
        let technician = try await world.app.technicians.update(
            id, .init(canViewChats: view, canReplyChats: reply), by: world.admin)
        var user = try await world.app.accounts.users(by: world.admin).first { $0.technicianID == id }
        if user == nil {
            user = try await world.app.accounts.createUser(
                .init(
                    email: "\(id.rawValue.prefix(8))@northside.test", name: technician.name, role: "technician",
                    password: TestWorld.password, technicianID: id), in: world.account.id, by: world.admin)
        }
        guard let user else { throw TestSetupError("no user for the technician") }
        return Actor(user: user, technicianChat: technician.chat)
    }

    @Test(
        "TC1, TC3: both technicians on a job read its thread, see unread texts and answer as themselves",
        arguments: TestEngine.available)
    func sharedThread(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, number in
            let job = try await world.bookJob(
                hoursFromNow: 1, technicians: [world.technician.id, world.secondTechnician.id])
            let luis = try await Self.technician(world.technician.id, in: world)
            let priya = try await Self.technician(world.secondTechnician.id, in: world)
            let (conversation, _) = try await app.inbox.start(
                phone: "5125550142", jobID: job.id, body: "Hi Robert, Luis and Priya come at 9.", by: world.dispatcher)
            _ = try await world.textIn(from: "5125550142", body: "Great, the gate code is 4411", to: number)

            let jobs = try await app.field.myJobs(by: luis)
            #expect(jobs.chatEnabled && jobs.today.map(\.job.id) == [job.id] && jobs.upcoming.isEmpty)
            #expect(jobs.today.first?.thread == Field.ThreadSummary(conversationID: conversation.id, unread: 1))

            let thread = try #require(try await app.field.thread(ofJob: job.id, by: luis))
            #expect(
                thread.entries.map(\.message.body) == [
                    "Hi Robert, Luis and Priya come at 9.", "Great, the gate code is 4411",
                ])
            #expect(thread.unread == 1)
            _ = try await app.field.markRead(ofJob: job.id, by: luis)
            #expect(try await app.field.thread(ofJob: job.id, by: luis)?.unread == 0)
            // Reading in the field is the technician's own: the office still has it unread.
            #expect(try await app.inbox.unreadCount(by: world.dispatcher) == 1)
            #expect(try await app.field.thread(ofJob: job.id, by: priya)?.unread == 1)

            let reply = try await app.field.reply(toJob: job.id, body: "Thanks, see you at 9!", by: luis)
            #expect(reply.author.kind == .technician && reply.author.name == "Luis Romero")
            #expect(reply.author.id == world.technician.id.rawValue && reply.conversationID == conversation.id)
            #expect(reply.jobID == job.id)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.map(\.body).last == "Thanks, see you at 9!")

            let shared = try #require(try await app.field.thread(ofJob: job.id, by: priya))
            #expect(shared.entries.last?.message.author.name == "Luis Romero")
            let office = try await app.inbox.messages(of: conversation.id, by: world.dispatcher)
            #expect(office.last?.message.author.kind == .technician)
            // A technician's answer answers the customer for the office too (CH2).
            #expect(
                try await app.inbox.detail(conversation.id, by: world.dispatcher).conversation.awaitingReply == false)
        }
    }

    @Test(
        "TC5: without both chat switches a technician sees no thread and cannot reply", arguments: TestEngine.available)
    func permissions(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, _ in
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            _ = try await app.inbox.start(phone: "5125550142", jobID: job.id, body: "Hello", by: world.dispatcher)
            for (view, reply) in [(false, false), (true, false), (false, true)] {
                let luis = try await Self.technician(world.technician.id, in: world, view: view, reply: reply)
                let jobs = try await app.field.myJobs(by: luis)
                #expect(!jobs.chatEnabled && jobs.today.first?.thread == nil)
                #expect(try await app.field.job(job.id, by: luis).chat == .missingPermissions)
                await expectFailure("chat_not_enabled") {
                    _ = try await app.field.thread(ofJob: job.id, by: luis)
                }
                await expectFailure("chat_not_enabled") {
                    _ = try await app.field.reply(toJob: job.id, body: "Hi", by: luis)
                }
            }
        }
    }

    @Test(
        "TC2: a job without a thread has nothing to answer, and a reply never starts one",
        arguments: TestEngine.available)
    func cannotStart(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, fake, _ in
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let luis = try await Self.technician(world.technician.id, in: world)
            #expect(try await app.field.thread(ofJob: job.id, by: luis) == nil)
            #expect(try await app.field.job(job.id, by: luis).chat == .noThread)
            await expectFailure("no_open_thread") {
                _ = try await app.field.reply(toJob: job.id, body: "Hi, I'm Luis", by: luis)
            }
            #expect(try await app.inbox.list(status: .open, by: world.dispatcher).isEmpty)
            try await OutboxWorker(app: app).drain()
            #expect(fake.sent.isEmpty)
        }
    }

    @Test(
        "TC4: a thread closed in the office disappears from the field and comes back when reopened",
        arguments: TestEngine.available)
    func closedThreads(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, _ in
            let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let luis = try await Self.technician(world.technician.id, in: world)
            let (conversation, _) = try await app.inbox.start(
                phone: "5125550142", jobID: job.id, body: "Hello", by: world.dispatcher)
            _ = try await app.inbox.close(conversation.id, by: world.dispatcher)
            #expect(try await app.field.thread(ofJob: job.id, by: luis) == nil)
            #expect(try await app.field.myJobs(by: luis).today.first?.thread == nil)
            #expect(try await app.field.job(job.id, by: luis).chat == .closed)
            await expectFailure("no_open_thread") {
                _ = try await app.field.reply(toJob: job.id, body: "Still there?", by: luis)
            }
            #expect(try await app.inbox.detail(conversation.id, by: world.dispatcher).conversation.status == .closed)
            _ = try await app.inbox.reopen(conversation.id, by: world.dispatcher)
            #expect(try await app.field.thread(ofJob: job.id, by: luis)?.conversation.id == conversation.id)
        }
    }

    @Test(
        "Jobs a technician is not on, other accounts' jobs and office users are kept out",
        arguments: TestEngine.available)
    func isolation(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, _ in
            let theirs = try await world.bookJob(hoursFromNow: 1, technicians: [world.secondTechnician.id])
            _ = try await app.inbox.start(phone: "5125550142", jobID: theirs.id, body: "Hello", by: world.dispatcher)
            let luis = try await Self.technician(world.technician.id, in: world)
            #expect(try await app.field.myJobs(by: luis).today.isEmpty)
            for call in [
                { _ = try await app.field.job(theirs.id, by: luis) },
                { _ = try await app.field.thread(ofJob: theirs.id, by: luis) },
                { _ = try await app.field.reply(toJob: theirs.id, body: "Hi", by: luis) },
                { _ = try await app.field.markRead(ofJob: theirs.id, by: luis) },
            ] as [@Sendable () async throws -> Void] {
                await #expect(throws: FieldlineError.notFound(entity: "job", id: theirs.id.rawValue)) {
                    try await call()
                }
            }

            let other = try await TestWorld.make(app, name: "Southside HVAC", emailDomain: "southside.test")
            let otherJob = try await other.bookJob(hoursFromNow: 1, technicians: [other.technician.id])
            await #expect(throws: FieldlineError.notFound(entity: "job", id: otherJob.id.rawValue)) {
                _ = try await app.field.job(otherJob.id, by: luis)
            }
            await expectFailure("technicians_only") {
                _ = try await app.field.myJobs(by: world.dispatcher)
            }
            await expectFailure("technicians_only") {
                _ = try await app.field.myJobs(by: world.admin)
            }
        }
    }

    @Test(
        "My jobs: today's visits by time, then the next two weeks; finished visits stay on today",
        arguments: TestEngine.available)
    func myJobs(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, _ in
            let later = try await world.bookJob(
                summary: "Later today", hoursFromNow: 3, technicians: [world.technician.id])
            let sooner = try await world.bookJob(summary: "First", hoursFromNow: 1, technicians: [world.technician.id])
            let tomorrow = try await world.bookJob(
                summary: "Tomorrow", hoursFromNow: 24, technicians: [world.technician.id])
            _ = try await world.bookJob(
                summary: "Next month", hoursFromNow: 24 * 30, technicians: [world.technician.id])
            _ = try await world.bookJob(summary: "Not mine", hoursFromNow: 2, technicians: [world.secondTechnician.id])
            let luis = try await Self.technician(world.technician.id, in: world)
            let jobs = try await app.field.myJobs(by: luis)
            #expect(jobs.today.map(\.job.id) == [sooner.id, later.id])
            #expect(jobs.upcoming.map(\.job.id) == [tomorrow.id])
            #expect(jobs.today.first?.customerName == "Robert Castellanos")
            #expect(jobs.today.first?.assignment.technicianID == world.technician.id)
        }
    }

    @Test(
        "DN7: positions are stored for the technician; the latest by the device's time wins",
        arguments: TestEngine.available)
    func positions(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withChatWorld(clock: clock) { app, world, _, _ in
            let luis = try await Self.technician(world.technician.id, in: world)
            _ = try await app.field.reportPosition(
                latitude: 30.2672, longitude: -97.7431, accuracyMeters: 8, recordedAt: nil, by: luis)
            // A fix sent late (the phone was offline) does not replace a newer one.
            _ = try await app.field.reportPosition(
                latitude: 30.1, longitude: -97.6, accuracyMeters: nil, recordedAt: clock.now().addingTimeInterval(-600),
                by: luis)
            let latest = try #require(try await app.field.latestPosition(by: luis))
            #expect(latest.latitude == 30.2672 && latest.longitude == -97.7431 && latest.accuracyMeters == 8)
            await #expect(throws: FieldlineError.self) {
                _ = try await app.field.reportPosition(
                    latitude: 91, longitude: 0, accuracyMeters: nil, recordedAt: nil, by: luis)
            }
            await expectFailure("technicians_only") {
                _ = try await app.field.reportPosition(
                    latitude: 30, longitude: -97, accuracyMeters: nil, recordedAt: nil, by: world.dispatcher)
            }
        }
    }
}
