import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

/// Settings → Texting registration (SC1): the two carrier registrations, what each still needs,
/// where it stands, and the registry's reason when it was rejected.
struct RegistrationPage {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var shell: Shell
        var registrations: [RegistrationModel]
        var textingApproved: Bool
    }

    struct RegistrationModel {
        var kind: String
        var title: String
        var purpose: String
        var statusLabel: String
        var tone: String
        var editable: Bool
        var missing: String
        var hasMissing: Bool
        var rejectionReason: String?
        var submittedAt: String?
        var fields: [FieldModel]
        var hasDetails: Bool
    }

    struct FieldModel {
        var key: String
        var label: String
        var value: String
        var hasValue: Bool
        var maxLength: Int
        var long: Bool
        var hint: String?
    }

    /// Which button sent a registration's form: save the details, or save them and submit them
    /// for review.
    enum RegistrationFormAction: String, CaseIterable, Sendable {
        case save, submit
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/settings/registration", use: showRegistrations)
        router.post("/settings/registration/:kind", use: saveRegistration)
    }

    /// Both registrations, what each still needs and where it stands, in the account's time zone.
    @Sendable func showRegistrations(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        try actor.require(.manageAccount)
        let registrations = try await app.registrations.overview(by: actor)
        let time = try context.timeText()
        return try renderer.page(
            "registration",
            Model(
                shell: try await renderer.shell(context, request: request, active: "settings"),
                registrations: registrations.map { Self.model($0, time: time) },
                textingApproved: registrations.first?.isApproved == true),
            request: request)
    }

    /// Saves the details typed for one registration and, with the submit button, submits it.
    @Sendable func saveRegistration(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let form = try await verifiedForm(request, context)
        guard let raw = context.parameters.get("kind"), let kind = RegistrationKind(rawValue: raw) else {
            throw FieldlineError.notFound(entity: "registration", id: context.parameters.get("kind") ?? "")
        }
        // A post without a known button (none, or another value) saves only, as it always has.
        let action = form["action"].flatMap(RegistrationFormAction.init(rawValue:)) ?? .save
        var details = RegistrationDetails()
        for field in RegistrationRules.fields(of: kind) { details[keyPath: field.path] = form[field.key] }
        _ = try await app.registrations.save(kind, details: details, by: actor)
        switch action {
        case .submit:
            _ = try await app.registrations.submit(kind, by: actor)
            return renderer.redirect(
                to: "/settings/registration",
                flash: Flash(.success, "\(kind.label) submitted. Reviews usually take a few days."))
        case .save:
            return renderer.redirect(to: "/settings/registration", flash: Flash(.success, "\(kind.label) saved."))
        }
    }

    static func model(_ registration: Registration, time: TimeText) -> RegistrationModel {
        let missing = RegistrationRules.missing(registration.details, for: registration.kind)
        let tone =
            switch registration.status {
            case .approved: "success"
            case .pending: "info"
            case .rejected: "danger"
            case .notSubmitted: "warning"
            }
        let hints: [String: String] = [
            "useCase": registration.kind == .texting
                ? "For example: appointment confirmations, technician on-the-way notices and customer care conversations."
                : "For example: seasonal maintenance offers and service promotions to customers who signed up.",
            "optInDescription": registration.kind == .texting
                ? "For example: customers give their mobile number when booking and agree to job texts."
                : "For example: customers reply YES to a request, text our sign-up sentence, or use our web form.",
            "sampleMessage": registration.kind == .texting
                ? "A real text you send, with your company name."
                : "A real promotion, ending with \"Reply STOP to opt out\".",
        ]
        return RegistrationModel(
            kind: registration.kind.rawValue, title: registration.kind.label,
            purpose: registration.kind == .texting
                ? "Your business and its everyday texts. Nothing is texted until this is approved."
                : "Promotions and marketing opt-in requests. Builds on the texting registration.",
            statusLabel: registration.status.label, tone: tone,
            editable: RegistrationRules.isEditable(registration.status),
            missing: missing.joined(separator: ", "), hasMissing: !missing.isEmpty,
            rejectionReason: registration.rejectionReason,
            submittedAt: registration.submittedAt.map { time.dateTime($0) },
            fields: RegistrationRules.fields(of: registration.kind).map { field in
                let value = registration.details[keyPath: field.path] ?? ""
                return FieldModel(
                    key: field.key, label: field.label, value: value, hasValue: !value.isEmpty,
                    maxLength: field.maxLength, long: field.maxLength > 300, hint: hints[field.key])
            },
            hasDetails: missing.count < RegistrationRules.fields(of: registration.kind).count)
    }
}
