import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

/// Settings → On-the-way notices (DN1–DN3, DN5, DN6): the switches, the templates with their
/// tokens, whether texting is ready, and a live preview rendered by the server from the next real
/// visit as the admin types.
struct NoticeSettingsPage {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var shell: Shell
        var textEnabled: Bool
        var emailEnabled: Bool
        var trackingEnabled: Bool
        var limitWhenSeveralDispatched: Bool
        var textTemplate: String
        var emailSubject: String
        var emailTemplate: String
        var textReady: Bool
        var textProblem: String
        var defaultNumber: String
        var emailDelivered: Bool
        var tokens: [Token]
        var preview: PreviewModel
    }

    struct Token {
        var token: String
        var meaning: String
    }

    struct PreviewModel {
        var basedOn: String
        var text: String
        var count: String
        var subject: String
        var emailText: String
        var problem: String
        var hasProblem: Bool
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/settings/notifications", use: showSettings)
        router.post("/settings/notifications", use: saveSettings)
        router.post("/settings/notifications/preview", use: renderPreview)
    }

    /// The switches and templates as saved, whether texting and email are ready, and the preview of
    /// the saved templates.
    @Sendable func showSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let overview = try await app.dispatchNotices.overview(by: actor)
        let preview = try await app.dispatchNotices.preview(overview.settings, by: actor)
        let settings = overview.settings
        return try renderer.page(
            "notice_settings",
            Model(
                shell: try await renderer.shell(context, request: request, active: "settings"),
                textEnabled: settings.textEnabled, emailEnabled: settings.emailEnabled,
                trackingEnabled: settings.trackingEnabled,
                limitWhenSeveralDispatched: settings.limitWhenSeveralDispatched,
                textTemplate: settings.textTemplate, emailSubject: settings.emailSubject,
                emailTemplate: settings.emailTemplate, textReady: overview.text.ready,
                textProblem: overview.text.problem.map { Self.sentence($0) } ?? "",
                defaultNumber: overview.text.number?.number.displayed ?? "",
                emailDelivered: overview.emailDelivered,
                tokens: NoticeToken.dispatch.map { Token(token: "{\($0.rawValue)}", meaning: $0.meaning) },
                preview: Self.previewModel(preview)),
            request: request)
    }

    /// Saves the switches and templates.
    @Sendable func saveSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let form = try await verifiedForm(request, context)
        _ = try await app.dispatchNotices.update(Self.settings(from: form), by: actor)
        return renderer.redirect(to: "/settings/notifications", flash: Flash(.success, "On-the-way notices saved."))
    }

    /// The live preview: the form as typed, rendered without saving.
    @Sendable func renderPreview(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let form = try await verifiedForm(request, context)
        let preview = try await app.dispatchNotices.preview(Self.settings(from: form), by: actor)
        return try APIResponse.json(DispatchNoticePreviewJSON(preview))
    }

    static func settings(from form: FormData) -> DispatchNoticeSettings {
        DispatchNoticeSettings(
            textEnabled: form.checked("textEnabled"), emailEnabled: form.checked("emailEnabled"),
            trackingEnabled: form.checked("trackingEnabled"),
            limitWhenSeveralDispatched: form.checked("limitWhenSeveralDispatched"),
            textTemplate: form["textTemplate"] ?? "", emailSubject: form["emailSubject"] ?? "",
            emailTemplate: form["emailTemplate"] ?? "")
    }

    static func previewModel(_ preview: DispatchNotices.Preview) -> PreviewModel {
        var count = ""
        if let characters = preview.textCharacters, let worst = preview.textWorstCase {
            count =
                "\(characters) characters here · at most \(worst) of \(MessageText.maximumCharacters) with the longest names"
        }
        return PreviewModel(
            basedOn: preview.basedOn.map { "Filled in from \($0)" }
                ?? "Filled in with sample values: no upcoming visit yet",
            text: preview.text ?? "", count: count, subject: preview.subject ?? "", emailText: preview.emailText ?? "",
            problem: preview.problem?.message ?? "", hasProblem: preview.problem != nil)
    }

    static func sentence(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst() + (text.hasSuffix(".") ? "" : ".")
    }
}
