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

    struct Row: QueueRow {
        typealias Key = String
        static let mapping = TableMapping<Self>(table: "emails")
        static let queue = WorkQueue<Self>(
            stateColumn: "status", waiting: EmailStatus.queued.rawValue, working: EmailStatus.sending.rawValue,
            failed: EmailStatus.failed.rawValue, dueColumn: "not_before", reasonColumn: "error_message",
            order: ["q.not_before", "q.id"])

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

    public func insert(_ email: Email) async throws {
        try await sql.insert(Row(email))
    }

    /// Records how a send ended, only if the row is still this worker's claim (same attempt): a
    /// claim that another worker took over after it went stale is not overwritten.
    @discardableResult
    public func settle(_ email: Email) async throws -> Bool {
        let updated = try await Row.queue.stillClaimed(sql.update(Row(email)), attempts: email.attempts)
            .returning("id")
        return !updated.isEmpty
    }

    public func emails(ofJob jobID: JobID, in accountID: AccountID) async throws -> [Email] {
        try await sql.select(Row.self)
            .where("account_id", .equal, accountID.rawValue).where("job_id", .equal, jobID.rawValue)
            .orderBy("created_at").orderBy("id").all().map { try $0.stored(Row.self).email }
    }

    public func all(in accountID: AccountID) async throws -> [Email] {
        try await sql.select(Row.self).where("account_id", .equal, accountID.rawValue)
            .orderBy("created_at").orderBy("id").all().map { try $0.stored(Row.self).email }
    }

    /// Claims up to `limit` due emails: queued ones whose time has come, and ones left `sending`
    /// by a worker that stopped (claimed before `staleBefore`).
    public func claimDue(limit: Int, at instant: Date, staleBefore: Date) async throws -> [Email] {
        try await Row.queue.claim(in: sql, limit: limit, at: instant, staleBefore: staleBefore) { try $0.email }
    }

    /// When the next queued email is due, if any.
    public func nextDue() async throws -> Date? {
        try await Row.queue.nextDue(in: sql)
    }
}
