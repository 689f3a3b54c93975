import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

/// Marketing campaigns (SC6, SC8): the list, the composer with its live audience count, and a
/// campaign's page with its progress updating as the outbox sends. Also where marketers find
/// the ways to grow their list (SC5): the opt-in link, its QR code and the public form.
struct CampaignPages {
    let app: Fieldline
    let renderer: WebRenderer

    struct ListModel {
        var shell: Shell
        var campaigns: [Row]
        var hasCampaigns: Bool
        var readiness: String?
        var optIn: OptInTools?
    }

    struct Row {
        var id: String
        var name: String
        var statusLabel: String
        var tone: String
        var when: String
        var recipients: Int
        var sent: Int
        var held: Int
        var skipped: Int
    }

    struct OptInTools {
        var link: String
        var qrURL: String
        var formURL: String
        var sentence: String
        var snippet: String
        var marketingNumber: String
    }

    struct FormModel {
        var shell: Shell
        var action: String
        var title: String
        var name: String
        var body: String
        var tags: String
        var lastServiceFrom: String
        var lastServiceBefore: String
        var sendDraft: Bool
        var sendNow: Bool
        var sendLater: Bool
        var scheduledAt: String
        var maxBody: Int
        var optOutLine: String
        var readiness: String?
    }

    struct DetailModel {
        var shell: Shell
        var id: String
        var name: String
        var text: String
        var statusLabel: String
        var tone: String
        var status: String
        var when: String
        var audience: String
        var createdBy: String
        var editable: Bool
        var cancellable: Bool
        var progress: CampaignProgressJSON
        var reasons: [Reason]
        var problem: String?
    }

    struct Reason {
        var code: String
        var label: String
        var count: Int
    }

    /// How the composer's `send` choice says to send a campaign.
    enum SendChoice: String, Sendable {
        case draft, now, later
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/campaigns", use: listCampaigns)
        router.get("/campaigns/opt-in-qr.svg", use: optInQRCode)
        router.get("/campaigns/new", use: showNewCampaign)
        router.post("/campaigns", use: createCampaign)
        router.post("/campaigns/audience", use: previewAudience)
        router.get("/campaigns/:id", use: showCampaign)
        router.get("/campaigns/:id/progress", use: campaignProgress)
        router.get("/campaigns/:id/edit", use: showEditCampaign)
        router.post("/campaigns/:id", use: updateCampaign)
        router.post("/campaigns/:id/cancel", use: cancelCampaign)
    }

    /// The campaigns, and once the account may send them, the opt-in link, QR code and form (SC5).
    @Sendable func listCampaigns(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let summaries = try await app.campaigns.all(by: actor)
        let account = try context.signedIn().account
        let time = try context.timeText()
        let readiness = try await self.readiness(actor)
        var optIn: OptInTools?
        if readiness == nil, let number = try await app.consent.marketingNumber(of: actor.accountID),
            let formURL = try await app.consent.signUpURL(of: account.id)
        {
            let link = Keyword.optInLink(to: number)
            optIn = OptInTools(
                link: link, qrURL: "/campaigns/opt-in-qr.svg", formURL: formURL,
                sentence: Keyword.signUpSentence,
                snippet: "<a href=\"\(link)\">Text us to get our offers</a>", marketingNumber: number.displayed)
        }
        return try renderer.page(
            "campaigns",
            ListModel(
                shell: try await renderer.shell(context, request: request, active: "campaigns"),
                campaigns: summaries.map { Self.row($0, time: time) }, hasCampaigns: !summaries.isEmpty,
                readiness: readiness, optIn: optIn),
            request: request)
    }

    /// The QR code of the opt-in link to the account's marketing number.
    @Sendable func optInQRCode(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        try actor.require(.manageMarketing)
        guard let number = try await app.consent.marketingNumber(of: actor.accountID) else {
            throw FieldlineError.notFound(entity: "marketing number", id: "")
        }
        let svg = try QRCode.encode(Keyword.optInLink(to: number)).svg(moduleSize: 8)
        return Response(
            status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "private, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(string: svg)))
    }

    @Sendable func showNewCampaign(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        try actor.require(.manageMarketing)
        return try renderer.page(
            "campaign_form",
            FormModel(
                shell: try await renderer.shell(context, request: request, active: "campaigns"),
                action: "/campaigns", title: "New campaign", name: "", body: "", tags: "", lastServiceFrom: "",
                lastServiceBefore: "", sendDraft: false, sendNow: true, sendLater: false, scheduledAt: "",
                maxBody: CampaignRules.maximumBodyCharacters, optOutLine: CampaignRules.optOutLine,
                readiness: try await self.readiness(actor)),
            request: request)
    }

    @Sendable func createCampaign(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let form = try await verifiedForm(request, context)
        let calendar = try context.signedIn().account.calendar
        let campaign = try await app.campaigns.create(
            try Self.draft(form, calendar: calendar), timing: try Self.timing(form, calendar: calendar), by: actor)
        return renderer.redirect(
            to: "/campaigns/\(campaign.id)",
            flash: Flash(.success, Self.savedMessage(campaign, now: app.clock.now())))
    }

    /// The live audience count: the form as typed, counted by the same query and gate as the send.
    @Sendable func previewAudience(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let form = try await verifiedForm(request, context)
        let calendar = try context.signedIn().account.calendar
        let preview = try await app.campaigns.preview(try Self.audience(form, calendar: calendar), by: actor)
        return try APIResponse.json(AudiencePreviewJSON(preview))
    }

    /// A campaign's page: its text, audience and progress, with why recipients were skipped.
    @Sendable func showCampaign(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: CampaignID.self)
        let summary = try await app.campaigns.find(id, by: actor)
        let time = try context.timeText()
        let campaign = summary.campaign
        let row = Self.row(summary, time: time)
        return try renderer.page(
            "campaign",
            DetailModel(
                shell: try await renderer.shell(context, request: request, active: "campaigns"),
                id: campaign.id.rawValue, name: campaign.name, text: campaign.textBody,
                statusLabel: row.statusLabel,
                tone: row.tone, status: campaign.status.rawValue, when: row.when,
                audience: Self.describe(campaign.audience, time: time), createdBy: campaign.createdBy.name,
                editable: CampaignRules.isEditable(campaign.status),
                cancellable: campaign.status != .canceled
                    && !(campaign.status == .queued && summary.progress.isFinished),
                progress: CampaignProgressJSON(summary.progress),
                reasons: summary.progress.skippedReasons.sorted { $0.value > $1.value }.map {
                    Reason(code: $0.key, label: Self.reasonLabel($0.key), count: $0.value)
                }, problem: campaign.problem),
            request: request)
    }

    /// The campaign page's live numbers, polled as the outbox sends.
    @Sendable func campaignProgress(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.id("id", as: CampaignID.self)
        let summary = try await app.campaigns.find(id, by: try context.actor())
        return try APIResponse.json(CampaignProgressPage(summary))
    }

    /// The composer filled with a campaign, in the account's days and time zone.
    @Sendable func showEditCampaign(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: CampaignID.self)
        let campaign = try await app.campaigns.find(id, by: actor).campaign
        let calendar = try context.signedIn().account.calendar
        let time = try context.timeText()
        let day = { (instant: Date) in DayString.of(instant, calendar: calendar) }
        return try renderer.page(
            "campaign_form",
            FormModel(
                shell: try await renderer.shell(context, request: request, active: "campaigns"),
                action: "/campaigns/\(id)", title: "Edit \(campaign.name)", name: campaign.name,
                body: campaign.body,
                tags: campaign.audience.tags.joined(separator: ", "),
                lastServiceFrom: campaign.audience.lastServiceFrom.map(day) ?? "",
                lastServiceBefore: campaign.audience.lastServiceBefore.map(day) ?? "",
                sendDraft: campaign.status == .draft, sendNow: false, sendLater: campaign.status == .scheduled,
                scheduledAt: campaign.scheduledAt.map(time.inputValue) ?? "",
                maxBody: CampaignRules.maximumBodyCharacters, optOutLine: CampaignRules.optOutLine,
                readiness: try await self.readiness(actor)),
            request: request)
    }

    @Sendable func updateCampaign(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let id = try context.parameters.id("id", as: CampaignID.self)
        let form = try await verifiedForm(request, context)
        let calendar = try context.signedIn().account.calendar
        let campaign = try await app.campaigns.update(
            id, try Self.draft(form, calendar: calendar), timing: try Self.timing(form, calendar: calendar),
            by: actor)
        return renderer.redirect(
            to: "/campaigns/\(id)", flash: Flash(.success, Self.savedMessage(campaign, now: app.clock.now())))
    }

    @Sendable func cancelCampaign(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.id("id", as: CampaignID.self)
        _ = try await verifiedForm(request, context)
        _ = try await app.campaigns.cancel(id, by: try context.actor())
        return renderer.redirect(to: "/campaigns/\(id)", flash: Flash(.info, "Campaign canceled."))
    }

    private func readiness(_ actor: Actor) async throws -> String? {
        try await app.campaigns.readiness(by: actor)
    }

    // MARK: Forms

    static func draft(_ form: FormData, calendar: Calendar) throws -> Campaigns.Draft {
        Campaigns.Draft(name: form["name"], body: form["body"], audience: try audience(form, calendar: calendar))
    }

    static func audience(_ form: FormData, calendar: Calendar) throws -> CampaignAudience {
        CampaignAudience(
            tags: [form["tags"] ?? ""],
            lastServiceFrom: try day(form["lastServiceFrom"], field: "lastServiceFrom", calendar: calendar),
            lastServiceBefore: try day(form["lastServiceBefore"], field: "lastServiceBefore", calendar: calendar))
    }

    static func timing(_ form: FormData, calendar: Calendar) throws -> Campaigns.Timing {
        guard let choice = SendChoice(rawValue: form["send"] ?? SendChoice.now.rawValue) else {
            throw FieldlineError.invalid(field: "send", message: "Choose to send now, later or keep a draft.")
        }
        switch choice {
        case .draft: return .draft
        case .now: return .now
        case .later:
            guard let raw = form["scheduledAt"], !raw.isEmpty else {
                throw FieldlineError.invalid(field: "scheduledAt", message: "Choose when to send it.")
            }
            guard let instant = TimeText(timeZoneIdentifier: calendar.timeZone.identifier).parseInput(raw) else {
                throw FieldlineError.invalid(field: "scheduledAt", message: "\"\(raw)\" is not a date and time.")
            }
            return .at(instant)
        }
    }

    /// The start of a day typed as yyyy-mm-dd, in the account's zone.
    static func day(_ raw: String?, field: String, calendar: Calendar) throws -> Date? {
        guard let raw, !raw.isEmpty else { return nil }
        guard let day = DayString.interval(of: raw, calendar: calendar) else {
            throw FieldlineError.invalid(field: field, message: "\"\(raw)\" is not a date; use yyyy-MM-dd.")
        }
        return day.start
    }

    // MARK: Views

    static func savedMessage(_ campaign: Campaign, now: Date) -> String {
        switch campaign.status {
        case .scheduled where campaign.scheduledAt.map { $0.timeIntervalSince(now) > 60 } == true:
            "Campaign scheduled."
        case .scheduled: "Campaign is being sent."
        default: "Draft saved."
        }
    }

    static func row(_ summary: Campaigns.Summary, time: TimeText) -> Row {
        let campaign = summary.campaign
        let progress = summary.progress
        let tone: String
        var label = campaign.status.label
        switch campaign.status {
        case .draft: tone = "neutral"
        case .scheduled, .queuing: tone = "info"
        case .queued:
            tone = progress.isFinished ? "success" : "brand"
            if progress.isFinished { label = "Sent" }
        case .canceled: tone = "danger"
        }
        let when: String =
            switch campaign.status {
            case .draft: campaign.problem == nil ? "Not scheduled" : "Stopped: see why"
            case .scheduled: campaign.scheduledAt.map { "Goes \(time.dateTime($0))" } ?? ""
            case .queuing, .queued:
                (campaign.queuedAt ?? campaign.scheduledAt).map { "Started \(time.dateTime($0))" } ?? ""
            case .canceled: "Canceled \(time.dateTime(campaign.updatedAt))"
            }
        return Row(
            id: campaign.id.rawValue, name: campaign.name, statusLabel: label, tone: tone, when: when,
            recipients: progress.total - progress.count(.skipped),
            sent: progress.count(.sent) + progress.count(.delivered),
            held: progress.count(.held), skipped: progress.count(.skipped))
    }

    static func describe(_ audience: CampaignAudience, time: TimeText) -> String {
        var parts = ["Everyone who agreed to marketing texts"]
        if !audience.tags.isEmpty { parts.append("tagged \(audience.tags.joined(separator: " or "))") }
        if let from = audience.lastServiceFrom { parts.append("last serviced on or after \(time.day(from))") }
        if let before = audience.lastServiceBefore { parts.append("last serviced before \(time.day(before))") }
        return parts.joined(separator: ", ")
    }

    static func reasonLabel(_ code: String) -> String {
        switch code {
        case "opted_out": "Opted out of all texts"
        case "no_marketing_consent": "No marketing consent any more"
        case "marketing_updates_off": "Marketing updates turned off"
        case "number_blocked": "Blocked number"
        case "landline": "Landline"
        case "campaign_canceled": "Campaign canceled first"
        case "texting_not_registered", "marketing_not_registered": "Registration withdrawn"
        case "job_notifications_off": "Job notifications turned off"
        case "no_mobile_number": "No mobile number on file"
        case "texted_recently": "Already texted back today"
        case "employee_number": "An employee's number"
        case "no_sender_number": "No texting number set up"
        case "estimate_answered": "Estimate answered before it went"
        case "service_changed": "Service done or moved before it went"
        case "automatic_text_off": "Turned off before it went"
        case "frequency_limit": "Marketing limit reached"
        case "open_conversation": "Waiting for an answer in the inbox"
        default: code.replacingOccurrences(of: "_", with: " ")
        }
    }
}

/// The campaign page's live numbers.
struct CampaignProgressPage: Encodable {
    var status: String
    var progress: CampaignProgressJSON
    var reasons: [String: String]

    init(_ summary: Campaigns.Summary) {
        status = summary.campaign.status.rawValue
        progress = CampaignProgressJSON(summary.progress)
        reasons = Dictionary(
            uniqueKeysWithValues: summary.progress.skippedReasons.keys.map { ($0, CampaignPages.reasonLabel($0)) })
    }
}
