import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

extension APIRoutes {
    /// "On the way" notice settings (DN1–DN3, DN5, DN6) and their live preview. Admins only.
    static func dispatch(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/settings/dispatch-notices") { _, context in
                try APIResponse.json(
                    DispatchNoticesJSON(try await app.dispatchNotices.overview(by: try context.actor())))
            },
            APIRoute(.put, "/settings/dispatch-notices") { request, context in
                let actor = try context.actor()
                let body = try await request.decodeJSON(DispatchNoticeSettingsRequest.self, context: context)
                let overview = try await app.dispatchNotices.update(by: actor) { $0 = body.applied(to: $0) }
                return try APIResponse.json(DispatchNoticesJSON(overview))
            },
            APIRoute(.post, "/settings/dispatch-notices/preview") { request, context in
                let actor = try context.actor()
                let body = try await request.decodeJSON(DispatchNoticeSettingsRequest.self, context: context)
                let current = try await app.dispatchNotices.overview(by: actor).settings
                let preview = try await app.dispatchNotices.preview(body.applied(to: current), by: actor)
                return try APIResponse.json(DispatchNoticePreviewJSON(preview))
            },
        ]
    }
}

/// Every field optional: what is left out keeps its saved value.
struct DispatchNoticeSettingsRequest: Decodable, Sendable {
    var textEnabled: Bool?
    var emailEnabled: Bool?
    var trackingEnabled: Bool?
    var limitWhenSeveralDispatched: Bool?
    var textTemplate: String?
    var emailSubject: String?
    var emailTemplate: String?

    func applied(to current: DispatchNoticeSettings) -> DispatchNoticeSettings {
        var settings = current
        if let textEnabled { settings.textEnabled = textEnabled }
        if let emailEnabled { settings.emailEnabled = emailEnabled }
        if let trackingEnabled { settings.trackingEnabled = trackingEnabled }
        if let limitWhenSeveralDispatched { settings.limitWhenSeveralDispatched = limitWhenSeveralDispatched }
        if let textTemplate { settings.textTemplate = textTemplate }
        if let emailSubject { settings.emailSubject = emailSubject }
        if let emailTemplate { settings.emailTemplate = emailTemplate }
        return settings
    }
}

struct DispatchNoticesJSON: Encodable {
    struct Token: Encodable {
        var token: String
        var meaning: String
    }

    var textEnabled: Bool
    var emailEnabled: Bool
    var trackingEnabled: Bool
    var limitWhenSeveralDispatched: Bool
    var textTemplate: String
    var emailSubject: String
    var emailTemplate: String
    var textReady: Bool
    var textProblem: String?
    var defaultNumber: String?
    var emailDelivered: Bool
    var textLimit: Int
    var tokens: [Token]

    init(_ overview: DispatchNotices.Overview) {
        let settings = overview.settings
        textEnabled = settings.textEnabled
        emailEnabled = settings.emailEnabled
        trackingEnabled = settings.trackingEnabled
        limitWhenSeveralDispatched = settings.limitWhenSeveralDispatched
        textTemplate = settings.textTemplate
        emailSubject = settings.emailSubject
        emailTemplate = settings.emailTemplate
        textReady = overview.text.ready
        textProblem = overview.text.problem
        defaultNumber = overview.text.number?.number.e164
        emailDelivered = overview.emailDelivered
        textLimit = MessageText.maximumCharacters
        tokens = NoticeToken.dispatch.map { Token(token: "{\($0.rawValue)}", meaning: $0.meaning) }
    }
}

struct DispatchNoticePreviewJSON: Encodable {
    struct Problem: Encodable {
        var code: String
        var message: String
    }

    var basedOn: String?
    var text: String?
    var textCharacters: Int?
    var textWorstCase: Int?
    var subject: String?
    var emailText: String?
    var emailHtml: String?
    var problem: Problem?

    init(_ preview: DispatchNotices.Preview) {
        basedOn = preview.basedOn
        text = preview.text
        textCharacters = preview.textCharacters
        textWorstCase = preview.textWorstCase
        subject = preview.subject
        emailText = preview.emailText
        emailHtml = preview.emailHTML
        problem = preview.problem.map { Problem(code: $0.code, message: $0.message) }
    }
}
