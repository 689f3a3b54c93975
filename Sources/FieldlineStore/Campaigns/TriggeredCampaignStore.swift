import FieldlineCore
import Foundation
import SQLKit

/// The triggered campaigns' settings and the record of every time one fired.
public struct TriggeredCampaignStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct Row: StoredRow {
        static let mapping = TableMapping<Self>(table: "triggered_campaigns")

        var accountId: String
        var kind: String
        var enabled: Bool
        var template: String
        var days: Int?
        var followOnUrl: String?
        var updatedAt: Date
    }

    /// All three for an account; one never saved has its defaults and is off.
    public func campaigns(of accountID: AccountID) async throws -> [TriggeredCampaign] {
        let rows = try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).all().map { try $0.stored(Row.self) }
        return TriggeredCampaignKind.allCases.map { kind in
            guard let row = rows.first(where: { $0.kind == kind.rawValue }) else {
                return TriggeredCampaign(accountID: accountID, kind: kind)
            }
            return TriggeredCampaign(
                accountID: accountID, kind: kind, enabled: row.enabled, template: row.template, days: row.days,
                followOnURL: row.followOnUrl, updatedAt: row.updatedAt)
        }
    }

    public func campaign(_ kind: TriggeredCampaignKind, of accountID: AccountID) async throws -> TriggeredCampaign {
        try await campaigns(of: accountID).first { $0.kind == kind }
            ?? TriggeredCampaign(accountID: accountID, kind: kind)
    }

    /// Every account's enabled campaigns of these kinds: what the scheduler works through.
    public func enabled(_ kinds: [TriggeredCampaignKind]) async throws -> [TriggeredCampaign] {
        try await sql.select(Row.self).where("enabled", .equal, true)
            .where("kind", .in, kinds.map(\.rawValue)).orderBy("account_id").orderBy("kind")
            .all().map { try $0.stored(Row.self) }
            .compactMap { row in
                TriggeredCampaignKind(rawValue: row.kind).map { kind in
                    TriggeredCampaign(
                        accountID: AccountID(row.accountId), kind: kind, enabled: row.enabled, template: row.template,
                        days: row.days, followOnURL: row.followOnUrl, updatedAt: row.updatedAt)
                }
            }
    }

    public func save(_ campaign: TriggeredCampaign) async throws {
        try await sql.upsert(
            Row(
                accountId: campaign.accountID.rawValue, kind: campaign.kind.rawValue, enabled: campaign.enabled,
                template: campaign.template, days: campaign.days, followOnUrl: campaign.followOnURL,
                updatedAt: campaign.updatedAt),
            onConflict: ["account_id", "kind"])
    }

    // MARK: Runs

    struct RunRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "triggered_runs")

        var accountId: String
        var kind: String
        var subject: String
        var occurrence: String
        var phone: String?
        var messageId: String?
        var skipReason: String?
        var createdAt: Date
    }

    /// Records that a trigger fired, unless it already did: false means another server (or a
    /// retried webhook) got there first and nothing more should happen.
    public func claim(_ run: TriggeredRun, in accountID: AccountID) async throws -> Bool {
        try await sql.insert(
            RunRow(
                accountId: accountID.rawValue, kind: run.kind.rawValue, subject: run.subject,
                occurrence: run.occurrence, phone: run.phone?.e164, messageId: run.messageID?.rawValue,
                skipReason: run.skipReason, createdAt: run.createdAt),
            unlessConflictOn: ["account_id", "kind", "subject", "occurrence"])
    }

    /// What a claimed run came to: the text it queued or why none went.
    public func settle(_ run: TriggeredRun, in accountID: AccountID) async throws {
        try await sql.update("triggered_runs")
            .set("phone", to: SQLBind(run.phone?.e164)).set("message_id", to: SQLBind(run.messageID?.rawValue))
            .set("skip_reason", to: SQLBind(run.skipReason))
            .where("account_id", .equal, accountID.rawValue).where("kind", .equal, run.kind.rawValue)
            .where("subject", .equal, run.subject).where("occurrence", .equal, run.occurrence).run()
    }

    /// Holds the account's row of this kind until the transaction ends, so two servers deciding
    /// "texted recently?" for the same caller at once take turns (SQLite's one writer does this
    /// by itself).
    public func lock(_ kind: TriggeredCampaignKind, of accountID: AccountID) async throws {
        try await sql.update("triggered_campaigns").set("enabled", to: SQLColumn("enabled"))
            .where("account_id", .equal, accountID.rawValue).where("kind", .equal, kind.rawValue).run()
    }

    /// Why a queued follow-up or reminder should no longer go, if it should not: the campaign was
    /// switched off, the estimate was answered, the service was done, moved or removed.
    public func withdrawal(ofMessage id: MessageID, in accountID: AccountID) async throws -> ErrorCode? {
        guard
            let row = try await sql.raw(
                """
                SELECT r.kind AS kind, r.occurrence AS occurrence,
                  (SELECT t.enabled FROM triggered_campaigns t
                    WHERE t.account_id = r.account_id AND t.kind = r.kind) AS enabled,
                  (SELECT e.status FROM estimates e
                    WHERE e.id = r.subject AND e.account_id = r.account_id) AS estimate_status,
                  (SELECT s.next_due FROM recurring_services s
                    WHERE s.id = r.subject AND s.account_id = r.account_id) AS next_due
                FROM triggered_runs r
                WHERE r.message_id = \(bind: id.rawValue) AND r.account_id = \(bind: accountID.rawValue)
                """
            ).first()
        else { return nil }
        guard try row.decode(column: "enabled", as: Bool?.self) == true else { return .automaticTextOff }
        switch TriggeredCampaignKind(rawValue: try row.decode(column: "kind", as: String.self)) {
        case .estimateFollowUp:
            let status = try row.decode(column: "estimate_status", as: String?.self)
            return status == EstimateStatus.open.rawValue ? nil : .estimateAnswered
        case .serviceReminder:
            let due = try row.decode(column: "next_due", as: String?.self)
            return due == (try row.decode(column: "occurrence", as: String.self)) ? nil : .serviceChanged
        case .missedCall, nil:
            return nil
        }
    }

    /// A queued text that the outbox stopped at the last moment: the run counts as skipped, with
    /// the reason.
    public func withdraw(message id: MessageID, reason: String, in accountID: AccountID) async throws {
        try await sql.update("triggered_runs").set("skip_reason", to: SQLBind(reason))
            .where("message_id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue).run()
    }

    /// Whether a text went to `subject` for this kind since `instant` (the text-back's quiet period).
    public func textedRecently(
        _ kind: TriggeredCampaignKind, subject: String, since instant: Date, in accountID: AccountID
    ) async throws -> Bool {
        try await sql.select().column("subject").from("triggered_runs")
            .where("account_id", .equal, accountID.rawValue).where("kind", .equal, kind.rawValue)
            .where("subject", .equal, subject).where("created_at", .greaterThanOrEqual, instant)
            .where("message_id", .isNot, SQLLiteral.null).limit(1).first() != nil
    }

    /// The latest runs of a kind, newest first.
    public func recentRuns(
        _ kind: TriggeredCampaignKind, in accountID: AccountID, limit: Int
    ) async throws -> [TriggeredRun] {
        try await sql.select(RunRow.self).where("account_id", .equal, accountID.rawValue)
            .where("kind", .equal, kind.rawValue).orderBy("created_at", .descending).orderBy("subject").limit(limit)
            .all().map { try $0.stored(RunRow.self) }
            .map { row in
                TriggeredRun(
                    kind: kind, subject: row.subject, occurrence: row.occurrence,
                    phone: row.phone.map(PhoneNumber.init(storedE164:)),
                    messageID: row.messageId.map(MessageID.init),
                    skipReason: row.skipReason, createdAt: row.createdAt)
            }
    }

    /// Texts queued and runs skipped since `instant`, per kind.
    public func tally(
        since instant: Date, in accountID: AccountID
    ) async throws -> [TriggeredCampaignKind: (sent: Int, skipped: Int)] {
        let rows = try await sql.select().column("kind")
            .column(
                SQLRaw("SUM(CASE WHEN skip_reason IS NULL AND message_id IS NOT NULL THEN 1 ELSE 0 END)"), as: "sent"
            )
            .column(SQLRaw("SUM(CASE WHEN skip_reason IS NOT NULL THEN 1 ELSE 0 END)"), as: "skipped")
            .from("triggered_runs").where("account_id", .equal, accountID.rawValue)
            .where("created_at", .greaterThanOrEqual, instant).groupBy("kind").all()
        var result: [TriggeredCampaignKind: (sent: Int, skipped: Int)] = [:]
        for row in rows {
            guard let kind = TriggeredCampaignKind(rawValue: try row.decode(column: "kind", as: String.self)) else {
                continue
            }
            result[kind] = (
                try row.decode(column: "sent", as: Int?.self) ?? 0,
                try row.decode(column: "skipped", as: Int?.self) ?? 0
            )
        }
        return result
    }
}
