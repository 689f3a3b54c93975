import Fieldline
import FieldlineCore
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// OP1 over HTTP: the web form's multipart upload, the mapping form, progress and the report;
/// the API's upload, patch, preview and start; and what hostile input gets back.
@Suite("Customer import over HTTP")
struct CustomerImportWebTests {
    static let csv =
        "Name,Mobile,Email,Street,City,State,Zip\r\n"
        + "\"Dana Reyes\",(512) 555-0160,dana@example.com,\"12 Oak St, Apt 4\",Austin,TX,78701\r\n"
        + "Sam 🔧 Ortiz,555-12,,,,,\r\n"
        + "Robert C,512-555-0142,,,,,\r\n"

    static func multipart(
        csrf: String?, fileName: String, file: String, boundary: String = "----fieldline42"
    )
        -> ByteBuffer
    {
        var body = ""
        if let csrf {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrf)\r\n"
        }
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\n"
        body += "Content-Type: text/csv\r\n\r\n\(file)\r\n--\(boundary)--\r\n"
        return ByteBuffer(string: body)
    }

    @Test(
        "The web form uploads, maps, starts and shows progress; the report downloads", arguments: TestEngine.available)
    func webFlow(engine: TestEngine) async throws {
        try await withServer(engine) { app, _, client in
            let session = try await WebTests.signIn(client)
            let page = try await client.execute(
                uri: "/customers/import", method: .get, headers: [.cookie: session.cookie])
            #expect(page.text.contains("Consent is not imported"))
            let headers: HTTPFields = [
                .cookie: session.cookie, .contentType: "multipart/form-data; boundary=----fieldline42",
            ]
            // Without the form's token nothing is stored.
            let forged = try await client.execute(
                uri: "/customers/import", method: .post, headers: headers,
                body: Self.multipart(csrf: "forged", fileName: "c.csv", file: Self.csv))
            #expect(forged.status.code == 403)
            let uploaded = try await client.execute(
                uri: "/customers/import", method: .post, headers: headers,
                body: Self.multipart(csrf: session.csrf, fileName: "Jobber export.csv", file: Self.csv))
            #expect(uploaded.status == .seeOther)
            let location = try #require(uploaded.headers[.location])
            #expect(location.hasPrefix("/customers/imports/"))
            let id = String(location.dropFirst("/customers/imports/".count))
            let mapping = try await client.execute(uri: location, method: .get, headers: [.cookie: session.cookie])
            #expect(mapping.text.contains("Jobber export.csv"))
            #expect(mapping.text.contains("Dana Reyes"))
            #expect(mapping.text.contains("12 Oak St, Apt 4, Austin, TX 78701"))
            #expect(mapping.text.contains("is not a valid phone number"))
            #expect(mapping.text.contains("Same phone or email as Robert Castellanos"))

            let form = (0..<7).map {
                "column\($0)=\(["name", "mobile_phone", "email", "street", "city", "state", "postal_code"][$0])"
            }
            .joined(separator: "&")
            let started = try await WebTests.post(client, location, session, form + "&duplicates=skip&action=start")
            #expect(started.status == .seeOther)
            _ = try await app.customerImports.runNext()
            let progress = try await client.execute(
                uri: location + "/progress", method: .get, headers: [.cookie: session.cookie])
            let json = try progress.json()
            #expect(json["state"] as? String == "done")
            #expect(json["created"] as? Int == 1)
            #expect(json["failed"] as? Int == 1)
            #expect(json["skipped"] as? Int == 1)
            let done = try await client.execute(uri: location, method: .get, headers: [.cookie: session.cookie])
            #expect(done.text.contains("Download the 2 rows not imported"))
            let report = try await client.execute(
                uri: "/customers/imports/\(id)/problems.csv", method: .get, headers: [.cookie: session.cookie])
            #expect(report.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(report.headers[.contentDisposition]?.contains("Jobberexport-problems.csv") == true)
            #expect(report.text.hasPrefix("Line,Problem,Name,Mobile,Email"))
            #expect(report.text.contains("Sam 🔧 Ortiz"))
            // Started once; a second start is a clear refusal, not a second import.
            let again = try await WebTests.post(client, location, session, form + "&action=start")
            #expect(again.status == .seeOther)
            let list = try await client.execute(
                uri: "/customers/import", method: .get, headers: [.cookie: session.cookie])
            #expect(list.text.contains("Jobber export.csv"))
        }
    }

    @Test("A file the form refuses comes back as a message on the page, never a 500", arguments: TestEngine.available)
    func webRefusals(engine: TestEngine) async throws {
        try await withServer(engine) { _, _, client in
            let session = try await WebTests.signIn(client)
            let headers: HTTPFields = [
                .cookie: session.cookie, .contentType: "multipart/form-data; boundary=----fieldline42",
            ]
            for file in ["\u{0}\u{1}PNG binary", "", "Name\r\n"] {
                let response = try await client.execute(
                    uri: "/customers/import", method: .post, headers: headers,
                    body: Self.multipart(csrf: session.csrf, fileName: "x.csv", file: file))
                #expect(response.status == .seeOther, "\(file.debugDescription)")
                #expect(response.headers[.location] == "/customers/import")
            }
            // A truncated body (no closing boundary) is refused too.
            let truncated = try await client.execute(
                uri: "/customers/import", method: .post, headers: headers,
                body: ByteBuffer(
                    string:
                        "------fieldline42\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(session.csrf)\r\n------fieldline42\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n\r\nName\r\nA\r\n"
                ))
            #expect(truncated.status == .seeOther)
        }
    }

    @Test(
        "The API uploads a CSV body, patches the mapping, previews, starts and reports", arguments: TestEngine.available
    )
    func apiFlow(engine: TestEngine) async throws {
        try await withServer(engine) { app, _, client in
            let token = try await client.token(email: "dispatch@northside.test")
            let created = try await client.api(
                .post, "/customer-imports?fileName=export.csv", token: token, json: Self.csv, contentType: "text/csv")
            #expect(created.status == .created)
            let body = try created.json()
            let id = try #require(body["id"] as? String)
            let columns = try #require(body["columns"] as? [[String: Any]])
            #expect(
                columns.map { $0["field"] as? String } == [
                    "name", "mobile_phone", "email", "street", "city", "state", "postal_code",
                ])

            let bad = try await client.api(
                .patch, "/customer-imports/\(id)", token: token, json: #"{"mapping":["nope"]}"#)
            #expect(bad.status.code == 422)
            let patched = try await client.api(
                .patch, "/customer-imports/\(id)", token: token, json: #"{"duplicates":"merge"}"#)
            #expect(try patched.json()["duplicates"] as? String == "merge")
            let preview = try await client.api(.get, "/customer-imports/\(id)/preview", token: token)
            let rows = try #require(try preview.json()["items"] as? [[String: Any]])
            #expect(rows.map { $0["outcome"] as? String } == ["create", "failed", "duplicate"])

            let started = try await client.api(.post, "/customer-imports/\(id)/start", token: token)
            #expect(started.status == .accepted)
            let twice = try await client.api(.post, "/customer-imports/\(id)/start", token: token)
            #expect(try twice.errorCode() == "import_started")
            _ = try await app.customerImports.runNext()
            let done = try await client.api(.get, "/customer-imports/\(id)", token: token)
            #expect(try done.json()["merged"] as? Int == 1)
            let report = try await client.api(.get, "/customer-imports/\(id)/problems", token: token)
            #expect(report.text.contains("555-12"))
            let cancel = try await client.api(.post, "/customer-imports/\(id)/cancel", token: token)
            #expect(try cancel.errorCode() == "import_finished")

            // Hostile bodies: the wrong type, a binary file, a declared 50 MB, not signed in.
            let json = try await client.api(.post, "/customer-imports", token: token, json: "{}")
            #expect(json.status.code == 415)
            let binary = try await client.api(
                .post, "/customer-imports", token: token, json: "\u{0}\u{0}\u{0}", contentType: "text/csv")
            #expect(binary.status.code == 422)
            // More than an import takes, sent whole: refused with 413 in our error shape.
            let huge = try await client.execute(
                uri: "/api/v1/customer-imports", method: .post,
                headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"],
                body: ByteBuffer(repeating: UInt8(ascii: "a"), count: CustomerImport.maximumBytes + 1))
            #expect(huge.status.code == 413)
            #expect(try huge.errorCode() == "body_too_large")
            let technician = try await client.token(email: "luis@northside.test")
            let refused = try await client.api(
                .post, "/customer-imports", token: technician, json: Self.csv, contentType: "text/csv")
            #expect(refused.status == .forbidden)
        }
    }
}
