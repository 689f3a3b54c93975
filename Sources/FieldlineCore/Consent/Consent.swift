import Foundation

/// What an opt-out or opt-in covers (SC4, SC6).
public enum ConsentScope: String, Sendable, Codable, CaseIterable {
    /// Every text from the account: STOP to a chat/transactional number.
    case all
    /// Marketing only: STOP to the marketing number.
    case marketing
}

/// Explicit marketing consent of one number (SC2, SC5).
public enum MarketingConsent: String, Sendable, Codable, CaseIterable {
    /// Never asked, or never answered: no marketing.
    case none
    case optedIn = "opted_in"
    case optedOut = "opted_out"
}

/// The texting consent of one phone number in one account. A number with no row has the default:
/// implied consent for conversations and job notices, no marketing consent.
public struct SMSConsent: Sendable, Equatable {
    public var phone: PhoneNumber
    /// The number texted STOP to a chat or transactional number: nothing may reach it but the one
    /// confirmation of that opt-out (SC4).
    public var optedOut: Bool
    public var marketing: MarketingConsent
    /// The one confirmation of the latest opt-out has not been queued yet.
    public var confirmationOwed: Bool
    /// A double opt-in request is waiting for YES until this instant (SC5).
    public var doubleOptInPendingUntil: Date?

    public init(
        phone: PhoneNumber, optedOut: Bool = false, marketing: MarketingConsent = .none,
        confirmationOwed: Bool = false, doubleOptInPendingUntil: Date? = nil
    ) {
        self.phone = phone
        self.optedOut = optedOut
        self.marketing = marketing
        self.confirmationOwed = confirmationOwed
        self.doubleOptInPendingUntil = doubleOptInPendingUntil
    }

    public func doubleOptInPending(at instant: Date) -> Bool {
        guard let until = doubleOptInPendingUntil else { return false }
        return instant < until
    }

    /// The state of a scope as the consent ledger writes it.
    public func state(of scope: ConsentScope) -> String {
        switch scope {
        case .all: optedOut ? "opted_out" : "subscribed"
        case .marketing: marketing.rawValue
        }
    }
}

/// One change of consent, as the ledger records it (SC7).
public struct ConsentChange: Sendable, Equatable {
    public var scope: ConsentScope
    public var from: String
    public var to: String

    public init(scope: ConsentScope, from: String, to: String) {
        self.scope = scope
        self.from = from
        self.to = to
    }
}

/// The consent rules, pure: what a keyword does to a number's consent, and whether a text of a
/// given purpose may go to it. The Messenger asks `check` for every text, so "never text an
/// opted-out number" lives here and nowhere else.
public enum ConsentRules {
    public struct KeywordOutcome: Sendable, Equatable {
        public var consent: SMSConsent
        public var changes: [ConsentChange]
        /// The one automatic answer the keyword earns, if any.
        public var reply: Automation?
    }

    /// Applies a keyword texted to a number whose role gives `scope` (CH13, SC4, SC6).
    public static func apply(
        _ keyword: Keyword, scope: ConsentScope, to consent: SMSConsent, at instant: Date
    ) -> KeywordOutcome {
        var next = consent
        var reply: Automation?
        switch (keyword, scope) {
        case (.optOut, .all):
            if !consent.optedOut {
                next.optedOut = true
                next.confirmationOwed = true
                reply = .optOutConfirmation
            }
            // "Everything" includes marketing: a later START resumes job texts, not promotions.
            if consent.marketing == .optedIn { next.marketing = .optedOut }
            next.doubleOptInPendingUntil = nil
        case (.optOut, .marketing):
            if consent.marketing != .optedOut {
                next.marketing = .optedOut
                next.confirmationOwed = true
                reply = .optOutConfirmation
            }
            next.doubleOptInPendingUntil = nil
        case (.optIn, .all):
            if consent.doubleOptInPending(at: instant), !consent.optedOut {
                // YES (or START) answering a double opt-in request grants marketing consent.
                next.marketing = .optedIn
                next.doubleOptInPendingUntil = nil
                reply = .optInConfirmation
            } else if consent.optedOut {
                next.optedOut = false
                next.confirmationOwed = false
                reply = .optInConfirmation
            }
        case (.optIn, .marketing):
            if consent.marketing != .optedIn {
                // Texting START to the marketing number is itself written consent to marketing.
                next.marketing = .optedIn
                next.doubleOptInPendingUntil = nil
                next.confirmationOwed = false
                reply = .optInConfirmation
            }
        case (.help, _):
            reply = .helpReply
        }
        var changes: [ConsentChange] = []
        for scope in ConsentScope.allCases where consent.state(of: scope) != next.state(of: scope) {
            changes.append(ConsentChange(scope: scope, from: consent.state(of: scope), to: next.state(of: scope)))
        }
        return KeywordOutcome(consent: next, changes: changes, reply: reply)
    }

    /// Why a text may not go out, in words a dispatcher can act on.
    public enum Refusal: Sendable, Equatable {
        case optedOut
        case marketingNotConsented
        case jobNotificationsOff
        case marketingUpdatesOff
        case confirmationAlreadySent

        public var code: ErrorCode {
            switch self {
            case .optedOut: .optedOut
            case .marketingNotConsented: .noMarketingConsent
            case .jobNotificationsOff: .jobNotificationsOff
            case .marketingUpdatesOff: .marketingUpdatesOff
            case .confirmationAlreadySent: .confirmationAlreadySent
            }
        }

        public func message(for phone: PhoneNumber) -> String {
            switch self {
            case .optedOut:
                "\(phone.displayed) has opted out of texts (they texted STOP). They can text START to resume."
            case .marketingNotConsented:
                "\(phone.displayed) has not agreed to marketing texts; only numbers with explicit consent get them."
            case .jobNotificationsOff:
                "\(phone.displayed) has job notifications turned off in the customer record."
            case .marketingUpdatesOff:
                "\(phone.displayed) has marketing updates turned off in the customer record."
            case .confirmationAlreadySent:
                "\(phone.displayed) already received the confirmation of their opt-out."
            }
        }
    }

    /// Whether a text of `purpose` (written by `automation`, if automatic) may go to a number with
    /// `consent` and, when the number belongs to a customer, `preferences`.
    ///
    /// `admitted` is true when the worker re-checks a text that was already admitted to the
    /// outbox: the opt-out confirmation was admitted once, when the opt-out owed it, and stays
    /// allowed; everything else must still be allowed at the moment it is handed to the provider.
    public static func check(
        _ purpose: MessagePurpose, automation: Automation?, consent: SMSConsent,
        preferences: NotificationPreferences?, admitted: Bool = false
    ) -> Refusal? {
        if purpose == .compliance, automation == .optOutConfirmation {
            return admitted || consent.confirmationOwed ? nil : .confirmationAlreadySent
        }
        if consent.optedOut { return .optedOut }
        switch purpose {
        case .conversational, .compliance:
            return nil
        case .transactional:
            return preferences?.jobNotifications == false ? .jobNotificationsOff : nil
        case .marketing:
            guard consent.marketing == .optedIn else { return .marketingNotConsented }
            return preferences?.marketingUpdates == false ? .marketingUpdatesOff : nil
        }
    }
}
