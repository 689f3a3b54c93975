import AsyncHTTPClient
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
import Logging
import NIOCore
import Synchronization
import Testing

/// Keeps every log line (message and metadata) of the server it is given to.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    var logger: Logger {
        var logger = Logger(label: "fieldline.secrets-test") { label in Handler(log: self, label: label) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        let label: String
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append("\(event.level) \(label) \(event.message) \(all) \(event.error.map { "\($0)" } ?? "")")
        }
    }
}

@Suite("Secrets stay secret: never in logs, never in API answers")
struct SecretsTests {
    @Test("The console providers log a text's or an email's links without their keys")
    func consoleLogsNoBearerLinks() async throws {
        let log = CapturedLog()
        let token = "Zk3pQm9xV2rT8sLw4nYbHc"
        let link = "https://fieldline.example/t/\(token)"
        _ = try await ConsoleEmailProvider(logger: log.logger).send(
            OutgoingEmail(
                from: "notices@northside.test", to: "robert@example.com", replyTo: nil, subject: "On the way",
                html: "<a href=\"\(link)\">Track</a>", text: "Luis is on the way. Track him: \(link)",
                idempotencyKey: "k1"))
        _ = try await ConsoleProvider(logger: log.logger).send(
            OutgoingSMS(
                from: try PhoneNumber.parse("+15125550300"), to: try PhoneNumber.parse("+15125550142"),
                body: "Luis is on the way: \(link)", statusCallbackURL: nil),
            credentials: nil)
        #expect(log.text.contains("https://fieldline.example/t/Zk3p…"))
        #expect(!log.text.contains(token))
    }

    @Test(
        "Passwords, tokens, provider credentials and the email key never reach the log or an answer",
        arguments: TestEngine.available)
    func neverLoggedOrReturned(engine: TestEngine) async throws {
        let log = CapturedLog()
        try await FakeEmailAPI.running { email in
            try await FakeTwilio.running(sendsCallbacks: false) { fake in
                try await engine.withDatabase { database in
                    let app = Fieldline(
                        database: database, clock: TestClock(), passwords: PasswordHasher(cost: 4), logger: log.logger,
                        sms: SMSGateway(
                            twilio: TwilioProvider(http: HTTPClient.shared, baseURL: fake.baseURL),
                            console: ConsoleProvider(logger: log.logger)),
                        secrets: try SecretBox(keyText: Fieldline.testSecretKey), publicURL: "http://fieldline.test",
                        email: HTTPEmailProvider(http: HTTPClient.shared, baseURL: email.baseURL, apiKey: email.apiKey),
                        emailFrom: "notices@northside.test")
                    let world = try await TestWorld.make(app)
                    let server = try await FieldlineServer.buildApplication(
                        configuration: ServerConfiguration(host: "127.0.0.1", port: 0), app: app,
                        backgroundWorkers: false)
                    try await server.test(.router) { client in
                        try await exercise(app: app, world: world, fake: fake, email: email, client: client, log: log)
                    }
                }
            }
        }
    }

    private func exercise(
        app: Fieldline, world: TestWorld, fake: FakeTwilio, email: FakeEmailAPI, client: some TestClientProtocol,
        log: CapturedLog
    ) async throws {
        let wrongPassword = "hunter2-never-in-a-log"
        let refused = try await client.api(
            .post, "/auth/token", json: #"{"email":"admin@northside.test","password":"\#(wrongPassword)"}"#)
        #expect(refused.status == .unauthorized)
        let token = try await client.token()
        let session = try await WebTests.signIn(client)

        let added = try await client.api(
            .post, "/phone-numbers", token: token,
            json: #"""
                {"number":"\#(TestWorld.mainNumber)","label":"Main","provider":"twilio","chat":true,"isDefault":true,
                 "ratePerSecond":50,"providerAccountId":"\#(fake.accountSID)","authToken":"\#(fake.authToken)"}
                """#)
        #expect(added.status == .created)
        let saved = try await client.api(
            .put, "/settings/dispatch-notices", token: token, json: #"{"textEnabled":true,"emailEnabled":true}"#)
        #expect(saved.status == .ok)
        let job = try await world.bookJob(hoursFromNow: 1, technicians: [world.technician.id])
        let visit = try #require(try await app.jobs.detail(job.id, by: world.dispatcher).assignments.first)
        #expect(try await client.api(.post, "/assignments/\(visit.id)/dispatch", token: token).status == .ok)
        try await OutboxWorker(app: app).drain()
        try await EmailWorker(app: app).drain()
        #expect(fake.sent.count == 1 && email.received.count == 1)
        let inbound = try await client.twilioWebhook(
            "/webhooks/twilio/messages",
            fields: [
                ("MessageSid", "SM" + FakeTwilio.hex(32)), ("AccountSid", fake.accountSID), ("From", "+15125550142"),
                ("To", TestWorld.mainNumber), ("Body", "Thanks!"), ("NumMedia", "0"),
            ], token: fake.authToken)
        #expect(inbound.status == .ok)
        let forged = try await client.twilioWebhook(
            "/webhooks/twilio/messages", fields: [("MessageSid", "SM" + FakeTwilio.hex(32))], token: "forged-token")
        #expect(forged.status == .forbidden)

        // Everything the API answers about the account, its people and its numbers.
        var answers = ""
        for path in ["/me", "/account", "/users", "/phone-numbers", "/technicians", "/settings/dispatch-notices"] {
            answers += try await client.api(.get, path, token: token).text
        }
        let basic = Data("\(fake.accountSID):\(fake.authToken)".utf8).base64EncodedString()
        let sessionToken = String(session.cookie.split(separator: "=", maxSplits: 1).last ?? "")
        let secrets = [
            ("the password", TestWorld.password), ("a wrong password", wrongPassword),
            ("the Twilio auth token", fake.authToken), ("Twilio Basic credentials", basic),
            ("the API token", token), ("the session token", sessionToken), ("the email API key", email.apiKey),
            ("the server's secret key", Fieldline.testSecretKey),
        ]
        let logged = log.text
        #expect(logged.count > 500, "the log was captured")
        for (name, secret) in secrets {
            #expect(!logged.contains(secret), "\(name) is in the log")
        }
        for (name, secret) in secrets {
            #expect(!answers.contains(secret), "\(name) is in an API answer")
        }
        #expect(!answers.contains("$2"), "a bcrypt hash is in an API answer")
    }
}
