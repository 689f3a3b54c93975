import Fieldline
import FieldlineCore
import FieldlineStore
import Foundation
import Hummingbird
import NIOCore

extension APIRoutes {
    /// The consent ledger (SC7): one number's state and history, and the account's ledger as CSV.
    static func consent(_ app: Fieldline) -> [APIRoute] {
        [
            APIRoute(.get, "/phones/{phoneId}/consent") { _, context in
                let id = try context.parameters.id("phoneId", as: PhoneContactID.self)
                let (phone, consent, ledger) = try await app.consent.history(ofPhone: id, by: try context.actor())
                return try APIResponse.json(PhoneConsentJSON(phone: phone, consent: consent, ledger: ledger))
            },
            APIRoute(.post, "/phones/{phoneId}/consent/opt-in-request") { _, context in
                let id = try context.parameters.id("phoneId", as: PhoneContactID.self)
                let actor = try context.actor()
                _ = try await app.consent.requestMarketingOptIn(ofPhone: id, by: actor)
                let (phone, consent, ledger) = try await app.consent.history(ofPhone: id, by: actor)
                return try APIResponse.json(
                    PhoneConsentJSON(phone: phone, consent: consent, ledger: ledger), status: .accepted)
            },
            APIRoute(.get, "/consent-ledger/export") { request, context in
                let export = try await app.consent.export(
                    from: request.query["from"], to: request.query["to"],
                    by: try context.actor())
                return LedgerDownload.response(export, app: app)
            },
        ]
    }
}

/// A CSV download streamed page by page (the consent ledger, the audit log): a year of rows never
/// sits in memory at once. `page` gives the rows after a cursor and the next cursor, nil at the end.
enum CSVDownload {
    static func response<Cursor: Sendable>(
        filename: String, header: String,
        page: @escaping @Sendable (Cursor?) async throws -> (csv: String, next: Cursor?)
    ) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"\(filename)\"",
            ],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: header))
                var cursor: Cursor?
                repeat {
                    let next = try await page(cursor)
                    if !next.csv.isEmpty { try await writer.write(ByteBuffer(string: next.csv)) }
                    cursor = next.next
                } while cursor != nil
                try await writer.finish(nil)
            })
    }
}

enum LedgerDownload {
    static func response(_ export: ConsentBook.Export, app: Fieldline) -> Response {
        CSVDownload.response(filename: export.filename, header: LedgerCSV.header) { cursor in
            try await app.consent.exportPage(export, after: cursor)
        }
    }
}

struct PhoneConsentJSON: Encodable {
    struct Change: Encodable {
        var occurredAt: Date
        var scope: String
        var from: String
        var to: String
        var method: String
        var actorKind: String
        var actorName: String
        var messageId: String?
    }

    var phoneId: String
    var phone: String
    var optedOut: Bool
    var marketing: String
    /// A double opt-in request waits for YES until then.
    var optInRequestedUntil: Date?
    var history: [Change]

    init(phone: PhoneContact, consent: SMSConsent, ledger: [ConsentStore.LedgerEntry]) {
        phoneId = phone.id.rawValue
        self.phone = phone.number.e164
        optedOut = consent.optedOut
        marketing = consent.marketing.rawValue
        optInRequestedUntil = consent.doubleOptInPendingUntil
        history = ledger.map { entry in
            Change(
                occurredAt: entry.occurredAt, scope: entry.change.scope.rawValue, from: entry.change.from,
                to: entry.change.to, method: entry.method, actorKind: entry.actor.kind.rawValue,
                actorName: entry.actor.name, messageId: entry.messageID?.rawValue)
        }
    }
}
