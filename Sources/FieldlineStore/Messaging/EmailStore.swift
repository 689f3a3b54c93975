import FieldlineCore
import Foundation
import SQLKit

/// Emails Fieldline sends, each a row that is also its place in the queue: queued → sending →
/// sent, or failed; the worker claims due rows and the provider's idempotency key (the row id)
/// makes a retried send go out once.
public struct EmailStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    var isPostgres: Bool { sql.dialect.name == "postgresql" }

    struct Row: Codable {
        var id: String
        var accountId: String
        var jobId: String?
        var purpose: String
        var automation: String?
        var toAddress: String
        var fromName: String
        var subject: String
        var htmlBody: String
        var textBody: String
        var status: String
        var attempts: Int
        var notBefore: Date
        var claimedAt: Date?
        var providerMessageId: String?
        var errorMessage: String?
        var createdAt: Date
        var sentAt: Date?

        init(_ email: Email) {
            id = email.id.rawValue
            accountId = email.accountID.rawValue
            jobId = email.jobID?.rawValue
            purpose = email.purpose.rawValue
            automation = email.automation?.rawValue
            toAddress = email.to.value
            fromName = email.fromName
            subject = email.subject
            htmlBody = email.html
            textBody = email.text
            status = email.status.rawValue
            attempts = email.attempts
            notBefore = email.notBefore
            claimedAt = email.claimedAt
            providerMessageId = email.providerMessageID
            errorMessage = email.errorMessage
            createdAt = email.createdAt
            sentAt = email.sentAt
        }

        var email: Email {
            get throws {
                Email(
                    id: EmailID(id), accountID: AccountID(accountId), jobID: jobId.map(JobID.init),
                    purpose: try MessagePurpose.stored(purpose, table: "emails", column: "purpose"),
                    automation: try Automation.stored(ifAny: automation, table: "emails", column: "automation"),
                    to: EmailAddress(storedValue: toAddress),
                    fromName: fromName, subject: subject, html: htmlBody, text: textBody,
                    status: try EmailStatus.stored(status, table: "emails", column: "status"), attempts: attempts,
                    notBefore: notBefore,
                    claimedAt: claimedAt, providerMessageID: providerMessageId, errorMessage: errorMessage,
                    createdAt: createdAt, sentAt: sentAt)
            }
        }
    }

    static let columns = [
        "id", "account_id", "job_id", "purpose", "automation", "to_address", "from_name", "subject", "html_body",
        "text_body", "status", "attempts", "not_before", "claimed_at", "provider_message_id", "error_message",
        "created_at", "sent_at",
    ]

    public func insert(_ email: Email) async throws {
        try await sql.insert(into: "emails").record(Row(email)).run()
    }

    /// Records how a send ended, only if the row is still this worker's claim (same attempt): a
    /// claim that another worker took over after it went stale is not overwritten.
    @discardableResult
    public func settle(_ email: Email) async throws -> Bool {
        let updated = try await sql.update("emails").record(Row(email))
            .where("id", .equal, email.id.rawValue).where("status", .equal, EmailStatus.sending.rawValue)
            .where("attempts", .equal, email.attempts)
            .returning("id").all()
        return !updated.isEmpty
    }

    public func emails(ofJob jobID: JobID, in accountID: AccountID) async throws -> [Email] {
        try await sql.select().columns(Self.columns).from("emails")
            .where("account_id", .equal, accountID.rawValue).where("job_id", .equal, jobID.rawValue)
            .orderBy("created_at").orderBy("id").all().map { try $0.record(Row.self).email }
    }

    public func all(in accountID: AccountID) async throws -> [Email] {
        try await sql.select().columns(Self.columns).from("emails").where("account_id", .equal, accountID.rawValue)
            .orderBy("created_at").orderBy("id").all().map { try $0.record(Row.self).email }
    }

    /// Claims up to `limit` due emails: queued ones whose time has come, and ones left `sending`
    /// by a worker that stopped (claimed before `staleBefore`).
    public func claimDue(limit: Int, at instant: Date, staleBefore: Date) async throws -> [Email] {
        let query = sql.select().columns(Self.columns).from("emails")
            .where { group in
                group.where { queued in
                    queued.where("status", .equal, EmailStatus.queued.rawValue)
                        .where("not_before", .lessThanOrEqual, instant)
                }
                .orWhere { stale in
                    stale.where("status", .equal, EmailStatus.sending.rawValue)
                        .where("claimed_at", .lessThan, staleBefore)
                }
            }
            .orderBy("not_before").orderBy("id").limit(limit)
        if isPostgres { query.lockingClause(SQLRaw("FOR UPDATE SKIP LOCKED")) }
        var emails = try await CorruptRow.readable(try await query.all(), decode: { try $0.record(Row.self).email }) {
            id, reason in
            try await sql.update("emails").set("status", to: EmailStatus.failed.rawValue)
                .set("error_message", to: reason.description).where("id", .equal, id).run()
        }
        guard !emails.isEmpty else { return [] }
        try await sql.update("emails")
            .set("status", to: EmailStatus.sending.rawValue).set("claimed_at", to: instant)
            .set(SQLIdentifier("attempts"), to: SQLRaw("attempts + 1"))
            .where("id", .in, emails.map(\.id.rawValue)).run()
        for index in emails.indices {
            emails[index].status = .sending
            emails[index].claimedAt = instant
            emails[index].attempts += 1
        }
        return emails
    }

    /// When the next queued email is due, if any.
    public func nextDue() async throws -> Date? {
        try await sql.select().column("not_before").from("emails").where("status", .equal, EmailStatus.queued.rawValue)
            .orderBy("not_before").limit(1).first()?.decode(column: "not_before", as: Date.self)
    }
}
