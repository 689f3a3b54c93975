import FieldlineCore
import FieldlineTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// One error vocabulary (issue 27.3): every code has one status, and the pages answer the same
/// input with the status the API gives it.
@Suite("One error vocabulary, the same status on the web and the API")
struct ErrorVocabularyTests {
    @Test("Every code is snake_case and maps to a 4xx, or 500 for our own failures")
    func codes() {
        for code in ErrorCode.allCases {
            #expect(code.rawValue.allSatisfy { $0.isLowercase || $0 == "_" }, "\(code)")
            let ours: Set<ErrorCode> = [.internalError, .corruptRow]
            #expect((400...499).contains(code.status) || (ours.contains(code) && code.status == 500), "\(code)")
        }
        #expect(FieldlineError.conflict(code: .phoneTaken, message: "").status == 409)
        #expect(FieldlineError.refused(code: .techniciansOnly, message: "").status == 403)
        #expect(FieldlineError.invalid(field: "phone", message: "").status == 422)
    }

    @Test(
        "A taken phone, a bad phone and an unreadable query: the same status on a page as on the API",
        arguments: TestEngine.available)
    func sameStatus(engine: TestEngine) async throws {
        try await withServer(engine) { _, _, client in
            let session = try await WebTests.signIn(client)
            let token = try await client.token()
            // The customer's number is already Robert Castellanos's.
            let takenWeb = try await WebTests.post(
                client, "/customers", session, "name=Grace+Liu&phone=512-555-0142&phoneKind=mobile")
            let takenAPI = try await client.api(
                .post, "/customers", token: token, json: #"{"name":"Grace Liu","phones":[{"number":"512-555-0142"}]}"#)
            #expect(takenAPI.status == .conflict)
            #expect(takenWeb.status == takenAPI.status)
            #expect(takenWeb.text.contains("already belongs to a customer"))
            #expect(takenWeb.text.contains(#"value="Grace Liu""#))

            let badWeb = try await WebTests.post(client, "/customers", session, "name=Grace+Liu&phone=555")
            let badAPI = try await client.api(
                .post, "/customers", token: token, json: #"{"name":"Grace Liu","phones":[{"number":"555"}]}"#)
            #expect(badAPI.status == .unprocessableContent)
            #expect(badWeb.status == badAPI.status)

            let pageWeb = try await InboxWebTests.get(client, "/customers?offset=ten", session)
            let pageAPI = try await client.api(.get, "/customers?offset=ten", token: token)
            #expect(pageAPI.status == .unprocessableContent)
            #expect(pageWeb.status == pageAPI.status)
            #expect(pageWeb.text.contains("Enter a whole number for offset."))
        }
    }
}
