import Foundation

/// The two carrier registrations an account needs before it texts (SC1): a texting registration
/// (the 10DLC brand and its customer-care campaign) for anything at all, and a marketing
/// registration (the marketing campaign use case) for promotions and marketing opt-in requests.
public enum RegistrationKind: String, Sendable, Codable, CaseIterable {
    case texting
    case marketing

    public var label: String {
        switch self {
        case .texting: "Texting registration"
        case .marketing: "Marketing registration"
        }
    }
}

public enum RegistrationStatus: String, Sendable, Codable, CaseIterable {
    case notSubmitted = "not_submitted"
    case pending
    case approved
    case rejected

    public var label: String {
        switch self {
        case .notSubmitted: "Not submitted"
        case .pending: "Pending review"
        case .approved: "Approved"
        case .rejected: "Rejected"
        }
    }
}

/// What the registry asks about the business and its texts. Every field is optional while the
/// admin fills the form in; `RegistrationRules.missing` names what a submission still needs.
public struct RegistrationDetails: Sendable, Equatable, Codable {
    public var legalName: String?
    /// The US employer identification number, nine digits.
    public var taxId: String?
    public var website: String?
    public var street: String?
    public var city: String?
    public var state: String?
    public var postalCode: String?
    public var contactName: String?
    public var contactEmail: String?
    public var contactPhone: String?
    /// What the texts are for, in the registry's words ("Appointment notices and customer care").
    public var useCase: String?
    /// How people give consent (where they see the terms, what they agree to).
    public var optInDescription: String?
    public var sampleMessage: String?

    public init(
        legalName: String? = nil, taxId: String? = nil, website: String? = nil, street: String? = nil,
        city: String? = nil, state: String? = nil, postalCode: String? = nil, contactName: String? = nil,
        contactEmail: String? = nil, contactPhone: String? = nil, useCase: String? = nil,
        optInDescription: String? = nil, sampleMessage: String? = nil
    ) {
        self.legalName = legalName
        self.taxId = taxId
        self.website = website
        self.street = street
        self.city = city
        self.state = state
        self.postalCode = postalCode
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.contactPhone = contactPhone
        self.useCase = useCase
        self.optInDescription = optInDescription
        self.sampleMessage = sampleMessage
    }
}

public struct Registration: Sendable, Equatable {
    public var accountID: AccountID
    public var kind: RegistrationKind
    public var details: RegistrationDetails
    public var status: RegistrationStatus
    /// The registry's reason, kept until the next submission.
    public var rejectionReason: String?
    public var submittedAt: Date?
    public var decidedAt: Date?
    public var updatedAt: Date

    public init(
        accountID: AccountID, kind: RegistrationKind, details: RegistrationDetails = RegistrationDetails(),
        status: RegistrationStatus = .notSubmitted, rejectionReason: String? = nil, submittedAt: Date? = nil,
        decidedAt: Date? = nil, updatedAt: Date
    ) {
        self.accountID = accountID
        self.kind = kind
        self.details = details
        self.status = status
        self.rejectionReason = rejectionReason
        self.submittedAt = submittedAt
        self.decidedAt = decidedAt
        self.updatedAt = updatedAt
    }

    public var isApproved: Bool { status == .approved }
}

/// The registrations' rules, pure: which fields each needs, how they are cleaned, which status
/// changes are allowed, and which texts each one gates (SC1).
public enum RegistrationRules {
    public struct Field: Sendable, Equatable {
        public var key: String
        public var label: String
        public var path: any WritableKeyPath<RegistrationDetails, String?> & Sendable
        public var maxLength: Int

        public static func == (lhs: Field, rhs: Field) -> Bool { lhs.key == rhs.key }
    }

    public static let allFields: [Field] = [
        Field(key: "legalName", label: "Legal business name", path: \.legalName, maxLength: 200),
        Field(key: "taxId", label: "EIN (tax ID)", path: \.taxId, maxLength: 20),
        Field(key: "website", label: "Website", path: \.website, maxLength: 200),
        Field(key: "street", label: "Street address", path: \.street, maxLength: 200),
        Field(key: "city", label: "City", path: \.city, maxLength: 100),
        Field(key: "state", label: "State", path: \.state, maxLength: 2),
        Field(key: "postalCode", label: "ZIP code", path: \.postalCode, maxLength: 10),
        Field(key: "contactName", label: "Contact name", path: \.contactName, maxLength: 120),
        Field(key: "contactEmail", label: "Contact email", path: \.contactEmail, maxLength: 254),
        Field(key: "contactPhone", label: "Contact phone", path: \.contactPhone, maxLength: 30),
        Field(key: "useCase", label: "What the texts are for", path: \.useCase, maxLength: 1000),
        Field(
            key: "optInDescription", label: "How customers agree to texts", path: \.optInDescription, maxLength: 1000),
        Field(key: "sampleMessage", label: "Sample message", path: \.sampleMessage, maxLength: 320),
    ]

    /// The brand and customer-care campaign need all of it; the marketing campaign only its own
    /// purpose, consent flow and sample (the brand is the texting registration's).
    public static func fields(of kind: RegistrationKind) -> [Field] {
        switch kind {
        case .texting: allFields
        case .marketing: allFields.filter { ["useCase", "optInDescription", "sampleMessage"].contains($0.key) }
        }
    }

    /// Trims every field, drops empty ones and checks formats and lengths.
    public static func validated(
        _ details: RegistrationDetails, for kind: RegistrationKind
    ) throws(FieldlineError) -> RegistrationDetails {
        var cleaned = RegistrationDetails()
        for field in fields(of: kind) {
            guard let raw = details[keyPath: field.path]?.trimmingWhitespace(), !raw.isEmpty else { continue }
            guard raw.count <= field.maxLength else {
                throw .invalid(field: field.key, message: "\(field.label) is at most \(field.maxLength) characters.")
            }
            cleaned[keyPath: field.path] = raw
        }
        if let taxId = cleaned.taxId {
            let digits = taxId.filter(\.isASCIIDigit)
            guard digits.count == 9, taxId.allSatisfy({ $0.isASCIIDigit || $0 == "-" }) else {
                throw .invalid(field: "taxId", message: "An EIN is nine digits, like 12-3456789.")
            }
            cleaned.taxId = "\(digits.prefix(2))-\(digits.dropFirst(2))"
        }
        if let state = cleaned.state {
            guard state.count == 2, state.allSatisfy({ $0.isLetter && $0.isASCII }) else {
                throw .invalid(field: "state", message: "State is its two-letter code, like TX.")
            }
            cleaned.state = state.uppercased()
        }
        if let postalCode = cleaned.postalCode {
            let isZip = postalCode.count == 5 && postalCode.allSatisfy(\.isASCIIDigit)
            let isZipPlus4 =
                postalCode.count == 10 && postalCode.enumerated().allSatisfy { $0 == 5 ? $1 == "-" : $1.isASCIIDigit }
            guard isZip || isZipPlus4 else {
                throw .invalid(field: "postalCode", message: "ZIP code is five digits (or ZIP+4).")
            }
        }
        if let website = cleaned.website {
            let lowered = website.lowercased()
            guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://"), website.contains("."),
                !website.contains(where: \.isWhitespace)
            else {
                throw .invalid(field: "website", message: "Website is a full address, like https://example.com.")
            }
        }
        if let email = cleaned.contactEmail {
            cleaned.contactEmail = try EmailAddress.parse(email, field: "contactEmail").value
        }
        if let phone = cleaned.contactPhone {
            do {
                cleaned.contactPhone = try PhoneNumber.parse(phone).e164
            } catch {
                throw .invalid(field: "contactPhone", message: "Contact phone is not a phone number we can read.")
            }
        }
        if kind == .marketing, let sample = cleaned.sampleMessage,
            !sample.lowercased().split(whereSeparator: { !$0.isLetter }).contains("stop")
        {
            throw .invalid(
                field: "sampleMessage",
                message: "A marketing sample ends with how to opt out, like \"Reply STOP to opt out\".")
        }
        return cleaned
    }

    /// The labels of the fields a submission still needs.
    public static func missing(_ details: RegistrationDetails, for kind: RegistrationKind) -> [String] {
        fields(of: kind).filter { details[keyPath: $0.path] == nil }.map(\.label)
    }

    /// Whether the admin may still edit and submit: only before submission and after a rejection.
    public static func isEditable(_ status: RegistrationStatus) -> Bool {
        status == .notSubmitted || status == .rejected
    }

    /// Why a submission cannot go now, if it cannot.
    public static func submissionRefusal(
        _ registration: Registration, texting: Registration
    ) -> FieldlineError? {
        guard isEditable(registration.status) else {
            return .conflict(
                code: .registration(registration.status),
                message: "The \(registration.kind.label.lowercased()) is \(registration.status.label.lowercased()).")
        }
        let missing = missing(registration.details, for: registration.kind)
        if !missing.isEmpty {
            return .invalid(
                field: "details", message: "Fill in before submitting: \(missing.joined(separator: ", ")).")
        }
        if registration.kind == .marketing, texting.status != .pending, texting.status != .approved {
            return .conflict(
                code: .textingRegistrationFirst,
                message: "Submit the texting registration first: the marketing registration builds on it.")
        }
        return nil
    }

    /// Why a text of `purpose` (written by `automation`) may not go out under these registrations.
    /// Everything needs the texting registration; promotions and the requests that ask for
    /// marketing consent need the marketing one too.
    public static func refusal(
        purpose: MessagePurpose, automation: Automation?, texting: RegistrationStatus, marketing: RegistrationStatus
    ) -> FieldlineError? {
        guard texting == .approved else {
            return .conflict(
                code: .textingNotRegistered,
                message:
                    "Texting is blocked until the texting registration is approved (it is \(texting.label.lowercased())). "
                    + "An admin can see what it needs in Settings → Texting registration.")
        }
        let needsMarketing = purpose == .marketing || automation == .doubleOptInRequest
        guard !needsMarketing || marketing == .approved else {
            return .conflict(
                code: .marketingNotRegistered,
                message: "Marketing texts and opt-in requests are blocked until the marketing registration is approved "
                    + "(it is \(marketing.label.lowercased())). An admin can see what it needs in Settings → Texting registration."
            )
        }
        return nil
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
