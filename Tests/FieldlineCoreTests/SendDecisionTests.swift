import FieldlineCore
import Foundation
import Testing

/// The one send decision against its specification, written here as an ordered list of rules
/// (first match wins) from SC1–SC8, CH10–CH15, rather than derived from the code, over every
/// combination of the facts that matter.
@Suite("The send decision, exhaustively")
struct SendDecisionTests {
    static let phone = PhoneNumber(storedE164: "+15125550142")
    static let now = Date(timeIntervalSince1970: 1_795_000_000)
    static let later = now.addingTimeInterval(9 * 3600)

    static func number(_ digits: String, chat: Bool, marketing: Bool, isDefault: Bool) -> SenderNumber {
        SenderNumber(
            id: SenderNumberID("sn-\(digits)"), accountID: AccountID("acc"),
            number: PhoneNumber(storedE164: "+1512555\(digits)"), label: digits, provider: .twilio, chat: chat,
            mms: false, marketing: marketing, isDefault: isDefault, ratePerSecond: 1, providerAccountID: nil,
            messagingServiceID: nil, hasCredentials: true, createdAt: now)
    }

    static let main = number("0100", chat: true, marketing: false, isDefault: true)
    static let promotions = number("0200", chat: false, marketing: true, isDefault: false)

    /// The stages a text is judged at, with the sender, body and thread facts that vary there.
    static let stages: [OutboundFacts.Stage] = [
        .queueing(
            sender: .automatic(thread: nil, numbers: [main, promotions]), body: "On our way", attachments: 0,
            thread: .converse, threadExists: false),
        .queueing(
            sender: .automatic(thread: promotions, numbers: [main]), body: "On our way", attachments: 0,
            thread: .joinIfExists, threadExists: true),
        .queueing(
            sender: .automatic(thread: nil, numbers: []), body: "Hi", attachments: 0, thread: .converse,
            threadExists: true),
        .queueing(
            sender: .named(SenderNumberID("sn-x"), nil), body: "Hi", attachments: 0, thread: .converse,
            threadExists: false),
        .queueing(
            sender: .named(promotions.id, promotions), body: "Hi", attachments: 0, thread: .joinIfExists,
            threadExists: false),
        .queueing(
            sender: .named(main.id, main), body: "   ", attachments: 0, thread: .converse, threadExists: true),
        .queueing(
            sender: .named(main.id, main), body: String(repeating: "é", count: 161), attachments: 0,
            thread: .converse, threadExists: true),
        .queueing(
            sender: .named(main.id, main), body: "Photo", attachments: 1, thread: .converse, threadExists: true),
        .audienceMember,
        .handOff(withdrawn: nil),
        .handOff(withdrawn: .conflict(code: .campaignCanceled, message: "Canceled.")),
    ]

    static let kinds: [(MessagePurpose, Automation?)] = [
        (.conversational, nil), (.conversational, .autoresponder), (.transactional, .dispatchNotice),
        (.transactional, .estimateFollowUp), (.transactional, .serviceReminder), (.marketing, .campaign),
        (.compliance, .optOutConfirmation), (.compliance, .helpReply), (.compliance, .doubleOptInRequest),
    ]

    static let consents: [SMSConsent] = [false, true].flatMap { optedOut in
        [MarketingConsent.none, .optedIn, .optedOut].flatMap { marketing in
            [false, true].map { owed in
                SMSConsent(phone: phone, optedOut: optedOut, marketing: marketing, confirmationOwed: owed)
            }
        }
    }

    static let preferences: [NotificationPreferences?] = [
        nil, NotificationPreferences(jobNotifications: true, marketingUpdates: true),
        NotificationPreferences(jobNotifications: false, marketingUpdates: true),
        NotificationPreferences(jobNotifications: true, marketingUpdates: false),
    ]

    /// The expected refusal code, or nil when the text is admitted.
    static func expectedRefusal(_ facts: OutboundFacts) -> String? {
        let queueing: (sender: OutboundFacts.SenderChoice, body: String?, attachments: Int)? =
            if case .queueing(let sender, let body, let attachments, _, _) = facts.stage {
                (sender, body, attachments)
            } else { nil }
        let handOff = if case .handOff = facts.stage { true } else { false }
        let needsMarketingRegistration = facts.purpose == .marketing || facts.automation == .doubleOptInRequest
        let isConfirmation = facts.purpose == .compliance && facts.automation == .optOutConfirmation
        let rules: [(Bool, String)] = [
            (facts.texting != .approved, "texting_not_registered"),
            (needsMarketingRegistration && facts.marketing != .approved, "marketing_not_registered"),
            (facts.blocked, "number_blocked"),
            (facts.lineType == .landline, "landline"),
            (
                facts.stage == .handOff(withdrawn: .conflict(code: .campaignCanceled, message: "Canceled.")),
                "campaign_canceled"
            ),
            // The one confirmation an opt-out owes goes even to the opted out, once.
            (isConfirmation && !handOff && !facts.consent.confirmationOwed, "confirmation_already_sent"),
            (!isConfirmation && facts.consent.optedOut, "opted_out"),
            (
                facts.purpose == .transactional && facts.preferences?.jobNotifications == false,
                "job_notifications_off"
            ),
            (facts.purpose == .marketing && facts.consent.marketing != .optedIn, "no_marketing_consent"),
            (facts.purpose == .marketing && facts.preferences?.marketingUpdates == false, "marketing_updates_off"),
        ]
        if let hit = rules.first(where: \.0) { return hit.1 }
        guard let queueing else { return nil }
        switch queueing.sender {
        case .named(_, nil): return "phone_number_not_found"
        case .named(_, let number?):
            if !number.sends(facts.purpose) { return "wrong_sender" }
        case .automatic(let thread, let numbers):
            let usable =
                facts.purpose == .marketing
                ? numbers.contains(where: \.marketing)
                : (thread?.sends(facts.purpose) ?? false) || numbers.contains(where: \.isDefault)
            if !usable { return facts.purpose == .marketing ? "no_marketing_number" : "no_sender_number" }
        }
        if queueing.attachments > 0 { return "invalid_attachments" }
        let body = (queueing.body ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if body.isEmpty || body.count > 160 { return "invalid_body" }
        return nil
    }

    static func waitsForWindow(_ facts: OutboundFacts) -> Bool {
        facts.purpose == .marketing
            || [.doubleOptInRequest, .estimateFollowUp, .serviceReminder].contains(facts.automation)
    }

    @Test("Every purpose, registration, block, line type, consent, preference, window and stage")
    func exhaustive() {
        var cases = 0
        let registrations: [RegistrationStatus] = [.approved, .pending]
        let lineTypes: [PhoneKind?] = [nil, .mobile, .landline, .unknown]
        for (purpose, automation) in Self.kinds {
            for texting in registrations {
                for marketing in registrations {
                    for blocked in [false, true] {
                        for lineType in lineTypes {
                            for consent in Self.consents {
                                for preferences in Self.preferences {
                                    for windowOpens in [Self.now, Self.later] {
                                        for stage in Self.stages {
                                            let facts = OutboundFacts(
                                                purpose: purpose, automation: automation, texting: texting,
                                                marketing: marketing, blocked: blocked, lineType: lineType,
                                                consent: consent, preferences: preferences, windowOpens: windowOpens,
                                                now: Self.now, stage: stage)
                                            check(facts)
                                            cases += 1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(cases == Self.kinds.count * 2 * 2 * 2 * 4 * 12 * 4 * 2 * Self.stages.count)
    }

    func check(_ facts: OutboundFacts) {
        let decision = SendDecision.decide(facts)
        let expected = Self.expectedRefusal(facts)
        switch decision {
        case .refuse(let refusal):
            #expect(refusal.code == expected, "\(Self.label(facts))")
        case .send(let admitted), .hold(_, let admitted):
            #expect(expected == nil, "\(Self.label(facts)) admitted, expected \(expected ?? "")")
            let held = if case .hold = decision { true } else { false }
            #expect(held == (Self.waitsForWindow(facts) && facts.windowOpens > facts.now), "\(Self.label(facts))")
            #expect(admitted.background == Self.waitsForWindow(facts))
            if case .hold(let until, _) = decision { #expect(until == facts.windowOpens) }
            if case .queueing(_, _, _, let rule, let exists) = facts.stage {
                #expect(admitted.sender?.sends(facts.purpose) == true, "\(Self.label(facts))")
                #expect(admitted.text != nil)
                let thread: SendDecision.ThreadUse =
                    switch (rule, exists) {
                    case (.converse, false): .open
                    case (.converse, true): .reuse
                    case (.joinIfExists, true): .join
                    case (.joinIfExists, false): .none
                    }
                #expect(admitted.thread == thread, "\(Self.label(facts))")
            } else {
                #expect(
                    admitted.sender == nil && admitted.text == nil && admitted.thread == SendDecision.ThreadUse.none)
            }
        }
    }

    static func label(_ facts: OutboundFacts) -> String {
        "\(facts.purpose) \(String(describing: facts.automation)) \(facts.stage) \(facts.consent) "
            + "blocked \(facts.blocked) \(String(describing: facts.lineType)) \(String(describing: facts.preferences))"
    }

    @Test("The thread's number answers; promotions always leave from the marketing number")
    func senderChoice() throws {
        let thread = Self.number("0300", chat: true, marketing: false, isDefault: false)
        let numbers = [Self.main, Self.promotions, thread]
        #expect(
            try SendDecision.sender(for: .conversational, choice: .automatic(thread: thread, numbers: numbers)).get()
                == thread)
        #expect(
            try SendDecision.sender(for: .marketing, choice: .automatic(thread: thread, numbers: numbers)).get()
                == Self.promotions)
        // A thread on the marketing-only number: a reply goes from the default instead.
        #expect(
            try SendDecision.sender(
                for: .conversational, choice: .automatic(thread: Self.promotions, numbers: numbers)
            ).get() == Self.main)
        #expect(
            SendDecision.accountRefusal(
                purpose: .marketing, automation: .campaign, texting: .approved, marketing: .approved,
                numbers: [Self.main])?.code == "no_marketing_number")
        #expect(
            SendDecision.accountRefusal(
                purpose: .transactional, automation: .dispatchNotice, texting: .approved, marketing: .pending,
                numbers: [Self.main]) == nil)
    }
}
