import FieldlineCore
import Foundation
import SQLKit

/// What the inbound pipeline needs to know about one text, read in one query: whether the provider
/// sent it before, whether its number is blocked, belongs to staff or to a customer, its consent,
/// its conversation, and the account's hours and name. The pipeline then decides in DESIGN's order
/// with these facts, inside the same transaction.
public struct InboundStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    /// The one place a stored value this version cannot read is not `CorruptRow`: the inbound
    /// pipeline must record every text, a STOP above all, and a failed webhook would only be retried
    /// by the carrier, failing again. Here an unreadable consent, line type or thread state reads
    /// as the number's first state (no marketing consent, unknown, open); what the text changes is
    /// written back in a form that reads.
    static func lenient<T: RawRepresentable>(_ raw: String?, _ first: T) -> T where T.RawValue == String {
        raw.flatMap(T.init(rawValue:)) ?? first
    }

    public struct Facts: Sendable {
        public var duplicate: Bool
        public var blocked: Bool
        /// Set when the number is an active technician's or user's phone (FS7).
        public var employee: MessageAuthor?
        public var consent: SMSConsent
        public var contact: PhoneContact?
        public var customerName: String?
        public var conversation: Conversation?
        /// The account's name, for the keyword answers.
        public var companyName: String
        /// The after-hours reply with the hours it depends on; nil when it is switched off (its
        /// hours are then not even decoded).
        public var afterHours: AfterHours?
        /// Whether a consent state is stored for the number (not the default).
        public var consentRecorded: Bool
        /// The account's erasure key, once it has erased a customer (OP3): a number with no consent
        /// state may be one whose state was kept under its hash.
        public var erasureKey: String?
    }

    public struct AfterHours: Sendable {
        public var text: String
        public var businessHours: BusinessHours
        public var calendar: Calendar
    }

    public func facts(
        providerMessageID: String, phone: PhoneNumber, in accountID: AccountID
    ) async throws -> Facts {
        let accountKey = accountID.rawValue
        let number = phone.e164
        // Scalar subqueries and four LEFT JOINs rather than nine: PostgreSQL plans every execution
        // of this statement, and the wide join cost more to plan than to run.
        let query: SQLQueryString = """
            SELECT a.name AS account_name, a.time_zone AS account_time_zone,
                   a.business_hours AS account_business_hours, a.autoreply_enabled AS account_autoreply_enabled,
                   a.autoreply_text AS account_autoreply_text, a.erasure_key AS account_erasure_key,
                   sc.phone AS consent_phone,
                   (SELECT id FROM messages WHERE account_id = a.id
                       AND provider_message_id = \(bind: providerMessageID)) AS duplicate,
                   (SELECT phone FROM blocked_numbers WHERE account_id = a.id AND phone = \(bind: number)) AS blocked,
                   (SELECT id FROM technicians WHERE account_id = a.id AND phone = \(bind: number)
                       AND active = \(bind: true) LIMIT 1) AS technician_id,
                   (SELECT id FROM users WHERE account_id = a.id AND phone = \(bind: number)
                       AND active = \(bind: true) LIMIT 1) AS user_id,
                   (SELECT name FROM customers WHERE id = pc.customer_id) AS customer_name,
                   sc.opted_out, sc.marketing, sc.confirmation_owed, sc.double_opt_in_until,
                   pc.id AS contact_id, pc.customer_id AS contact_customer_id, pc.kind AS contact_kind,
                   pc.label AS contact_label, pc.job_notifications AS contact_job_notifications,
                   pc.marketing_updates AS contact_marketing_updates, pc.created_at AS contact_created_at,
                   cv.id AS conversation_id, cv.sender_number_id AS conversation_sender_number_id,
                   cv.job_id AS conversation_job_id, cv.status AS conversation_status,
                   cv.unread AS conversation_unread, cv.awaiting_reply AS conversation_awaiting_reply,
                   cv.last_message_at AS conversation_last_message_at,
                   cv.last_message_preview AS conversation_last_message_preview,
                   cv.last_message_direction AS conversation_last_message_direction,
                   cv.autoreply_period AS conversation_autoreply_period,
                   cv.created_at AS conversation_created_at, cv.closed_at AS conversation_closed_at
            FROM accounts a
            LEFT JOIN sms_consent sc ON sc.account_id = a.id AND sc.phone = \(bind: number)
            LEFT JOIN phone_contacts pc ON pc.account_id = a.id AND pc.e164 = \(bind: number)
            LEFT JOIN conversations cv ON cv.account_id = a.id AND cv.phone = \(bind: number)
            WHERE a.id = \(bind: accountKey)
            """
        guard let row = try await sql.raw(query).first() else {
            throw FieldlineError.notFound(entity: "account", id: accountKey)
        }
        // Read column by column: this runs for every inbound text, and Decodable with snake-case key
        // conversion costs more than the query itself.
        func text(_ column: String) throws -> String? { try row.decode(column: column, as: String?.self) }
        func flag(_ column: String) throws -> Bool? { try row.decode(column: column, as: Bool?.self) }
        func date(_ column: String) throws -> Date? { try row.decode(column: column, as: Date?.self) }
        var employee: MessageAuthor?
        if let id = try text("technician_id") {
            employee = try await name(of: id, in: "technicians").map {
                MessageAuthor(kind: .employee, id: id, name: $0)
            }
        } else if let id = try text("user_id") {
            employee = try await name(of: id, in: "users").map { MessageAuthor(kind: .employee, id: id, name: $0) }
        }
        let consent = SMSConsent(
            phone: phone, optedOut: try flag("opted_out") ?? false,
            marketing: Self.lenient(try text("marketing"), .none),
            confirmationOwed: try flag("confirmation_owed") ?? false,
            doubleOptInPendingUntil: try date("double_opt_in_until"))
        var contact: PhoneContact?
        if let id = try text("contact_id"), let customerID = try text("contact_customer_id") {
            contact = PhoneContact(
                id: PhoneContactID(id), accountID: accountID, customerID: CustomerID(customerID), number: phone,
                kind: Self.lenient(try text("contact_kind"), .unknown),
                label: try text("contact_label"),
                preferences: NotificationPreferences(
                    jobNotifications: try flag("contact_job_notifications") ?? true,
                    marketingUpdates: try flag("contact_marketing_updates") ?? false),
                createdAt: try date("contact_created_at") ?? Date(timeIntervalSince1970: 0))
        }
        var conversation: Conversation?
        if let id = try text("conversation_id"), let lastMessageAt = try date("conversation_last_message_at"),
            let createdAt = try date("conversation_created_at")
        {
            conversation = Conversation(
                id: ConversationID(id), accountID: accountID, phone: phone,
                senderNumberID: try text("conversation_sender_number_id").map(SenderNumberID.init),
                jobID: try text("conversation_job_id").map(JobID.init),
                status: Self.lenient(try text("conversation_status"), .open),
                unread: try flag("conversation_unread") ?? false,
                awaitingReply: try flag("conversation_awaiting_reply") ?? false,
                lastMessageAt: lastMessageAt, lastMessagePreview: try text("conversation_last_message_preview") ?? "",
                lastMessageDirection: try text("conversation_last_message_direction").flatMap(
                    MessageDirection.init(rawValue:))
                    ?? .inbound,
                autoreplyPeriod: try text("conversation_autoreply_period"), createdAt: createdAt,
                closedAt: try date("conversation_closed_at"))
        }
        var afterHours: AfterHours?
        if try flag("account_autoreply_enabled") == true, let hours = try text("account_business_hours") {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: try text("account_time_zone") ?? "UTC") ?? .gmt
            afterHours = AfterHours(
                text: try text("account_autoreply_text") ?? Autoreply.defaultText,
                businessHours: try JSONColumn.decode(BusinessHours.self, from: hours), calendar: calendar)
        }
        return Facts(
            duplicate: try text("duplicate") != nil, blocked: try text("blocked") != nil, employee: employee,
            consent: consent,
            contact: contact, customerName: try text("customer_name"), conversation: conversation,
            companyName: try text("account_name") ?? "", afterHours: afterHours,
            consentRecorded: try text("consent_phone") != nil, erasureKey: try text("account_erasure_key"))
    }

    /// A staff member's name, for the rare text that goes to the dispatch board.
    private func name(of id: String, in table: String) async throws -> String? {
        try await sql.select().column("name").from(table).where("id", .equal, id).first()?
            .decode(column: "name", as: String.self)
    }
}
