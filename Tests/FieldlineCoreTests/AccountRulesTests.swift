import FieldlineCore
import Foundation
import Testing

@Suite("Accounts, roles and business hours")
struct AccountRulesTests {
    @Test("Admins hold every permission; technicians only their own visits")
    func rolePermissions() {
        #expect(Role.admin.permissions == Set(Permission.allCases))
        #expect(!Role.dispatcher.permissions.contains(.manageUsers))
        #expect(Role.dispatcher.permissions.contains(.dispatchJobs))
        #expect(Role.technician.permissions == [.viewAssignedJobs, .reportArrival])
        #expect(!Role.marketer.permissions.contains(.editCustomers))
    }

    @Test("A technician's chat switches add chat permissions; replying needs viewing")
    func technicianChat() {
        let user = User(
            id: .generate(), accountID: .generate(), email: EmailAddress(storedValue: "t@example.com"), name: "T",
            role: .technician, phone: nil, technicianID: .generate(), createdAt: Date())
        #expect(!Actor(user: user).can(.viewCustomerChats))
        let viewer = Actor(user: user, technicianChat: .init(canViewChats: true, canReplyChats: false))
        #expect(viewer.can(.viewCustomerChats) && !viewer.can(.fullCustomerChats))
        let replyOnly = Actor(user: user, technicianChat: .init(canViewChats: false, canReplyChats: true))
        #expect(!replyOnly.can(.fullCustomerChats))
        let both = Actor(user: user, technicianChat: .init(canViewChats: true, canReplyChats: true))
        #expect(both.can(.fullCustomerChats))
    }

    @Test("Time zones must be IANA names")
    func timeZones() throws {
        #expect(try Account.validatedTimeZone("America/Chicago") == "America/Chicago")
        #expect(throws: FieldlineError.self) { try Account.validatedTimeZone("Mars/Olympus") }
        #expect(throws: FieldlineError.self) { try Account.validatedTimeZone("") }
    }

    @Test("Business hours are read in the account's time zone, and holidays are closed")
    func businessHours() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "America/Chicago"))
        let hours = BusinessHours(days: [2: .init(opens: 480, closes: 1020)], holidays: ["2026-11-30"])
        // Monday 2026-11-23 09:00 Chicago = 15:00 UTC.
        let mondayMorning = try #require(calendar.date(from: DateComponents(year: 2026, month: 11, day: 23, hour: 9)))
        #expect(hours.isOpen(at: mondayMorning, calendar: calendar))
        #expect(!hours.isOpen(at: mondayMorning.addingTimeInterval(9 * 3600), calendar: calendar))
        #expect(!hours.isOpen(at: mondayMorning.addingTimeInterval(-2 * 3600), calendar: calendar))
        #expect(!hours.isOpen(at: mondayMorning.addingTimeInterval(24 * 3600), calendar: calendar))
        #expect(!hours.isOpen(at: mondayMorning.addingTimeInterval(7 * 24 * 3600), calendar: calendar))
    }

    @Test("Business hours that close before they open, or name a bad weekday or holiday, are refused")
    func invalidHours() {
        #expect(throws: FieldlineError.self) {
            try BusinessHours(days: [2: .init(opens: 600, closes: 500)]).validated()
        }
        #expect(throws: FieldlineError.self) { try BusinessHours(days: [8: .init(opens: 1, closes: 2)]).validated() }
        #expect(throws: FieldlineError.self) { try BusinessHours(days: [:], holidays: ["next tuesday"]).validated() }
    }

    @Test("Day strings round-trip and reject impossible dates")
    func dayStrings() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "America/Chicago"))
        let interval = try #require(DayString.interval(of: "2026-11-22", calendar: calendar))
        #expect(interval.duration == 24 * 3600)
        #expect(DayString.of(interval.start, calendar: calendar) == "2026-11-22")
        #expect(DayString.interval(of: "2026-02-30", calendar: calendar) == nil)
        #expect(DayString.interval(of: "22/11/2026", calendar: calendar) == nil)
    }

    @Test("Passwords need ten characters and at most 72 bytes")
    func passwords() throws {
        #expect(throws: FieldlineError.self) { try PasswordPolicy.validate("short") }
        #expect(throws: FieldlineError.self) { try PasswordPolicy.validate(String(repeating: "é", count: 40)) }
        #expect(try PasswordPolicy.validate("long enough pass") == "long enough pass")
    }
}

@Suite("Technicians as customers see them")
struct TechnicianRulesTests {
    @Test("The rating shows to customers only from 4 stars")
    func publicRating() {
        func technician(_ rating: Double?) -> Technician {
            Technician(
                id: .generate(), accountID: .generate(), name: "Luis Romero", phone: nil, photoURL: nil, rating: rating,
                chat: .init(), active: true, createdAt: Date())
        }
        #expect(technician(4.0).publicRating == 4.0)
        #expect(technician(4.9).publicRating == 4.9)
        #expect(technician(3.99).publicRating == nil)
        #expect(technician(nil).publicRating == nil)
    }

    @Test("Ratings outside 0–5 are refused; valid ones keep one decimal")
    func ratingRange() throws {
        #expect(try Technician.validatedRating(4.76) == 4.8)
        #expect(throws: FieldlineError.self) { try Technician.validatedRating(5.1) }
        #expect(throws: FieldlineError.self) { try Technician.validatedRating(-1) }
        #expect(throws: FieldlineError.self) { try Technician.validatedRating(.nan) }
    }

    @Test("Initials use first and last names; the generated avatar is stable per id")
    func avatars() {
        #expect(Technician.initials(of: "Mary Ann Smith") == "MS")
        #expect(Technician.initials(of: "Cher") == "C")
        let first = Avatar.svg(initials: "LR", seed: "abc")
        #expect(first == Avatar.svg(initials: "LR", seed: "abc"))
        #expect(first.contains(">LR</text>"))
        #expect(Avatar.svg(initials: "<b>", seed: "x").contains(">B</text>"))
    }

    @Test("Error codes are snake_case and name the field or entity")
    func errorCodes() {
        #expect(FieldlineError.invalid(field: "endsAt", message: "").code == "invalid_ends_at")
        #expect(FieldlineError.notFound(entity: "customer", id: "1").code == "customer_not_found")
        #expect(FieldlineError.forbidden(permission: "manage_users").code == "forbidden")
    }
}
