import Fieldline
import FieldlineCore
import FieldlineHTTP
import FieldlineProviders
import FieldlineStore
import FieldlineTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

/// Twilio's webhooks face the internet: whatever arrives — garbage, half a form, a forged or
/// missing signature, a body too large, the wrong content type — is answered 4xx and stores nothing.
@Suite("Webhook fuzzing: malformed, oversized and mis-signed bodies")
struct WebhookFuzzTests {
    static let paths = ["/webhooks/twilio/messages", "/webhooks/twilio/status"]

    /// Rows of every table a webhook could write to.
    static func storedRows(_ app: Fieldline) async throws -> [Int] {
        try await app.database.read { sql in
            var counts: [Int] = []
            for table in ["messages", "conversations", "message_media", "consent_ledger", "outbox"] {
                let row = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                    .from(table).first()
                counts.append(try row?.decode(column: "n", as: Int.self) ?? -1)
            }
            return counts
        }
    }

    enum Case: CaseIterable {
        case garbage, missingField, badFrom, foreignNumber, misSigned, unsigned, oversized, wrongType, statusMissing
    }

    static func randomText(_ generator: inout SeededGenerator, length: Int) -> String {
        let alphabet = Array("abcXYZ019 &=%+;<>\"'\\/{}\u{00e9}\u{1F600}\u{0000}\n\r\t")
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    @Test(
        "Every malformed, oversized or mis-signed webhook is a 4xx and stores nothing", arguments: TestEngine.available)
    func fuzz(engine: TestEngine) async throws {
        try await withChatServer(engine) { app, _, fake, _, client in
            var generator = SeededGenerator(seed: 20_261_201)
            let before = try await Self.storedRows(app)
            var seen: [Case: Int] = [:]
            for round in 0..<240 {
                let kind = Case.allCases[round % Case.allCases.count]
                seen[kind, default: 0] += 1
                let path = kind == .statusMissing ? Self.paths[1] : Self.paths[round % 2 == 0 ? 0 : 1]
                let sid = "SM" + FakeTwilio.hex(32)
                // Inbound texts come from the customer to our number; status reports from our number.
                let inbound = path == Self.paths[0]
                let (from, to) =
                    inbound ? ("+15125550142", TestWorld.mainNumber) : (TestWorld.mainNumber, "+15125550142")
                var fields: [(name: String, value: String)] = [
                    ("MessageSid", sid), ("SmsSid", sid), ("AccountSid", fake.accountSID), ("From", from),
                    ("To", to), ("Body", Self.randomText(&generator, length: 20)), ("NumMedia", "0"),
                ]
                var token = fake.authToken
                var rawBody: String?
                var contentType = "application/x-www-form-urlencoded"
                var signature: String?
                switch kind {
                case .garbage:
                    rawBody = Self.randomText(&generator, length: Int.random(in: 0..<400, using: &generator))
                case .missingField:
                    let required =
                        path == Self.paths[0] ? ["MessageSid", "From", "To"] : ["MessageSid", "MessageStatus"]
                    let drop = required[Int.random(in: 0..<required.count, using: &generator)]
                    // Twilio names the sid twice (SmsSid is the older name); either one identifies the text.
                    fields.removeAll { $0.name == drop || (drop == "MessageSid" && $0.name == "SmsSid") }
                    if path == Self.paths[1], drop != "MessageStatus" { fields.append(("MessageStatus", "delivered")) }
                case .badFrom:
                    guard path == Self.paths[0] else { fallthrough }
                    fields[3] = ("From", Self.randomText(&generator, length: 8))
                case .foreignNumber:
                    let foreign = "+1512555\(Int.random(in: 7000...7999, using: &generator))"
                    fields[inbound ? 4 : 3] = (inbound ? "To" : "From", foreign)
                case .misSigned:
                    token = FakeTwilio.hex(32)
                case .unsigned:
                    signature = ""
                case .oversized:
                    fields[5] = ("Body", String(repeating: "a", count: 1_100_000))
                case .wrongType:
                    contentType = ["application/json", "text/plain", "multipart/form-data; boundary=x"][round % 3]
                case .statusMissing:
                    fields = [("AccountSid", fake.accountSID), ("From", TestWorld.mainNumber), ("To", "+15125550142")]
                }
                let pairs = rawBody.map { FormEncoding.decode($0) } ?? fields
                var headers: HTTPFields = [.contentType: contentType]
                headers[HTTPField.Name("X-Twilio-Signature")!] =
                    signature
                    ?? TwilioSignature.sign(url: "http://fieldline.test" + path, parameters: pairs, authToken: token)
                let response = try await client.execute(
                    uri: path, method: .post, headers: headers,
                    body: ByteBuffer(string: rawBody ?? FormEncoding.encode(fields)))
                #expect((400..<500).contains(Int(response.status.code)), "\(kind) on \(path): \(response.status)")
                // Errors keep the JSON error shape.
                #expect(try response.errorCode() != nil, "\(kind) on \(path): \(response.text.prefix(200))")
            }
            #expect(try await Self.storedRows(app) == before)
            #expect(seen.count == Case.allCases.count)
            // The server still takes a real text after all that.
            let ok = try await client.twilioWebhook(
                Self.paths[0],
                fields: [
                    ("MessageSid", "SM" + FakeTwilio.hex(32)), ("AccountSid", fake.accountSID),
                    ("From", "+15125550142"), ("To", TestWorld.mainNumber), ("Body", "Still there?"), ("NumMedia", "0"),
                ], token: fake.authToken)
            #expect(ok.status == .ok)
        }
    }
}
