/// Every error code Fieldline answers with, on the API and on its pages, and the HTTP status
/// each maps to: the one vocabulary (`FieldlineError`, the HTTP edge and the pages all speak it).
/// Two families are built from their subject instead: `invalid_<field>` (422) for input that breaks
/// a rule, and `<entity>_not_found` (404) for a record the caller's account does not have.
public enum ErrorCode: String, Sendable, CaseIterable {
    case invalidCallSID = "invalid_call_sid"
    case invalidField = "invalid_field"
    case invalidFieldType = "invalid_field_type"
    case invalidId = "invalid_id"
    case invalidJSON = "invalid_json"
    case invalidMessageSID = "invalid_message_sid"
    case invalidMessageStatus = "invalid_message_status"
    case unauthenticated
    case chatNotEnabled = "chat_not_enabled"
    case credentialsUnavailable = "credentials_unavailable"
    case csrfFailed = "csrf_failed"
    case forbidden
    case invalidSignature = "invalid_signature"
    case serviceChannelUnavailable = "servicechannel_unavailable"
    case techniciansOnly = "technicians_only"
    case notFound = "not_found"
    case routeNotFound = "route_not_found"
    case trackingLinkNotFound = "tracking_link_not_found"
    case methodNotAllowed = "method_not_allowed"
    case alreadyAssigned = "already_assigned"
    case alreadyOptedIn = "already_opted_in"
    case automaticTextOff = "automatic_text_off"
    case campaignCanceled = "campaign_canceled"
    case campaignChanged = "campaign_changed"
    case campaignDraft = "campaign_draft"
    case campaignQueued = "campaign_queued"
    case campaignQueuing = "campaign_queuing"
    case campaignScheduled = "campaign_scheduled"
    case confirmationAlreadySent = "confirmation_already_sent"
    case conversationChanged = "conversation_changed"
    case conversationMissing = "conversation_missing"
    case corruptUser = "corrupt_user"
    case customerErased = "customer_erased"
    case defaultRequired = "default_required"
    case emailTaken = "email_taken"
    case emailUnavailable = "email_unavailable"
    case estimateAnswered = "estimate_answered"
    case frequencyLimit = "frequency_limit"
    case idempotencyKeyInUse = "idempotency_key_in_use"
    case importFinished = "import_finished"
    case importStarted = "import_started"
    case invalidAssignmentTransition = "invalid_assignment_transition"
    case invalidBookingTransition = "invalid_booking_transition"
    case invoiceExists = "invoice_exists"
    case invoiceExported = "invoice_exported"
    case jobCanceled = "job_canceled"
    case jobClosed = "job_closed"
    case jobNotOnHold = "job_not_on_hold"
    case jobNotificationsOff = "job_notifications_off"
    case jobOnHold = "job_on_hold"
    case landline
    case marketingNotRegistered = "marketing_not_registered"
    case marketingUpdatesOff = "marketing_updates_off"
    case mediaNotStored = "media_not_stored"
    case noMarketingConsent = "no_marketing_consent"
    case noMarketingNumber = "no_marketing_number"
    case openConversation = "open_conversation"
    case noOpenThread = "no_open_thread"
    case noSenderNumber = "no_sender_number"
    case notResendable = "not_resendable"
    case numberBlocked = "number_blocked"
    case numberNotOnCustomer = "number_not_on_customer"
    case numberTaken = "number_taken"
    case optedOut = "opted_out"
    case ownPassword = "own_password"
    case phoneTaken = "phone_taken"
    case providerUnavailable = "provider_unavailable"
    case providerUnreachable = "provider_unreachable"
    case purposeNotSupported = "purpose_not_supported"
    case registrationApproved = "registration_approved"
    case registrationNotSubmitted = "registration_not_submitted"
    case registrationPending = "registration_pending"
    case registrationRejected = "registration_rejected"
    case resetLinkExpired = "reset_link_expired"
    case secretKeyMissing = "secret_key_missing"
    case selfLockout = "self_lockout"
    case serviceAlreadyMoved = "service_already_moved"
    case serviceChanged = "service_changed"
    case serviceChannelNotConnected = "servicechannel_not_connected"
    case technicianInactive = "technician_inactive"
    case textNotReady = "text_not_ready"
    case textingNotRegistered = "texting_not_registered"
    case textingRegistrationFirst = "texting_registration_first"
    case tooManyRules = "too_many_rules"
    case userInactive = "user_inactive"
    case wrongSender = "wrong_sender"
    case bodyTooLarge = "body_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case invalidFrom = "invalid_from"
    case missingField = "missing_field"
    case tooManyAttempts = "too_many_attempts"
    case tooManyStreams = "too_many_streams"
    case corruptRow = "corrupt_row"
    case internalError = "internal_error"

    /// The HTTP status this code is answered with.
    public var status: Int {
        switch self {
        case .invalidCallSID, .invalidField, .invalidFieldType, .invalidId, .invalidJSON, .invalidMessageSID,
            .invalidMessageStatus:
            400
        case .unauthenticated: 401
        case .chatNotEnabled, .credentialsUnavailable, .csrfFailed, .forbidden, .invalidSignature,
            .serviceChannelUnavailable, .techniciansOnly:
            403
        case .notFound, .routeNotFound, .trackingLinkNotFound: 404
        case .methodNotAllowed: 405
        case .alreadyAssigned, .alreadyOptedIn, .automaticTextOff, .campaignCanceled, .campaignChanged, .campaignDraft,
            .campaignQueued, .campaignQueuing, .campaignScheduled, .confirmationAlreadySent, .conversationChanged,
            .conversationMissing, .corruptUser, .customerErased, .defaultRequired, .emailTaken, .emailUnavailable,
            .estimateAnswered, .frequencyLimit,
            .idempotencyKeyInUse, .importFinished, .importStarted, .invalidAssignmentTransition,
            .invalidBookingTransition, .invoiceExists,
            .invoiceExported, .jobCanceled, .jobClosed, .jobNotOnHold, .jobNotificationsOff, .jobOnHold, .landline,
            .marketingNotRegistered, .marketingUpdatesOff, .mediaNotStored, .noMarketingConsent, .noMarketingNumber,
            .noOpenThread, .noSenderNumber, .openConversation, .notResendable, .numberBlocked, .numberNotOnCustomer,
            .numberTaken,
            .optedOut, .ownPassword, .phoneTaken, .providerUnavailable, .providerUnreachable, .purposeNotSupported,
            .registrationApproved, .registrationNotSubmitted, .registrationPending, .registrationRejected,
            .resetLinkExpired, .secretKeyMissing, .selfLockout, .serviceAlreadyMoved, .serviceChanged,
            .serviceChannelNotConnected, .technicianInactive, .textNotReady, .textingNotRegistered,
            .textingRegistrationFirst, .tooManyRules, .userInactive, .wrongSender:
            409
        case .bodyTooLarge: 413
        case .unsupportedMediaType: 415
        case .invalidFrom, .missingField: 422
        case .tooManyAttempts, .tooManyStreams: 429
        case .corruptRow, .internalError: 500
        }
    }
}

extension ErrorCode {
    /// A registration that cannot change in its state (`registration_pending`, …).
    public static func registration(_ status: RegistrationStatus) -> ErrorCode {
        switch status {
        case .notSubmitted: .registrationNotSubmitted
        case .pending: .registrationPending
        case .approved: .registrationApproved
        case .rejected: .registrationRejected
        }
    }

    /// A campaign that can no longer be changed in its state (`campaign_queued`, …).
    public static func campaign(_ status: CampaignStatus) -> ErrorCode {
        switch status {
        case .draft: .campaignDraft
        case .scheduled: .campaignScheduled
        case .queuing: .campaignQueuing
        case .queued: .campaignQueued
        case .canceled: .campaignCanceled
        }
    }
}
