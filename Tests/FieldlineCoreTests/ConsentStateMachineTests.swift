import FieldlineCore
import Foundation
import Testing

/// The consent state machine against its specification, written out here case by case from
/// SC4–SC6 rather than derived from the code: every keyword × the scope of the number it reached
/// × every prior state (opted out or not, each marketing consent, a confirmation owed or not,
/// no / a live / an expired double opt-in request).
@Suite("Consent state machine, exhaustively")
struct ConsentStateMachineTests {
    let phone = PhoneNumber(storedE164: "+15125550142")
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    struct Expected: Equatable {
        var optedOut: Bool
        var marketing: MarketingConsent
        var confirmationOwed: Bool
        var pendingCleared: Bool
        var reply: Automation?
    }

    func specification(_ keyword: Keyword, scope: ConsentScope, prior: SMSConsent) -> Expected {
        let pending = prior.doubleOptInPendingUntil.map { now < $0 } ?? false
        var expected = Expected(
            optedOut: prior.optedOut, marketing: prior.marketing, confirmationOwed: prior.confirmationOwed,
            pendingCleared: false, reply: nil)
        switch (keyword, scope) {
        case (.help, _):
            // HELP answers and changes nothing.
            expected.reply = .helpReply
        case (.optOut, .all):
            // Everything stops, marketing consent included; one confirmation if this is news.
            expected.optedOut = true
            if prior.marketing == .optedIn { expected.marketing = .optedOut }
            expected.pendingCleared = true
            if !prior.optedOut {
                expected.confirmationOwed = true
                expected.reply = .optOutConfirmation
            }
        case (.optOut, .marketing):
            // Marketing only; job texts still go.
            expected.marketing = .optedOut
            expected.pendingCleared = true
            if prior.marketing != .optedOut {
                expected.confirmationOwed = true
                expected.reply = .optOutConfirmation
            }
        case (.optIn, .all):
            if pending && !prior.optedOut {
                // YES (or START) answering a live double opt-in request.
                expected.marketing = .optedIn
                expected.pendingCleared = true
                expected.reply = .optInConfirmation
            } else if prior.optedOut {
                // START resumes the scope it was sent to: texts, not promotions.
                expected.optedOut = false
                expected.confirmationOwed = false
                expected.reply = .optInConfirmation
            }
        case (.optIn, .marketing):
            // START or the sign-up sentence to the marketing number is written consent to
            // marketing; it does not lift an opt-out of everything sent to the chat number.
            if prior.marketing != .optedIn {
                expected.marketing = .optedIn
                expected.pendingCleared = true
                expected.confirmationOwed = false
                expected.reply = .optInConfirmation
            }
        }
        return expected
    }

    var priorStates: [SMSConsent] {
        var states: [SMSConsent] = []
        for optedOut in [false, true] {
            for marketing in MarketingConsent.allCases {
                for owed in [false, true] {
                    for pending in [nil, now.addingTimeInterval(600), now.addingTimeInterval(-600)] {
                        states.append(
                            SMSConsent(
                                phone: phone, optedOut: optedOut, marketing: marketing, confirmationOwed: owed,
                                doubleOptInPendingUntil: pending))
                    }
                }
            }
        }
        return states
    }

    /// Whether the one send decision lets a text of this kind through to a number in `consent`,
    /// everything else about the account and the number being in order.
    func admitted(_ purpose: MessagePurpose, _ automation: Automation, _ consent: SMSConsent) -> Bool {
        let number = SenderNumber(
            id: SenderNumberID("sn-main"), accountID: AccountID("acc"), number: PhoneNumber(storedE164: "+15125550100"),
            label: "Main", provider: .twilio, chat: true, mms: false, marketing: true, isDefault: true,
            ratePerSecond: 1, providerAccountID: nil, messagingServiceID: nil, hasCredentials: true, createdAt: now)
        let decision = SendDecision.decide(
            OutboundFacts(
                purpose: purpose, automation: automation, texting: .approved, marketing: .approved, blocked: false,
                lineType: .mobile, consent: consent, preferences: nil, windowOpens: now, now: now,
                stage: .queueing(
                    sender: .automatic(thread: nil, numbers: [number]), body: "Hello", attachments: 0,
                    thread: .joinIfExists, threadExists: false)))
        return decision.refusal == nil
    }

    @Test("Every keyword, scope and prior state ends where the specification says")
    func exhaustive() {
        var cases = 0
        for prior in priorStates {
            for keyword in Keyword.allCases {
                for scope in ConsentScope.allCases {
                    let outcome = ConsentRules.apply(keyword, scope: scope, to: prior, at: now)
                    let expected = specification(keyword, scope: scope, prior: prior)
                    let label = "\(keyword) to \(scope) from \(prior)"
                    #expect(outcome.consent.optedOut == expected.optedOut, "\(label)")
                    #expect(outcome.consent.marketing == expected.marketing, "\(label)")
                    #expect(outcome.consent.confirmationOwed == expected.confirmationOwed, "\(label)")
                    #expect(outcome.reply == expected.reply, "\(label)")
                    #expect(
                        outcome.consent.doubleOptInPendingUntil
                            == (expected.pendingCleared ? nil : prior.doubleOptInPendingUntil), "\(label)")
                    // After the keyword, what may reach the number follows from the new state alone.
                    let next = outcome.consent
                    #expect(
                        admitted(.marketing, .campaign, next) == (!next.optedOut && next.marketing == .optedIn),
                        "\(label)")
                    #expect(admitted(.transactional, .dispatchNotice, next) == !next.optedOut, "\(label)")
                    cases += 1
                }
            }
        }
        #expect(cases == 2 * 3 * 2 * 3 * Keyword.allCases.count * ConsentScope.allCases.count)
    }
}
