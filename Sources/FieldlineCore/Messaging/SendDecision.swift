import Foundation

/// Everything the gate needs to know about one outbound text, read by the caller in its
/// transaction. The decision itself reads nothing: `SendDecision.decide` is a pure function of these.
public struct OutboundFacts: Sendable, Equatable {
    /// Which sender number the text asks for.
    public enum SenderChoice: Sendable, Equatable {
        /// The caller named a number; nil when no number with that id belongs to the account.
        case named(SenderNumberID, SenderNumber?)
        /// The thread's number when it may send this purpose, else the account's default (or its
        /// marketing number for promotions). `numbers` holds the ones that could stand in: at least
        /// the default, and for a promotion every number.
        case automatic(thread: SenderNumber?, numbers: [SenderNumber])
    }

    /// How a text relates to the chat thread with its recipient (CH11).
    public enum ThreadRule: Sendable, Equatable {
        /// A person writing: the thread is used, opened or reopened, and counts as answered.
        case converse
        /// Automatic: joins the thread only if one already exists, and changes none of its state.
        case joinIfExists
    }

    /// Where in its life the text is judged.
    public enum Stage: Sendable, Equatable {
        /// Being written to the outbox: the sender is chosen and the body checked here.
        case queueing(
            sender: SenderChoice, body: String?, attachments: Int, thread: ThreadRule, threadExists: Bool)
        /// One member of a campaign's audience: the campaign's sender and body are checked once for
        /// all of them, so only the member's own facts are judged.
        case audienceMember
        /// Leaving the outbox for the provider: admitted once, judged again on today's facts.
        /// `withdrawn` is why its campaign or trigger took it back meanwhile, if it did.
        case handOff(withdrawn: FieldlineError?)
    }

    public var purpose: MessagePurpose
    /// The automation that wrote it; nil for a person.
    public var automation: Automation?
    public var texting: RegistrationStatus
    public var marketing: RegistrationStatus
    /// The account blocked the recipient as spam (CH15).
    public var blocked: Bool
    /// The recipient's line type when a customer has the number (a landline is learned from the
    /// carrier's 30006 or typed by the office); nil when no customer has it.
    public var lineType: PhoneKind?
    public var consent: SMSConsent
    /// The customer's notification preferences, when a customer has the number.
    public var preferences: NotificationPreferences?
    /// When the recipient's quiet-hours window next opens (`now` while it is open), on the
    /// clocks of their service address's state (`QuietHours.recipient`). Only read for a text that
    /// waits for it (`SendDecision.waitsForQuietHours`); `now` for any other.
    public var windowOpens: Date
    /// What the frequency rules need to know about the number (CP4); nil when no limit applies
    /// (anything but marketing, or a text already admitted).
    public var marketingHistory: MarketingHistory?
    public var now: Date
    public var stage: Stage

    /// The number's recent marketing and its conversation, against the account's limit (CP4).
    public struct MarketingHistory: Sendable, Equatable {
        public var limit: MarketingLimit
        /// Marketing texts queued or sent to the number since `limit.windowStart(before: now)`.
        public var recentTexts: Int
        /// Its conversation is open and waiting for the office's answer.
        public var awaitingOurReply: Bool

        public init(limit: MarketingLimit, recentTexts: Int, awaitingOurReply: Bool) {
            self.limit = limit
            self.recentTexts = recentTexts
            self.awaitingOurReply = awaitingOurReply
        }
    }

    public init(
        purpose: MessagePurpose, automation: Automation?, texting: RegistrationStatus,
        marketing: RegistrationStatus, blocked: Bool, lineType: PhoneKind?, consent: SMSConsent,
        preferences: NotificationPreferences?, windowOpens: Date, marketingHistory: MarketingHistory? = nil,
        now: Date, stage: Stage
    ) {
        self.purpose = purpose
        self.automation = automation
        self.texting = texting
        self.marketing = marketing
        self.blocked = blocked
        self.lineType = lineType
        self.consent = consent
        self.preferences = preferences
        self.windowOpens = windowOpens
        self.marketingHistory = marketingHistory
        self.now = now
        self.stage = stage
    }
}

/// The one answer to "may this text go out, and when": every outbound text is judged here when it
/// is queued (`Messenger.send`), for each member of a campaign's audience (`Messenger.admissions`),
/// and again at the moment the outbox hands it to the provider.
///
/// The order, first refusal wins:
/// 1. the account's registrations (texting for everything, marketing for promotions and opt-in
///    requests, SC1);
/// 2. the recipient is not blocked (CH15);
/// 3. the recipient is not a landline;
/// 4. at hand-off, its campaign or trigger has not withdrawn it;
/// 5. consent for the purpose and the customer's preferences (SC2–SC4, CH13);
/// 5a. marketing only, while queueing: at most the account's number of marketing texts per number
///    in its window, and a campaign passes over a conversation waiting for our answer (CP4);
/// 6. a sender number that may send this purpose (queueing only);
/// 7. one message of at most 160 characters and no attachments (CH10, CH14; queueing only);
/// 8. quiet hours hold what is not time-sensitive (SC8) until the recipient's window opens;
/// 9. the thread rule (CH11) says which thread it lands in.
public enum SendDecision: Sendable, Equatable {
    case send(Admitted)
    case hold(until: Date, Admitted)
    case refuse(FieldlineError)

    /// What an admitted text goes out with.
    public struct Admitted: Sendable, Equatable {
        /// Chosen while queueing; nil at the other stages (the campaign's or the queued text's own).
        public var sender: SenderNumber?
        /// The checked body, while queueing.
        public var text: MessageText?
        public var thread: ThreadUse
        /// Not time-sensitive (it waits for quiet hours): it queues behind replies and notices.
        public var background: Bool

        public init(sender: SenderNumber?, text: MessageText?, thread: ThreadUse, background: Bool) {
            self.sender = sender
            self.text = text
            self.thread = thread
            self.background = background
        }
    }

    /// Where an admitted text lands among the chat threads.
    public enum ThreadUse: Sendable, Equatable {
        /// A person's text to a number without a thread opens one.
        case open
        /// A person's text reuses (and reopens) the thread.
        case reuse
        /// An automatic text joins the existing thread without changing its state.
        case join
        /// No thread: an automatic text to a number without one, a campaign's, or one leaving the outbox.
        case none
    }

    public var refusal: FieldlineError? {
        if case .refuse(let error) = self { return error }
        return nil
    }

    public static func decide(_ facts: OutboundFacts) -> SendDecision {
        if let refusal = RegistrationRules.refusal(
            purpose: facts.purpose, automation: facts.automation, texting: facts.texting, marketing: facts.marketing)
        {
            return .refuse(refusal)
        }
        if facts.blocked {
            return .refuse(
                .conflict(
                    code: .numberBlocked,
                    message: "\(facts.consent.phone.displayed) is blocked as spam. An admin can unblock it in Settings."
                ))
        }
        if facts.lineType == .landline {
            return .refuse(
                .conflict(
                    code: .landline,
                    message: "\(facts.consent.phone.displayed) is a landline; it cannot receive or answer a text."))
        }
        if case .handOff(let withdrawn?) = facts.stage { return .refuse(withdrawn) }
        let handOff = if case .handOff = facts.stage { true } else { false }
        if let refusal = ConsentRules.check(
            facts.purpose, automation: facts.automation, consent: facts.consent, preferences: facts.preferences,
            admitted: handOff)
        {
            return .refuse(.conflict(code: refusal.code, message: refusal.message(for: facts.consent.phone)))
        }
        if facts.purpose == .marketing, !handOff, let history = facts.marketingHistory,
            let refusal = frequencyRefusal(history, automation: facts.automation, phone: facts.consent.phone)
        {
            return .refuse(refusal)
        }
        let background = waitsForQuietHours(purpose: facts.purpose, automation: facts.automation)
        var admitted = Admitted(sender: nil, text: nil, thread: .none, background: background)
        if case .queueing(let choice, let body, let attachments, let rule, let threadExists) = facts.stage {
            switch sender(for: facts.purpose, choice: choice) {
            case .success(let number): admitted.sender = number
            case .failure(let refusal): return .refuse(refusal)
            }
            guard attachments == 0 else {
                return .refuse(
                    .invalid(
                        field: "attachments", message: "Texts cannot carry attachments; send files by email instead.")
                )
            }
            do {
                admitted.text = try MessageText.validatedOutbound(body)
            } catch {
                return .refuse(error)
            }
            admitted.thread =
                switch (rule, threadExists) {
                case (.converse, false): .open
                case (.converse, true): .reuse
                case (.joinIfExists, true): .join
                case (.joinIfExists, false): .none
                }
        }
        if background, facts.windowOpens > facts.now {
            return .hold(until: facts.windowOpens, admitted)
        }
        return .send(admitted)
    }

    /// Step 5a (CP4). Judged when a text is queued, not again at hand-off: by then the text itself
    /// is among the ones counted.
    static func frequencyRefusal(
        _ history: OutboundFacts.MarketingHistory, automation: Automation?, phone: PhoneNumber
    ) -> FieldlineError? {
        if history.recentTexts >= history.limit.texts {
            return .conflict(
                code: .frequencyLimit,
                message:
                    "\(phone.displayed) already got \(history.recentTexts) marketing text\(history.recentTexts == 1 ? "" : "s") in the last \(history.limit.days) days; the limit is \(history.limit.summary)."
            )
        }
        if automation == .campaign, history.limit.skipOpenConversations, history.awaitingOurReply {
            return .conflict(
                code: .openConversation,
                message: "\(phone.displayed) is waiting for an answer in the inbox; campaigns pass over open questions."
            )
        }
        return nil
    }

    /// Steps 1 and 6 alone, for pages that warn before anyone writes: why no text of this purpose
    /// could leave the account now, whoever it is for.
    public static func accountRefusal(
        purpose: MessagePurpose, automation: Automation?, texting: RegistrationStatus,
        marketing: RegistrationStatus, numbers: [SenderNumber]
    ) -> FieldlineError? {
        if let refusal = RegistrationRules.refusal(
            purpose: purpose, automation: automation, texting: texting, marketing: marketing)
        {
            return refusal
        }
        if case .failure(let refusal) = sender(for: purpose, choice: .automatic(thread: nil, numbers: numbers)) {
            return refusal
        }
        return nil
    }

    /// Whether a text of this kind waits for the recipient's quiet hours (step 8): promotions, the
    /// requests for marketing consent, estimate follow-ups and service reminders.
    public static func waitsForQuietHours(purpose: MessagePurpose, automation: Automation?) -> Bool {
        QuietHours.applies(to: purpose, automation: automation)
    }

    /// A refusal that meets every recipient alike: the account's registrations and numbers.
    public static func isAccountWide(_ refusal: FieldlineError) -> Bool {
        switch refusal.code {
        case "texting_not_registered", "marketing_not_registered", "no_sender_number", "no_marketing_number": true
        default: false
        }
    }

    /// The number a text of `purpose` goes out from (step 6).
    public static func sender(
        for purpose: MessagePurpose, choice: OutboundFacts.SenderChoice
    ) -> Result<SenderNumber, FieldlineError> {
        switch choice {
        case .named(let id, nil):
            return .failure(.notFound(entity: "phone number", id: id.rawValue))
        case .named(_, let number?):
            guard number.sends(purpose) else {
                return .failure(
                    .conflict(
                        code: .wrongSender,
                        message: "\(number.number.displayed) is not set up to send \(purpose.rawValue) texts."))
            }
            return .success(number)
        case .automatic(let thread, let numbers):
            if purpose != .marketing, let thread, thread.sends(purpose) { return .success(thread) }
            if purpose == .marketing {
                guard let number = numbers.first(where: \.marketing) else {
                    return .failure(
                        .conflict(
                            code: .noMarketingNumber,
                            message:
                                "Set up a marketing number in Settings → Texting numbers before sending promotions."))
                }
                return .success(number)
            }
            guard let number = numbers.first(where: \.isDefault) else {
                return .failure(
                    .conflict(
                        code: .noSenderNumber,
                        message: "Set up a texting number in Settings → Texting numbers first."))
            }
            return .success(number)
        }
    }
}
