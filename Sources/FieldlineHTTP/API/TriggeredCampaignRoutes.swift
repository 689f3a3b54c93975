import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

extension APIRoutes {
    /// The transactional campaigns (SC2): estimate follow-ups, service reminders, missed-call
    /// text-backs. One literal path per kind, as for registrations.
    static func triggeredCampaigns(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/triggered-campaigns") { _, context in
                let entries = try await app.triggeredCampaigns.overview(by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: entries.map(TriggeredCampaignJSON.init), limit: entries.count, offset: 0))
            }
        ]
            + TriggeredCampaignKind.allCases.map { kind in
                APIRoute(.put, "/triggered-campaigns/\(kind.rawValue)") { request, context in
                    let body = try await request.decodeJSON(TriggeredCampaignInput.self, context: context)
                    let actor = try context.actor()
                    _ = try await app.triggeredCampaigns.save(
                        kind,
                        .init(
                            enabled: body.enabled, template: body.template, days: body.days,
                            followOnURL: body.followOnUrl), by: actor)
                    let entries = try await app.triggeredCampaigns.overview(by: actor)
                    guard let entry = entries.first(where: { $0.campaign.kind == kind }) else {
                        throw FieldlineError.notFound(entity: "triggered campaign", id: kind.rawValue)
                    }
                    return try APIResponse.json(TriggeredCampaignJSON(entry))
                }
            }
    }

    /// A customer's estimates and recurring services, which those campaigns watch.
    static func estimates(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.post, "/customers/{customerId}/estimates") { request, context in
                let id = try context.parameters.id("customerId", as: CustomerID.self)
                let body = try await request.decodeJSON(EstimateInput.self, context: context)
                let estimate = try await app.estimates.add(
                    .init(summary: body.summary, amount: body.amount, locationID: body.locationId.map(LocationID.init)),
                    to: id, by: try context.actor())
                return try APIResponse.json(EstimateJSON(estimate), status: .created)
            },
            APIRoute(.post, "/estimates/{estimateId}/status") { request, context in
                let id = try context.parameters.id("estimateId", as: EstimateID.self)
                let body = try await request.decodeJSON(EstimateStatusInput.self, context: context)
                return try APIResponse.json(
                    EstimateJSON(try await app.estimates.decide(id, status: body.status, by: try context.actor())))
            },
            APIRoute(.post, "/customers/{customerId}/recurring-services") { request, context in
                let id = try context.parameters.id("customerId", as: CustomerID.self)
                let body = try await request.decodeJSON(RecurringServiceInput.self, context: context)
                let service = try await app.estimates.addService(
                    .init(
                        name: body.name, intervalMonths: body.intervalMonths, nextDue: body.nextDue,
                        locationID: body.locationId.map(LocationID.init)), to: id, by: try context.actor())
                return try APIResponse.json(RecurringServiceJSON(service), status: .created)
            },
            APIRoute(.patch, "/recurring-services/{serviceId}") { request, context in
                let id = try context.parameters.id("serviceId", as: RecurringServiceID.self)
                let body = try await request.decodeJSON(RecurringServicePatch.self, context: context)
                return try APIResponse.json(
                    RecurringServiceJSON(
                        try await app.estimates.updateService(
                            id, name: body.name, intervalMonths: body.intervalMonths, nextDue: body.nextDue,
                            by: try context.actor())))
            },
            APIRoute(.post, "/recurring-services/{serviceId}/done") { request, context in
                let id = try context.parameters.id("serviceId", as: RecurringServiceID.self)
                let body = try await request.decodeOptionalJSON(ServiceDoneInput.self, context: context)
                return try APIResponse.json(
                    RecurringServiceJSON(
                        try await app.estimates.serviceDone(id, expecting: body?.nextDue, by: try context.actor())))
            },
            APIRoute(.delete, "/recurring-services/{serviceId}") { _, context in
                let id = try context.parameters.id("serviceId", as: RecurringServiceID.self)
                _ = try await app.estimates.removeService(id, by: try context.actor())
                return Response(status: .noContent)
            },
        ]
    }
}

struct TriggeredCampaignInput: Decodable {
    var enabled: Bool?
    var template: String?
    var days: Int?
    var followOnUrl: String?
}

struct RecurringServicePatch: Decodable {
    var name: String?
    var intervalMonths: Int?
    var nextDue: String?
}

struct ServiceDoneInput: Decodable {
    /// The due day the caller saw; when given and no longer current, the request changes nothing.
    var nextDue: String?
}

struct TriggeredCampaignJSON: Encodable {
    struct Run: Encodable {
        var subject: String
        var occurrence: String
        var phone: String?
        var messageId: String?
        var skipReason: String?
        var createdAt: Date
    }

    var kind: String
    var title: String
    var enabled: Bool
    var template: String
    var days: Int?
    var followOnUrl: String?
    var tokens: [String]
    var preview: String
    var sentLast30Days: Int
    var skippedLast30Days: Int
    var recent: [Run]

    init(_ entry: TriggeredCampaigns.Entry) {
        kind = entry.campaign.kind.rawValue
        title = entry.campaign.kind.title
        enabled = entry.campaign.enabled
        template = entry.campaign.template
        days = entry.campaign.days
        followOnUrl = entry.campaign.followOnURL
        tokens = entry.campaign.kind.tokens.map { "{\($0.rawValue)}" }
        preview = entry.preview
        sentLast30Days = entry.sentLast30Days
        skippedLast30Days = entry.skippedLast30Days
        recent = entry.recent.map {
            Run(
                subject: $0.subject, occurrence: $0.occurrence, phone: $0.phone?.e164,
                messageId: $0.messageID?.rawValue,
                skipReason: $0.skipReason, createdAt: $0.createdAt)
        }
    }
}

struct EstimateInput: Decodable {
    var summary: String?
    var amount: String?
    var locationId: String?
}

struct EstimateStatusInput: Decodable {
    var status: String?
}

struct EstimateJSON: Encodable {
    var id: String
    var customerId: String
    var locationId: String?
    var summary: String
    var amountCents: Int?
    var status: String
    var createdAt: Date
    var decidedAt: Date?

    init(_ estimate: Estimate) {
        id = estimate.id.rawValue
        customerId = estimate.customerID.rawValue
        locationId = estimate.locationID?.rawValue
        summary = estimate.summary
        amountCents = estimate.amountCents
        status = estimate.status.rawValue
        createdAt = estimate.createdAt
        decidedAt = estimate.decidedAt
    }
}

struct RecurringServiceInput: Decodable {
    var name: String?
    var intervalMonths: Int?
    var nextDue: String?
    var locationId: String?
}

struct RecurringServiceJSON: Encodable {
    var id: String
    var customerId: String
    var locationId: String?
    var name: String
    var intervalMonths: Int
    var nextDue: String

    init(_ service: RecurringService) {
        id = service.id.rawValue
        customerId = service.customerID.rawValue
        locationId = service.locationID?.rawValue
        name = service.name
        intervalMonths = service.intervalMonths
        nextDue = service.nextDue
    }
}
