import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// The technician's view from the field (TC1–TC6, DN7): my jobs, a job's customer thread, replies
/// through the same `Messenger` gate as the office, and position reports. Everything here is
/// scoped to the signed-in technician: a job they are not on is as invisible as another account's.
public struct Field: Sendable {
    let app: Fieldline

    /// How far ahead "upcoming" looks.
    public static let upcomingDays = 14
    /// The most recent part of a thread shown in the field.
    public static let threadLimit = 100

    // MARK: My jobs

    /// A job as the technician sees it in a list: their own visit and the thread's unread count.
    public struct JobCard: Sendable, Equatable {
        public var job: Job
        public var customerName: String
        public var customerNotes: String?
        public var location: ServiceLocation
        /// The technician's visit: the current or next one, else the last.
        public var appointment: Appointment
        public var assignment: Assignment
        /// Nil when chat is off for the technician or the job has no open customer thread.
        public var thread: ThreadSummary?
    }

    public struct ThreadSummary: Sendable, Equatable {
        public var conversationID: ConversationID
        /// Texts from the customer the technician has not read yet.
        public var unread: Int

        public init(conversationID: ConversationID, unread: Int) {
            self.conversationID = conversationID
            self.unread = unread
        }
    }

    public struct MyJobs: Sendable, Equatable {
        /// Today in the account's time zone, `yyyy-MM-dd`.
        public var day: String
        public var timeZone: String
        public var today: [JobCard]
        public var upcoming: [JobCard]
        public var chatEnabled: Bool
    }

    public func myJobs(by actor: Actor) async throws -> MyJobs {
        let technicianID = try requireTechnician(actor)
        let now = app.clock.now()
        return try await app.database.read { sql in
            let (account, dayText, today) = try await Self.today(at: now, actor: actor, sql: sql)
            let horizon = account.calendar.date(byAdding: .day, value: Self.upcomingDays, to: today.end) ?? today.end
            let jobIDs = try await FieldStore(sql).jobIDs(
                assignedTo: technicianID, between: today.start, and: horizon, in: actor.accountID)
            let cards = try await self.cards(
                jobIDs, for: technicianID, from: today.start, actor: actor, sql: sql)
            return MyJobs(
                day: dayText, timeZone: account.timeZone,
                today: cards.filter { $0.appointment.startsAt < today.end },
                upcoming: cards.filter { $0.appointment.startsAt >= today.end },
                chatEnabled: Self.chatEnabled(actor))
        }
    }

    /// One job in full for the technician: their visit, the crew, and whether its thread is there.
    public struct JobDetail: Sendable, Equatable {
        public var card: JobCard
        public var crew: [Crew]
        public var customerPhones: [PhoneNumber]
        /// Why the thread is not shown, when it is not.
        public var chat: FieldChatRules.Access
    }

    public struct Crew: Sendable, Equatable {
        public var technician: Technician
        public var status: AssignmentStatus
    }

    public func job(_ id: JobID, by actor: Actor) async throws -> JobDetail {
        let technicianID = try requireTechnician(actor)
        return try await app.database.read { sql in
            // The same visit the list shows: the first of the technician's that has not ended before today.
            let today = try await Self.today(at: app.clock.now(), actor: actor, sql: sql).interval
            guard try await FieldStore(sql).isAssigned(technicianID, to: id, in: actor.accountID),
                let card = try await cards([id], for: technicianID, from: today.start, actor: actor, sql: sql).first
            else { throw FieldlineError.notFound(entity: "job", id: id.rawValue) }
            let store = JobStore(sql)
            let assignments = try await store.assignments(ofJobs: [id], in: actor.accountID)
            let technicians = try await TechnicianStore(sql).technicians(
                assignments.map(\.technicianID), in: actor.accountID)
            var crew: [Crew] = []
            for assignment in assignments where assignment.appointmentID == card.appointment.id {
                if let technician = technicians[assignment.technicianID] {
                    crew.append(Crew(technician: technician, status: assignment.status))
                }
            }
            let thread = try await FieldStore(sql).threads(ofJobs: [id], in: actor.accountID)[id]
            return JobDetail(
                card: card, crew: crew.sorted { $0.technician.name < $1.technician.name },
                customerPhones: try await CustomerStore(sql).phones(of: card.job.customerID, in: actor.accountID)
                    .map(\.number),
                chat: FieldChatRules.access(
                    permissions: Self.permissions(actor), assignedToJob: true, thread: thread?.status))
        }
    }

    // MARK: The job's customer thread

    public struct Thread: Sendable, Equatable {
        public var conversation: Conversation
        public var unread: Int
        /// Oldest first, the most recent `threadLimit` texts.
        public var entries: [Inbox.Entry]
    }

    /// The job's open customer thread; nil when there is none or the office closed it (TC4).
    public func thread(ofJob id: JobID, by actor: Actor) async throws -> Thread? {
        let technicianID = try requireTechnician(actor)
        return try await app.database.read { sql in
            guard let conversation = try await openThread(ofJob: id, technicianID: technicianID, actor: actor, sql: sql)
            else { return nil }
            let messages = MessageStore(sql)
            let recent = try await messages.messages(
                ofConversation: conversation.id, in: actor.accountID, before: nil, limit: Self.threadLimit)
            let unread =
                try await FieldStore(sql).unreadCounts(
                    of: [conversation.id], for: technicianID, in: actor.accountID)[conversation.id] ?? 0
            return Thread(
                conversation: conversation, unread: unread,
                entries: try await Inbox.entries(recent.reversed(), store: messages, accountID: actor.accountID))
        }
    }

    /// A technician's answer in the job's thread (TC1, TC3), recorded with the technician as its
    /// author. It never opens a thread (TC2) and never reopens one the office closed (TC4).
    public func reply(
        toJob id: JobID, body: String?, attachmentCount: Int = 0, by actor: Actor
    ) async throws
        -> Message
    {
        let technicianID = try requireTechnician(actor)
        return try await app.transaction { sql, effects in
            guard
                let conversation = try await openThread(
                    ofJob: id, technicianID: technicianID, actor: actor, sql: sql)
            else { throw Self.noOpenThread }
            let message = try await app.messenger.send(
                OutboundText(
                    accountID: actor.accountID, to: conversation.phone, body: body, purpose: .conversational,
                    author: .person(actor), jobID: id, attachmentCount: attachmentCount, thread: .converse),
                in: sql, effects: effects
            ).message
            // Writing in the thread means having read it.
            try await FieldStore(sql).markRead(
                conversation.id, by: technicianID, at: message.createdAt, in: actor.accountID)
            return message
        }
    }

    /// The technician has read the job's thread up to now; the office's shared unread state is theirs.
    @discardableResult
    public func markRead(ofJob id: JobID, by actor: Actor) async throws -> ThreadSummary {
        let technicianID = try requireTechnician(actor)
        let now = app.clock.now()
        return try await app.database.write { sql in
            guard
                let conversation = try await openThread(
                    ofJob: id, technicianID: technicianID, actor: actor, sql: sql)
            else { throw Self.noOpenThread }
            try await FieldStore(sql).markRead(conversation.id, by: technicianID, at: now, in: actor.accountID)
            return ThreadSummary(conversationID: conversation.id, unread: 0)
        }
    }

    /// Who in the field a live event about `conversationID` is for: the technicians on its job.
    public func technicians(
        following conversationID: ConversationID, in accountID: AccountID
    ) async throws
        -> Set<TechnicianID>
    {
        try await app.database.read { sql in
            try await FieldStore(sql).technicians(onJobOf: conversationID, in: accountID)
        }
    }

    // MARK: Positions (DN7)

    public func reportPosition(
        latitude: Double?, longitude: Double?, accuracyMeters: Double?, recordedAt: Date?, by actor: Actor
    ) async throws -> TechnicianPosition {
        let technicianID = try requireTechnician(actor)
        try actor.require(.reportArrival)
        let now = app.clock.now()
        let fix = try TechnicianPosition.validated(
            latitude: latitude, longitude: longitude, accuracyMeters: accuracyMeters, recordedAt: recordedAt, now: now)
        let position = TechnicianPosition(
            technicianID: technicianID, accountID: actor.accountID, latitude: fix.latitude, longitude: fix.longitude,
            accuracyMeters: fix.accuracy, recordedAt: fix.recordedAt, receivedAt: now)
        try await app.transaction { sql, effects in
            try await FieldStore(sql).insert(position)
            effects.publish(.technicianPosition(technicianID), to: actor.accountID)
        }
        return position
    }

    public func latestPosition(by actor: Actor) async throws -> TechnicianPosition? {
        let technicianID = try requireTechnician(actor)
        return try await app.database.read { sql in
            try await FieldStore(sql).latestPosition(of: technicianID, in: actor.accountID)
        }
    }

    // MARK: Rules

    /// Today in the account's time zone: the day's `yyyy-MM-dd` and its interval.
    static func today(
        at now: Date, actor: Actor, sql: any SQLDatabase
    ) async throws -> (account: Account, day: String, interval: DateInterval) {
        guard let account = try await AccountStore(sql).find(actor.accountID) else {
            throw FieldlineError.notFound(entity: "account", id: actor.accountID.rawValue)
        }
        let day = DayString.of(now, calendar: account.calendar)
        guard let interval = DayString.interval(of: day, calendar: account.calendar) else {
            throw FieldlineError.invalid(field: "date", message: "Today could not be worked out.")
        }
        return (account, day, interval)
    }

    static let noOpenThread = FieldlineError.conflict(
        code: .noOpenThread,
        message:
            "There is no open conversation with the customer on this job. Technicians answer threads the office has open; they cannot start one."
    )

    /// The field view is for people who are technicians; office users have the inbox.
    /// A user linked to a technician, with a technician's view of their own jobs.
    public static func isTechnician(_ actor: Actor) -> Bool {
        actor.role == .technician && actor.technicianID != nil && actor.can(.viewAssignedJobs)
    }

    func requireTechnician(_ actor: Actor) throws -> TechnicianID {
        guard Self.isTechnician(actor), let technicianID = actor.technicianID else {
            throw FieldlineError.refused(
                code: .techniciansOnly,
                message: "This is the technician's view; sign in as a user linked to a technician.")
        }
        return technicianID
    }

    /// The technician's two switches as their session carries them (TC5).
    static func permissions(_ actor: Actor) -> TechnicianChatPermissions {
        TechnicianChatPermissions(
            canViewChats: actor.can(.viewCustomerChats), canReplyChats: actor.can(.fullCustomerChats))
    }

    /// A technician whose admin turned on both chat switches (TC1, TC5).
    public static func chatEnabled(_ actor: Actor) -> Bool {
        isTechnician(actor) && FieldChatRules.chatEnabled(permissions(actor))
    }

    /// The job's thread when the technician may use it; the reason as an error when they are not
    /// on the job or lack the permissions, nil when there is simply no open thread.
    fileprivate func openThread(
        ofJob id: JobID, technicianID: TechnicianID, actor: Actor, sql: any SQLDatabase
    ) async throws -> Conversation? {
        let store = FieldStore(sql)
        let assigned = try await store.isAssigned(technicianID, to: id, in: actor.accountID)
        let thread = assigned ? try await store.threads(ofJobs: [id], in: actor.accountID)[id] : nil
        switch FieldChatRules.access(
            permissions: Self.permissions(actor), assignedToJob: assigned, thread: thread?.status)
        {
        case .granted: return thread
        case .missingPermissions:
            throw FieldlineError.refused(
                code: .chatNotEnabled,
                message:
                    "Customer chat is not turned on for you. An admin turns on both chat permissions on the Technicians page."
            )
        case .notAssigned: throw FieldlineError.notFound(entity: "job", id: id.rawValue)
        case .noThread, .closed: return nil
        }
    }

    private func cards(
        _ jobIDs: [JobID], for technicianID: TechnicianID, from start: Date, actor: Actor, sql: any SQLDatabase
    ) async throws -> [JobCard] {
        guard !jobIDs.isEmpty else { return [] }
        let store = JobStore(sql)
        let jobs = try await store.jobs(jobIDs, in: actor.accountID)
        let appointments = Dictionary(
            uniqueKeysWithValues: try await store.appointments(ofJobs: jobIDs, in: actor.accountID).map { ($0.id, $0) })
        let mine = try await store.assignments(ofJobs: jobIDs, in: actor.accountID)
            .filter { $0.technicianID == technicianID }
        let customers = CustomerStore(sql)
        let customerByID = try await customers.customers(jobs.values.map(\.customerID), in: actor.accountID)
        let locationByID = try await customers.locations(jobs.values.map(\.locationID), in: actor.accountID)
        var threads: [JobID: Conversation] = [:]
        var unread: [ConversationID: Int] = [:]
        if Self.chatEnabled(actor) {
            threads = try await FieldStore(sql).threads(ofJobs: jobIDs, in: actor.accountID)
                .filter { $0.value.status == .open }
            unread = try await FieldStore(sql).unreadCounts(
                of: threads.values.map(\.id), for: technicianID, in: actor.accountID)
        }
        var cards: [JobCard] = []
        for jobID in jobIDs {
            guard let job = jobs[jobID], let customer = customerByID[job.customerID],
                let location = locationByID[job.locationID]
            else { continue }
            let visits = mine.filter { $0.jobID == jobID }.compactMap { assignment in
                appointments[assignment.appointmentID].map { (assignment, $0) }
            }
            .sorted { $0.1.startsAt < $1.1.startsAt }
            guard let visit = visits.first(where: { $0.1.endsAt > start }) ?? visits.last else { continue }
            cards.append(
                JobCard(
                    job: job, customerName: customer.name, customerNotes: customer.notes, location: location,
                    appointment: visit.1,
                    assignment: visit.0,
                    thread: threads[jobID].map {
                        ThreadSummary(conversationID: $0.id, unread: unread[$0.id] ?? 0)
                    }))
        }
        return cards.sorted { ($0.appointment.startsAt, $0.job.number) < ($1.appointment.startsAt, $1.job.number) }
    }
}

extension Field {
    /// A picture or video in a thread the technician may read right now.
    public func media(_ id: MediaID, by actor: Actor) async throws -> (MessageMedia, Data) {
        let technicianID = try requireTechnician(actor)
        let notFound = FieldlineError.notFound(entity: "media", id: id.rawValue)
        return try await app.database.read { sql in
            let messages = MessageStore(sql)
            guard let media = try await messages.media(id, in: actor.accountID),
                let message = try await messages.find(media.messageID, in: actor.accountID),
                let conversationID = message.conversationID,
                let jobID = try await ConversationStore(sql).find(conversationID, in: actor.accountID)?.jobID
            else { throw notFound }
            let thread: Conversation?
            do {
                thread = try await openThread(ofJob: jobID, technicianID: technicianID, actor: actor, sql: sql)
            } catch is FieldlineError {
                thread = nil
            }
            guard thread?.id == conversationID, let found = try await messages.mediaData(id, in: actor.accountID)
            else { throw notFound }
            return found
        }
    }
}
