import Fieldline
import FieldlineCore
import Foundation
import Hummingbird

extension APIRoutes {
    /// The audit log (OP4): read and export only; no route changes or removes an entry.
    static func audit(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/audit-log") { request, context in
                let paging = try Paging(
                    limit: try request.query.int("limit"), offset: try request.query.int("offset"))
                let entries = try await app.auditLog.entries(
                    auditQuery(request), paging: paging, by: try context.actor())
                return try APIResponse.json(
                    ListJSON(items: entries.map(AuditEntryJSON.init), limit: paging.limit, offset: paging.offset))
            },
            APIRoute(.get, "/audit-log/export") { request, context in
                let export = try await app.auditLog.export(auditQuery(request), by: try context.actor())
                return AuditDownload.response(export, app: app)
            },
        ]
    }

    private static func auditQuery(_ request: Request) -> AuditLog.Query {
        AuditLog.Query(
            action: request.query["action"], userID: request.query["userId"], from: request.query["from"],
            to: request.query["to"])
    }
}

struct AuditEntryJSON: Encodable {
    var id: Int64
    var action: String
    var actionLabel: String
    var userId: String?
    var actorName: String
    var subject: String?
    var detail: String?
    var address: String?
    var occurredAt: Date

    init(_ entry: AuditEntry) {
        id = entry.id
        action = entry.action.rawValue
        actionLabel = entry.action.label
        userId = entry.userID?.rawValue
        actorName = entry.actorName
        subject = entry.subject
        detail = entry.detail
        address = entry.address
        occurredAt = entry.occurredAt
    }
}
