import Fieldline
import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Hummingbird

/// Account settings for admins: the business's name, time zone, opening hours and holidays, and
/// the people who can sign in.
struct SettingsPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var shell: Shell
        var name: String
        var timeZone: String
        var timeZones: [String]
        var days: [Day]
        var holidays: String
        var users: [UserRow]
        var roles: [RoleChoice]
        var technicians: [JobPages.Choice]
        var autoreplyEnabled: Bool
        var autoreplyText: String
        var retentionChoices: [RetentionChoice]
        var marketingLimitTexts: Int
        var marketingLimitDays: Int
        var skipOpenConversations: Bool
        var numbers: [NumberRow]
        var hasNumbers: Bool
        var canStoreCredentials: Bool
        var inboundWebhookURL: String
        var statusWebhookURL: String
        var hasConsoleNumber: Bool
        var blocked: [BlockedRow]
        var hasBlocked: Bool
        var noticesSummary: String
        var serviceChannelSummary: String
        var optInURL: String?
        var registrations: [RegistrationBadge]
    }

    struct RegistrationBadge {
        var label: String
        var status: String
        var tone: String
    }

    struct NumberRow {
        var id: String
        var display: String
        var e164: String
        var label: String
        var providerLabel: String
        var isTwilio: Bool
        var chat: Bool
        var mms: Bool
        var marketing: Bool
        var isDefault: Bool
        var rate: String
        var providerAccountID: String
        var messagingServiceID: String
        var hasCredentials: Bool

        init(_ number: SenderNumber) {
            id = number.id.rawValue
            display = number.number.displayed
            e164 = number.number.e164
            label = number.label
            providerLabel = number.provider == .twilio ? "Twilio" : "Demo phone (console)"
            isTwilio = number.provider == .twilio
            chat = number.chat
            mms = number.mms
            marketing = number.marketing
            isDefault = number.isDefault
            rate = number.ratePerSecond.formatted(.number.precision(.fractionLength(0...2)))
            providerAccountID = number.providerAccountID ?? ""
            messagingServiceID = number.messagingServiceID ?? ""
            hasCredentials = number.hasCredentials
        }
    }

    struct BlockedRow {
        var phone: String
        var display: String
        var blockedBy: String
        var blockedAt: String
    }

    struct Day {
        var weekday: Int
        var label: String
        var open: Bool
        var opens: String
        var closes: String
    }

    struct UserRow {
        var id: String
        var name: String
        var email: String
        var roleLabel: String
        var active: Bool
        var isSelf: Bool
        var roles: [JobPages.Choice]
        var chatAccessApplies: Bool
        var chatAccess: [JobPages.Choice]
        var chatAccessLabel: String
    }

    struct RetentionChoice {
        var value: Int
        var label: String
        var selected: Bool
    }

    static func retentionChoices(_ current: Int?) -> [RetentionChoice] {
        var months = Account.retentionChoices
        // A value set through the API that the list does not offer still shows as it is.
        if let current, !months.contains(current) { months = (months + [current]).sorted() }
        return [RetentionChoice(value: 0, label: "For ever", selected: current == nil)]
            + months.map { value in
                RetentionChoice(
                    value: value,
                    label: value % 12 == 0
                        ? "\(value / 12) year\(value == 12 ? "" : "s")" : "\(value) month\(value == 1 ? "" : "s")",
                    selected: current == value)
            }
    }

    struct RoleChoice {
        var value: String
        var label: String
    }

    /// Monday first, as people read a week; values are Calendar's weekday numbers.
    static let week: [(Int, String)] = [
        (2, "Monday"), (3, "Tuesday"), (4, "Wednesday"), (5, "Thursday"), (6, "Friday"), (7, "Saturday"), (1, "Sunday"),
    ]

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/settings/consent-ledger.csv", use: downloadConsentLedger)
        router.get("/settings", use: showSettings)
        router.post("/settings", use: saveSettings)
        router.post("/settings/numbers", use: addNumber)
        router.post("/settings/numbers/:id", use: updateNumber)
        router.post("/settings/numbers/:id/remove", use: removeNumber)
        router.post("/settings/blocked/:phone/unblock", use: unblockNumber)
        router.post("/settings/users/:id", use: updateUser)
        router.post("/settings/users", use: addUser)
    }

    /// The consent ledger as CSV for a range of days (SC7), streamed.
    @Sendable func downloadConsentLedger(_ request: Request, context: AppRequestContext) async throws -> Response {
        let export = try await app.consent.export(
            from: request.query["from"].flatMap { $0.isEmpty ? nil : $0 },
            to: request.query["to"].flatMap { $0.isEmpty ? nil : $0 }, by: try context.actor())
        return LedgerDownload.response(export, app: app)
    }

    /// The account's settings, its people, texting numbers, blocked numbers and the state of the
    /// notices, ServiceChannel and carrier registrations. The account is the session's, read with it.
    @Sendable func showSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        try actor.require(.manageAccount)
        let account = try context.signedIn().account
        let users = try await app.accounts.users(by: actor)
        let technicians = try await app.technicians.all(by: actor, includeInactive: false)
        let numbers = try await app.senderNumbers.all(by: actor)
        let blocked = try await app.inbox.blockedNumbers(by: actor)
        let time = try context.timeText()
        let notices = try await app.dispatchNotices.overview(by: actor).settings
        let channels = [notices.textEnabled ? "text" : nil, notices.emailEnabled ? "email" : nil].compactMap { $0 }
        let tracking = notices.trackingEnabled ? ", with live tracking" : ""
        let model = Model(
            shell: try await renderer.shell(context, request: request, active: "settings"), name: account.name,
            timeZone: account.timeZone,
            timeZones: TimeZone.knownTimeZoneIdentifiers.filter {
                $0.hasPrefix("America/") || $0.hasPrefix("Pacific/Honolulu") || $0 == "UTC"
            },
            days: Self.week.map { weekday, label in
                let period = account.businessHours.days[weekday]
                return Day(
                    weekday: weekday, label: label, open: period != nil,
                    opens: Self.clock(period?.opens ?? 8 * 60), closes: Self.clock(period?.closes ?? 17 * 60))
            },
            holidays: account.businessHours.holidays.sorted().joined(separator: "\n"),
            users: users.map { user in
                UserRow(
                    id: user.id.rawValue, name: user.name, email: user.email.value, roleLabel: user.role.label,
                    active: user.active, isSelf: user.id == actor.userID,
                    roles: Role.allCases.filter { $0 != .technician || user.technicianID != nil }.map {
                        JobPages.Choice(id: $0.rawValue, label: $0.label, selected: $0 == user.role)
                    },
                    chatAccessApplies: ChatAccess.appliesTo(user.role),
                    chatAccess: [
                        JobPages.Choice(id: "role", label: "As the role allows", selected: user.chatAccess == nil)
                    ]
                        + ChatAccess.allCases.map {
                            JobPages.Choice(id: $0.rawValue, label: $0.label, selected: user.chatAccess == $0)
                        },
                    chatAccessLabel: user.role == .technician
                        ? "Chats: set per technician" : Self.chatAccessLabel(Actor(user: user)))
            },
            roles: Role.allCases.map { RoleChoice(value: $0.rawValue, label: $0.label) },
            technicians: technicians.map { JobPages.Choice(id: $0.id.rawValue, label: $0.name, selected: false) },
            autoreplyEnabled: account.autoreply.enabled, autoreplyText: account.autoreply.text,
            retentionChoices: Self.retentionChoices(account.messageRetentionMonths),
            marketingLimitTexts: account.marketingLimit.texts, marketingLimitDays: account.marketingLimit.days,
            skipOpenConversations: account.marketingLimit.skipOpenConversations,
            numbers: numbers.map(NumberRow.init), hasNumbers: !numbers.isEmpty,
            canStoreCredentials: app.secrets != nil,
            inboundWebhookURL: app.publicURL + TwilioWebhooks.inboundPath,
            statusWebhookURL: app.publicURL + TwilioWebhooks.statusPath,
            hasConsoleNumber: app.demo && numbers.contains { $0.provider == .console },
            blocked: blocked.map {
                BlockedRow(
                    phone: $0.phone.e164, display: $0.phone.displayed, blockedBy: $0.blockedBy,
                    blockedAt: time.dateTime($0.blockedAt))
            }, hasBlocked: !blocked.isEmpty,
            noticesSummary: channels.isEmpty
                ? "Off: customers are not told when a technician sets off."
                : "On by \(channels.joined(separator: " and "))\(tracking).",
            serviceChannelSummary: try await Self.serviceChannelSummary(app, actor: actor),
            optInURL: try await app.consent.signUpURL(of: account.id),
            registrations: try await app.registrations.overview(by: actor).map {
                let view = RegistrationPage.model($0, time: time)
                return RegistrationBadge(label: view.title, status: view.statusLabel, tone: view.tone)
            }
        )
        return try renderer.page("settings", model, request: request)
    }

    /// The business's name, time zone, opening hours, holidays and autoreply.
    @Sendable func saveSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        var days: [Int: BusinessHours.Period] = [:]
        for (weekday, label) in Self.week where form.checked("open\(weekday)") {
            guard let opens = Self.minutes(form["opens\(weekday)"]),
                let closes = Self.minutes(form["closes\(weekday)"])
            else {
                throw FieldlineError.invalid(
                    field: "businessHours", message: "Give \(label)'s opening and closing times.")
            }
            days[weekday] = BusinessHours.Period(opens: opens, closes: closes)
        }
        let holidays = (form["holidays"] ?? "").split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        _ = try await app.accounts.update(
            .init(
                name: form["name"], timeZone: form["timeZone"],
                businessHours: BusinessHours(days: days, holidays: holidays),
                autoreplyEnabled: form.checked("autoreplyEnabled"), autoreplyText: form["autoreplyText"],
                messageRetentionMonths: try Self.retention(form["messageRetentionMonths"]),
                marketingLimit: try Self.marketingLimit(form)),
            by: try context.actor())
        return renderer.redirect(to: "/settings", flash: Flash(.success, "Settings saved."))
    }

    /// The marketing limit as the form sends it; a form without its fields leaves it (CP4).
    static func marketingLimit(_ form: FormData) throws(FieldlineError) -> MarketingLimit? {
        guard let rawTexts = form["marketingLimitTexts"], let rawDays = form["marketingLimitDays"] else { return nil }
        guard let texts = Int(rawTexts.trimmingCharacters(in: .whitespaces)) else {
            throw .invalid(
                field: "marketingLimitTexts", message: "Give the most marketing texts per number as a number.")
        }
        guard let days = Int(rawDays.trimmingCharacters(in: .whitespaces)) else {
            throw .invalid(field: "marketingLimitDays", message: "Give the number of days to count over.")
        }
        return MarketingLimit(
            texts: texts, days: days, skipOpenConversations: form.checked("skipOpenConversations"))
    }

    /// The retention as the form sends it: a number of months, 0 for ever; absent leaves it.
    static func retention(_ raw: String?) throws(FieldlineError) -> Int? {
        guard let raw, !raw.isEmpty else { return nil }
        guard let months = Int(raw) else {
            throw .invalid(field: "messageRetentionMonths", message: "Choose how long to keep texts.")
        }
        return months
    }

    /// A number to text from.
    @Sendable func addNumber(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let number = try await app.senderNumbers.add(Self.numberInput(form, adding: true), by: try context.actor())
        return renderer.redirect(
            to: "/settings#numbers", flash: Flash(.success, "\(number.number.displayed) is ready to text."))
    }

    /// A texting number's label, uses, rate and credentials.
    @Sendable func updateNumber(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: SenderNumberID.self)
        let number = try await app.senderNumbers.update(
            id, Self.numberInput(form, adding: false), by: try context.actor())
        return renderer.redirect(to: "/settings#numbers", flash: Flash(.success, "\(number.label) saved."))
    }

    @Sendable func removeNumber(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: SenderNumberID.self)
        try await app.senderNumbers.remove(id, by: try context.actor())
        return renderer.redirect(to: "/settings#numbers", flash: Flash(.success, "The number was removed."))
    }

    /// Lets texts from a blocked number reach the inbox again.
    @Sendable func unblockNumber(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try await verifiedForm(request, context)
        guard let phone = context.parameters.get("phone") else { throw HTTPError(.notFound) }
        try await app.inbox.unblock(phone, by: try context.actor())
        return renderer.redirect(
            to: "/settings#blocked", flash: Flash(.success, "Texts from that number reach the inbox again."))
    }

    /// A person's role, chat access, and whether they can still sign in.
    @Sendable func updateUser(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let id = try context.parameters.id("id", as: UserID.self)
        let user = try await app.accounts.updateUser(
            id, .init(role: form["role"], active: form.checked("active"), chatAccess: form["chatAccess"]),
            by: try context.actor())
        return renderer.redirect(
            to: "/settings",
            flash: Flash(.success, user.active ? "\(user.name) saved." : "\(user.name) can no longer sign in."))
    }

    /// A new person who can sign in; a technician's login is tied to the technician chosen.
    @Sendable func addUser(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let actor = try context.actor()
        let technician = form["technicianId"].flatMap { $0.isEmpty ? nil : TechnicianID($0) }
        let user = try await app.accounts.createUser(
            .init(
                email: form["email"], name: form["name"], role: form["role"], password: form["password"],
                phone: form["phone"], technicianID: form["role"] == Role.technician.rawValue ? technician : nil),
            in: actor.accountID, by: actor)
        return renderer.redirect(to: "/settings", flash: Flash(.success, "\(user.name) can sign in now."))
    }

    /// The number form: checkboxes absent from the post are off; empty credential fields keep
    /// what is stored.
    static func numberInput(_ form: FormData, adding: Bool) throws -> SenderNumbers.Input {
        func text(_ name: String) -> String? {
            guard let value = form[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        return SenderNumbers.Input(
            number: adding ? form["number"] : nil, label: form["label"], provider: adding ? form["provider"] : nil,
            chat: form.checked("chat"), mms: form.checked("mms"), marketing: form.checked("marketing"),
            isDefault: form.checked("isDefault") ? true : nil, ratePerSecond: try form.double("ratePerSecond"),
            providerAccountID: text("providerAccountId"), messagingServiceID: form["messagingServiceId"],
            authToken: text("authToken"))
    }

    static func chatAccessLabel(_ actor: Actor) -> String {
        actor.can(.fullCustomerChats)
            ? "Chats: full access" : actor.can(.viewCustomerChats) ? "Chats: view only" : "Chats: no access"
    }

    static func clock(_ minutes: Int) -> String {
        String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    /// Reads an `<input type="time">` value (`HH:mm`); `24:00` is allowed as the end of the day.
    static func minutes(_ text: String?) -> Int? {
        guard let parts = text?.split(separator: ":"), parts.count >= 2, let hours = Int(parts[0]),
            let minutes = Int(parts[1]), (0...24).contains(hours), (0..<60).contains(minutes),
            hours * 60 + minutes <= 1440
        else { return nil }
        return hours * 60 + minutes
    }

    static func serviceChannelSummary(_ app: Fieldline, actor: Actor) async throws -> String {
        guard actor.can(.manageIntegrations) else { return "" }
        let overview = try await app.serviceChannel.overview(by: actor)
        guard let connection = overview.connection else {
            return "Not connected: receive facilities clients' work orders as bookings."
        }
        if !connection.isHealthy { return "Connected, but the last check failed: \(connection.lastError ?? "")" }
        return "Connected · \(overview.workOrders.imported) work orders brought in"
            + (overview.queue.attention > 0 ? " · \(overview.queue.attention) updates need attention" : "")
    }

}
