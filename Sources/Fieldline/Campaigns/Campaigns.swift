import FieldlineCore
import FieldlineStore
import Foundation
import Logging
import SQLKit

/// Marketing campaigns (SC6, SC8): marketers write one, choose its audience, see how many numbers
/// it will reach, and send it now or at a time. The scheduler queues it in slices through the
/// Messenger's gate; the outbox sends it from the marketing number at that number's rate.
public struct Campaigns: Sendable {
    let app: Fieldline

    /// Numbers queued per transaction: small enough that inbound texts never wait long for the
    /// database, large enough that 100,000 recipients take seconds.
    public static let sliceSize = 2000
    /// A queuing campaign whose server stopped renewing it for this long is taken over.
    public static let leaseDuration: TimeInterval = 120

    public struct Draft: Sendable {
        public var name: String?
        public var body: String?
        public var audience: CampaignAudience

        public init(name: String?, body: String?, audience: CampaignAudience) {
            self.name = name
            self.body = body
            self.audience = audience
        }
    }

    /// When a campaign goes: kept as a draft, now, or at an instant.
    public enum Timing: Sendable, Equatable {
        case draft
        case now
        case at(Date)
    }

    public struct Summary: Sendable {
        public var campaign: Campaign
        public var progress: CampaignProgress
    }

    public func create(_ draft: Draft, timing: Timing, by actor: Actor) async throws -> Campaign {
        try actor.require(.manageMarketing)
        let now = app.clock.now()
        var campaign = Campaign(
            id: .generate(), accountID: actor.accountID, name: try CampaignRules.validatedName(draft.name),
            body: try CampaignRules.validatedBody(draft.body),
            audience: try CampaignRules.validatedAudience(draft.audience), status: .draft, scheduledAt: nil,
            queuedAt: nil, createdBy: .user(actor), createdAt: now, updatedAt: now)
        try apply(timing, to: &campaign, now: now)
        let created = campaign
        try await app.database.write { sql in
            if created.status == .scheduled { try await requireReady(actor.accountID, sql: sql) }
            try await CampaignStore(sql).insert(created)
        }
        if created.status == .scheduled { app.campaignSignal.signal() }
        return created
    }

    /// Changes a draft or scheduled campaign; `timing` nil keeps its timing.
    public func update(_ id: CampaignID, _ draft: Draft, timing: Timing?, by actor: Actor) async throws -> Campaign {
        try actor.require(.manageMarketing)
        let name = try CampaignRules.validatedName(draft.name)
        let body = try CampaignRules.validatedBody(draft.body)
        let audience = try CampaignRules.validatedAudience(draft.audience)
        let updated = try await app.database.write { sql in
            let store = CampaignStore(sql)
            guard var campaign = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "campaign", id: id.rawValue)
            }
            let previous = campaign.status
            guard CampaignRules.isEditable(previous) else { throw Self.notEditable(campaign) }
            let now = app.clock.now()
            campaign.name = name
            campaign.body = body
            campaign.audience = audience
            campaign.updatedAt = now
            if let timing { try apply(timing, to: &campaign, now: now) }
            if campaign.status == .scheduled {
                try await requireReady(actor.accountID, sql: sql)
                campaign.problem = nil
            }
            guard try await store.update(campaign, expecting: [previous]) else {
                throw FieldlineError.conflict(
                    code: .campaignChanged, message: "The campaign changed meanwhile; reload and try again.")
            }
            return campaign
        }
        if updated.status == .scheduled { app.campaignSignal.signal() }
        return updated
    }

    /// Stops a campaign. Texts not yet handed to a worker are taken back and count as skipped
    /// ("campaign_canceled"); what already went, went.
    public func cancel(_ id: CampaignID, by actor: Actor) async throws -> Campaign {
        try actor.require(.manageMarketing)
        return try await app.transaction { sql, effects in
            let store = CampaignStore(sql)
            guard var campaign = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "campaign", id: id.rawValue)
            }
            let previous = campaign.status
            guard previous != .canceled else { return campaign }
            let now = app.clock.now()
            campaign.status = .canceled
            campaign.updatedAt = now
            guard try await store.update(campaign, expecting: [previous]) else {
                throw FieldlineError.conflict(
                    code: .campaignChanged, message: "The campaign changed meanwhile; reload and try again.")
            }
            let waiting = try await store.pendingMessages(of: id, in: actor.accountID)
            let taken = try await OutboxStore(sql).removePending(messages: waiting)
            let messages = MessageStore(sql)
            for messageID in taken {
                try await messages.advance(
                    messageID, to: .canceled, errorCode: "campaign_canceled",
                    errorMessage: "The campaign was canceled before this text went out.", at: now)
            }
            return campaign
        }
    }

    public func find(_ id: CampaignID, by actor: Actor) async throws -> Summary {
        try actor.require(.manageMarketing)
        return try await app.database.read { sql in
            let store = CampaignStore(sql)
            guard let campaign = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "campaign", id: id.rawValue)
            }
            return Summary(
                campaign: campaign, progress: try await store.progress(of: id, in: actor.accountID, at: app.clock.now())
            )
        }
    }

    /// Newest first.
    public func all(paging: Paging = .firstPage, by actor: Actor) async throws -> [Summary] {
        try actor.require(.manageMarketing)
        return try await app.database.read { sql in
            let store = CampaignStore(sql)
            let now = app.clock.now()
            var summaries: [Summary] = []
            for campaign in try await store.all(in: actor.accountID, limit: paging.limit, offset: paging.offset) {
                summaries.append(
                    Summary(
                        campaign: campaign,
                        progress: try await store.progress(of: campaign.id, in: actor.accountID, at: now)))
            }
            return summaries
        }
    }

    // MARK: The audience

    public struct AudiencePreview: Sendable, Equatable {
        /// Numbers with explicit marketing consent among the matching customers.
        public var consenting: Int
        /// Of those, the ones the gate admits now (the campaign's audience if sent now).
        public var admitted: Int
        /// Of the admitted, the ones quiet hours would hold.
        public var heldForQuietHours: Int
        /// Why the others would be skipped.
        public var skipped: [String: Int]
        /// Whether the account can send marketing at all, and if not, why.
        public var blockedBecause: String?
    }

    /// How many numbers a campaign with `audience` would text if sent now: the same audience
    /// query and the same gate as the real thing, writing nothing.
    public func preview(_ audience: CampaignAudience, by actor: Actor) async throws -> AudiencePreview {
        try actor.require(.manageMarketing)
        let audience = try CampaignRules.validatedAudience(audience)
        return try await app.database.read { sql in
            var preview = AudiencePreview(consenting: 0, admitted: 0, heldForQuietHours: 0, skipped: [:])
            var after: PhoneNumber?
            let since = try await Self.marketingSince(actor.accountID, now: app.clock.now(), sql: sql)
            while true {
                let members = try await CampaignStore(sql).audience(
                    audience, in: actor.accountID, excludingTakenBy: nil, after: after, limit: Self.sliceSize,
                    marketingSince: since)
                guard let last = members.last else { break }
                after = last.phone
                preview.consenting += members.count
                let admissions: [PhoneNumber: Messenger.Admission]
                do {
                    admissions = try await app.messenger.admissions(of: members, accountID: actor.accountID, in: sql)
                } catch let error as FieldlineError {
                    preview.blockedBecause = error.message
                    continue
                }
                for admission in admissions.values {
                    switch admission {
                    case .admitted(_, let held):
                        preview.admitted += 1
                        if held { preview.heldForQuietHours += 1 }
                    case .refused(let code):
                        preview.skipped[code, default: 0] += 1
                    }
                }
            }
            if preview.blockedBecause == nil {
                do {
                    try await requireReady(actor.accountID, sql: sql)
                } catch let error as FieldlineError {
                    preview.blockedBecause = error.message
                }
            }
            return preview
        }
    }

    /// Where the account's frequency window starts (CP4).
    static func marketingSince(_ accountID: AccountID, now: Date, sql: any SQLDatabase) async throws -> Date {
        guard let account = try await AccountStore(sql).find(accountID) else {
            throw FieldlineError.notFound(entity: "account", id: accountID.rawValue)
        }
        return account.marketingLimit.windowStart(before: now)
    }

    // MARK: Queuing (the scheduler)

    /// Queues one claimed campaign, slice by slice, each in its own transaction. A slice records
    /// its recipients with their texts, so a campaign whose server stopped halfway resumes where
    /// it was (another server takes it over when the lease runs out) and no number gets it twice.
    /// Returns the number of recipients recorded.
    @discardableResult
    public func queue(_ id: CampaignID, in accountID: AccountID) async throws -> Int {
        guard
            let campaign = try await app.database.read({ sql in try await CampaignStore(sql).find(id, in: accountID) })
        else { return 0 }
        var after: PhoneNumber?
        var recorded = 0
        // PostgreSQL plans from statistics that autovacuum refreshes only every minute or so; a
        // campaign grows its tables from nothing to 100,000 rows faster than that, and stale
        // sizes make the "not yet taken" check and the progress query quadratic.
        var refreshStatisticsAt = Self.sliceSize
        while true {
            let cursor = after
            let outcome: (count: Int, last: PhoneNumber?, stop: Bool)
            do {
                outcome = try await app.transaction { sql, effects in
                    let store = CampaignStore(sql)
                    guard try await store.renew(id, at: app.clock.now()) else { return (0, nil, true) }
                    let since = try await Self.marketingSince(accountID, now: app.clock.now(), sql: sql)
                    let members = try await store.audience(
                        campaign.audience, in: accountID, excludingTakenBy: id, after: cursor, limit: Self.sliceSize,
                        marketingSince: since)
                    guard !members.isEmpty else { return (0, nil, false) }
                    let sent = try await app.messenger.sendMarketing(
                        campaign.textBody, to: members, accountID: accountID, author: .automated(.campaign), in: sql,
                        effects: effects)
                    let phones = members.map(\.phone)
                    try await store.insertRecipients(
                        phones.map { phone in
                            let outcome = sent[phone]
                            var reason: String?
                            if case .refused(let code)? = outcome?.admission { reason = code }
                            return CampaignStore.Recipient(
                                phone: phone, messageID: outcome?.messageID, skipReason: reason)
                        }, of: id, in: accountID)
                    return (phones.count, phones.last, false)
                }
            } catch let error as FieldlineError {
                // An account-wide refusal (registrations revoked, the marketing number removed)
                // would fail every retry: the campaign goes back to the marketer with the reason.
                try await stop(id, in: accountID, because: error.message)
                return recorded
            }
            if outcome.stop { return recorded }
            recorded += outcome.count
            if recorded >= refreshStatisticsAt {
                refreshStatisticsAt *= 2
                try await app.database.write { sql in try await CampaignStore(sql).refreshStatistics() }
            }
            guard let last = outcome.last else { break }
            after = last
        }
        try await app.database.write { sql in
            let store = CampaignStore(sql)
            guard var current = try await store.find(id, in: accountID), current.status == .queuing else { return }
            let now = app.clock.now()
            current.status = .queued
            current.queuedAt = now
            current.updatedAt = now
            try await store.update(current, expecting: [.queuing])
        }
        if recorded >= Self.sliceSize {
            try await app.database.write { sql in try await CampaignStore(sql).refreshStatistics() }
        }
        app.logger.info("Campaign queued", metadata: ["campaign": "\(id)", "recipients": "\(recorded)"])
        return recorded
    }

    /// Claims and queues every campaign that is due; returns how many it queued.
    @discardableResult
    public func queueDue() async throws -> Int {
        var queued = 0
        while true {
            let now = app.clock.now()
            let staleBefore = now.addingTimeInterval(-Self.leaseDuration)
            guard
                let (id, accountID) = try await app.database.read({ sql in
                    try await CampaignStore(sql).nextDue(at: now, staleBefore: staleBefore)
                })
            else { return queued }
            let claimed = try await app.database.write { sql in
                try await CampaignStore(sql).claim(id, at: now, staleBefore: staleBefore)
            }
            guard claimed else { continue }
            do {
                try await queue(id, in: accountID)
            } catch {
                // The lease runs out and the campaign is taken up again; nothing it queued is lost.
                app.logger.error("Campaign \(id) stopped while queuing: \(error)")
                throw error
            }
            queued += 1
        }
    }

    // MARK: Helpers

    private func stop(_ id: CampaignID, in accountID: AccountID, because problem: String) async throws {
        try await app.database.write { sql in
            let store = CampaignStore(sql)
            guard var campaign = try await store.find(id, in: accountID), campaign.status == .queuing else { return }
            campaign.status = .draft
            campaign.problem = problem
            campaign.updatedAt = app.clock.now()
            try await store.update(campaign, expecting: [.queuing])
        }
        app.logger.warning("Campaign \(id) stopped: \(problem)")
    }

    private func apply(_ timing: Timing, to campaign: inout Campaign, now: Date) throws {
        switch timing {
        case .draft:
            campaign.status = .draft
            campaign.scheduledAt = nil
        case .now:
            campaign.status = .scheduled
            campaign.scheduledAt = now
        case .at(let instant):
            campaign.status = .scheduled
            campaign.scheduledAt = try CampaignRules.validatedSchedule(instant, now: now)
        }
    }

    /// Why this account's campaigns cannot go out yet, if they cannot (for the pages' warning).
    public func readiness(by actor: Actor) async throws -> String? {
        try actor.require(.manageMarketing)
        return try await app.database.read { sql in
            do {
                try await requireReady(actor.accountID, sql: sql)
                return nil
            } catch let error as FieldlineError {
                return error.message
            }
        }
    }

    /// A campaign may be scheduled only when marketing can go out at all: both registrations
    /// approved and a marketing number set up.
    private func requireReady(_ accountID: AccountID, sql: any SQLDatabase) async throws {
        if let refusal = try await app.messenger.accountRefusal(
            purpose: .marketing, automation: .campaign, accountID: accountID, in: sql)
        {
            throw refusal
        }
    }

    private static func notEditable(_ campaign: Campaign) -> FieldlineError {
        .conflict(
            code: .campaign(campaign.status),
            message: "This campaign is \(campaign.status.label.lowercased()) and can no longer be changed.")
    }
}
