import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineStore
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("The consent ledger (SC7): a number's history, and the account's ledger as CSV")
struct ConsentLedgerTests {
    @Test("CSV cells are quoted as RFC 4180 asks and never run as formulas")
    func csvCells() {
        #expect(LedgerCSV.cell("plain") == "plain")
        #expect(LedgerCSV.cell("Smith, Jo") == "\"Smith, Jo\"")
        #expect(LedgerCSV.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(LedgerCSV.cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(LedgerCSV.cell("+1512") == "'+1512")
        #expect(LedgerCSV.cell("+15125550142", guarded: false) == "+15125550142")
        #expect(LedgerCSV.cell("-x") == "'-x")
        #expect(LedgerCSV.cell("@x") == "'@x")
    }

    @Test(
        "STOP and START show on the customer page and in the API; the CSV export streams every page, only this account's",
        arguments: TestEngine.available)
    func historyAndExport(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, _, number, client in
            _ = try await world.textIn(from: "5125550142", body: "STOP", to: number)
            _ = try await world.textIn(from: "5125550142", body: "START", to: number)
            _ = try await world.textIn(from: "5125550142", body: "STOP", to: number)
            // Many changes from other numbers, more than one export page (1,000 rows).
            for index in 0..<1_050 {
                _ = try await world.textIn(
                    from: "512555\(String(format: "%04d", 2000 + index))", body: "STOP", to: number)
            }

            let admin = try await client.token()
            let consent = try await client.api(.get, "/phones/\(world.phone.id)/consent", token: admin)
            #expect(consent.status == .ok)
            let body = try consent.json()
            #expect(body["optedOut"] as? Bool == true)
            let history = try #require(body["history"] as? [[String: Any]])
            #expect(history.count == 3)
            #expect(history.map { $0["method"] as? String } == ["keyword", "keyword", "keyword"])

            let session = try await WebTests.signIn(client)
            let page = try await InboxWebTests.get(client, "/customers/\(world.customer.id)", session)
            #expect(page.text.contains("Opted out of all texts") && page.text.contains("Consent history"))

            let export = try await client.api(.get, "/consent-ledger/export", token: admin)
            #expect(export.status == .ok)
            #expect(export.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(export.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"consent-ledger-") == true)
            let lines = export.text.split(separator: "\r\n")
            #expect(lines.first.map(String.init) == String(LedgerCSV.header.dropLast()))
            #expect(lines.count == 1 + 3 + 1_050)
            let phones: Set<String> = Set(lines.dropFirst().map { String($0.split(separator: ",")[1]) })
            #expect(phones.count == 1 + 1_050)
            #expect(export.text.contains("+15125550142,all,"))

            // The same through the Settings page's form, with a range that ends before today.
            let web = try await InboxWebTests.get(
                client, "/settings/consent-ledger.csv?from=2020-01-01&to=2020-01-31", session)
            #expect(web.status == .ok && web.text == LedgerCSV.header)
            let bad = try await client.api(.get, "/consent-ledger/export?from=yesterday", token: admin)
            #expect(bad.status == .unprocessableContent)
            #expect(try bad.errorCode() == "invalid_from")
            let reversed = try await client.api(
                .get, "/consent-ledger/export?from=2026-02-01&to=2026-01-01", token: admin)
            #expect(reversed.status == .unprocessableContent)
            let dispatcher = try await client.token(email: "dispatch@northside.test")
            #expect(try await client.api(.get, "/consent-ledger/export", token: dispatcher).status == .forbidden)
            let marketer = try await client.token(email: "marketing@northside.test")
            #expect(try await client.api(.get, "/consent-ledger/export", token: marketer).status == .ok)
        }
    }

    @Test(
        "A marketer asks a customer to opt in from the customer page; the API does the same",
        arguments: TestEngine.available)
    func optInRequestFromThePage(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, world, fake, _, client in
            _ = try await world.addMarketingNumber(twilio: fake)
            let session = try await WebTests.signIn(client, email: "marketing@northside.test", expecting: "/customers")
            let page = try await InboxWebTests.get(client, "/customers/\(world.customer.id)", session)
            #expect(page.text.contains("data-opt-in-request"))
            let sent = try await WebTests.post(client, "/phones/\(world.phone.id)/opt-in-request", session, "")
            #expect(sent.status == .seeOther && sent.headers[.location] == "/customers/\(world.customer.id)")
            let after = try await InboxWebTests.get(client, "/customers/\(world.customer.id)", session)
            #expect(after.text.contains("data-opt-in-pending") && !after.text.contains("data-opt-in-request"))
            let forged = try await client.execute(
                uri: "/phones/\(world.phone.id)/opt-in-request", method: .post,
                headers: [.cookie: session.cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "_csrf=forged"))
            #expect(forged.status == .forbidden)

            let second = try await app.customers.addPhone(
                .init(number: "(512) 555-0188", kind: "mobile"), to: world.customer.id, by: world.admin)
            let token = try await client.token(email: "marketing@northside.test")
            let api = try await client.api(.post, "/phones/\(second.id)/consent/opt-in-request", token: token)
            #expect(api.status == .accepted)
            #expect(try api.json()["optInRequestedUntil"] is String)
            let dispatcher = try await client.token(email: "dispatch@northside.test")
            let refused = try await client.api(.post, "/phones/\(second.id)/consent/opt-in-request", token: dispatcher)
            #expect(refused.status == .forbidden)
        }
    }
}
