import Foundation

/// An account's "your technician is on the way" settings (DN1–DN3, DN5, DN6).
public struct DispatchNoticeSettings: Sendable, Equatable, Codable {
    public var textEnabled: Bool
    public var emailEnabled: Bool
    /// Each notice carries a live tracking link (DN6).
    public var trackingEnabled: Bool
    /// DN5: while a technician is already on the way or working at the site, another dispatch
    /// sends nothing.
    public var limitWhenSeveralDispatched: Bool
    public var textTemplate: String
    public var emailSubject: String
    public var emailTemplate: String

    public init(
        textEnabled: Bool = false, emailEnabled: Bool = false, trackingEnabled: Bool = true,
        limitWhenSeveralDispatched: Bool = true, textTemplate: String = Self.defaultTextTemplate,
        emailSubject: String = Self.defaultEmailSubject, emailTemplate: String = Self.defaultEmailTemplate
    ) {
        self.textEnabled = textEnabled
        self.emailEnabled = emailEnabled
        self.trackingEnabled = trackingEnabled
        self.limitWhenSeveralDispatched = limitWhenSeveralDispatched
        self.textTemplate = textTemplate
        self.emailSubject = emailSubject
        self.emailTemplate = emailTemplate
    }

    public static let defaultTextTemplate =
        "{company_name}: {technician_first_name} is on the way to you now. Follow along: {tracking_link}"
    public static let defaultEmailSubject = "{technician_first_name} from {company_name} is on the way"
    public static let defaultEmailTemplate = """
        Hi {customer_first_name},

        {technician_name} ({technician_rating}) is on the way for job {job_number}, scheduled for {arrival_window}.

        Follow {technician_first_name} on the map: {tracking_link}

        See you soon,
        {company_name}
        """

    /// The three templates, parsed; the first problem names its field and token.
    public func templates() throws(FieldlineError) -> (
        text: NoticeTemplate, subject: NoticeTemplate, email: NoticeTemplate
    ) {
        (
            try NoticeTemplate.parse(textTemplate, field: "textTemplate"),
            try NoticeTemplate.parse(emailSubject, field: "emailSubject"),
            try NoticeTemplate.parse(emailTemplate, field: "emailTemplate")
        )
    }

    /// Checks what a person saves (DN3): known tokens only, a text that fits one message even
    /// with the longest values, a one-line subject.
    public static func validated(
        _ settings: DispatchNoticeSettings, trackingLinkLength: Int
    ) throws(FieldlineError) -> DispatchNoticeSettings {
        var checked = settings
        checked.textTemplate = settings.textTemplate.trimmingCharacters(in: .whitespacesAndNewlines)
        checked.emailSubject = settings.emailSubject.trimmingCharacters(in: .whitespacesAndNewlines)
        checked.emailTemplate = settings.emailTemplate.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\r\n", with: "\n")
        guard !checked.textTemplate.isEmpty else {
            throw .invalid(field: "textTemplate", message: "Write the text customers get.")
        }
        guard !checked.emailSubject.isEmpty else {
            throw .invalid(field: "emailSubject", message: "Write the email's subject.")
        }
        guard !checked.emailSubject.contains("\n") else {
            throw .invalid(field: "emailSubject", message: "The subject is one line.")
        }
        guard checked.emailSubject.count <= 200 else {
            throw .invalid(field: "emailSubject", message: "The subject is at most 200 characters.")
        }
        guard !checked.emailTemplate.isEmpty else {
            throw .invalid(field: "emailTemplate", message: "Write the email customers get.")
        }
        guard checked.emailTemplate.count <= 5000 else {
            throw .invalid(field: "emailTemplate", message: "The email is at most 5,000 characters.")
        }
        let (text, _, _) = try checked.templates()
        let worst = text.worstCaseCharacters(trackingLinkLength: trackingLinkLength)
        guard worst <= MessageText.maximumCharacters else {
            throw .invalid(
                field: "textTemplate",
                message:
                    "With the longest names and times this text reaches \(worst) characters; a text is at most \(MessageText.maximumCharacters). Shorten it by \(worst - MessageText.maximumCharacters)."
            )
        }
        return checked
    }
}

/// One technician's visit at a site, as the DN5 rule sees it.
public struct SiteVisit: Sendable, Equatable {
    public var assignmentID: AssignmentID
    public var status: AssignmentStatus
    /// Visits of finished or canceled jobs no longer put anyone at the site.
    public var jobIsOpen: Bool
    /// When the technician set off; nil for visits never dispatched.
    public var dispatchedAt: Date?

    public init(assignmentID: AssignmentID, status: AssignmentStatus, jobIsOpen: Bool, dispatchedAt: Date? = nil) {
        self.assignmentID = assignmentID
        self.status = status
        self.jobIsOpen = jobIsOpen
        self.dispatchedAt = dispatchedAt
    }

    /// On the way or working there — unless it was dispatched so long ago that someone forgot to
    /// mark it done, which must not silence the site for ever.
    public func isActive(at now: Date) -> Bool {
        guard jobIsOpen, status == .dispatched || status == .working else { return false }
        guard let dispatchedAt else { return true }
        return now.timeIntervalSince(dispatchedAt) < DispatchNoticeRules.forgottenAfter
    }
}

public enum DispatchNoticeRules {
    public enum Decision: Sendable, Equatable {
        case notify
        /// DN5: someone is already on the way or working at the site.
        case alreadyAtSite(AssignmentID)
    }

    /// A visit still open this long after its dispatch was forgotten, not worked on.
    public static let forgottenAfter: TimeInterval = 12 * 3600

    /// Whether dispatching `dispatched` notifies the customer. `site` holds every visit at the
    /// job's service location (any job), including the one just dispatched.
    public static func decide(
        dispatched: AssignmentID, site: [SiteVisit], limitWhenSeveralDispatched: Bool, now: Date
    ) -> Decision {
        guard limitWhenSeveralDispatched else { return .notify }
        if let other = site.first(where: { $0.assignmentID != dispatched && $0.isActive(at: now) }) {
            return .alreadyAtSite(other.assignmentID)
        }
        return .notify
    }
}
