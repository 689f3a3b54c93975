import FieldlineCore
import Foundation
import SQLKit

/// Chat threads, one per phone number per account, with the shared inbox state.
public struct ConversationStore: Sendable {
    let sql: any SQLDatabase

    public init(_ sql: any SQLDatabase) {
        self.sql = sql
    }

    struct Row: StoredRow {
        static let mapping = TableMapping<Self>(table: "conversations")

        var id: String
        var accountId: String
        var phone: String
        var senderNumberId: String?
        var jobId: String?
        var status: String
        var unread: Bool
        var awaitingReply: Bool
        var inboxRank: Int
        var lastMessageAt: Date
        var lastMessagePreview: String
        var lastMessageDirection: String
        var autoreplyPeriod: String?
        var createdAt: Date
        var closedAt: Date?

        init(_ conversation: Conversation) {
            id = conversation.id.rawValue
            accountId = conversation.accountID.rawValue
            phone = conversation.phone.e164
            senderNumberId = conversation.senderNumberID?.rawValue
            jobId = conversation.jobID?.rawValue
            status = conversation.status.rawValue
            unread = conversation.unread
            awaitingReply = conversation.awaitingReply
            inboxRank = conversation.inboxState.rawValue
            lastMessageAt = conversation.lastMessageAt
            lastMessagePreview = conversation.lastMessagePreview
            lastMessageDirection = conversation.lastMessageDirection.rawValue
            autoreplyPeriod = conversation.autoreplyPeriod
            createdAt = conversation.createdAt
            closedAt = conversation.closedAt
        }

        var conversation: Conversation {
            get throws {
                Conversation(
                    id: ConversationID(id), accountID: AccountID(accountId), phone: PhoneNumber(storedE164: phone),
                    senderNumberID: senderNumberId.map(SenderNumberID.init), jobID: jobId.map(JobID.init),
                    status: try ConversationStatus.stored(status, table: "conversations", column: "status"),
                    unread: unread, awaitingReply: awaitingReply,
                    lastMessageAt: lastMessageAt, lastMessagePreview: lastMessagePreview,
                    lastMessageDirection: try MessageDirection.stored(
                        lastMessageDirection, table: "conversations", column: "last_message_direction"),
                    autoreplyPeriod: autoreplyPeriod, createdAt: createdAt, closedAt: closedAt)
            }
        }
    }

    /// The conflict code of two writers opening the same number's conversation at once.
    public static let raceCode = ErrorCode.conversationChanged

    /// Every inbound text writes its conversation: the mapping's insert text is built once.
    public func insert(_ conversation: Conversation) async throws {
        do {
            try await sql.insert(Row(conversation))
        } catch  where StoreErrors.isUniqueViolation(error) {
            throw FieldlineError.conflict(
                code: Self.raceCode,
                message: "A conversation with \(conversation.phone.displayed) was just started; try again.")
        }
    }

    /// Writes the thread's state back; its account, number and start never change.
    public func update(_ conversation: Conversation) async throws {
        let row = Row(conversation)
        try await sql.update(row, leaving: ["account_id", "phone", "created_at"])
            .where("account_id", .equal, row.accountId).run()
    }

    public func setAutoreplyPeriod(_ period: String, of id: ConversationID) async throws {
        try await sql.update("conversations").set("autoreply_period", to: period).where("id", .equal, id.rawValue).run()
    }

    public func find(_ id: ConversationID, in accountID: AccountID) async throws -> Conversation? {
        try await sql.select(Row.self)
            .where("id", .equal, id.rawValue).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(Row.self).conversation
    }

    public func find(phone: PhoneNumber, in accountID: AccountID) async throws -> Conversation? {
        try await sql.select(Row.self)
            .where("phone", .equal, phone.e164).where("account_id", .equal, accountID.rawValue)
            .first()?.stored(Row.self).conversation
    }

    /// A thread in a list, with the customer the number belongs to (if any).
    public struct Listed: Sendable, Equatable {
        public var conversation: Conversation
        public var customerID: CustomerID?
        public var customerName: String?
    }

    /// The Open or Closed tab (CH2, CH9): Open by state and then newest first, Closed newest first;
    /// `query` matches the number in any format, the customer's name, or a location's name or
    /// address.
    public func list(
        status: ConversationStatus, query: String?, in accountID: AccountID, limit: Int, offset: Int
    ) async throws -> [Listed] {
        let select = sql.select()
            .columns(Row.mapping.selection("cv"))
            .column(SQLAlias(SQLColumn("id", table: "cu"), as: SQLIdentifier("customer_id")))
            .column(SQLAlias(SQLColumn("name", table: "cu"), as: SQLIdentifier("customer_name")))
            .from(SQLAlias(SQLIdentifier("conversations"), as: SQLIdentifier("cv")))
            .join(
                SQLAlias(SQLIdentifier("phone_contacts"), as: SQLIdentifier("pc")), method: SQLJoinMethod.left,
                on: SQLQueryString("pc.account_id = cv.account_id AND pc.e164 = cv.phone")
            )
            .join(
                SQLAlias(SQLIdentifier("customers"), as: SQLIdentifier("cu")), method: SQLJoinMethod.left,
                on: SQLQueryString("cu.id = pc.customer_id AND cu.account_id = pc.account_id")
            )
            .where(SQLColumn("account_id", table: "cv"), .equal, SQLBind(accountID.rawValue))
            .where(SQLColumn("status", table: "cv"), .equal, SQLBind(status.rawValue))
        let trimmed = (query ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty {
            let text = SearchPattern.contains(trimmed)
            let digits = trimmed.filter(\.isNumber)
            select.where(
                SQLQueryString(
                    """
                    (cu.search_name LIKE \(bind: text) ESCAPE '\\'
                     OR (\(bind: digits.count) >= 3 AND cv.phone LIKE \(bind: "%" + digits + "%"))
                     OR EXISTS (SELECT 1 FROM locations l WHERE l.customer_id = cu.id AND l.account_id = cv.account_id
                                AND l.search_text LIKE \(bind: text) ESCAPE '\\'))
                    """))
        }
        if status == .open {
            select.orderBy(
                SQLOrderBy(expression: SQLColumn("inbox_rank", table: "cv"), direction: SQLDirection.ascending))
        }
        return
            try await select
            .orderBy(
                SQLOrderBy(expression: SQLColumn("last_message_at", table: "cv"), direction: SQLDirection.descending)
            )
            .orderBy(SQLOrderBy(expression: SQLColumn("id", table: "cv"), direction: SQLDirection.descending))
            .limit(limit).offset(offset)
            .all().map { row in
                let customerID =
                    try row.decodeNil(column: "customer_id")
                    ? nil : try row.decode(column: "customer_id", as: String.self)
                let customerName =
                    try row.decodeNil(column: "customer_name")
                    ? nil : try row.decode(column: "customer_name", as: String.self)
                return Listed(
                    conversation: try row.stored(Row.self).conversation, customerID: customerID.map(CustomerID.init),
                    customerName: customerName)
            }
    }

    /// Open threads nobody has read (CH3).
    public func unreadCount(in accountID: AccountID) async throws -> Int {
        let row = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("conversations")
            .where("account_id", .equal, accountID.rawValue).where("status", .equal, ConversationStatus.open.rawValue)
            // Unread is inbox rank 0, so the count reads only the unread part of the inbox index.
            .where("inbox_rank", .equal, InboxState.unread.rawValue)
            .first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Whether `phone` has ever had a conversation with the account (CH12: a proven texting number).
    public func exists(phone: PhoneNumber, in accountID: AccountID) async throws -> Bool {
        try await sql.select().column("id").from("conversations")
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164).first() != nil
    }

    /// The numbers among `phones` that have had a conversation.
    public func numbersWithConversations(_ phones: [PhoneNumber], in accountID: AccountID) async throws -> Set<String> {
        guard !phones.isEmpty else { return [] }
        let rows = try await sql.select().column("phone").from("conversations")
            .where("account_id", .equal, accountID.rawValue).where("phone", .in, Set(phones.map(\.e164)).sorted())
            .all()
        return Set(try rows.map { try $0.decode(column: "phone", as: String.self) })
    }

    // MARK: Blocked numbers (CH15)

    struct BlockedRow: StoredRow {
        static let mapping = TableMapping<Self>(table: "blocked_numbers")

        var accountId: String
        var phone: String
        var blockedBy: String
        var blockedAt: Date

        var blocked: BlockedNumber {
            BlockedNumber(phone: PhoneNumber(storedE164: phone), blockedBy: blockedBy, blockedAt: blockedAt)
        }
    }

    public func block(_ phone: PhoneNumber, by name: String, at instant: Date, in accountID: AccountID) async throws {
        guard try await isBlocked(phone, in: accountID) == false else { return }
        try await sql.insert(
            BlockedRow(accountId: accountID.rawValue, phone: phone.e164, blockedBy: name, blockedAt: instant))
    }

    /// Returns whether the number was blocked.
    public func unblock(_ phone: PhoneNumber, in accountID: AccountID) async throws -> Bool {
        let rows = try await sql.delete(from: "blocked_numbers")
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164)
            .returning("phone").all()
        return !rows.isEmpty
    }

    public func isBlocked(_ phone: PhoneNumber, in accountID: AccountID) async throws -> Bool {
        try await sql.select().column("phone").from("blocked_numbers")
            .where("account_id", .equal, accountID.rawValue).where("phone", .equal, phone.e164).first() != nil
    }

    public func blocked(in accountID: AccountID) async throws -> [BlockedNumber] {
        try await sql.select(BlockedRow.self)
            .where("account_id", .equal, accountID.rawValue).orderBy("blocked_at", .descending)
            .all().map { try $0.stored(BlockedRow.self).blocked }
    }
}
