import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

@Suite("Accounts, people and customers")
struct AccountFlowTests {
    @Test(
        "Sign-in checks the password; sessions authenticate until they expire or are revoked",
        arguments: TestEngine.available)
    func signIn(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let clock = TestClock()
            let app = Fieldline.forTesting(database: database, clock: clock)
            let world = try await TestWorld.make(app)
            let wrong = FieldlineError.unauthenticated(message: "The email or password is incorrect.")
            await #expect(throws: wrong) {
                try await app.accounts.signIn(email: "admin@northside.test", password: "nope nope nope", kind: .api)
            }
            await #expect(throws: wrong) {
                try await app.accounts.signIn(email: "nobody@northside.test", password: TestWorld.password, kind: .api)
            }
            await #expect(throws: wrong) {
                try await app.accounts.signIn(email: "not an email", password: TestWorld.password, kind: .api)
            }
            let session = try await app.accounts.signIn(
                email: "ADMIN@Northside.test", password: TestWorld.password, kind: .api)
            #expect(session.user.id == world.admin.userID)
            let auth = try await app.accounts.authenticate(token: session.token, kind: .api)
            #expect(auth.actor == world.admin)
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.authenticate(token: session.token, kind: .web)
            }
            clock.advance(by: Accounts.apiTokenLifetime + 1)
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.authenticate(token: session.token, kind: .api)
            }
            let fresh = try await app.accounts.signIn(
                email: "admin@northside.test", password: TestWorld.password, kind: .web)
            try await app.accounts.signOut(token: fresh.token)
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.authenticate(token: fresh.token, kind: .web)
            }
        }
    }

    @Test("Emails are unique across the server; only admins add users", arguments: TestEngine.available)
    func users(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.createUser(
                    .init(email: "admin@northside.test", name: "Again", role: "admin", password: TestWorld.password),
                    in: world.account.id, by: world.admin)
            }
            await #expect(throws: FieldlineError.forbidden(permission: "manage_users")) {
                try await app.accounts.createUser(
                    .init(email: "new@northside.test", name: "New", role: "admin", password: TestWorld.password),
                    in: world.account.id, by: world.dispatcher)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.createUser(
                    .init(email: "tech@northside.test", name: "Tech", role: "technician", password: TestWorld.password),
                    in: world.account.id, by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.createUser(
                    .init(email: "x@northside.test", name: "X", role: "owner", password: TestWorld.password),
                    in: world.account.id, by: world.admin)
            }
            let users = try await app.accounts.users(by: world.admin)
            #expect(users.count == 4)
        }
    }

    @Test("Another account's records are invisible: reads and writes answer not found", arguments: TestEngine.available)
    func isolation(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let app = Fieldline.forTesting(database: database)
            let mine = try await TestWorld.make(app)
            let theirs = try await TestWorld.make(app, name: "Rival Heating", emailDomain: "rival.test")
            let theirJob = try await theirs.bookJob(technicians: [theirs.technician.id])
            let theirDetail = try await app.jobs.detail(theirJob.id, by: theirs.admin)
            let attempts: [(String, @Sendable () async throws -> Void)] = [
                ("customer", { _ = try await app.customers.detail(theirs.customer.id, by: mine.admin) }),
                (
                    "customer",
                    {
                        _ = try await app.customers.update(
                            theirs.customer.id, name: "Hacked", notes: nil, by: mine.admin)
                    }
                ),
                ("location", { _ = try await app.customers.location(theirs.location.id, by: mine.admin) }),
                (
                    "phone",
                    {
                        _ = try await app.customers.updatePhone(
                            theirs.phone.id, .init(marketingUpdates: true), by: mine.admin)
                    }
                ),
                ("phone", { try await app.customers.removePhone(theirs.phone.id, by: mine.admin) }),
                ("technician", { _ = try await app.technicians.find(theirs.technician.id, by: mine.admin) }),
                ("job", { _ = try await app.jobs.detail(theirJob.id, by: mine.admin) }),
                ("job", { _ = try await app.jobs.cancel(theirJob.id, reason: nil, by: mine.admin) }),
                ("assignment", { _ = try await app.jobs.dispatch(theirDetail.assignments[0].id, by: mine.admin) }),
                (
                    "appointment",
                    {
                        _ = try await app.jobs.assign(
                            mine.technician.id, to: theirDetail.appointments[0].id, by: mine.admin)
                    }
                ),
            ]
            for (entity, attempt) in attempts {
                await #expect { try await attempt() } throws: { error in
                    guard case .notFound(let found, _) = error as? FieldlineError else { return false }
                    return found == entity
                }
            }
            let untouched = try await app.customers.detail(theirs.customer.id, by: theirs.admin)
            #expect(untouched.customer.name == "Robert Castellanos" && untouched.phones.count == 1)
            #expect(try await app.jobs.detail(theirJob.id, by: theirs.admin).job.status == .scheduled)
        }
    }

    @Test(
        "A phone number belongs to one customer per account; the same number may exist in another account",
        arguments: TestEngine.available)
    func phoneOwnership(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let other = try await TestWorld.make(app, name: "Other", emailDomain: "other.test")
            let newcomer = try await app.customers.create(.init(name: "Newcomer"), by: world.admin)
            await #expect(
                throws: FieldlineError.conflict(
                    code: .phoneTaken, message: "(512) 555-0142 already belongs to Robert Castellanos.")
            ) {
                try await app.customers.addPhone(.init(number: "512.555.0142"), to: newcomer.id, by: world.admin)
            }
            #expect(other.phone.number == world.phone.number)
            let phone = try await app.customers.addPhone(
                .init(number: "+1 (737) 555-0119", kind: "landline"), to: newcomer.id, by: world.admin)
            #expect(
                phone.number.e164 == "+17375550119" && phone.kind == .landline && phone.preferences.jobNotifications)
            let updated = try await app.customers.updatePhone(
                phone.id, .init(jobNotifications: false, marketingUpdates: true), by: world.admin)
            #expect(updated.preferences == NotificationPreferences(jobNotifications: false, marketingUpdates: true))
        }
    }

    @Test("Creating a customer is all or nothing", arguments: TestEngine.available)
    func customerAtomic(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            await #expect(throws: FieldlineError.self) {
                try await app.customers.create(
                    .init(
                        name: "Half Made", phones: [.init(number: "(512) 555-0100"), .init(number: "(512) 555-0142")]),
                    by: world.admin)
            }
            let halfMade = try await app.customers.search("half", by: world.admin)
            #expect(halfMade.isEmpty)
            await #expect(throws: FieldlineError.forbidden(permission: "edit_customers")) {
                try await app.customers.create(.init(name: "Marketing Lead"), by: world.marketer)
            }
        }
    }

    @Test("Technician chat switches: replying is off whenever viewing is off", arguments: TestEngine.available)
    func technicianPermissions(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let both = try await app.technicians.update(
                world.technician.id, .init(canViewChats: true, canReplyChats: true), by: world.admin)
            #expect(both.chat == TechnicianChatPermissions(canViewChats: true, canReplyChats: true))
            let session = try await app.accounts.signIn(
                email: "luis@northside.test", password: TestWorld.password, kind: .api)
            #expect(try await app.accounts.authenticate(token: session.token, kind: .api).actor.can(.fullCustomerChats))
            let off = try await app.technicians.update(world.technician.id, .init(canViewChats: false), by: world.admin)
            #expect(off.chat == TechnicianChatPermissions(canViewChats: false, canReplyChats: false))
            await #expect(throws: FieldlineError.forbidden(permission: "manage_technicians")) {
                try await app.technicians.update(world.technician.id, .init(canViewChats: true), by: world.dispatcher)
            }
        }
    }

    @Test(
        "Bookings convert into a job atomically; refused job input leaves the booking new",
        arguments: TestEngine.available)
    func bookings(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, recorder in
            let booking = try await app.bookings.create(
                .init(source: "web", customerID: world.customer.id, summary: "Leak under sink"), by: world.dispatcher)
            #expect(recorder.kinds.last == .bookingCreated(booking.id))
            let start = app.clock.now().addingTimeInterval(7200)
            await #expect(throws: FieldlineError.self) {
                try await app.bookings.convert(
                    booking.id,
                    into: .init(
                        customerID: world.customer.id, locationID: world.location.id, summary: "Leak",
                        startsAt: start, endsAt: start - 60), by: world.dispatcher)
            }
            #expect(try await app.bookings.find(booking.id, by: world.admin).status == .new)
            #expect(try await app.jobs.list(status: nil, by: world.admin).isEmpty)
            let (converted, job) = try await app.bookings.convert(
                booking.id,
                into: .init(
                    customerID: world.customer.id, locationID: world.location.id, summary: "Leak",
                    startsAt: start, endsAt: start + 3600), by: world.dispatcher)
            #expect(converted.status == .converted && converted.jobID == job.id)
            await #expect(throws: FieldlineError.self) { try await app.bookings.accept(booking.id, by: world.admin) }
            await #expect(throws: FieldlineError.self) {
                try await app.bookings.create(.init(summary: "No contact at all"), by: world.admin)
            }
        }
    }

    @Test("The demo seed creates its account once, with jobs today and tomorrow", arguments: TestEngine.available)
    func demoSeed(engine: TestEngine) async throws {
        try await engine.withDatabase { database in
            let app = Fieldline.forTesting(database: database)
            let first = try await DemoSeed(app: app).ensure()
            let second = try await DemoSeed(app: app).ensure()
            #expect(first.created && !second.created)
            #expect(try await app.accounts.all().count == 1)
            let session = try await app.accounts.signIn(email: first.email, password: first.password, kind: .web)
            let actor = try await app.accounts.authenticate(token: session.token, kind: .web).actor
            let today = try await app.jobs.schedule(day: nil, by: actor)
            #expect(today.visits.count >= 5)
            #expect(today.visits.contains { $0.assignments.contains { $0.assignment.status == .working } })
            #expect(try await app.customers.search(nil, by: actor).count == 12)
        }
    }

    @Test(
        "Deactivating a user ends their sessions and refuses their sign-in; admins cannot lock themselves out",
        arguments: TestEngine.available)
    func deactivateUser(engine: TestEngine) async throws {
        try await engine.withWorld { app, world, _ in
            let session = try await app.accounts.signIn(
                email: "dispatch@northside.test", password: TestWorld.password, kind: .web)
            let off = try await app.accounts.updateUser(world.dispatcher.userID, .init(active: false), by: world.admin)
            #expect(!off.active)
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.authenticate(token: session.token, kind: .web)
            }
            await #expect(throws: FieldlineError.unauthenticated(message: "The email or password is incorrect.")) {
                try await app.accounts.signIn(
                    email: "dispatch@northside.test", password: TestWorld.password, kind: .web)
            }
            _ = try await app.accounts.updateUser(
                world.dispatcher.userID, .init(role: "marketer", active: true), by: world.admin)
            let back = try await app.accounts.signIn(
                email: "dispatch@northside.test", password: TestWorld.password, kind: .api)
            #expect(try await app.accounts.authenticate(token: back.token, kind: .api).actor.role == .marketer)

            await #expect(throws: FieldlineError.self) {
                try await app.accounts.updateUser(world.admin.userID, .init(active: false), by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.updateUser(world.admin.userID, .init(role: "dispatcher"), by: world.admin)
            }
            await #expect(throws: FieldlineError.self) {
                try await app.accounts.updateUser(world.dispatcher.userID, .init(role: "technician"), by: world.admin)
            }
            await #expect(throws: FieldlineError.forbidden(permission: "manage_users")) {
                try await app.accounts.updateUser(world.admin.userID, .init(name: "Mutiny"), by: world.dispatcher)
            }
            let rival = try await TestWorld.make(app, name: "Rival", emailDomain: "rival.test")
            await #expect(throws: FieldlineError.notFound(entity: "user", id: rival.admin.userID.rawValue)) {
                try await app.accounts.updateUser(rival.admin.userID, .init(active: false), by: world.admin)
            }
        }
    }

    @Test(
        "Five wrong passwords lock the address for a while, the right one included; unknown addresses too",
        arguments: TestEngine.available)
    func signInThrottle(engine: TestEngine) async throws {
        let clock = TestClock()
        try await engine.withWorld(clock: clock) { app, _, _ in
            for _ in 1...5 {
                await #expect(throws: FieldlineError.unauthenticated(message: "The email or password is incorrect.")) {
                    _ = try await app.accounts.signIn(email: "admin@northside.test", password: "guess", kind: .web)
                }
            }
            do {
                _ = try await app.accounts.signIn(
                    email: "admin@northside.test", password: TestWorld.password, kind: .web)
                Issue.record("A locked address signed in")
            } catch let error as FieldlineError {
                #expect(error.code == "too_many_attempts")
                if case .rateLimited(_, let seconds) = error { #expect(seconds == 15 * 60) }
            }
            // Another address is not affected, and a success clears its count: 4 + 4 failures do not lock.
            for round in 1...2 {
                for _ in 1...4 {
                    _ = try? await app.accounts.signIn(email: "dispatch@northside.test", password: "guess", kind: .web)
                }
                let session = try await app.accounts.signIn(
                    email: "dispatch@northside.test", password: TestWorld.password, kind: .web)
                #expect(!session.token.isEmpty, "round \(round)")
            }
            // An address without an account is limited the same way.
            for _ in 1...5 {
                _ = try? await app.accounts.signIn(email: "nobody@northside.test", password: "guess", kind: .api)
            }
            let unknown = await #expect(throws: FieldlineError.self) {
                _ = try await app.accounts.signIn(email: "nobody@northside.test", password: "guess", kind: .api)
            }
            #expect(unknown?.code == "too_many_attempts")

            clock.advance(by: 15 * 60 + 1)
            _ = try await app.accounts.signIn(email: "admin@northside.test", password: TestWorld.password, kind: .web)
        }
    }

    @Test(
        "Sixty parallel guesses for one address: five get their password checked, the rest are turned away",
        arguments: TestEngine.available)
    func signInThrottleUnderConcurrency(engine: TestEngine) async throws {
        try await engine.withWorld { app, _, _ in
            for email in ["admin@northside.test", "nobody@northside.test"] {
                let outcomes = await withTaskGroup(of: String.self) { group in
                    for attempt in 0..<60 {
                        group.addTask {
                            do {
                                _ = try await app.accounts.signIn(
                                    email: email, password: "guess \(attempt)", kind: .api)
                                return "signed in"
                            } catch let error as FieldlineError {
                                return error.code
                            } catch {
                                return "\(error)"
                            }
                        }
                    }
                    var codes: [String: Int] = [:]
                    for await code in group { codes[code, default: 0] += 1 }
                    return codes
                }
                #expect(outcomes == ["unauthenticated": 5, "too_many_attempts": 55], "\(email): \(outcomes)")
            }
        }
    }
}
