import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// The shared office inbox (CH2–CH19): every permitted user sees and changes the same threads.
/// Reading needs "view customer chats"; anything that changes a thread or sends needs "full
/// access to customer chats" (CH18). Technicians reach their jobs' threads through their own
/// job-scoped view, not the office inbox.
public struct Inbox: Sendable {
    let app: Fieldline

    public static let relevantJobLimit = 5

    func requireReader(_ actor: Actor) throws {
        guard actor.role != .technician, actor.can(.viewCustomerChats) else {
            throw FieldlineError.forbidden(permission: Permission.viewCustomerChats.rawValue)
        }
    }

    func requireWriter(_ actor: Actor) throws {
        try requireReader(actor)
        try actor.require(.fullCustomerChats)
    }

    // MARK: Lists

    public struct Item: Sendable, Equatable {
        public var conversation: Conversation
        public var customerID: CustomerID?
        public var customerName: String?
        public var state: InboxState { conversation.inboxState }
    }

    /// The Open tab in CH2's order, or the Closed tab newest first; `query` searches by number in
    /// any format, customer name, or location (CH9).
    public func list(
        status: ConversationStatus, query: String? = nil, paging: Paging = .firstPage, by actor: Actor
    ) async throws -> [Item] {
        try requireReader(actor)
        let text = query.map { String($0.prefix(100)) }
        return try await app.database.read { sql in
            try await ConversationStore(sql).list(
                status: status, query: text, in: actor.accountID, limit: paging.limit, offset: paging.offset
            ).map { Item(conversation: $0.conversation, customerID: $0.customerID, customerName: $0.customerName) }
        }
    }

    /// Open threads nobody has read yet (CH3).
    public func unreadCount(by actor: Actor) async throws -> Int {
        try requireReader(actor)
        return try await unreadCount(in: actor.accountID)
    }

    /// The counter for the live sockets, which checked their users' permission when they connected.
    public func unreadCount(in accountID: AccountID) async throws -> Int {
        try await app.database.read { sql in try await ConversationStore(sql).unreadCount(in: accountID) }
    }

    // MARK: One conversation

    public struct RelevantJob: Sendable, Equatable {
        public var job: Job
        public var location: ServiceLocation?
        /// The appointment that is next, or the last one for past jobs.
        public var appointment: Appointment?
        public var upcoming: Bool
    }

    public struct Detail: Sendable, Equatable {
        public var conversation: Conversation
        /// The customer the number belongs to; nil shows "Unknown" (CH6).
        public var customer: Customer?
        public var contact: PhoneContact?
        public var locations: [ServiceLocation]
        /// Up to five: upcoming first, then the most recent (CH7).
        public var relevantJobs: [RelevantJob]
        public var consent: SMSConsent
        public var blocked: Bool
        public var senderNumber: SenderNumber?
    }

    public func detail(_ id: ConversationID, by actor: Actor) async throws -> Detail {
        try requireReader(actor)
        return try await app.database.read { sql in
            guard let conversation = try await ConversationStore(sql).find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "conversation", id: id.rawValue)
            }
            let customers = CustomerStore(sql)
            let contact = try await customers.phone(number: conversation.phone, in: actor.accountID)
            let customer = try await contact.asyncMap { try await customers.find($0.customerID, in: actor.accountID) }
            let locations = try await customer.asyncMap {
                try await customers.locations(of: $0.id, in: actor.accountID)
            }
            let jobs = try await customer.asyncMap {
                try await relevantJobs(of: $0, locations: locations ?? [], sql: sql)
            }
            let sender = try await conversation.senderNumberID.asyncMap {
                try await SenderNumberStore(sql).find($0, in: actor.accountID)?.number
            }
            return Detail(
                conversation: conversation, customer: customer, contact: contact, locations: locations ?? [],
                relevantJobs: jobs ?? [],
                consent: try await ConsentStore(sql).consent(of: conversation.phone, in: actor.accountID),
                blocked: try await ConversationStore(sql).isBlocked(conversation.phone, in: actor.accountID),
                senderNumber: sender)
        }
    }

    private func relevantJobs(
        of customer: Customer, locations: [ServiceLocation], sql: any SQLDatabase
    ) async throws -> [RelevantJob] {
        let now = app.clock.now()
        let store = JobStore(sql)
        let upcoming = try await store.upcomingJobs(
            ofCustomer: customer.id, after: now, in: customer.accountID, limit: Self.relevantJobLimit)
        let upcomingIDs = Set(upcoming.map(\.id))
        let others = try await store.jobs(ofCustomer: customer.id, in: customer.accountID, limit: 50)
            .filter { !upcomingIDs.contains($0.id) }
        let appointments = Dictionary(
            grouping: try await store.appointments(ofJobs: (upcoming + others).map(\.id), in: customer.accountID),
            by: \.jobID)
        let locationByID = Dictionary(uniqueKeysWithValues: locations.map { ($0.id, $0) })
        let recent = others.sorted {
            (appointments[$0.id]?.last?.startsAt ?? $0.createdAt)
                > (appointments[$1.id]?.last?.startsAt ?? $1.createdAt)
        }
        return upcoming.map { job in
            RelevantJob(
                job: job, location: locationByID[job.locationID],
                appointment: appointments[job.id]?.first { $0.endsAt >= now }, upcoming: true)
        }
            + recent.prefix(max(0, Self.relevantJobLimit - upcoming.count)).map { job in
                RelevantJob(
                    job: job, location: locationByID[job.locationID], appointment: appointments[job.id]?.last,
                    upcoming: false)
            }
    }

    public struct Entry: Sendable, Equatable {
        public var message: Message
        public var media: [MessageMedia]
    }

    /// A page of the thread, oldest first; `before` pages back from a message's time.
    public func messages(
        of id: ConversationID, before: Date? = nil, limit: Int = 50, by actor: Actor
    ) async throws -> [Entry] {
        try requireReader(actor)
        let limit = min(max(limit, 1), 200)
        return try await app.database.read { sql in
            guard try await ConversationStore(sql).find(id, in: actor.accountID) != nil else {
                throw FieldlineError.notFound(entity: "conversation", id: id.rawValue)
            }
            let store = MessageStore(sql)
            let messages = try await store.messages(
                ofConversation: id, in: actor.accountID, before: before, limit: limit
            )
            .reversed()
            return try await Self.entries(Array(messages), store: store, accountID: actor.accountID)
        }
    }

    /// Messages with their pictures and videos, read in one query for the whole page.
    static func entries(_ messages: [Message], store: MessageStore, accountID: AccountID) async throws -> [Entry] {
        let withMedia = messages.filter { $0.mediaCount > 0 }.map(\.id)
        let media = Dictionary(grouping: try await store.media(ofMessages: withMedia, in: accountID), by: \.messageID)
        return messages.map { Entry(message: $0, media: media[$0.id] ?? []) }
    }

    // MARK: Shared state (CH4)

    public func markRead(_ id: ConversationID, by actor: Actor) async throws -> Conversation {
        try requireReader(actor)
        return try await change(id, by: actor) { conversation in conversation.unread = false }
    }

    public func markUnread(_ id: ConversationID, by actor: Actor) async throws -> Conversation {
        try requireWriter(actor)
        return try await change(id, by: actor) { conversation in conversation.unread = true }
    }

    public func close(_ id: ConversationID, by actor: Actor) async throws -> Conversation {
        try requireWriter(actor)
        let now = app.clock.now()
        return try await change(id, by: actor) { conversation in
            conversation.status = .closed
            conversation.closedAt = now
            conversation.unread = false
        }
    }

    public func reopen(_ id: ConversationID, by actor: Actor) async throws -> Conversation {
        try requireWriter(actor)
        return try await change(id, by: actor) { conversation in
            conversation.status = .open
            conversation.closedAt = nil
        }
    }

    private func change(
        _ id: ConversationID, by actor: Actor, _ edit: @Sendable (inout Conversation) -> Void
    ) async throws -> Conversation {
        try await app.transaction { sql, effects in
            let store = ConversationStore(sql)
            guard var conversation = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "conversation", id: id.rawValue)
            }
            let before = conversation
            edit(&conversation)
            if conversation != before {
                try await store.update(conversation)
                effects.publish(.conversationChanged(id), to: actor.accountID)
                effects.publish(.unreadChanged, to: actor.accountID)
            }
            return conversation
        }
    }

    // MARK: Sending

    /// A person's reply in the thread (CH4, CH10, CH14); reopens a closed thread.
    public func reply(
        to id: ConversationID, body: String?, attachmentCount: Int = 0, by actor: Actor
    ) async throws -> Message {
        try requireWriter(actor)
        return try await app.transaction { sql, effects in
            guard let conversation = try await ConversationStore(sql).find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "conversation", id: id.rawValue)
            }
            return try await app.messenger.send(
                OutboundText(
                    accountID: actor.accountID, to: conversation.phone, body: body, purpose: .conversational,
                    author: .person(actor), jobID: conversation.jobID, attachmentCount: attachmentCount,
                    thread: .converse),
                in: sql, effects: effects
            ).message
        }
    }

    /// Starts (or continues) a conversation from a phone number stored on a customer (CH8), tied
    /// to `jobID` when given, else to the next upcoming job at `locationID` or of the customer.
    public func start(
        phone rawPhone: String?, jobID: JobID? = nil, locationID: LocationID? = nil, body: String?, by actor: Actor
    ) async throws -> (Conversation, Message) {
        try requireWriter(actor)
        let phone = try PhoneNumber.parse(rawPhone ?? "")
        return try await app.transaction { sql, effects in
            let customers = CustomerStore(sql)
            guard let contact = try await customers.phone(number: phone, in: actor.accountID) else {
                if try await TechnicianStore(sql).employee(withPhone: phone, in: actor.accountID) != nil {
                    throw FieldlineError.invalid(
                        field: "phone", message: "\(phone.displayed) is a staff number; chat is for customers.")
                }
                throw FieldlineError.invalid(
                    field: "phone",
                    message:
                        "\(phone.displayed) is not on any customer. Add it to a customer first, then start the chat."
                )
            }
            let jobs = JobStore(sql)
            var tiedJob: JobID?
            if let jobID {
                guard let job = try await jobs.find(jobID, in: actor.accountID) else {
                    throw FieldlineError.notFound(entity: "job", id: jobID.rawValue)
                }
                guard job.customerID == contact.customerID else {
                    throw FieldlineError.invalid(field: "jobId", message: "That job belongs to another customer.")
                }
                tiedJob = job.id
            } else {
                if let locationID {
                    guard let location = try await customers.location(locationID, in: actor.accountID),
                        location.customerID == contact.customerID
                    else { throw FieldlineError.notFound(entity: "location", id: locationID.rawValue) }
                }
                tiedJob =
                    try await jobs.upcomingJobs(
                        ofCustomer: contact.customerID, at: locationID, after: app.clock.now(), in: actor.accountID,
                        limit: 1
                    ).first?.id
            }
            let conversations = ConversationStore(sql)
            if let tiedJob, var existing = try await conversations.find(phone: phone, in: actor.accountID),
                existing.jobID != tiedJob
            {
                existing.jobID = tiedJob
                try await conversations.update(existing)
            }
            let queued = try await app.messenger.send(
                OutboundText(
                    accountID: actor.accountID, to: phone, body: body, purpose: .conversational,
                    author: .person(actor), jobID: tiedJob, thread: .converse),
                in: sql, effects: effects)
            guard let conversation = queued.conversation else {
                throw FieldlineError.conflict(
                    code: .conversationMissing, message: "The conversation could not be opened.")
            }
            return (conversation, queued.message)
        }
    }

    /// Sends an undelivered text again (CH12); never one that went to a landline.
    public func resend(_ id: MessageID, by actor: Actor) async throws -> Message {
        try requireWriter(actor)
        return try await app.transaction { sql, effects in
            guard let original = try await MessageStore(sql).find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "message", id: id.rawValue)
            }
            guard original.isResendable, let purpose = original.purpose else {
                throw FieldlineError.conflict(
                    code: .notResendable,
                    message: original.errorCode == ProviderErrorCode.landline
                        ? "This number is a landline; texts to it can never be delivered."
                        : "Only undelivered or failed texts can be sent again.")
            }
            return try await app.messenger.send(
                OutboundText(
                    accountID: actor.accountID, to: original.phone, body: original.body, purpose: purpose,
                    author: .person(actor), jobID: original.jobID,
                    thread: original.conversationID == nil ? .joinIfExists : .converse, resendOf: original.id),
                in: sql, effects: effects
            ).message
        }
    }

    // MARK: The number behind the thread

    /// Blocks the number as spam and closes the thread (CH15).
    public func block(_ id: ConversationID, by actor: Actor) async throws -> Conversation {
        try requireWriter(actor)
        let now = app.clock.now()
        return try await app.transaction { sql, effects in
            let store = ConversationStore(sql)
            guard var conversation = try await store.find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "conversation", id: id.rawValue)
            }
            try await store.block(conversation.phone, by: actor.name, at: now, in: actor.accountID)
            try await AuditStore(sql).append(
                AuditEntry(by: actor, .numberBlocked, subject: conversation.phone.displayed, at: now))
            conversation.status = .closed
            conversation.closedAt = now
            conversation.unread = false
            try await store.update(conversation)
            effects.publish(.conversationChanged(id), to: actor.accountID)
            effects.publish(.unreadChanged, to: actor.accountID)
            return conversation
        }
    }

    public func blockedNumbers(by actor: Actor) async throws -> [BlockedNumber] {
        try actor.require(.manageAccount)
        return try await app.database.read { sql in try await ConversationStore(sql).blocked(in: actor.accountID) }
    }

    public func unblock(_ rawPhone: String, by actor: Actor) async throws {
        try actor.require(.manageAccount)
        let phone = try PhoneNumber.parse(rawPhone)
        let now = app.clock.now()
        let removed = try await app.database.write { sql in
            let removed = try await ConversationStore(sql).unblock(phone, in: actor.accountID)
            if removed {
                try await AuditStore(sql).append(
                    AuditEntry(by: actor, .numberUnblocked, subject: phone.displayed, at: now))
            }
            return removed
        }
        guard removed else { throw FieldlineError.notFound(entity: "blocked number", id: phone.e164) }
    }

    /// "Wrong number" (CH16): the number comes off the customer; the thread stays, now Unknown.
    public func removeWrongNumber(_ id: ConversationID, by actor: Actor) async throws {
        try requireWriter(actor)
        try actor.require(.editCustomers)
        try await app.transaction { sql, effects in
            guard let conversation = try await ConversationStore(sql).find(id, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "conversation", id: id.rawValue)
            }
            let customers = CustomerStore(sql)
            guard let contact = try await customers.phone(number: conversation.phone, in: actor.accountID) else {
                throw FieldlineError.conflict(
                    code: .numberNotOnCustomer, message: "This number is not on any customer record.")
            }
            try await customers.deletePhone(contact.id, in: actor.accountID)
            var updated = conversation
            updated.jobID = nil
            try await ConversationStore(sql).update(updated)
            effects.publish(.conversationChanged(id), to: actor.accountID)
        }
    }

    /// CH6: an unknown number joins an existing customer (as a proven mobile: it texted).
    public func attach(_ id: ConversationID, to customerID: CustomerID, by actor: Actor) async throws -> Detail {
        try requireWriter(actor)
        let conversation = try await detail(id, by: actor).conversation
        _ = try await app.customers.addPhone(
            .init(number: conversation.phone.e164, kind: PhoneKind.mobile.rawValue), to: customerID, by: actor)
        try await retie(id, to: customerID, by: actor)
        return try await detail(id, by: actor)
    }

    /// CH6: a new customer made from an unknown number.
    public func createCustomer(
        from id: ConversationID, name: String?, location: Customers.NewLocation?, by actor: Actor
    ) async throws -> Detail {
        try requireWriter(actor)
        let conversation = try await detail(id, by: actor).conversation
        let customer = try await app.customers.create(
            .init(
                name: name, location: location,
                phones: [.init(number: conversation.phone.e164, kind: PhoneKind.mobile.rawValue)]),
            by: actor)
        try await retie(id, to: customer.id, by: actor)
        return try await detail(id, by: actor)
    }

    private func retie(_ id: ConversationID, to customerID: CustomerID, by actor: Actor) async throws {
        try await app.transaction { sql, effects in
            let store = ConversationStore(sql)
            guard var conversation = try await store.find(id, in: actor.accountID) else { return }
            conversation.jobID =
                try await JobStore(sql).upcomingJobs(
                    ofCustomer: customerID, after: app.clock.now(), in: actor.accountID, limit: 1
                ).first?.id
            try await store.update(conversation)
            effects.publish(.conversationChanged(id), to: actor.accountID)
        }
    }

    // MARK: Elsewhere in the app

    /// Every text tied to a job, open or closed threads alike (CH19), oldest first.
    public func jobMessages(_ jobID: JobID, by actor: Actor) async throws -> [Entry] {
        try requireReader(actor)
        return try await app.database.read { sql in
            guard try await JobStore(sql).find(jobID, in: actor.accountID) != nil else {
                throw FieldlineError.notFound(entity: "job", id: jobID.rawValue)
            }
            let store = MessageStore(sql)
            return try await Self.entries(
                try await store.messages(ofJob: jobID, in: actor.accountID), store: store,
                accountID: actor.accountID)
        }
    }

    public struct History: Sendable, Equatable {
        public var phone: PhoneNumber
        public var conversationID: ConversationID?
        public var lastMessageAt: Date?
        /// CH12: the number has had a conversation, so it is proven to receive texts.
        public var hasConversation: Bool { conversationID != nil }
    }

    /// CH12 for a page of numbers: which of them have had a conversation. Empty for people who do not
    /// read chats, so the mark is only shown to those who can open the thread.
    public func texted(_ phones: [PhoneNumber], by actor: Actor) async throws -> Set<String> {
        guard actor.role != .technician, actor.can(.viewCustomerChats) else { return [] }
        return try await app.database.read { sql in
            try await ConversationStore(sql).numbersWithConversations(phones, in: actor.accountID)
        }
    }

    public func history(of rawPhone: String?, by actor: Actor) async throws -> History {
        try requireReader(actor)
        let phone = try PhoneNumber.parse(rawPhone ?? "")
        let conversation = try await app.database.read { sql in
            try await ConversationStore(sql).find(phone: phone, in: actor.accountID)
        }
        return History(phone: phone, conversationID: conversation?.id, lastMessageAt: conversation?.lastMessageAt)
    }

    /// Texts from employee and technician numbers (FS7), newest first.
    public func dispatchBoard(paging: Paging = .firstPage, by actor: Actor) async throws -> [Entry] {
        guard actor.can(.viewJobs) else { throw FieldlineError.forbidden(permission: Permission.viewJobs.rawValue) }
        return try await app.database.read { sql in
            let store = MessageStore(sql)
            let messages = try await store.messages(
                disposition: .dispatchBoard, in: actor.accountID, limit: paging.limit, offset: paging.offset)
            return try await Self.entries(messages, store: store, accountID: actor.accountID)
        }
    }

    /// Keeps a picture or video from the chat with a job (CH14).
    public func attach(_ mediaID: MediaID, toJob jobID: JobID, by actor: Actor) async throws {
        try requireWriter(actor)
        try await app.transaction { sql, effects in
            let messages = MessageStore(sql)
            guard let media = try await messages.media(mediaID, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "media", id: mediaID.rawValue)
            }
            guard media.state == .stored else {
                throw FieldlineError.conflict(
                    code: .mediaNotStored, message: "The file has not been downloaded yet; try again in a moment.")
            }
            guard let job = try await JobStore(sql).find(jobID, in: actor.accountID) else {
                throw FieldlineError.notFound(entity: "job", id: jobID.rawValue)
            }
            guard
                try await messages.attach(mediaID, to: job.id, by: actor.name, at: app.clock.now(), in: actor.accountID)
            else { return }
            try await JobStore(sql).append(
                JobEvent(
                    id: UUID().uuidString.lowercased(), accountID: actor.accountID, jobID: job.id,
                    occurredAt: app.clock.now(), actor: .user(actor), kind: "attachment",
                    text:
                        "Added a \(media.contentType.hasPrefix("video/") ? "video" : "picture") from the customer's texts"
                ))
        }
    }

    /// The pictures and videos kept with a job.
    public func attachments(ofJob jobID: JobID, by actor: Actor) async throws -> [JobAttachment] {
        guard actor.can(.viewJobs) || actor.can(.viewAssignedJobs) else {
            throw FieldlineError.forbidden(permission: Permission.viewJobs.rawValue)
        }
        _ = try await app.jobs.detail(jobID, by: actor)
        return try await app.database.read { sql in
            try await MessageStore(sql).attachments(ofJob: jobID, in: actor.accountID)
        }
    }

    /// A picture or video a customer sent, once downloaded.
    public func media(_ id: MediaID, by actor: Actor) async throws -> (MessageMedia, Data) {
        try requireReader(actor)
        guard
            let found = try await app.database.read({ sql in
                try await MessageStore(sql).mediaData(id, in: actor.accountID)
            })
        else { throw FieldlineError.notFound(entity: "media", id: id.rawValue) }
        return found
    }
}
