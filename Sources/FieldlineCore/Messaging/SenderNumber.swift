import Foundation

/// Which SMS provider carries a number's texts.
public enum SMSProviderKind: String, Sendable, Codable, CaseIterable {
    /// Twilio Programmable Messaging.
    case twilio
    /// Demo mode: texts stay inside Fieldline and the phone simulator plays the customer.
    case console
}

/// One of the account's own phone numbers (FS7, CH1): what it is used for, which provider carries
/// it, and how fast it may send.
public struct SenderNumber: Sendable, Equatable, Codable {
    public var id: SenderNumberID
    public var accountID: AccountID
    public var number: PhoneNumber
    public var label: String
    public var provider: SMSProviderKind
    /// Customers chat with it and transactional notices go out from it.
    public var chat: Bool
    /// It can receive pictures and videos (CH14).
    public var mms: Bool
    /// Marketing campaigns go out from it (SC6); STOP to it ends marketing only.
    public var marketing: Bool
    /// The account's default outbound number for chat and notifications (DN2).
    public var isDefault: Bool
    /// Messages per second the provider allows from this number.
    public var ratePerSecond: Double
    /// Twilio's AccountSid that owns the number; with `To` it identifies the account of a webhook.
    public var providerAccountID: String?
    /// Twilio's MessagingServiceSid, when the number sends through a messaging service.
    public var messagingServiceID: String?
    /// Whether provider credentials are stored (they are never read back out).
    public var hasCredentials: Bool
    public var createdAt: Date

    public init(
        id: SenderNumberID, accountID: AccountID, number: PhoneNumber, label: String, provider: SMSProviderKind,
        chat: Bool, mms: Bool, marketing: Bool, isDefault: Bool, ratePerSecond: Double, providerAccountID: String?,
        messagingServiceID: String?, hasCredentials: Bool, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.number = number
        self.label = label
        self.provider = provider
        self.chat = chat
        self.mms = mms
        self.marketing = marketing
        self.isDefault = isDefault
        self.ratePerSecond = ratePerSecond
        self.providerAccountID = providerAccountID
        self.messagingServiceID = messagingServiceID
        self.hasCredentials = hasCredentials
        self.createdAt = createdAt
    }

    /// The consent scope a keyword texted to this number changes (SC4, SC6): a number used only for
    /// marketing ends marketing; any number customers chat with ends everything.
    public var keywordScope: ConsentScope {
        marketing && !chat ? .marketing : .all
    }

    /// Whether the number can send texts of `purpose`.
    public func sends(_ purpose: MessagePurpose) -> Bool {
        switch purpose {
        case .marketing: marketing
        case .conversational, .transactional: chat
        case .compliance: true
        }
    }

    public static let rateRange: ClosedRange<Double> = 0.1...1000

    public static func validatedRate(_ rate: Double?) throws(FieldlineError) -> Double {
        let rate = rate ?? 1
        guard rate.isFinite, rateRange.contains(rate) else {
            throw .invalid(
                field: "ratePerSecond",
                message: "The send rate is between 0.1 and 1000 messages per second (a long code sends 1).")
        }
        return rate
    }

    /// Twilio ids: two letters and 32 hexadecimal digits (`AC…` accounts, `MG…` messaging services).
    public static func validatedTwilioID(
        _ raw: String?, prefix: String, field: String, label: String
    ) throws(FieldlineError) -> String? {
        let value = (raw ?? "").trimmingWhitespace()
        if value.isEmpty { return nil }
        let hex = value.dropFirst(2)
        guard value.hasPrefix(prefix), hex.count == 32, hex.allSatisfy(\.isHexDigit) else {
            throw .invalid(field: field, message: "\(label) starts with \(prefix) followed by 32 hexadecimal digits.")
        }
        return value
    }
}
