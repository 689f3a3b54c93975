import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// Changes of texting consent and their ledger (SC7). Every change of a number's consent goes
/// through `apply`, so the state and its history cannot disagree.
public struct ConsentBook: Sendable {
    let app: Fieldline

    /// Saves `next` for its number and writes one ledger row per scope that changed.
    func apply(
        _ next: SMSConsent, changes: [ConsentChange], method: String, actor: ActorRef, messageID: MessageID?,
        accountID: AccountID, in sql: any SQLDatabase
    ) async throws {
        let now = app.clock.now()
        let store = ConsentStore(sql)
        try await store.save(next, in: accountID, at: now)
        if changes.contains(where: { $0.scope == .marketing && $0.to == MarketingConsent.optedIn.rawValue }),
            var contact = try await CustomerStore(sql).phone(number: next.phone, in: accountID),
            !contact.preferences.marketingUpdates
        {
            // The customer's own written consent is their choice of marketing updates (SC3): the
            // preference follows it, so the office need not also tick the box.
            contact.preferences.marketingUpdates = true
            try await CustomerStore(sql).update(contact)
        }
        for change in changes {
            try await store.append(
                ConsentStore.LedgerEntry(
                    id: UUID().uuidString.lowercased(), accountID: accountID, phone: next.phone, change: change,
                    method: method, actor: actor, messageID: messageID, occurredAt: now))
        }
    }

    /// The provider itself reports the number unsubscribed (Twilio 21610): record the opt-out it
    /// already enforces, without a confirmation (the provider sent its own).
    func providerOptOut(
        _ phone: PhoneNumber, scope: ConsentScope, messageID: MessageID, accountID: AccountID, in sql: any SQLDatabase
    ) async throws {
        let current = try await ConsentStore(sql).consent(of: phone, in: accountID)
        var outcome = ConsentRules.apply(.optOut, scope: scope, to: current, at: app.clock.now())
        outcome.consent.confirmationOwed = false
        guard !outcome.changes.isEmpty else { return }
        try await apply(
            outcome.consent, changes: outcome.changes, method: "provider", actor: ActorRef.system,
            messageID: messageID, accountID: accountID, in: sql)
    }

    public func consent(of phone: PhoneNumber, by actor: Actor) async throws -> SMSConsent {
        guard actor.can(.viewCustomers) || actor.can(.viewCustomerChats) else {
            throw FieldlineError.forbidden(permission: Permission.viewCustomers.rawValue)
        }
        return try await app.database.read { sql in
            try await ConsentStore(sql).consent(of: phone, in: actor.accountID)
        }
    }

    public func ledger(of phone: PhoneNumber, by actor: Actor) async throws -> [ConsentStore.LedgerEntry] {
        guard actor.can(.viewCustomers) || actor.can(.viewCustomerChats) else {
            throw FieldlineError.forbidden(permission: Permission.viewCustomers.rawValue)
        }
        return try await app.database.read { sql in try await ConsentStore(sql).ledger(of: phone, in: actor.accountID) }
    }

    /// One stored number's consent and its history, oldest first (SC7).
    public func history(
        ofPhone id: PhoneContactID, by actor: Actor
    ) async throws -> (phone: PhoneContact, consent: SMSConsent, ledger: [ConsentStore.LedgerEntry]) {
        // The office's record: a technician's chat access covers their jobs' threads, not this.
        guard actor.role != .technician, actor.can(.viewCustomers) || actor.can(.viewCustomerChats) else {
            throw FieldlineError.forbidden(permission: Permission.viewCustomers.rawValue)
        }
        return try await app.database.read { sql in
            guard let phone = try await CustomerStore(sql).phone(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "phone", id: id.rawValue)
            }
            let store = ConsentStore(sql)
            return (
                phone, try await store.consent(of: phone.number, in: actor.accountID),
                try await store.ledger(of: phone.number, in: actor.accountID)
            )
        }
    }

    /// How long a double opt-in request waits for YES (SC5).
    public static let optInWindow: TimeInterval = 48 * 3600

    /// Double opt-in from the customer record (SC5): texts the number from the marketing number
    /// asking it to reply YES; a YES within `optInWindow` grants marketing consent (the inbound
    /// keyword rules), anything else does not.
    public func requestMarketingOptIn(
        ofPhone id: PhoneContactID, by actor: Actor
    ) async throws -> (consent: SMSConsent, request: QueuedText) {
        try actor.require(.manageMarketing)
        return try await app.transaction { sql, effects in
            guard let phone = try await CustomerStore(sql).phone(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "phone", id: id.rawValue)
            }
            return try await requestOptIn(phone.number, accountID: actor.accountID, sql: sql, effects: effects)
        }
    }

    /// What a sign-up on the public opt-in form led to.
    public enum SignUp: Sendable, Equatable {
        /// The request text is queued (or held for quiet hours).
        case requested
        /// A request to this number is already waiting for YES: not sent again.
        case alreadyPending
        /// Marketing consent exists already.
        case alreadyOptedIn
        /// The number texted STOP: nothing is sent until it texts START.
        case optedOut
    }

    /// The public opt-in form (SC5): the same double opt-in as from the customer record, for any
    /// number, at most one request per number per window (a form cannot be used to pester a
    /// number that did not ask).
    public func signUp(phone raw: String, agreed: Bool, accountID: AccountID) async throws -> SignUp {
        let number = try PhoneNumber.parse(raw)
        guard agreed else {
            throw FieldlineError.invalid(field: "agree", message: "Tick the box to agree to receive texts.")
        }
        return try await app.transaction { sql, effects in
            let consent = try await ConsentStore(sql).consent(of: number, in: accountID)
            if consent.optedOut { return .optedOut }
            if consent.marketing == .optedIn { return .alreadyOptedIn }
            if consent.doubleOptInPending(at: app.clock.now()) { return .alreadyPending }
            _ = try await requestOptIn(number, accountID: accountID, sql: sql, effects: effects)
            return .requested
        }
    }

    /// The number marketing texts come from, if the account has one.
    public func marketingNumber(of accountID: AccountID) async throws -> PhoneNumber? {
        try await app.database.read { sql in
            try await SenderNumberStore(sql).all(in: accountID).first(where: \.marketing)?.number
        }
    }

    /// Whether an account takes sign-ups: it exists, has a marketing number to send from, and
    /// may send opt-in requests (its marketing registration is approved, SC1).
    public func signUpPage(_ accountID: AccountID) async throws -> Account {
        try await app.database.read { sql in
            guard let account = try await AccountStore(sql).find(accountID),
                try await Self.takesSignUps(accountID, sql: sql)
            else { throw FieldlineError.notFound(entity: "sign-up page", id: accountID.rawValue) }
            return account
        }
    }

    /// Where Settings links the sign-up page: only when `signUpPage` would show it.
    public func signUpURL(of accountID: AccountID) async throws -> String? {
        try await app.database.read { sql in try await Self.takesSignUps(accountID, sql: sql) }
            ? "\(app.publicURL)/opt-in/\(accountID)" : nil
    }

    static func takesSignUps(_ accountID: AccountID, sql: any SQLDatabase) async throws -> Bool {
        guard try await SenderNumberStore(sql).all(in: accountID).contains(where: \.marketing) else { return false }
        return try await RegistrationStore(sql).statuses(of: accountID).marketing == .approved
    }

    private func requestOptIn(
        _ number: PhoneNumber, accountID: AccountID, sql: any SQLDatabase, effects: AfterCommit
    ) async throws -> (consent: SMSConsent, request: QueuedText) {
        let store = ConsentStore(sql)
        var consent = try await store.consent(of: number, in: accountID)
        guard consent.marketing != .optedIn else {
            throw FieldlineError.conflict(
                code: .alreadyOptedIn, message: "\(number.displayed) already receives marketing texts.")
        }
        guard let marketingNumber = try await SenderNumberStore(sql).all(in: accountID).first(where: \.marketing)
        else {
            throw FieldlineError.conflict(
                code: .noMarketingNumber,
                message: "Set up a marketing number in Settings before asking customers to opt in.")
        }
        let company = try await AccountStore(sql).find(accountID)?.name ?? "We"
        let queued = try await app.messenger.send(
            OutboundText(
                accountID: accountID, to: number, body: Self.optInRequest(company: company),
                purpose: .compliance, author: .automated(.doubleOptInRequest), sender: marketingNumber.id,
                thread: .joinIfExists),
            in: sql, effects: effects)
        // The window runs from when the request can go out (after quiet hours).
        consent.doubleOptInPendingUntil = queued.sendAt.addingTimeInterval(Self.optInWindow)
        try await store.save(consent, in: accountID, at: app.clock.now())
        return (consent, queued)
    }

    /// The request's words: who is asking, what YES means, how often, and the way out (CTIA).
    static func optInRequest(company: String) -> String {
        let name = company.count > 40 ? String(company.prefix(39)) + "." : company
        return "\(name): reply YES to get our offers and news by text (up to 4 msgs/month). "
            + "Msg & data rates may apply. Reply STOP to opt out."
    }

    /// What an export covers, checked: the caller streams it with `exportPage`.
    public struct Export: Sendable, Equatable {
        public var accountID: AccountID
        public var interval: DateInterval
        /// `consent-ledger-2026-11-01-to-2026-11-30.csv`
        public var filename: String
    }

    /// Starts a CSV export of the account's ledger for a date range (SC7): admins and marketers.
    public func export(from: String?, to: String?, by actor: Actor) async throws -> Export {
        guard actor.can(.manageAccount) || actor.can(.manageMarketing) else {
            throw FieldlineError.forbidden(permission: Permission.manageMarketing.rawValue)
        }
        let account = try await app.accounts.find(actor.accountID)
        let calendar = account.calendar
        let interval = try LedgerCSV.interval(
            from: from, to: to, today: DayString.of(app.clock.now(), calendar: calendar), calendar: calendar)
        let lastDay = calendar.date(byAdding: .second, value: -1, to: interval.end) ?? interval.end
        let days = "\(DayString.of(interval.start, calendar: calendar)) to \(DayString.of(lastDay, calendar: calendar))"
        let now = app.clock.now()
        try await app.database.write { sql in
            try await AuditStore(sql).append(AuditEntry(by: actor, .ledgerExported, detail: days, at: now))
        }
        return Export(
            accountID: actor.accountID, interval: interval,
            filename:
                "consent-ledger-\(DayString.of(interval.start, calendar: calendar))-to-\(DayString.of(lastDay, calendar: calendar)).csv"
        )
    }

    /// One page of an export as CSV lines, and where the next page starts (nil at the end).
    public func exportPage(
        _ export: Export, after cursor: ConsentStore.LedgerCursor?, limit: Int = 1000
    ) async throws -> (csv: String, next: ConsentStore.LedgerCursor?) {
        let rows = try await app.database.read { sql in
            try await ConsentStore(sql).ledger(
                in: export.accountID, from: export.interval.start, until: export.interval.end, after: cursor,
                limit: limit)
        }
        var csv = ""
        for row in rows {
            csv += LedgerCSV.line(
                occurredAt: row.occurredAt, phone: row.phone.e164, scope: row.change.scope.rawValue,
                from: row.change.from, to: row.change.to, method: row.method, actorKind: row.actor.kind.rawValue,
                actorID: row.actor.id, actorName: row.actor.name, messageID: row.messageID?.rawValue)
        }
        let next =
            rows.count == limit
            ? rows.last.map { ConsentStore.LedgerCursor(occurredAt: $0.occurredAt, id: $0.id) } : nil
        return (csv, next)
    }
}
