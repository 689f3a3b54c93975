import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation

/// Small display pieces shared by several pages.
struct TechnicianView {
    var id: String
    var name: String
    var photoURL: String
    var phone: String?
    var ratingText: String?
    var ratingStars: String?
    var active: Bool
    var canViewChats: Bool
    var canReplyChats: Bool

    init(_ technician: Technician) {
        id = technician.id.rawValue
        name = technician.name
        photoURL = technician.photoURL ?? Avatar.path(for: technician.id)
        phone = technician.phone?.displayed
        if let rating = technician.rating {
            ratingText = String(format: "%.1f", rating)
            let full = Int(rating.rounded())
            ratingStars = String(repeating: "★", count: full) + String(repeating: "☆", count: max(0, 5 - full))
        }
        active = technician.active
        canViewChats = technician.chat.canViewChats
        canReplyChats = technician.chat.canReplyChats
    }
}

struct PhoneView {
    var id: String
    var display: String
    var e164: String
    var kind: String
    var kindLabel: String
    var phoneLabel: String?
    var jobNotifications: Bool
    var marketingUpdates: Bool
    var isMobile: Bool
    var isLandline: Bool
    var isUnknown: Bool
    /// CH12: the number has had a conversation, so it is proven to receive texts.
    var texted = false
    /// Where "Text" starts or continues a chat with the number (CH8); nil without chat access.
    var chatURL: String?
    /// The number's consent when it is not the default (implied consent, no marketing), and its
    /// history (SC7).
    var consentLabel: String?
    var consentTone = "neutral"
    var consentHistory: [ConsentRow] = []
    var hasConsentHistory = false
    /// Marketers may ask this number to opt in to marketing (SC5).
    var canRequestOptIn = false
    var optInPendingUntil: String?

    struct ConsentRow {
        var time: String
        var change: String
        var how: String
        /// The customer's text that made the change, when it was more than a keyword.
        var causedBy: String?
    }

    /// Adds the number's consent state and history to the view.
    mutating func add(
        consent: SMSConsent, ledger: [ConsentStore.LedgerEntry], text: TimeText, now: Date, actor: Actor
    ) {
        if consent.doubleOptInPending(at: now), let until = consent.doubleOptInPendingUntil {
            optInPendingUntil = text.dateTime(until)
        }
        canRequestOptIn =
            actor.can(.manageMarketing) && !isLandline && !consent.optedOut && consent.marketing != .optedIn
            && optInPendingUntil == nil
        if consent.optedOut {
            (consentLabel, consentTone) = ("Opted out of all texts", "danger")
        } else if consent.marketing == .optedIn {
            (consentLabel, consentTone) = ("Marketing: opted in", "success")
        } else if consent.marketing == .optedOut {
            (consentLabel, consentTone) = ("Marketing: opted out", "neutral")
        }
        consentHistory = ledger.reversed().map { entry in
            ConsentRow(
                time: text.dateTime(entry.occurredAt),
                change:
                    "\(entry.change.scope == .marketing ? "Marketing" : "All texts"): \(Self.words(entry.change.from)) → \(Self.words(entry.change.to))",
                how: "\(Self.method(entry.method)) · \(entry.actor.name)",
                causedBy: entry.method == "keyword" ? nil : entry.messageBody.map { Conversation.preview(of: $0) })
        }
        hasConsentHistory = !consentHistory.isEmpty
    }

    static func method(_ value: String) -> String {
        switch value {
        case "keyword": "Texted a keyword"
        case "own_words": "Asked in their own words"
        case "provider": "Reported by the carrier"
        default: words(value).capitalized
        }
    }

    static func words(_ value: String) -> String {
        value.replacingOccurrences(of: "_", with: " ")
    }

    init(_ phone: PhoneContact) {
        id = phone.id.rawValue
        display = phone.number.displayed
        e164 = phone.number.e164
        kind = phone.kind.rawValue
        kindLabel = phone.kind.rawValue.capitalized
        phoneLabel = phone.label
        jobNotifications = phone.preferences.jobNotifications
        marketingUpdates = phone.preferences.marketingUpdates
        isMobile = phone.kind == .mobile
        isLandline = phone.kind == .landline
        isUnknown = phone.kind == .unknown
    }

    /// The same phones with their chat marks and links, for a page the actor is looking at.
    static func withChat(
        _ phones: [PhoneContact], texted: Set<String>, actor: Actor, job: JobID? = nil, location: LocationID? = nil
    ) -> [PhoneView] {
        let canChat = actor.role != .technician && actor.can(.fullCustomerChats)
        return phones.map { phone in
            var view = PhoneView(phone)
            view.texted = texted.contains(phone.number.e164)
            if canChat, phone.kind != .landline {
                var url =
                    "/inbox/compose?phone=\(phone.number.e164.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
                if let job { url += "&job=\(job)" }
                if let location { url += "&location=\(location)" }
                view.chatURL = url
            }
            return view
        }
    }
}

struct LocationView {
    var id: String
    /// Named apart from other `name`s: a nil value would otherwise resolve to an outer one in templates.
    var locationName: String?
    var street: String
    var unit: String?
    var city: String
    var state: String
    var postalCode: String
    var oneLine: String
    var verified: Bool
    var latitude: String?
    var longitude: String?
    /// Named apart from the customer's `notes`, for the same reason as `locationName`.
    var accessNotes: String?

    init(_ location: ServiceLocation) {
        id = location.id.rawValue
        locationName = location.name
        street = location.address.street
        unit = location.address.unit
        city = location.address.city
        state = location.address.state
        postalCode = location.address.postalCode
        oneLine = location.address.oneLine
        verified = location.verified
        latitude = location.coordinates.map { String($0.latitude) }
        longitude = location.coordinates.map { String($0.longitude) }
        accessNotes = location.notes
    }
}

struct StatusView {
    var label: String
    var badge: String

    init(_ status: JobStatus) {
        label = status.label
        badge = status == .inProgress ? "inprogress" : status.rawValue
    }

    init(_ status: AssignmentStatus) {
        label = status.label
        badge = status.rawValue
    }

    init(_ status: BookingStatus) {
        label = status.label
        badge = status.rawValue
    }
}

/// The one next step a dispatcher can take on a technician's visit, if any.
struct NextStepView {
    var action: String
    var label: String
    var primary: Bool
    /// Finishing a visit cannot be taken back, and its button appears where "Mark arrived" was a
    /// moment before: it asks first, so a double tap does not end the visit.
    var confirm: String?
    /// Stored, not computed: templates read values by reflection.
    var isCompletion = false

    init?(_ status: AssignmentStatus, jobStatus: JobStatus) {
        guard !jobStatus.isClosed else { return nil }
        switch status {
        case .scheduled: (action, label, primary) = ("dispatch", "Dispatch", true)
        case .dispatched: (action, label, primary) = ("arrive", "Mark arrived", false)
        case .working:
            (action, label, primary) = ("complete", "Complete", false)
            confirm = "Mark this visit done? Only when the work here is finished."
            isCompletion = true
        case .done: return nil
        }
    }

    /// The step `actor` may take: office staff any, a technician only arriving or finishing their
    /// own visit (the same rule the use case enforces).
    static func available(to actor: Actor, for assignment: Assignment, jobStatus: JobStatus) -> NextStepView? {
        guard let step = NextStepView(assignment.status, jobStatus: jobStatus) else { return nil }
        if actor.can(.dispatchJobs) { return step }
        let ownVisit = actor.technicianID == assignment.technicianID && actor.can(.reportArrival)
        return ownVisit && step.action != AssignmentAction.dispatch.rawValue ? step : nil
    }
}
