import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// A text to send, as every sender builds it: a person's reply, a technician's reply, the
/// autoresponder, a keyword confirmation, a dispatch notice, a campaign.
public struct OutboundText: Sendable {
    /// How an outbound text relates to the chat thread with its recipient (CH11): the send
    /// decision's own rule.
    public typealias Thread = OutboundFacts.ThreadRule

    public var accountID: AccountID
    public var to: PhoneNumber
    public var body: String?
    public var purpose: MessagePurpose
    public var author: MessageAuthor
    /// The number to send from; nil picks the thread's number, then the account's default (or
    /// its marketing number for marketing).
    public var sender: SenderNumberID?
    public var jobID: JobID?
    public var attachmentCount: Int
    public var thread: Thread
    public var resendOf: MessageID?

    public init(
        accountID: AccountID, to: PhoneNumber, body: String?, purpose: MessagePurpose, author: MessageAuthor,
        sender: SenderNumberID? = nil, jobID: JobID? = nil, attachmentCount: Int = 0, thread: Thread,
        resendOf: MessageID? = nil
    ) {
        self.accountID = accountID
        self.to = to
        self.body = body
        self.purpose = purpose
        self.author = author
        self.sender = sender
        self.jobID = jobID
        self.attachmentCount = attachmentCount
        self.thread = thread
        self.resendOf = resendOf
    }
}

/// An email to send: a dispatch notice today, later any automatic email.
public struct OutboundEmail: Sendable {
    public var accountID: AccountID
    public var to: EmailAddress
    public var subject: String
    public var html: String
    public var text: String
    public var purpose: MessagePurpose
    public var automation: Automation?
    public var jobID: JobID?

    public init(
        accountID: AccountID, to: EmailAddress, subject: String, html: String, text: String, purpose: MessagePurpose,
        automation: Automation?, jobID: JobID?
    ) {
        self.accountID = accountID
        self.to = to
        self.subject = subject
        self.html = html
        self.text = text
        self.purpose = purpose
        self.automation = automation
        self.jobID = jobID
    }
}

public struct QueuedText: Sendable, Equatable {
    public var message: Message
    public var conversation: Conversation?
    public var sendAt: Date
}

/// The only way a text or an email leaves Fieldline. For a text it checks, in this order: the
/// account's registrations, the recipient is not blocked, the recipient's consent for this
/// purpose, the sender number, length and attachments, quiet hours, and the thread-joining rule;
/// then it writes the message and its outbox row in the caller's transaction. The outbox worker
/// does the sending; the email worker sends emails. A campaign's texts pass the same checks in
/// slices (`sendMarketing`).
public struct Messenger: Sendable {
    let app: Fieldline

    /// Sends in a transaction of its own.
    @discardableResult
    public func send(_ text: OutboundText) async throws -> QueuedText {
        try await app.transaction { sql, effects in try await send(text, in: sql, effects: effects) }
    }

    /// Sends inside the caller's transaction: the text exists exactly when the caller's change does.
    @discardableResult
    public func send(_ text: OutboundText, in sql: any SQLDatabase, effects: AfterCommit) async throws -> QueuedText {
        let now = app.clock.now()
        let conversations = ConversationStore(sql)
        let numbers = SenderNumberStore(sql)
        let existing = try await conversations.find(phone: text.to, in: text.accountID)
        let choice: OutboundFacts.SenderChoice
        if let id = text.sender {
            choice = .named(id, try await numbers.find(id, in: text.accountID)?.number)
        } else {
            let threadNumber: SenderNumber? =
                if let id = existing?.senderNumberID { try await numbers.find(id, in: text.accountID)?.number } else {
                    nil
                }
            // The numbers that could stand in for the thread's: the default, or for a promotion
            // every number (the marketing one is among them). Not all of them for every reply: an
            // account with twenty numbers would decode twenty rows per text.
            let standIns =
                text.purpose == .marketing
                ? try await numbers.all(in: text.accountID)
                : try await numbers.defaultNumber(in: text.accountID).map { [$0] } ?? []
            choice = .automatic(thread: threadNumber, numbers: standIns)
        }
        let consentStore = ConsentStore(sql)
        var consent = try await consentRelinkingErased(of: text.to, in: text.accountID, sql)
        let facts = try await recipientFacts(
            text.to, consent: consent, purpose: text.purpose, automation: text.author.automation,
            accountID: text.accountID, sql: sql, now: now,
            stage: .queueing(
                sender: choice, body: text.body, attachments: text.attachmentCount,
                thread: text.thread, threadExists: existing != nil))
        let admitted: SendDecision.Admitted
        let sendAt: Date
        switch SendDecision.decide(facts) {
        case .refuse(let refusal): throw refusal
        case .send(let admission): (admitted, sendAt) = (admission, now)
        case .hold(let until, let admission): (admitted, sendAt) = (admission, until)
        }
        guard let sender = admitted.sender, let body = admitted.text else {
            preconditionFailure("A text admitted while queueing has its sender and body.")
        }

        var conversation: Conversation?
        var isNewThread = false
        switch admitted.thread {
        case .open, .reuse:
            var thread =
                existing
                ?? Conversation(
                    id: .generate(), accountID: text.accountID, phone: text.to, senderNumberID: sender.id,
                    jobID: text.jobID, status: .open, unread: false, awaitingReply: false, lastMessageAt: now,
                    lastMessagePreview: "", lastMessageDirection: .outbound, autoreplyPeriod: nil, createdAt: now,
                    closedAt: nil)
            isNewThread = existing == nil
            thread.status = .open
            thread.closedAt = nil
            thread.unread = false
            if text.author.isPerson { thread.awaitingReply = false }
            thread.senderNumberID = sender.id
            if thread.jobID == nil { thread.jobID = text.jobID }
            conversation = thread
        case .join:
            conversation = existing
        case .none:
            break
        }
        if var thread = conversation {
            thread.lastMessageAt = now
            thread.lastMessagePreview = Conversation.preview(of: body.body)
            thread.lastMessageDirection = .outbound
            if isNewThread {
                try await conversations.insert(thread)
            } else {
                try await conversations.update(thread)
            }
            conversation = thread
            effects.publish(.conversationChanged(thread.id), to: text.accountID)
            effects.publish(.unreadChanged, to: text.accountID)
        }

        let message = Message(
            id: .generate(), accountID: text.accountID, conversationID: conversation?.id, direction: .outbound,
            disposition: nil, phone: text.to, ourNumber: sender.number, body: body.body, purpose: text.purpose,
            author: text.author, jobID: text.jobID ?? conversation?.jobID, status: .queued, errorCode: nil,
            errorMessage: nil, provider: sender.provider.rawValue, providerMessageID: nil, segments: body.segments,
            encoding: body.encoding, mediaCount: 0, resendOf: text.resendOf, createdAt: now, statusAt: now)
        try await MessageStore(sql).insert(message)
        try await OutboxStore(sql).insert(
            OutboxStore.Entry(
                id: 0, accountID: text.accountID, messageID: message.id,
                senderNumberID: sender.id, state: .pending, notBefore: sendAt, attempts: 0, claimedBy: nil,
                claimedAt: nil, createdAt: now,
                priority: admitted.background ? 1 : 0))
        if text.author.automation == .optOutConfirmation {
            // The one confirmation an opt-out allows is now spent.
            consent.confirmationOwed = false
            try await consentStore.save(consent, in: text.accountID, at: now)
        }
        effects.publish(.messageCreated(conversationID: conversation?.id, messageID: message.id), to: text.accountID)
        effects.wakeOutbox()
        return QueuedText(message: message, conversation: conversation, sendAt: sendAt)
    }

    /// The number's consent. A number with none recorded may be an erased customer's: the state
    /// kept under its hash (an old STOP above all) is made its own again first, so a text the
    /// office starts (a missed-call text-back) is decided on it, as an inbound text is (OP3).
    func consentRelinkingErased(
        of number: PhoneNumber, in accountID: AccountID, _ sql: any SQLDatabase
    ) async throws -> SMSConsent {
        let store = ConsentStore(sql)
        if let recorded = try await store.recordedConsent(of: number, in: accountID) { return recorded }
        let hashed = try await app.customers.erasedHash(of: number, in: accountID, sql)
        guard try await store.relinkErased(number, hashed: hashed, in: accountID) else {
            return SMSConsent(phone: number)
        }
        return try await store.consent(of: number, in: accountID)
    }

    /// Queues an email inside the caller's transaction, after checking the recipient wants this
    /// kind of email (DN8): an address whose customer turned job notifications off gets none.
    /// Transactional emails go to customers; compliance emails are the account's own security
    /// notices to its people (a password reset link), which nobody opts out of. Marketing by email
    /// is not offered.
    @discardableResult
    public func send(_ email: OutboundEmail, in sql: any SQLDatabase, effects: AfterCommit) async throws -> Email {
        guard email.purpose == .transactional || email.purpose == .compliance else {
            throw FieldlineError.conflict(
                code: .purposeNotSupported, message: "Only job notices and account notices are sent by email.")
        }
        if email.purpose == .transactional {
            let contacts = try await CustomerStore(sql).emails(address: email.to, in: email.accountID)
            if contacts.contains(where: { !$0.jobNotifications }) {
                throw FieldlineError.conflict(
                    code: .jobNotificationsOff, message: "\(email.to) has job notifications turned off.")
            }
        }
        guard let account = try await AccountStore(sql).find(email.accountID) else {
            throw FieldlineError.notFound(entity: "account", id: email.accountID.rawValue)
        }
        let subject = email.subject.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        guard !subject.isEmpty, !email.text.isEmpty else {
            throw FieldlineError.invalid(field: "body", message: "An email needs a subject and a body.")
        }
        let now = app.clock.now()
        let stored = Email(
            id: .generate(), accountID: email.accountID, jobID: email.jobID, purpose: email.purpose,
            automation: email.automation, to: email.to, fromName: account.name, subject: subject, html: email.html,
            text: email.text, status: .queued, attempts: 0, notBefore: now, claimedAt: nil, providerMessageID: nil,
            errorMessage: nil, createdAt: now, sentAt: nil)
        try await EmailStore(sql).insert(stored)
        effects.wakeEmail()
        return stored
    }

    /// The account-wide part of the gate, for pages that warn before anyone tries: why no text of
    /// this purpose could go out for the account now (its registrations, a number to send from).
    public func accountRefusal(
        purpose: MessagePurpose, automation: Automation?, accountID: AccountID, in sql: any SQLDatabase
    ) async throws -> FieldlineError? {
        let registrations = try await RegistrationStore(sql).statuses(of: accountID)
        return SendDecision.accountRefusal(
            purpose: purpose, automation: automation, texting: registrations.texting,
            marketing: registrations.marketing, numbers: try await SenderNumberStore(sql).all(in: accountID))
    }

    /// The facts the gate judges a text to `phone` by, read in the caller's transaction. The
    /// recipient's quiet hours come from the state of their first service location; without one,
    /// the strictest window on the account's clock.
    func recipientFacts(
        _ phone: PhoneNumber, consent: SMSConsent, purpose: MessagePurpose, automation: Automation?,
        accountID: AccountID, sql: any SQLDatabase, now: Date, stage: OutboundFacts.Stage
    ) async throws -> OutboundFacts {
        let registrations = try await RegistrationStore(sql).statuses(of: accountID)
        let customers = CustomerStore(sql)
        let contact = try await customers.phone(number: phone, in: accountID)
        // The window is read only for the texts that wait for it: the account and the first
        // location are two more queries per text, and the outbox asks at 100 texts a second.
        var windowOpens = now
        var marketingHistory: OutboundFacts.MarketingHistory?
        let judgesFrequency = if purpose == .marketing, case .queueing = stage { true } else { false }
        let waitsForWindow = SendDecision.waitsForQuietHours(purpose: purpose, automation: automation)
        var account: Account?
        if judgesFrequency || waitsForWindow {
            account = try await AccountStore(sql).find(accountID)
            if account == nil { throw FieldlineError.notFound(entity: "account", id: accountID.rawValue) }
        }
        if judgesFrequency, let account {
            let limit = account.marketingLimit
            marketingHistory = OutboundFacts.MarketingHistory(
                limit: limit,
                recentTexts: try await MessageStore(sql).marketingCount(
                    to: phone, since: limit.windowStart(before: now), in: accountID),
                awaitingOurReply: try await ConversationStore(sql).find(phone: phone, in: accountID).map {
                    $0.status == .open && $0.awaitingReply
                } ?? false)
        }
        if waitsForWindow, let account {
            var state: String?
            if let contact {
                state = try await customers.locations(of: contact.customerID, in: accountID).first?.address.state
            }
            windowOpens = QuietHours.recipient(state: state, accountCalendar: account.calendar).nextAllowed(from: now)
        }
        return OutboundFacts(
            purpose: purpose, automation: automation, texting: registrations.texting,
            marketing: registrations.marketing,
            blocked: try await ConversationStore(sql).isBlocked(phone, in: accountID), lineType: contact?.kind,
            consent: consent, preferences: contact?.preferences,
            windowOpens: windowOpens, marketingHistory: marketingHistory, now: now, stage: stage)
    }

    // MARK: Marketing to many

    /// The gate's answer for one recipient of a marketing text.
    public enum Admission: Sendable, Equatable {
        /// It may go at `sendAt`: now, or when the recipient's quiet hours end (`held`).
        case admitted(sendAt: Date, held: Bool)
        /// It may not go; the refusal's code (`no_marketing_consent`, `opted_out`, `landline` …).
        case refused(String)
    }

    /// What the gate answers for a marketing text to each audience member, writing nothing: each
    /// member judged by `SendDecision.decide` as a single text is. A refusal that meets every
    /// member alike (the registrations) throws. The facts come from `CampaignStore.audience`, read
    /// in the caller's transaction in one pass (a campaign's audience is read in slices of
    /// thousands; one query per fact and per slice cost more than the rest of the campaign).
    public func admissions(
        of members: [CampaignStore.AudienceMember], accountID: AccountID, in sql: any SQLDatabase
    ) async throws -> [PhoneNumber: Admission] {
        let registrations = try await RegistrationStore(sql).statuses(of: accountID)
        guard let account = try await AccountStore(sql).find(accountID) else {
            throw FieldlineError.notFound(entity: "account", id: accountID.rawValue)
        }
        let now = app.clock.now()
        // One window per state: a slice of thousands shares a handful.
        var windows: [String: Date] = [:]
        var result: [PhoneNumber: Admission] = [:]
        for member in members {
            let key = member.state?.uppercased() ?? ""
            let windowOpens =
                windows[key]
                ?? QuietHours.recipient(state: member.state, accountCalendar: account.calendar).nextAllowed(from: now)
            windows[key] = windowOpens
            let decision = SendDecision.decide(
                OutboundFacts(
                    purpose: .marketing, automation: .campaign, texting: registrations.texting,
                    marketing: registrations.marketing, blocked: member.blocked, lineType: member.kind,
                    consent: member.consent, preferences: member.preferences, windowOpens: windowOpens,
                    marketingHistory: OutboundFacts.MarketingHistory(
                        limit: account.marketingLimit, recentTexts: member.recentMarketing,
                        awaitingOurReply: member.awaitingOurReply),
                    now: now, stage: .audienceMember))
            switch decision {
            case .send: result[member.phone] = .admitted(sendAt: now, held: false)
            case .hold(let until, _): result[member.phone] = .admitted(sendAt: until, held: true)
            case .refuse(let refusal):
                if SendDecision.isAccountWide(refusal) { throw refusal }
                result[member.phone] = .refused(refusal.code)
            }
        }
        return result
    }

    /// Queues a marketing text to every admitted phone, from the marketing number, in the caller's
    /// transaction: the campaign's path through the gate. Campaign texts stay out of the inbox
    /// threads (a 5,000-number campaign would reorder the whole inbox); they are on the campaign
    /// and in each number's history, and a reply opens its thread as any text does.
    public func sendMarketing(
        _ body: String, to members: [CampaignStore.AudienceMember], accountID: AccountID, author: MessageAuthor,
        in sql: any SQLDatabase, effects: AfterCommit
    ) async throws -> [PhoneNumber: (admission: Admission, messageID: MessageID?)] {
        let text = try MessageText.validatedOutbound(body)
        let sender = try SendDecision.sender(
            for: .marketing,
            choice: .automatic(thread: nil, numbers: try await SenderNumberStore(sql).all(in: accountID))
        ).get()
        let admissions = try await admissions(of: members, accountID: accountID, in: sql)
        let now = app.clock.now()
        let template = Message(
            id: .generate(), accountID: accountID, conversationID: nil, direction: .outbound, disposition: nil,
            phone: sender.number, ourNumber: sender.number, body: text.body, purpose: .marketing, author: author,
            jobID: nil, status: .queued, errorCode: nil, errorMessage: nil, provider: sender.provider.rawValue,
            providerMessageID: nil, segments: text.segments, encoding: text.encoding, mediaCount: 0, resendOf: nil,
            createdAt: now, statusAt: now)
        var messages: [(id: MessageID, phone: PhoneNumber)] = []
        var queue: [(message: MessageID, notBefore: Date)] = []
        var result: [PhoneNumber: (admission: Admission, messageID: MessageID?)] = [:]
        for phone in members.map(\.phone) {
            guard case .admitted(let sendAt, let held)? = admissions[phone] else {
                result[phone] = (admissions[phone] ?? .refused("unknown"), nil)
                continue
            }
            let id = MessageID.generate()
            messages.append((id, phone))
            queue.append((id, sendAt))
            result[phone] = (.admitted(sendAt: sendAt, held: held), id)
        }
        try await MessageStore(sql).insert(copiesOf: template, to: messages)
        try await OutboxStore(sql).insert(
            copiesOf: OutboxStore.Entry(
                id: 0, accountID: accountID, messageID: template.id, senderNumberID: sender.id, state: .pending,
                notBefore: now, attempts: 0, claimedBy: nil, claimedAt: nil, createdAt: now, priority: 1),
            for: queue)
        if !messages.isEmpty { effects.wakeOutbox() }
        return result
    }
}
