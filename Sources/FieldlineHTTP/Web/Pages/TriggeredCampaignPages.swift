import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

/// The transactional campaigns' settings (SC2): estimate follow-ups, service reminders and
/// missed-call text-backs, each with what it did lately.
struct TriggeredCampaignPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct Model {
        var shell: Shell
        var campaigns: [CampaignView]
        var readiness: String?
        var callWebhook: String
    }

    struct CampaignView {
        var kind: String
        var title: String
        var explanation: String
        var enabled: Bool
        var template: String
        var hasDays: Bool
        var days: Int
        var daysLabel: String
        var isMissedCall: Bool
        var followOnURL: String
        var waitsForQuietHours: Bool
        var tokens: [Token]
        var preview: String
        var sent: Int
        var skipped: Int
        var recent: [RunView]
        var hasRecent: Bool
        var error: String?
    }

    struct Token {
        var token: String
        var meaning: String
    }

    struct RunView {
        var when: String
        var phone: String
        var texted: Bool
        var reason: String
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/campaigns/automatic", use: showCampaigns)
        router.post("/campaigns/automatic/:kind", use: saveCampaign)
    }

    /// The automatic campaigns with their settings and what each did lately.
    @Sendable func showCampaigns(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await page(request, context)
    }

    /// Saves one automatic campaign's settings; a rule it breaks shows the page again with what was
    /// typed and why.
    @Sendable func saveCampaign(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await verifiedForm(request, context)
        let actor = try context.actor()
        guard let kind = context.parameters.get("kind").flatMap(TriggeredCampaignKind.init(rawValue:)) else {
            throw FieldlineError.notFound(entity: "triggered campaign", id: context.parameters.get("kind") ?? "")
        }
        var days: Int?
        if kind.defaultDays != nil {
            guard let value = Int((form["days"] ?? "").trimmingCharacters(in: .whitespaces)) else {
                return try await page(
                    request, context, failed: kind,
                    error: .invalid(field: "days", message: "Choose between 1 and 60 days."),
                    template: form["template"], followOn: form["followOnUrl"])
            }
            days = value
        }
        do {
            let saved = try await app.triggeredCampaigns.save(
                kind,
                .init(
                    enabled: form.checked("enabled"), template: form["template"] ?? "", days: days,
                    followOnURL: kind == .missedCall ? form["followOnUrl"] ?? "" : nil), by: actor)
            return renderer.redirect(
                to: "/campaigns/automatic#\(kind.rawValue)",
                flash: Flash(.success, "\(kind.title) \(saved.enabled ? "is on" : "is off") and saved."))
        } catch let error as FieldlineError {
            guard case .invalid = error else { throw error }
            return try await page(
                request, context, failed: kind, error: error, template: form["template"],
                followOn: form["followOnUrl"])
        }
    }

    private func page(
        _ request: Request, _ context: AppRequestContext, failed: TriggeredCampaignKind? = nil,
        error: FieldlineError? = nil,
        template: String? = nil, followOn: String? = nil
    ) async throws -> Response {
        let actor = try context.actor()
        let entries = try await app.triggeredCampaigns.overview(by: actor)
        let time = try context.timeText()
        let now = app.clock.now()
        let views = entries.map { entry in
            let campaign = entry.campaign
            let kind = campaign.kind
            return CampaignView(
                kind: kind.rawValue, title: kind.title, explanation: kind.explanation, enabled: campaign.enabled,
                template: kind == failed ? template ?? campaign.template : campaign.template,
                hasDays: kind.defaultDays != nil, days: campaign.days ?? kind.defaultDays ?? 0,
                daysLabel: kind == .estimateFollowUp
                    ? "Days after the estimate is given" : "Days before the service is due",
                isMissedCall: kind == .missedCall,
                followOnURL: kind == failed ? followOn ?? "" : campaign.followOnURL ?? "",
                waitsForQuietHours: kind.waitsForQuietHours,
                tokens: kind.tokens.map { Token(token: "{\($0.rawValue)}", meaning: $0.meaning) },
                preview: entry.preview, sent: entry.sentLast30Days, skipped: entry.skippedLast30Days,
                recent: entry.recent.map { run in
                    RunView(
                        when: time.short(run.createdAt, now: now), phone: run.phone?.displayed ?? "—",
                        texted: run.messageID != nil,
                        reason: run.skipReason.map(CampaignPages.reasonLabel) ?? "")
                }, hasRecent: !entry.recent.isEmpty, error: kind == failed ? error?.message : nil)
        }
        let model = Model(
            shell: try await renderer.shell(context, request: request, active: "campaigns"), campaigns: views,
            readiness: try await app.triggeredCampaigns.readiness(of: actor.accountID),
            callWebhook: app.publicURL + "/webhooks/twilio/calls")
        if let error { return try renderer.formAgain("triggered_campaigns", model, after: error, request: request) }
        return try renderer.page("triggered_campaigns", model, request: request)
    }
}
