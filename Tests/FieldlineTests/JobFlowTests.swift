import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

@Suite("Booking, rescheduling, canceling and dispatching jobs")
struct JobFlowTests {
    @Test(
        "Booking a job numbers it, writes the trail, assigns technicians and emits events",
        arguments: TestEngine.available)
    func book(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, recorder in
            let job = try await world.bookJob(technicians: [world.technician.id])
            let second = try await world.bookJob(summary: "Second visit")
            #expect(job.number == 1000 && second.number == 1001)
            let detail = try await app.jobs.detail(job.id, by: world.dispatcher)
            #expect(detail.job.status == .scheduled)
            #expect(detail.assignments.map(\.technicianID) == [world.technician.id])
            #expect(detail.events.map(\.kind) == ["assigned", "booked"])
            #expect(detail.events.allSatisfy { $0.actor.name == "Marcus Dispatch" })
            let kinds = recorder.kinds
            #expect(kinds.first == .jobBooked(job.id))
            #expect(kinds.contains(.technicianAssigned(job.id, detail.assignments[0].id, world.technician.id)))
        }
    }

    @Test("Dispatch, arrive and complete move the visit and complete the job", arguments: TestEngine.available)
    func fullVisit(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, recorder in
            let job = try await world.bookJob(technicians: [world.technician.id, world.secondTechnician.id])
            let assignments = try await app.jobs.detail(job.id, by: world.admin).assignments
            let luis = try #require(assignments.first { $0.technicianID == world.technician.id })
            let priya = try #require(assignments.first { $0.technicianID == world.secondTechnician.id })

            let dispatched = try await app.jobs.dispatch(luis.id, by: world.dispatcher)
            #expect(dispatched.status == .dispatched && dispatched.dispatchedAt == app.clock.now())
            #expect(try await app.jobs.detail(job.id, by: world.admin).job.status == .inProgress)
            _ = try await app.jobs.arrive(luis.id, by: world.technicianActor)
            _ = try await app.jobs.complete(luis.id, by: world.technicianActor)
            #expect(try await app.jobs.detail(job.id, by: world.admin).job.status == .inProgress)
            for action in [AssignmentAction.dispatch, .arrive, .complete] {
                _ = try await app.jobs.advance(priya.id, action, by: world.dispatcher)
            }
            let detail = try await app.jobs.detail(job.id, by: world.admin)
            #expect(detail.job.status == .completed)
            #expect(
                recorder.kinds.suffix(2) == [
                    .assignmentCompleted(job.id, priya.id, world.secondTechnician.id), .jobCompleted(job.id),
                ])
            #expect(detail.events.first?.text == "Job is now completed")
        }
    }

    @Test("Steps out of order are refused and change nothing", arguments: TestEngine.available)
    func outOfOrder(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let job = try await world.bookJob(technicians: [world.technician.id])
            let assignment = try await app.jobs.detail(job.id, by: world.admin).assignments[0]
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.complete(assignment.id, by: world.dispatcher)
            }
            _ = try await app.jobs.dispatch(assignment.id, by: world.dispatcher)
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.dispatch(assignment.id, by: world.dispatcher)
            }
            let trail = try await app.jobs.detail(job.id, by: world.admin).events.map(\.kind)
            #expect(trail.filter { $0 == "dispatched" }.count == 1)
        }
    }

    @Test(
        "A technician may report their own arrival but not dispatch, nor touch another's visit",
        arguments: TestEngine.available)
    func technicianLimits(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let job = try await world.bookJob(technicians: [world.technician.id, world.secondTechnician.id])
            let assignments = try await app.jobs.detail(job.id, by: world.admin).assignments
            let own = try #require(assignments.first { $0.technicianID == world.technician.id })
            let others = try #require(assignments.first { $0.technicianID == world.secondTechnician.id })
            await #expect(throws: FieldlineError.forbidden(permission: "dispatch_jobs")) {
                try await app.jobs.dispatch(own.id, by: world.technicianActor)
            }
            _ = try await app.jobs.dispatch(own.id, by: world.dispatcher)
            _ = try await app.jobs.dispatch(others.id, by: world.dispatcher)
            #expect(try await app.jobs.arrive(own.id, by: world.technicianActor).status == .working)
            await #expect(throws: FieldlineError.forbidden(permission: "dispatch_jobs")) {
                try await app.jobs.arrive(others.id, by: world.technicianActor)
            }
        }
    }

    @Test("A technician sees only jobs they are assigned to", arguments: TestEngine.available)
    func technicianVisibility(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let mine = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
            let notMine = try await world.bookJob(hoursFromNow: 2, technicians: [world.secondTechnician.id])
            #expect(try await app.jobs.detail(mine.id, by: world.technicianActor).job.id == mine.id)
            await #expect(throws: FieldlineError.notFound(entity: "job", id: notMine.id.rawValue)) {
                try await app.jobs.detail(notMine.id, by: world.technicianActor)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.list(status: nil, by: world.technicianActor)
            }
            let schedule = try await app.jobs.schedule(day: nil, by: world.technicianActor)
            #expect(schedule.visits.map(\.job.id).allSatisfy { $0 == mine.id })
        }
    }

    @Test(
        "Rescheduling moves the visit and says from when to when; bad times are refused",
        arguments: TestEngine.available)
    func reschedule(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, recorder in
            let job = try await world.bookJob()
            let appointment = try await app.jobs.detail(job.id, by: world.admin).appointments[0]
            let newStart = appointment.startsAt.addingTimeInterval(86_400)
            let moved = try await app.jobs.reschedule(
                appointment.id, startsAt: newStart, endsAt: newStart.addingTimeInterval(3600), by: world.dispatcher)
            #expect(moved.startsAt == newStart && moved.arrivalWindow.end == newStart.addingTimeInterval(3600))
            #expect(recorder.kinds.last == .jobRescheduled(job.id, appointment.id))
            let trail = try await app.jobs.detail(job.id, by: world.admin).events
            #expect(trail.first?.text.hasPrefix("Rescheduled from ") == true)
            await #expect(
                throws: FieldlineError.invalid(field: "endsAt", message: "The appointment must end after it starts.")
            ) {
                try await app.jobs.reschedule(
                    appointment.id, startsAt: newStart, endsAt: newStart.addingTimeInterval(-60), by: world.dispatcher)
            }
        }
    }

    @Test("A canceled job cannot be rescheduled, assigned or dispatched", arguments: TestEngine.available)
    func canceledIsFinal(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let job = try await world.bookJob(technicians: [world.technician.id])
            let detail = try await app.jobs.detail(job.id, by: world.admin)
            let canceled = try await app.jobs.cancel(job.id, reason: "Customer fixed it", by: world.dispatcher)
            #expect(canceled.status == .canceled)
            let appointment = detail.appointments[0]
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.reschedule(
                    appointment.id, startsAt: appointment.startsAt, endsAt: appointment.endsAt, by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.assign(world.secondTechnician.id, to: appointment.id, by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.dispatch(detail.assignments[0].id, by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.cancel(job.id, reason: nil, by: world.admin)
            }
            let trail = try await app.jobs.detail(job.id, by: world.admin).events
            #expect(trail.first?.text == "Canceled the job: Customer fixed it")
        }
    }

    @Test(
        "Booking refuses a location of another customer, an inactive technician, and a missing summary",
        arguments: TestEngine.available)
    func bookingValidation(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let someoneElse = try await app.customers.create(
                .init(
                    name: "Other", location: .init(street: "1 A St", city: "Austin", state: "TX", postalCode: "78701")),
                by: world.admin)
            let otherLocation = try await app.customers.detail(someoneElse.id, by: world.admin).locations[0]
            let start = app.clock.now().addingTimeInterval(3600)
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.book(
                    .init(
                        customerID: world.customer.id, locationID: otherLocation.id, summary: "x", startsAt: start,
                        endsAt: start + 3600), by: world.admin)
            }
            _ = try await app.technicians.update(world.secondTechnician.id, .init(active: false), by: world.admin)
            await #expect(throws: FieldlineError.self) {
                try await world.bookJob(technicians: [world.secondTechnician.id])
            }
            await #expect(throws: FieldlineError.invalid(field: "summary", message: "Job summary is required.")) {
                try await world.bookJob(summary: "  ")
            }
            #expect(try await app.jobs.list(status: nil, by: world.admin).isEmpty)
        }
    }

    @Test("The day's schedule is read in the account's time zone", arguments: TestEngine.available)
    func schedule(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let clock = TestClock()
            let app = Fieldline.forTesting(database: database, clock: clock)
            let world = try await TestWorld.make(app)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = try #require(TimeZone(identifier: "America/Chicago"))
            // 23:30 in Chicago on Nov 22 is already Nov 23 in UTC: it must count as Nov 22.
            let lateEvening = try #require(
                calendar.date(from: DateComponents(year: 2026, month: 11, day: 22, hour: 23, minute: 30)))
            clock.set(lateEvening.addingTimeInterval(-86_400))
            _ = try await app.jobs.book(
                .init(
                    customerID: world.customer.id, locationID: world.location.id, summary: "Late call",
                    startsAt: lateEvening,
                    endsAt: lateEvening + 1200), by: world.admin)
            #expect(try await app.jobs.schedule(day: "2026-11-22", by: world.admin).visits.count == 1)
            #expect(try await app.jobs.schedule(day: "2026-11-23", by: world.admin).visits.isEmpty)
            await #expect(throws: FieldlineError.self) { try await app.jobs.schedule(day: "tomorrow", by: world.admin) }
        }
    }

    @Test(
        "On hold, a job's visits do not move; resumed, its status follows the visits again",
        arguments: TestEngine.available)
    func holdAndResume(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, recorder in
            let job = try await world.bookJob(technicians: [world.technician.id])
            let assignment = try await app.jobs.detail(job.id, by: world.admin).assignments[0]
            _ = try await app.jobs.dispatch(assignment.id, by: world.dispatcher)
            #expect(try await app.jobs.hold(job.id, reason: "Waiting on parts", by: world.dispatcher).status == .hold)
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.arrive(assignment.id, by: world.dispatcher)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.jobs.hold(job.id, reason: nil, by: world.dispatcher)
            }
            #expect(try await app.jobs.resume(job.id, by: world.dispatcher).status == .inProgress)
            #expect(recorder.kinds.suffix(2) == [.jobPutOnHold(job.id), .jobResumed(job.id)])
            #expect(try await app.jobs.arrive(assignment.id, by: world.dispatcher).status == .working)
            let trail = try await app.jobs.detail(job.id, by: world.admin).events.map(\.text)
            #expect(trail.contains("Put the job on hold: Waiting on parts"))
        }
    }
}
