import FieldlineCore
import FieldlineStore
import Foundation
import SQLKit

/// A text to send, as every sender builds it: a person's reply, a technician's reply, the
/// autoresponder, a keyword confirmation, a dispatch notice, a campaign.
public struct OutboundText: Sendable {
    /// How an outbound text relates to the chat thread with its recipient (CH11).
    public enum Thread: Sendable, Equatable {
        /// A person writing: the thread is used, opened or reopened, and counts as answered.
        case converse
        /// Automatic: joins the thread only if one already exists, and changes none of its state.
        case joinIfExists
    }

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

        // 0. Nothing before the texting registration; promotions also need the marketing one (SC1).
        let registrations = try await RegistrationStore(sql).statuses(of: text.accountID)
        if let refusal = RegistrationRules.refusal(
            purpose: text.purpose, automation: text.author.automation, texting: registrations.texting,
            marketing: registrations.marketing)
        {
            throw refusal
        }

        // 1. Blocked numbers get nothing (CH15).
        if try await conversations.isBlocked(text.to, in: text.accountID) {
            throw FieldlineError.conflict(
                code: "number_blocked",
                message: "\(text.to.displayed) is blocked as spam. An admin can unblock it in Settings.")
        }

        // 2. Consent for this purpose (SC2–SC4, CH13).
        let consentStore = ConsentStore(sql)
        var consent = try await consentStore.consent(of: text.to, in: text.accountID)
        let contact = try await CustomerStore(sql).phone(number: text.to, in: text.accountID)
        if let refusal = ConsentRules.check(
            text.purpose, automation: text.author.automation, consent: consent, preferences: contact?.preferences)
        {
            throw FieldlineError.conflict(code: refusal.code, message: refusal.message(for: text.to))
        }

        // 3. A number that may send this kind of text.
        let existing = try await conversations.find(phone: text.to, in: text.accountID)
        let sender = try await senderNumber(
            accountID: text.accountID, purpose: text.purpose, chosen: text.sender, thread: existing, sql: sql)

        // 4. One message of at most 160 characters, no attachments (CH10, CH14).
        guard text.attachmentCount == 0 else {
            throw FieldlineError.invalid(
                field: "attachments", message: "Texts cannot carry attachments; send files by email instead.")
        }
        let body = try MessageText.validatedOutbound(text.body)

        // 5. Quiet hours hold what is not time-sensitive (SC8): `QuietHours.applies` says which.
        let waitsForQuietHours = QuietHours.applies(to: text.purpose, automation: text.author.automation)
        let sendAt =
            waitsForQuietHours ? try await quietHoursEnd(for: text, contact: contact, sql: sql, now: now) : now

        // 6. The thread (CH11): a person's text opens or reuses it; an automatic one only joins.
        var conversation = existing
        var isNewThread = false
        switch text.thread {
        case .converse:
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
        case .joinIfExists:
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
                priority: waitsForQuietHours ? 1 : 0))
        if text.author.automation == .optOutConfirmation {
            // The one confirmation an opt-out allows is now spent.
            consent.confirmationOwed = false
            try await consentStore.save(consent, in: text.accountID, at: now)
        }
        effects.publish(.messageCreated(conversationID: conversation?.id, messageID: message.id), to: text.accountID)
        effects.wakeOutbox()
        return QueuedText(message: message, conversation: conversation, sendAt: sendAt)
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
                code: "purpose_not_supported", message: "Only job notices and account notices are sent by email.")
        }
        if email.purpose == .transactional {
            let contacts = try await CustomerStore(sql).emails(address: email.to, in: email.accountID)
            if contacts.contains(where: { !$0.jobNotifications }) {
                throw FieldlineError.conflict(
                    code: "job_notifications_off", message: "\(email.to) has job notifications turned off.")
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

    private func senderNumber(
        accountID: AccountID, purpose: MessagePurpose, chosen: SenderNumberID?, thread: Conversation?,
        sql: any SQLDatabase
    ) async throws -> SenderNumber {
        let store = SenderNumberStore(sql)
        if let id = chosen {
            guard let stored = try await store.find(id, in: accountID) else {
                throw FieldlineError.notFound(entity: "phone number", id: id.rawValue)
            }
            guard stored.number.sends(purpose) else {
                throw FieldlineError.conflict(
                    code: "wrong_sender",
                    message: "\(stored.number.number.displayed) is not set up to send \(purpose.rawValue) texts.")
            }
            return stored.number
        }
        if purpose != .marketing, let id = thread?.senderNumberID,
            let stored = try await store.find(id, in: accountID), stored.number.sends(purpose)
        {
            return stored.number
        }
        if purpose == .marketing {
            guard let number = try await store.all(in: accountID).first(where: \.marketing) else {
                throw FieldlineError.conflict(
                    code: "no_marketing_number",
                    message: "Set up a marketing number in Settings → Texting numbers before sending promotions.")
            }
            return number
        }
        guard let number = try await store.defaultNumber(in: accountID) else {
            throw FieldlineError.conflict(
                code: "no_sender_number", message: "Set up a texting number in Settings → Texting numbers first.")
        }
        return number
    }

    /// The account-wide part of the gate, for pages that warn before anyone tries: why no text of
    /// this purpose could go out for the account now (its registrations, a number to send from).
    public func accountRefusal(
        purpose: MessagePurpose, automation: Automation?, accountID: AccountID, in sql: any SQLDatabase
    ) async throws -> FieldlineError? {
        let registrations = try await RegistrationStore(sql).statuses(of: accountID)
        if let refusal = RegistrationRules.refusal(
            purpose: purpose, automation: automation, texting: registrations.texting,
            marketing: registrations.marketing)
        {
            return refusal
        }
        do {
            _ = try await senderNumber(accountID: accountID, purpose: purpose, chosen: nil, thread: nil, sql: sql)
            return nil
        } catch let refusal as FieldlineError {
            return refusal
        }
    }

    private func quietHoursEnd(
        for text: OutboundText, contact: PhoneContact?, sql: any SQLDatabase, now: Date
    ) async throws -> Date {
        try await quietHoursEnd(of: text.to, contact: contact, accountID: text.accountID, sql: sql, now: now)
    }

    /// The end of a recipient's quiet hours: the state of their first service location decides
    /// the window and the clocks; without one, the strictest window on the account's clock. The
    /// outbox asks again when a held text comes due.
    func quietHoursEnd(
        of phone: PhoneNumber, contact: PhoneContact?, accountID: AccountID, sql: any SQLDatabase, now: Date
    ) async throws -> Date {
        guard let account = try await AccountStore(sql).find(accountID) else { return now }
        var state: String?
        if let contact {
            state = try await CustomerStore(sql).locations(of: contact.customerID, in: accountID).first?.address.state
        }
        return QuietHours.recipient(state: state, accountCalendar: account.calendar).nextAllowed(from: now)
    }

    // MARK: Marketing to many

    /// The gate's answer for one recipient of a marketing text.
    public enum Admission: Sendable, Equatable {
        /// It may go at `sendAt`: now, or when the recipient's quiet hours end (`held`).
        case admitted(sendAt: Date, held: Bool)
        /// It may not go; the refusal's code (`no_marketing_consent`, `opted_out`, `landline` …).
        case refused(String)
    }

    /// What the gate answers for a marketing text to each audience member, writing nothing. The
    /// account-wide checks (registrations) throw; each member's blocking, line type, consent,
    /// preferences and quiet hours give its admission, judged by the same `ConsentRules.check`
    /// and quiet-hours window as a single text. The facts come from `CampaignStore.audience`, read
    /// in the caller's transaction in one pass (a campaign's audience is read in slices of
    /// thousands; one query per fact and per slice cost more than the rest of the campaign).
    public func admissions(
        of members: [CampaignStore.AudienceMember], accountID: AccountID, in sql: any SQLDatabase
    ) async throws -> [PhoneNumber: Admission] {
        let registrations = try await RegistrationStore(sql).statuses(of: accountID)
        if let refusal = RegistrationRules.refusal(
            purpose: .marketing, automation: .campaign, texting: registrations.texting,
            marketing: registrations.marketing)
        {
            throw refusal
        }
        guard let account = try await AccountStore(sql).find(accountID) else {
            throw FieldlineError.notFound(entity: "account", id: accountID.rawValue)
        }
        let now = app.clock.now()
        var windows: [String: Date] = [:]
        var result: [PhoneNumber: Admission] = [:]
        for member in members {
            if member.blocked {
                result[member.phone] = .refused("number_blocked")
            } else if member.kind == .landline {
                result[member.phone] = .refused("landline")
            } else if let refusal = ConsentRules.check(
                .marketing, automation: .campaign, consent: member.consent, preferences: member.preferences)
            {
                result[member.phone] = .refused(refusal.code)
            } else {
                let key = member.state?.uppercased() ?? ""
                if windows[key] == nil {
                    windows[key] = QuietHours.recipient(state: member.state, accountCalendar: account.calendar)
                        .nextAllowed(from: now)
                }
                let sendAt = windows[key] ?? now
                result[member.phone] = .admitted(sendAt: sendAt, held: sendAt > now)
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
        let sender = try await senderNumber(
            accountID: accountID, purpose: .marketing, chosen: nil, thread: nil, sql: sql)
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
