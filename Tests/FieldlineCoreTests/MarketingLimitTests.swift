import FieldlineCore
import Foundation
import Testing

@Suite("Marketing frequency limits in the send decision (CP4)")
struct MarketingLimitTests {
    static let phone = PhoneNumber(storedE164: "+15125550142")
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func facts(
        purpose: MessagePurpose = .marketing, automation: Automation? = .campaign, recent: Int, awaiting: Bool = false,
        limit: MarketingLimit = MarketingLimit(), stage: OutboundFacts.Stage = .audienceMember
    ) -> OutboundFacts {
        OutboundFacts(
            purpose: purpose, automation: automation, texting: .approved, marketing: .approved, blocked: false,
            lineType: .mobile, consent: SMSConsent(phone: phone, marketing: .optedIn),
            preferences: NotificationPreferences(jobNotifications: true, marketingUpdates: true), windowOpens: now,
            marketingHistory: OutboundFacts.MarketingHistory(
                limit: limit, recentTexts: recent, awaitingOurReply: awaiting),
            now: now, stage: stage)
    }

    @Test("The default is 4 per 30 days: the fifth marketing text is refused with the reason")
    func defaultLimit() {
        #expect(MarketingLimit() == MarketingLimit(texts: 4, days: 30, skipOpenConversations: true))
        for recent in 0..<4 { #expect(SendDecision.decide(Self.facts(recent: recent)).refusal == nil) }
        let refusal = SendDecision.decide(Self.facts(recent: 4)).refusal
        #expect(refusal?.code == "frequency_limit")
        #expect(refusal?.message.contains("4 per 30 days") == true)
        #expect(SendDecision.decide(Self.facts(recent: 9, limit: MarketingLimit(texts: 10))).refusal == nil)
    }

    @Test("A campaign passes over a conversation waiting for our answer, unless the account says otherwise")
    func openConversations() {
        #expect(SendDecision.decide(Self.facts(recent: 0, awaiting: true)).refusal?.code == "open_conversation")
        let off = MarketingLimit(skipOpenConversations: false)
        #expect(SendDecision.decide(Self.facts(recent: 0, awaiting: true, limit: off)).refusal == nil)
    }

    @Test("Job texts, replies and texts already admitted are not counted against the limit")
    func onlyMarketingWhenQueued() {
        #expect(
            SendDecision.decide(
                Self.facts(purpose: .transactional, automation: .dispatchNotice, recent: 50, awaiting: true)
            )
            .refusal == nil)
        #expect(SendDecision.decide(Self.facts(recent: 50, stage: .handOff(withdrawn: nil))).refusal == nil)
    }

    @Test("Consent still comes first: an opted-out number is refused as opted out, not as over the limit")
    func consentFirst() {
        var facts = Self.facts(recent: 10)
        facts.consent.optedOut = true
        #expect(SendDecision.decide(facts).refusal?.code == "opted_out")
    }

    @Test("The limit is validated")
    func validation() {
        #expect(throws: FieldlineError.self) { try MarketingLimit(texts: 0).validated() }
        #expect(throws: FieldlineError.self) { try MarketingLimit(texts: 31).validated() }
        #expect(throws: FieldlineError.self) { try MarketingLimit(days: 0).validated() }
        #expect(throws: FieldlineError.self) { try MarketingLimit(days: 366).validated() }
        #expect((try? MarketingLimit(texts: 1, days: 365).validated()) != nil)
        #expect(MarketingLimit(texts: 2, days: 1).summary == "2 per 1 day")
    }
}
