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

/// Streams an export page by page: a year of ledger never sits in memory at once.
enum LedgerDownload {
    static func response(_ export: ConsentBook.Export, app: Fieldline) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"\(export.filename)\"",
            ],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: LedgerCSV.header))
                var cursor: ConsentStore.LedgerCursor?
                repeat {
                    let page = try await app.consent.exportPage(export, after: cursor)
                    if !page.csv.isEmpty { try await writer.write(ByteBuffer(string: page.csv)) }
                    cursor = page.next
                } while cursor != nil
                try await writer.finish(nil)
            })
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
