import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import SQLKit

/// A text as the provider delivered it, after its signature was checked and the number it was
/// sent to was found.
public struct InboundText: Sendable {
    public struct Media: Sendable, Equatable {
        public var url: String
        public var contentType: String

        public init(url: String, contentType: String) {
            self.url = url
            self.contentType = contentType
        }
    }

    public var providerMessageID: String
    public var from: PhoneNumber
    /// The account's number it was sent to.
    public var to: SenderNumber
    public var body: String
    public var media: [Media]

    public init(providerMessageID: String, from: PhoneNumber, to: SenderNumber, body: String, media: [Media] = []) {
        self.providerMessageID = providerMessageID
        self.from = from
        self.to = to
        self.body = body
        self.media = media
    }
}

public enum InboundOutcome: Sendable, Equatable {
    /// The provider sent this text before; nothing new was stored.
    case duplicate
    /// From a blocked number: kept in the audit log only (CH15).
    case blocked(MessageID)
    /// From an employee or technician number: on the dispatch board (FS7).
    case dispatchBoard(MessageID)
    /// In the shared inbox (CH1), with the keyword it carried, if any (CH13).
    case inbox(MessageID, ConversationID, keyword: Keyword?)
}

/// The inbound pipeline, in DESIGN's order: dedupe on the provider id → blocked? → employee or
/// technician number? → keyword → find or open the conversation, store the text, mark unread →
/// autoresponder → live events. One transaction; the provider is answered after it committed.
public struct InboundTexts: Sendable {
    let app: Fieldline

    /// The longest inbound body kept (Twilio concatenates up to 1,600 characters).
    public static let maximumBodyLength = 1600

    public func receive(_ text: InboundText) async throws -> InboundOutcome {
        // Two texts from a new number arriving at once (PostgreSQL runs them side by side) race to
        // open its conversation; the loser runs again and finds the winner's thread. A text is
        // never refused for it: Twilio does not retry a 4xx, so the text would be lost.
        var attempt = 1
        while true {
            do {
                return try await app.transaction { sql, effects in try await receive(text, in: sql, effects: effects) }
            } catch FieldlineError.conflict(let code, _) where code == ConversationStore.raceCode && attempt < 5 {
                attempt += 1
            }
        }
    }

    func receive(_ text: InboundText, in sql: any SQLDatabase, effects: AfterCommit) async throws -> InboundOutcome {
        let accountID = text.to.accountID
        // Everything the steps below ask about the number, read in one query.
        var facts = try await InboundStore(sql).facts(
            providerMessageID: text.providerMessageID, phone: text.from, in: accountID)
        if facts.duplicate { return .duplicate }
        // A number of an erased customer texting again: the consent state kept under its hash
        // (an old STOP above all) is its own again before anything is decided (OP3).
        if !facts.consentRecorded, let key = facts.erasureKey {
            let hashed = ErasureHash.of(text.from.e164, accountKey: key, secrets: app.secrets)
            if try await ConsentStore(sql).relinkErased(text.from, hashed: hashed, in: accountID) {
                facts = try await InboundStore(sql).facts(
                    providerMessageID: text.providerMessageID, phone: text.from, in: accountID)
            }
        }
        let messages = MessageStore(sql)
        let now = app.clock.now()
        let body = String(text.body.prefix(Self.maximumBodyLength))
        // What the text says about consent, in the customer's words (CP1): read once, here.
        let reading = ReplyIntent.classify(body)
        let conversations = ConversationStore(sql)

        if facts.blocked {
            let message = inboundMessage(
                text, body: body, disposition: .blocked, conversation: nil, jobID: nil,
                author: MessageAuthor(kind: .contact, id: nil, name: text.from.displayed), now: now)
            guard try await messages.insert(message) else { return .duplicate }
            // Blocking hides a number's texts; it does not make its STOP meaningless.
            if Keyword.classify(body, reading: reading) == .optOut {
                try await applyKeyword(
                    .optOut, consent: facts.consent, company: facts.companyName, text: text, message: message,
                    reply: false, sql: sql, effects: effects)
            }
            return .blocked(message.id)
        }

        if let employee = facts.employee {
            let message = inboundMessage(
                text, body: body, disposition: .dispatchBoard, conversation: nil, jobID: nil, author: employee, now: now
            )
            guard try await messages.insert(message) else { return .duplicate }
            try await storeMedia(of: text, message: message, sql: sql)
            effects.publish(.dispatchBoardMessage(message.id), to: accountID)
            return .dispatchBoard(message.id)
        }

        // A number that texts is no landline, whatever a carrier's 30006 (which also means "carrier
        // unreachable") said before: its texts can be answered again.
        if facts.contact?.kind == .landline {
            try await CustomerStore(sql).setKind(of: text.from, to: .mobile, replacing: [.landline], in: accountID)
        }

        let keyword = Keyword.classify(
            body, reading: reading, doubleOptInPending: facts.consent.doubleOptInPending(at: now),
            toMarketingNumber: text.to.marketing)

        var conversation: Conversation
        let isNew: Bool
        if let existing = facts.conversation {
            conversation = existing
            isNew = false
            if conversation.status == .closed {
                conversation.status = .open
                conversation.closedAt = nil
            }
        } else {
            isNew = true
            conversation = Conversation(
                id: .generate(), accountID: accountID, phone: text.from, senderNumberID: text.to.id, jobID: nil,
                status: .open, unread: true, awaitingReply: true, lastMessageAt: now, lastMessagePreview: "",
                lastMessageDirection: .inbound, autoreplyPeriod: nil, createdAt: now, closedAt: nil)
        }
        if let customerID = facts.contact?.customerID {
            // The thread follows the customer's current job, so the technicians on it see the text
            // (TC1); a thread tied to a finished job moves on to the next one.
            let jobs = JobStore(sql)
            let tiedJob = try await conversation.jobID.asyncMap { try await jobs.find($0, in: accountID) }
            if tiedJob.map({ $0.status.isClosed }) ?? true,
                let next = try await jobs.upcomingJobs(ofCustomer: customerID, after: now, in: accountID, limit: 1)
                    .first?.id
            {
                conversation.jobID = next
            }
        }
        conversation.unread = true
        // A keyword is answered by its automatic reply (or needs none): it leaves the thread as
        // answered as it was, so a START or a sign-up does not hold campaigns back (CP4).
        // A revocation in a sentence may ask more ("stop texting me and cancel Friday"): it waits.
        if keyword == nil || (keyword == .optOut && !Keyword.isBare(body)) {
            conversation.awaitingReply = true
        } else if isNew {
            conversation.awaitingReply = false
        }
        conversation.senderNumberID = text.to.id
        conversation.lastMessageAt = now
        conversation.lastMessagePreview = Conversation.preview(
            of: body.isEmpty && !text.media.isEmpty ? "📎 Media" : body)
        conversation.lastMessageDirection = .inbound
        if isNew {
            try await conversations.insert(conversation)
        } else {
            try await conversations.update(conversation)
        }
        let author = MessageAuthor(
            kind: .contact, id: facts.contact?.customerID.rawValue, name: facts.customerName ?? text.from.displayed)
        let message = inboundMessage(
            text, body: body, disposition: .inbox, conversation: conversation.id, jobID: conversation.jobID,
            author: author, now: now)
        guard try await messages.insert(message) else { return .duplicate }
        try await storeMedia(of: text, message: message, sql: sql)
        effects.publish(.messageCreated(conversationID: conversation.id, messageID: message.id), to: accountID)
        effects.publish(.conversationChanged(conversation.id), to: accountID)
        effects.publish(.unreadChanged, to: accountID)

        if let keyword {
            try await applyKeyword(
                keyword, consent: facts.consent, company: facts.companyName, text: text, message: message,
                reply: true, sql: sql, effects: effects)
        } else if let afterHours = facts.afterHours {
            try await autorespond(
                to: conversation, afterHours: afterHours, text: text, now: now, sql: sql, effects: effects)
        }
        return .inbox(message.id, conversation.id, keyword: keyword)
    }

    private func inboundMessage(
        _ text: InboundText, body: String, disposition: InboundDisposition, conversation: ConversationID?,
        jobID: JobID?, author: MessageAuthor, now: Date
    ) -> Message {
        let measured = MessageText(body)
        return Message(
            id: .generate(), accountID: text.to.accountID, conversationID: conversation, direction: .inbound,
            disposition: disposition, phone: text.from, ourNumber: text.to.number, body: body, purpose: nil,
            author: author, jobID: jobID, status: .received, errorCode: nil, errorMessage: nil,
            provider: text.to.provider.rawValue, providerMessageID: text.providerMessageID,
            segments: measured.segments, encoding: measured.encoding, mediaCount: text.media.count, resendOf: nil,
            createdAt: now, statusAt: now)
    }

    /// Media is fetched after the webhook answered (MediaFetcher); a number that cannot receive
    /// media keeps the record of what was sent (CH14).
    private func storeMedia(of text: InboundText, message: Message, sql: any SQLDatabase) async throws {
        let store = MessageStore(sql)
        for (position, media) in text.media.enumerated() {
            try await store.insert(
                MessageMedia(
                    id: .generate(), accountID: message.accountID, messageID: message.id, position: position,
                    contentType: media.contentType, sourceURL: media.url, state: text.to.mms ? .pending : .notSupported,
                    byteCount: nil, createdAt: message.createdAt))
        }
    }

    /// CH13: the consent change a keyword makes, and its one automatic answer.
    private func applyKeyword(
        _ keyword: Keyword, consent current: SMSConsent, company: String, text: InboundText, message: Message,
        reply: Bool, sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        let accountID = text.to.accountID
        // The opt-in link's sentence is consent to marketing whichever other roles its number has.
        let signUp = text.to.marketing && keyword == .optIn && Keyword.isSignUpSentence(message.body)
        let scope = signUp ? .marketing : text.to.keywordScope
        // A bare keyword ("STOP") or the customer's own words ("please stop texting me"): the ledger
        // says which, and links the text either way.
        let method = signUp ? "opt_in_link" : Keyword.isBare(message.body) ? "keyword" : "own_words"
        var outcome = ConsentRules.apply(keyword, scope: scope, to: current, at: app.clock.now())
        if !reply { outcome.consent.confirmationOwed = false }
        if outcome.consent != current {
            try await app.consent.apply(
                outcome.consent, changes: outcome.changes,
                method: method,
                actor: ActorRef(kind: .contact, id: nil, name: text.from.displayed), messageID: message.id,
                accountID: accountID, in: sql)
        }
        guard reply, let automation = outcome.reply,
            let body = ComplianceReplies.text(
                for: automation, scope: scope, company: company, contactNumber: text.to.number)
        else { return }
        try await sendAutomatic(
            OutboundText(
                accountID: accountID, to: text.from, body: body, purpose: .compliance,
                author: .automated(automation), sender: text.to.id, thread: .joinIfExists),
            sql: sql, effects: effects)
    }

    /// CH17: outside business hours, one automatic answer per conversation per closed period.
    private func autorespond(
        to conversation: Conversation, afterHours: InboundStore.AfterHours, text: InboundText, now: Date,
        sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        guard let period = afterHours.businessHours.closedPeriod(containing: now, calendar: afterHours.calendar),
            conversation.autoreplyPeriod != period
        else { return }
        let sent = try await sendAutomatic(
            OutboundText(
                accountID: text.to.accountID, to: text.from, body: afterHours.text, purpose: .conversational,
                author: .automated(.autoresponder), sender: text.to.id, thread: .joinIfExists),
            sql: sql, effects: effects)
        if sent { try await ConversationStore(sql).setAutoreplyPeriod(period, of: conversation.id) }
    }

    /// An automatic answer the Messenger may refuse (the number opted out, the sender cannot send):
    /// a refused answer is simply not sent, and the inbound text is still stored.
    @discardableResult
    private func sendAutomatic(_ text: OutboundText, sql: any SQLDatabase, effects: AfterCommit) async throws -> Bool {
        do {
            try await app.messenger.send(text, in: sql, effects: effects)
            return true
        } catch let error as FieldlineError {
            app.logger.info("Automatic \(text.author.automation?.rawValue ?? "reply") not sent: \(error.message)")
            return false
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
