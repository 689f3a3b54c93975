import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

extension APIRoutes {
    /// The account's carrier registrations (SC1): admins fill them in and submit; marketers may read.
    static func registrations(_ app: Fieldline) -> [APIRoute] {
        // One literal path per kind: the kind is not a record of anyone's, so it is not a parameter.
        [
            APIRoute(.get, "/settings/registrations") { _, context in
                let registrations = try await app.registrations.overview(by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: registrations.map(RegistrationJSON.init), limit: registrations.count, offset: 0))
            }
        ]
            + RegistrationKind.allCases.flatMap { kind in
                [
                    APIRoute(.put, "/settings/registrations/\(kind.rawValue)") { request, context in
                        let details = try await request.decodeJSON(RegistrationDetails.self, context: context)
                        return try APIResponse.json(
                            RegistrationJSON(
                                try await app.registrations.save(kind, details: details, by: try context.actor())))
                    },
                    APIRoute(.post, "/settings/registrations/\(kind.rawValue)/submit") { _, context in
                        try APIResponse.json(
                            RegistrationJSON(try await app.registrations.submit(kind, by: try context.actor())))
                    },
                ]
            }
    }

    /// Marketing campaigns (SC6, SC8): marketers and admins.
    static func campaigns(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/campaigns") { request, context in
                let paging = try Paging(
                    limit: try request.query.int("limit"), offset: try request.query.int("offset"))
                let campaigns = try await app.campaigns.all(paging: paging, by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: campaigns.map(CampaignJSON.init), limit: paging.limit, offset: paging.offset))
            },
            APIRoute(.post, "/campaigns") { request, context in
                let body = try await request.decodeJSON(CampaignInput.self, context: context)
                let actor = try context.actor()
                let campaign = try await app.campaigns.create(body.draft, timing: try body.timing ?? .draft, by: actor)
                return try APIResponse.json(
                    CampaignJSON(try await app.campaigns.find(campaign.id, by: actor)), status: .created)
            },
            APIRoute(.post, "/campaigns/audience-preview") { request, context in
                let body = try await request.decodeJSON(CampaignAudienceInput.self, context: context)
                return try APIResponse.json(
                    AudiencePreviewJSON(try await app.campaigns.preview(body.audience, by: try context.actor())))
            },
            APIRoute(.get, "/campaigns/{campaignId}") { _, context in
                let id = try context.parameters.id("campaignId", as: CampaignID.self)
                return try APIResponse.json(CampaignJSON(try await app.campaigns.find(id, by: try context.actor())))
            },
            APIRoute(.put, "/campaigns/{campaignId}") { request, context in
                let id = try context.parameters.id("campaignId", as: CampaignID.self)
                let body = try await request.decodeJSON(CampaignInput.self, context: context)
                let actor = try context.actor()
                _ = try await app.campaigns.update(id, body.draft, timing: try body.timing, by: actor)
                return try APIResponse.json(CampaignJSON(try await app.campaigns.find(id, by: actor)))
            },
            APIRoute(.post, "/campaigns/{campaignId}/cancel") { _, context in
                let id = try context.parameters.id("campaignId", as: CampaignID.self)
                let actor = try context.actor()
                _ = try await app.campaigns.cancel(id, by: actor)
                return try APIResponse.json(CampaignJSON(try await app.campaigns.find(id, by: actor)))
            },
        ]
    }
}

struct RegistrationJSON: Encodable {
    var kind: String
    var status: String
    var details: RegistrationDetails
    var missing: [String]
    var rejectionReason: String?
    var submittedAt: Date?
    var decidedAt: Date?

    init(_ registration: Registration) {
        kind = registration.kind.rawValue
        status = registration.status.rawValue
        details = registration.details
        missing = RegistrationRules.missing(registration.details, for: registration.kind)
        rejectionReason = registration.rejectionReason
        submittedAt = registration.submittedAt
        decidedAt = registration.decidedAt
    }
}

struct CampaignAudienceInput: Decodable, Sendable {
    var tags: [String]?
    var lastServiceFrom: Date?
    var lastServiceBefore: Date?

    var audience: CampaignAudience {
        CampaignAudience(tags: tags ?? [], lastServiceFrom: lastServiceFrom, lastServiceBefore: lastServiceBefore)
    }
}

/// `send`: "draft" (the default), "now" or "scheduled" with `scheduledAt`.
struct CampaignInput: Decodable, Sendable {
    var name: String?
    var body: String?
    var audience: CampaignAudienceInput?
    var send: String?
    var scheduledAt: Date?

    var draft: Campaigns.Draft {
        Campaigns.Draft(name: name, body: body, audience: audience?.audience ?? CampaignAudience())
    }

    var timing: Campaigns.Timing? {
        get throws {
            switch send {
            case nil: return scheduledAt.map { .at($0) }
            case "draft": return .draft
            case "now": return .now
            case "scheduled":
                guard let scheduledAt else {
                    throw FieldlineError.invalid(
                        field: "scheduledAt", message: "Give the time to send it (scheduledAt).")
                }
                return .at(scheduledAt)
            default:
                throw FieldlineError.invalid(field: "send", message: "send is draft, now or scheduled.")
            }
        }
    }
}

struct CampaignProgressJSON: Encodable {
    var total: Int
    var queued: Int
    var held: Int
    var sent: Int
    var delivered: Int
    var failed: Int
    var skipped: Int
    var skippedReasons: [String: Int]
    var finished: Bool

    init(_ progress: CampaignProgress) {
        total = progress.total
        queued = progress.count(.queued)
        held = progress.count(.held)
        // Everything handed to the carrier; `delivered` is the part confirmed on the handset.
        sent = progress.count(.sent) + progress.count(.delivered)
        delivered = progress.count(.delivered)
        failed = progress.count(.failed)
        skipped = progress.count(.skipped)
        skippedReasons = progress.skippedReasons
        finished = progress.isFinished
    }
}

struct CampaignJSON: Encodable {
    var id: String
    var name: String
    var body: String
    /// What each recipient gets: the body and the opt-out line.
    var text: String
    var audience: CampaignAudience
    var status: String
    var scheduledAt: Date?
    var queuedAt: Date?
    /// Why sending stopped and the campaign went back to draft, if it did.
    var problem: String?
    var createdBy: String
    var createdAt: Date
    var progress: CampaignProgressJSON

    init(_ summary: Campaigns.Summary) {
        let campaign = summary.campaign
        id = campaign.id.rawValue
        name = campaign.name
        body = campaign.body
        text = campaign.textBody
        audience = campaign.audience
        status = campaign.status.rawValue
        scheduledAt = campaign.scheduledAt
        queuedAt = campaign.queuedAt
        problem = campaign.problem
        createdBy = campaign.createdBy.name
        createdAt = campaign.createdAt
        progress = CampaignProgressJSON(summary.progress)
    }
}

struct AudiencePreviewJSON: Encodable {
    var consenting: Int
    var recipients: Int
    var heldForQuietHours: Int
    var skipped: [String: Int]
    var blockedBecause: String?

    init(_ preview: Campaigns.AudiencePreview) {
        consenting = preview.consenting
        recipients = preview.admitted
        heldForQuietHours = preview.heldForQuietHours
        skipped = preview.skipped
        blockedBecause = preview.blockedBecause
    }
}
