import FieldlineCore
import FieldlineStore
import Foundation
import Logging
import SQLKit

/// The transactional campaigns (SC2): unsold-estimate follow-ups, recurring-service reminders and
/// missed-call text-backs. Each time a trigger fires it claims a run row first (so it acts at most
/// once, on any number of servers) and sends through the Messenger like every other text: the
/// number's opt-out and "job notifications" preference decide, and follow-ups and reminders wait
/// for quiet hours.
public struct TriggeredCampaigns: Sendable {
    let app: Fieldline

    /// Refusals about the account rather than the recipient: the run is not recorded, so the
    /// trigger fires again once the account is fixed (while it is still due).
    /// How many things one pass handles before looking again.
    public static let batchSize = 200

    public struct Entry: Sendable {
        public var campaign: TriggeredCampaign
        /// The text with sample values, as the settings show it.
        public var preview: String
        public var sentLast30Days: Int
        public var skippedLast30Days: Int
        public var recent: [TriggeredRun]
    }

    public func overview(by actor: Actor) async throws -> [Entry] {
        try actor.require(.manageMarketing)
        let since = app.clock.now().addingTimeInterval(-30 * 86_400)
        return try await app.database.read { sql in
            let store = TriggeredCampaignStore(sql)
            let tally = try await store.tally(since: since, in: actor.accountID)
            let companyName = try await AccountStore(sql).find(actor.accountID)?.name ?? ""
            var entries: [Entry] = []
            for campaign in try await store.campaigns(of: actor.accountID) {
                entries.append(
                    Entry(
                        campaign: campaign, preview: Self.preview(campaign, companyName: companyName),
                        sentLast30Days: tally[campaign.kind]?.sent ?? 0,
                        skippedLast30Days: tally[campaign.kind]?.skipped ?? 0,
                        recent: try await store.recentRuns(campaign.kind, in: actor.accountID, limit: 10)))
            }
            return entries
        }
    }

    /// What stops automatic texts from going out for this account, in words; nil when nothing.
    public func readiness(of accountID: AccountID) async throws -> String? {
        try await app.database.read { sql in
            try await app.messenger.accountRefusal(
                purpose: .transactional, automation: nil, accountID: accountID, in: sql)?.message
        }
    }

    /// The text as the settings show it: sample values, with the account's own name.
    public static func preview(_ campaign: TriggeredCampaign, companyName: String) -> String {
        var values = TriggeredCampaignRules.sampleValues
        if !companyName.isEmpty { values.companyName = companyName }
        return (try? NoticeTemplate.parse(campaign.template, field: "template", allowed: campaign.kind.tokens))?
            .render(values, forText: true) ?? campaign.template
    }

    public struct Changes: Sendable {
        public var enabled: Bool?
        public var template: String?
        public var days: Int?
        /// Missed calls: the voicemail TwiML's address; empty removes it.
        public var followOnURL: String?

        public init(enabled: Bool? = nil, template: String? = nil, days: Int? = nil, followOnURL: String? = nil) {
            self.enabled = enabled
            self.template = template
            self.days = days
            self.followOnURL = followOnURL
        }
    }

    public func save(
        _ kind: TriggeredCampaignKind, _ changes: Changes, by actor: Actor
    ) async throws -> TriggeredCampaign {
        try actor.require(.manageMarketing)
        return try await app.database.write { sql in
            let store = TriggeredCampaignStore(sql)
            var campaign = try await store.campaign(kind, of: actor.accountID)
            if let enabled = changes.enabled { campaign.enabled = enabled }
            if let template = changes.template { campaign.template = template }
            if let days = changes.days { campaign.days = days }
            if let url = changes.followOnURL { campaign.followOnURL = url }
            campaign = try TriggeredCampaignRules.validated(campaign)
            campaign.updatedAt = app.clock.now()
            try await store.save(campaign)
            return campaign
        }
    }

    // MARK: Follow-ups and reminders

    /// One pass over every account's enabled follow-ups and reminders: everything due is texted
    /// (or recorded as skipped). Returns how many texts were queued.
    @discardableResult
    public func runDue() async throws -> Int {
        let campaigns = try await app.database.read { sql in
            try await TriggeredCampaignStore(sql).enabled([.estimateFollowUp, .serviceReminder])
        }
        var queued = 0
        for campaign in campaigns {
            do {
                queued += try await runDue(campaign)
            } catch {
                app.logger.error("\(campaign.kind.title) for account \(campaign.accountID): \(error)")
            }
        }
        return queued
    }

    private func runDue(_ campaign: TriggeredCampaign) async throws -> Int {
        guard let account = try await app.database.read({ sql in try await AccountStore(sql).find(campaign.accountID) })
        else { return 0 }
        // An account that cannot text at all is passed over until it can; what fell due meanwhile
        // goes then, while it is still due.
        if let problem = try await readiness(of: account.id) {
            app.logger.debug("\(campaign.kind.title) for account \(account.id) waits: \(problem)")
            return 0
        }
        let template = try NoticeTemplate.parse(campaign.template, field: "template", allowed: campaign.kind.tokens)
        let days = campaign.days ?? campaign.kind.defaultDays ?? 1
        var queued = 0
        while true {
            let now = app.clock.now()
            let due: [Subject] = try await app.database.read { sql in
                let store = EstimateStore(sql)
                switch campaign.kind {
                case .estimateFollowUp:
                    let given = TriggeredCampaignRules.followUpGiven(days: days, now: now)
                    return try await store.awaitingFollowUp(
                        in: account.id, givenFrom: given.from, givenUntil: given.until, limit: Self.batchSize
                    ).map(Subject.estimate)
                case .serviceReminder:
                    guard
                        let range = TriggeredCampaignRules.reminderDays(
                            today: DayString.of(now, calendar: account.calendar), days: days)
                    else { return [] }
                    return try await store.awaitingReminder(in: account.id, days: range, limit: Self.batchSize)
                        .map(Subject.service)
                case .missedCall:
                    return []
                }
            }
            for subject in due {
                do {
                    if try await fire(campaign.kind, for: subject, template: template, account: account) {
                        queued += 1
                    }
                } catch let error as FieldlineError where SendDecision.isAccountWide(error) {
                    // Nothing can go for this account now; the next pass tries again.
                    return queued
                }
            }
            if due.count < Self.batchSize { return queued }
        }
    }

    enum Subject: Sendable {
        case estimate(Estimate)
        case service(RecurringService)
    }

    /// Claims and sends one follow-up or reminder in one transaction; false when it was skipped
    /// (or another server had it, or the estimate or service changed since it was listed).
    private func fire(
        _ kind: TriggeredCampaignKind, for listed: Subject, template: NoticeTemplate, account: Account
    ) async throws -> Bool {
        try await app.transaction { sql, effects in
            let now = app.clock.now()
            let store = EstimateStore(sql)
            // Read again inside the transaction: answered or moved since the list was read, it is
            // not due any more.
            var values = NoticeValues(customerName: "", companyName: account.name)
            var run: TriggeredRun
            let customerID: CustomerID
            switch listed {
            case .estimate(let listedEstimate):
                guard let estimate = try await store.find(listedEstimate.id, in: account.id), estimate.status == .open
                else { return false }
                run = TriggeredRun(
                    kind: kind, subject: estimate.id.rawValue, occurrence: "1", phone: nil, messageID: nil,
                    skipReason: nil, createdAt: now)
                values.estimateSummary = estimate.summary
                customerID = estimate.customerID
            case .service(let listedService):
                guard let service = try await store.service(listedService.id, in: account.id),
                    service.nextDue == listedService.nextDue
                else { return false }
                run = TriggeredRun(
                    kind: kind, subject: service.id.rawValue, occurrence: service.nextDue, phone: nil, messageID: nil,
                    skipReason: nil, createdAt: now)
                values.serviceName = service.name
                values.dueDate = service.dueDateText
                customerID = service.customerID
            }
            let runs = TriggeredCampaignStore(sql)
            guard try await runs.claim(run, in: account.id) else { return false }
            let customers = CustomerStore(sql)
            guard let customer = try await customers.find(customerID, in: account.id) else { return false }
            values.customerName = customer.name
            let body = template.render(values, forText: true)
            // One text per customer: to the first number that can take one. The gate refuses
            // before it writes (a landline among others), so a refused number leaves nothing
            // behind and the next is tried; the first refusal is the run's reason.
            var refusal = "no_mobile_number"
            for phone in try await customers.phones(of: customer.id, in: account.id) {
                do {
                    let queued = try await app.messenger.send(
                        OutboundText(
                            accountID: account.id, to: phone.number, body: body, purpose: .transactional,
                            author: .automated(kind.automation), thread: .joinIfExists), in: sql, effects: effects)
                    run.phone = phone.number
                    run.messageID = queued.message.id
                    try await runs.settle(run, in: account.id)
                    return true
                } catch let error as FieldlineError where !SendDecision.isAccountWide(error) {
                    if run.phone == nil {
                        run.phone = phone.number
                        refusal = error.code
                    }
                }
            }
            run.skipReason = refusal
            try await runs.settle(run, in: account.id)
            return false
        }
    }

    // MARK: Missed calls

    /// Where Twilio should take a caller whose `<Dial>` went unanswered (the account's voicemail),
    /// if the account set one.
    public func followOnURL(of accountID: AccountID) async throws -> String? {
        try await app.database.read { sql in
            try await TriggeredCampaignStore(sql).campaign(.missedCall, of: accountID).followOnURL
        }
    }

    /// A call Twilio reported, to one of the account's numbers.
    public struct Call: Sendable {
        public var callID: String
        public var from: PhoneNumber
        public var to: SenderNumber

        public init(callID: String, from: PhoneNumber, to: SenderNumber) {
            self.callID = callID
            self.from = from
            self.to = to
        }
    }

    public enum TextBack: Sendable, Equatable {
        case queued(MessageID)
        /// Why no text went: the gate's refusal, `texted_recently`, `employee_number`.
        case skipped(String)
        case notEnabled
        /// The same call reported again (Twilio retries).
        case duplicate
    }

    /// Texts a caller nobody answered, from the number they called when it may send notices
    /// (else the account's default), at most once per call and once a day per caller.
    public func textBack(_ call: Call) async throws -> TextBack {
        let accountID = call.to.accountID
        return try await app.transaction { sql, effects in
            let runs = TriggeredCampaignStore(sql)
            let campaign = try await runs.campaign(.missedCall, of: accountID)
            guard campaign.enabled else { return .notEnabled }
            let now = app.clock.now()
            try await runs.lock(.missedCall, of: accountID)
            let textedRecently = try await runs.textedRecently(
                .missedCall, subject: call.from.e164,
                since: now.addingTimeInterval(-TriggeredCampaignRules.textBackQuietPeriod),
                in: accountID)
            var run = TriggeredRun(
                kind: .missedCall, subject: call.from.e164, occurrence: call.callID, phone: call.from, messageID: nil,
                skipReason: nil, createdAt: now)
            guard try await runs.claim(run, in: accountID) else { return .duplicate }
            let contact = try await CustomerStore(sql).phone(number: call.from, in: accountID)
            var skip: String?
            if textedRecently {
                skip = "texted_recently"
            } else if try await TechnicianStore(sql).employee(withPhone: call.from, in: accountID) != nil {
                skip = "employee_number"
            }
            if let skip {
                run.skipReason = skip
                try await runs.settle(run, in: accountID)
                return .skipped(skip)
            }
            guard let account = try await AccountStore(sql).find(accountID) else { return .notEnabled }
            var customerName = ""
            if let contact, let customer = try await CustomerStore(sql).find(contact.customerID, in: accountID) {
                customerName = customer.name
            }
            let template = try NoticeTemplate.parse(campaign.template, field: "template", allowed: campaign.kind.tokens)
            do {
                let queued = try await app.messenger.send(
                    OutboundText(
                        accountID: accountID, to: call.from,
                        body: template.render(
                            NoticeValues(customerName: customerName, companyName: account.name), forText: true),
                        purpose: .transactional, author: .automated(.missedCallTextBack),
                        sender: call.to.sends(.transactional) ? call.to.id : nil, thread: .joinIfExists), in: sql,
                    effects: effects)
                run.messageID = queued.message.id
                try await runs.settle(run, in: accountID)
                return .queued(queued.message.id)
            } catch let error as FieldlineError {
                run.skipReason = error.code
                try await runs.settle(run, in: accountID)
                return .skipped(error.code)
            }
        }
    }
}
