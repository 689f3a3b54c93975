import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation
import Hummingbird

/// Settings → Audit log (OP4): who did what, when and from where, newest first, filtered by what
/// was done, by whom and by days; the same filter downloads as CSV. Admins only.
struct AuditLogPage {
    let app: Fieldline
    let renderer: WebRenderer

    static let pageSize = 50

    struct Model {
        var shell: Shell
        var entries: [EntryView]
        var hasEntries: Bool
        var filtered: Bool
        var actions: [Choice]
        var people: [Choice]
        var from: String
        var to: String
        /// The filter as a query string, for the pager and the download.
        var filterQuery: String
        var nextOffset: Int?
        var previousOffset: Int?
        var error: String?
    }

    struct Choice {
        var value: String
        var label: String
        var selected: Bool
    }

    struct EntryView {
        var action: String
        var label: String
        var who: String
        var when: String
        var whenISO: String
        var subject: String?
        var detail: String?
        var address: String?
        var warning: Bool
    }

    func register(on router: RouterGroup<AppRequestContext>) {
        router.get("/settings/audit-log", use: showLog)
        router.get("/settings/audit-log.csv", use: downloadLog)
    }

    private func query(_ request: Request) -> AuditLog.Query {
        AuditLog.Query(
            action: request.query["action"], userID: request.query["user"], from: request.query["from"],
            to: request.query["to"])
    }

    /// One page of the log; a filter it cannot read shows the page with the reason, unfiltered.
    @Sendable func showLog(_ request: Request, context: AppRequestContext) async throws -> Response {
        let actor = try context.actor()
        let asked = query(request)
        let offset = max(0, min(Int(request.query["offset"] ?? "") ?? 0, 1_000_000))
        let paging = try Paging(limit: Self.pageSize, offset: offset)
        var error: FieldlineError?
        var entries: [AuditEntry]
        do {
            entries = try await app.auditLog.entries(asked, paging: paging, by: actor)
        } catch let refusal as FieldlineError where refusal.isRefusal {
            guard case .invalid = refusal else { throw refusal }
            error = refusal
            entries = try await app.auditLog.entries(AuditLog.Query(), paging: .firstPage, by: actor)
        }
        let used = error == nil ? asked : AuditLog.Query()
        let time = try context.timeText()
        let people = try await app.accounts.users(by: actor)
        let model = Model(
            shell: try await renderer.shell(context, request: request, active: "settings"),
            entries: entries.map { entry in
                EntryView(
                    action: entry.action.rawValue, label: entry.action.label, who: entry.actorName,
                    when: time.stamp(entry.occurredAt),
                    whenISO: entry.occurredAt.formatted(.iso8601), subject: entry.subject, detail: entry.detail,
                    address: entry.address, warning: entry.action == .signInFailed)
            },
            hasEntries: !entries.isEmpty,
            filtered: used != AuditLog.Query(),
            actions: [Choice(value: "", label: "Everything", selected: used.action == nil)]
                + AuditAction.allCases.map {
                    Choice(value: $0.rawValue, label: $0.label, selected: used.action == $0.rawValue)
                },
            people: [Choice(value: "", label: "Everyone", selected: used.userID == nil)]
                + people.map { Choice(value: $0.id.rawValue, label: $0.name, selected: used.userID == $0.id.rawValue) },
            from: used.from ?? "", to: used.to ?? "", filterQuery: Self.queryString(used),
            nextOffset: error == nil && entries.count == paging.limit ? offset + paging.limit : nil,
            previousOffset: error == nil && offset > 0 ? max(0, offset - paging.limit) : nil,
            error: error?.message)
        if let error { return try renderer.formAgain("audit_log", model, after: error, request: request) }
        return try renderer.page("audit_log", model, request: request)
    }

    /// The filtered log as CSV, streamed; the download itself is written in the log.
    @Sendable func downloadLog(_ request: Request, context: AppRequestContext) async throws -> Response {
        let export = try await app.auditLog.export(query(request), by: try context.actor())
        return AuditDownload.response(export, app: app)
    }

    static func queryString(_ query: AuditLog.Query) -> String {
        [("action", query.action), ("user", query.userID), ("from", query.from), ("to", query.to)]
            .compactMap { name, value in
                value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            }
            .joined(separator: "&")
    }
}

enum AuditDownload {
    static func response(_ export: AuditLog.Export, app: Fieldline) -> Response {
        CSVDownload.response(filename: export.filename, header: AuditCSV.header) { cursor in
            try await app.auditLog.exportPage(export, after: cursor)
        }
    }
}
