import Foundation

/// The transactional campaigns (SC2): automatic texts a business event sets off, sent on implied
/// consent (the number's "job notifications" preference, not marketing consent) from the
/// account's texting number.
public enum TriggeredCampaignKind: String, Sendable, Codable, CaseIterable {
    /// An estimate still open some days after it was given.
    case estimateFollowUp = "estimate_follow_up"
    /// A recurring service coming due.
    case serviceReminder = "service_reminder"
    /// A call to one of the account's numbers that nobody answered.
    case missedCall = "missed_call"

    public var automation: Automation {
        switch self {
        case .estimateFollowUp: .estimateFollowUp
        case .serviceReminder: .serviceReminder
        case .missedCall: .missedCallTextBack
        }
    }

    public var title: String {
        switch self {
        case .estimateFollowUp: "Unsold estimate follow-up"
        case .serviceReminder: "Recurring service reminder"
        case .missedCall: "Missed call text-back"
        }
    }

    public var explanation: String {
        switch self {
        case .estimateFollowUp:
            "Texts the customer once about an estimate that is still waiting for an answer."
        case .serviceReminder:
            "Texts the customer before a recurring service is due."
        case .missedCall:
            "Texts a caller back at once when a call to one of your numbers goes unanswered."
        }
    }

    /// The tokens its template may use.
    public var tokens: [NoticeToken] {
        switch self {
        case .estimateFollowUp: [.customerName, .customerFirstName, .companyName, .estimateSummary]
        case .serviceReminder: [.customerName, .customerFirstName, .companyName, .serviceName, .dueDate]
        case .missedCall: [.customerFirstName, .companyName]
        }
    }

    public var defaultTemplate: String {
        switch self {
        case .estimateFollowUp:
            "Hi {customer_first_name}, any questions about the {estimate_summary} estimate from {company_name}? Reply here."
        case .serviceReminder:
            "Hi {customer_first_name}, your {service_name} with {company_name} is due {due_date}. Reply to book a visit."
        case .missedCall:
            "Sorry we missed your call! This is {company_name}. How can we help? Reply here and we will text you back."
        }
    }

    /// Days after the estimate (follow-up) or before the due day (reminder); nil when it goes at once.
    public var defaultDays: Int? {
        switch self {
        case .estimateFollowUp: 3
        case .serviceReminder: 7
        case .missedCall: nil
        }
    }

    /// Follow-ups and reminders are not urgent: they wait for the recipient's quiet hours to end
    /// (SC8). A text-back answers a call the person just made. `QuietHours.applies` decides.
    public var waitsForQuietHours: Bool { QuietHours.applies(to: .transactional, automation: automation) }
}

/// One account's settings for one triggered campaign. Off until someone turns it on.
public struct TriggeredCampaign: Sendable, Equatable {
    public var accountID: AccountID
    public var kind: TriggeredCampaignKind
    public var enabled: Bool
    public var template: String
    /// See `TriggeredCampaignKind.defaultDays`.
    public var days: Int?
    /// Missed calls only: where Twilio takes the caller after an unanswered `<Dial>` (the
    /// account's voicemail TwiML); nil ends the call, as an unanswered `<Dial>` does by itself.
    public var followOnURL: String?
    public var updatedAt: Date

    public init(
        accountID: AccountID, kind: TriggeredCampaignKind, enabled: Bool = false, template: String? = nil,
        days: Int? = nil, followOnURL: String? = nil, updatedAt: Date = Date(timeIntervalSince1970: 0)
    ) {
        self.accountID = accountID
        self.kind = kind
        self.enabled = enabled
        self.template = template ?? kind.defaultTemplate
        self.days = days ?? kind.defaultDays
        self.followOnURL = followOnURL
        self.updatedAt = updatedAt
    }
}

/// One time a trigger fired for one thing (an estimate, a service's due day, a call): the text it
/// queued, or why none went. Its key makes every trigger act at most once.
public struct TriggeredRun: Sendable, Equatable {
    public var kind: TriggeredCampaignKind
    /// What fired: the estimate id, the recurring service id, the caller's number.
    public var subject: String
    /// Which time: "1" for an estimate, the due day for a service, the call's id for a call.
    public var occurrence: String
    public var phone: PhoneNumber?
    public var messageID: MessageID?
    /// The gate's refusal code (`opted_out`, `job_notifications_off` …) or the trigger's own
    /// (`no_mobile_number`, `texted_recently`).
    public var skipReason: String?
    public var createdAt: Date

    public init(
        kind: TriggeredCampaignKind, subject: String, occurrence: String, phone: PhoneNumber?, messageID: MessageID?,
        skipReason: String?, createdAt: Date
    ) {
        self.kind = kind
        self.subject = subject
        self.occurrence = occurrence
        self.phone = phone
        self.messageID = messageID
        self.skipReason = skipReason
        self.createdAt = createdAt
    }
}

public enum TriggeredCampaignRules {
    public static let dayRange = 1...60

    /// An estimate whose follow-up fell due longer ago than this is left alone: turning the
    /// follow-up on must not text about last year's estimates.
    public static let followUpWindow: TimeInterval = 14 * 86_400

    /// One text-back per caller in this time, however often they call.
    public static let textBackQuietPeriod: TimeInterval = 24 * 3600

    /// Checks what a person saves: known tokens for this kind, one GSM text even with the longest
    /// values, and a day count in range where the kind has one.
    public static func validated(
        _ campaign: TriggeredCampaign
    ) throws(FieldlineError) -> TriggeredCampaign {
        var checked = campaign
        checked.template = campaign.template.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\r\n", with: "\n")
        guard !checked.template.isEmpty else {
            throw .invalid(field: "template", message: "Write the text customers get.")
        }
        let template = try NoticeTemplate.parse(checked.template, field: "template", allowed: campaign.kind.tokens)
        let worst = template.worstCaseCharacters(trackingLinkLength: 0)
        guard worst <= MessageText.maximumCharacters else {
            throw .invalid(
                field: "template",
                message:
                    "With the longest names this text reaches \(worst) characters; a text is at most \(MessageText.maximumCharacters). Shorten it by \(worst - MessageText.maximumCharacters)."
            )
        }
        guard MessageText(template.render(sampleValues, forText: true)).encoding == .gsm7 else {
            throw .invalid(
                field: "template",
                message:
                    "Use plain letters and punctuation: a character outside the GSM alphabet (an emoji, curly quotes) makes the text cost three messages."
            )
        }
        if campaign.kind == .missedCall, let url = campaign.followOnURL?.trimmingCharacters(in: .whitespaces),
            !url.isEmpty
        {
            guard url.count <= 500, let parsed = URL(string: url), ["https", "http"].contains(parsed.scheme ?? ""),
                parsed.host?.isEmpty == false, !url.contains("<"), !url.contains("\"")
            else {
                throw .invalid(
                    field: "followOnUrl",
                    message: "The voicemail address is a web address, like https://handler.twilio.com/twiml/EH…")
            }
            checked.followOnURL = url
        } else {
            checked.followOnURL = nil
        }
        if campaign.kind.defaultDays == nil {
            checked.days = nil
        } else {
            guard let days = campaign.days, dayRange.contains(days) else {
                throw .invalid(field: "days", message: "Choose between 1 and 60 days.")
            }
            checked.days = days
        }
        return checked
    }

    /// What the settings page's preview fills in.
    public static let sampleValues = NoticeValues(
        customerName: "Robert Castellanos", companyName: "Northside Plumbing",
        estimateSummary: "Water heater replacement", serviceName: "Furnace tune-up", dueDate: "Tue, Dec 15")

    /// When estimates were given whose follow-up is due now, `days` after: after `from`, up to and
    /// including `until` (an estimate whose follow-up fell due more than `followUpWindow` ago is
    /// left alone).
    public static func followUpGiven(days: Int, now: Date) -> (from: Date, until: Date) {
        let until = now.addingTimeInterval(-TimeInterval(days) * 86_400)
        return (until.addingTimeInterval(-followUpWindow), until)
    }

    /// The due days whose reminder goes today: from today through `days` ahead (a service
    /// already past due gets no reminder).
    public static func reminderDays(today: String, days: Int) -> ClosedRange<String>? {
        let calendar = DayString.dayArithmetic
        guard let components = DayString.parse(today), let start = calendar.date(from: components),
            let end = calendar.date(byAdding: .day, value: days, to: start)
        else { return nil }
        return today...DayString.of(end, calendar: calendar)
    }

    /// Twilio's words for a call nobody took. The outcome of the forwarded leg (`DialCallStatus`,
    /// from a `<Dial action>`) decides when there is one; otherwise the call's own status.
    static let unanswered: Set<String> = ["no-answer", "busy", "failed", "canceled"]

    public static func isMissed(callStatus: String?, dialCallStatus: String?, direction: String?) -> Bool {
        if let direction, !direction.isEmpty, direction.lowercased() != "inbound" { return false }
        if let dialCallStatus, !dialCallStatus.isEmpty { return unanswered.contains(dialCallStatus.lowercased()) }
        return callStatus.map { unanswered.contains($0.lowercased()) } ?? false
    }
}
