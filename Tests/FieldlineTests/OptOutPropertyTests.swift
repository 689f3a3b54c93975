import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import Testing

/// Random interleavings of keywords texted in, texts of every purpose sent out, and the outbox
/// draining at random moments, checked against a model of SC4 that knows nothing of the code:
/// while a number has texted STOP to a chat number (and not START since), Twilio may receive
/// nothing for it but opt-out confirmations, and never more confirmations than opt-outs.
@Suite("Property: nothing but the one confirmation reaches an opted-out number")
struct OptOutPropertyTests {
    enum Step: CaseIterable {
        case keywordToMain, keywordToMarketing, chatter, reply, jobNotice, promotion, drain
    }

    static let keywords = ["STOP", "stop.", "Cancel", "START", "unstop", "HELP", "yes", "END", "subscribe", "arret"]
    static let optOutWords: Set<String> = ["STOP", "stop.", "Cancel", "END", "arret"]
    static let optInWords: Set<String> = ["START", "unstop", "subscribe"]

    @Test("Random interleavings, several seeds", arguments: TestEngine.available)
    func interleavings(engine: TestEngine) async throws {
        for seed in [11, 23, 42, 97] as [UInt64] {
            try await run(seed: seed, steps: 70, engine: engine)
        }
    }

    func run(seed: UInt64, steps: Int, engine: TestEngine) async throws {
        // Monday noon in the account's time zone, so promotions are not held for quiet hours.
        try await engine.withChatWorld(clock: TestClock(Date(timeIntervalSince1970: 1_795_456_800))) {
            app, world, fake, main in
            let marketing = try await world.addMarketingNumber(twilio: fake)
            var phones: [String] = []
            for index in 0..<3 {
                let phone = "+1512555\(3000 + index)"
                _ = try await app.customers.create(
                    .init(name: "Customer \(index)", phones: [.init(number: phone, marketingUpdates: true)]),
                    by: world.admin)
                phones.append(phone)
            }
            var generator = SeededGenerator(seed: seed)
            var optedOut: [String: Bool] = [:]
            var optOuts: [String: Int] = [:]
            var seen = 0
            let worker = OutboxWorker(app: app)

            func checkDeliveries() {
                let sent = fake.sent
                for text in sent[seen...] where optedOut[text.to] == true {
                    #expect(
                        text.body.contains("unsubscribed"),
                        "seed \(seed): \(text.to) is opted out but was sent \"\(text.body)\"")
                }
                seen = sent.count
                for phone in phones {
                    let confirmations = sent.filter { $0.to == phone && $0.body.contains("unsubscribed") }.count
                    #expect(
                        confirmations <= optOuts[phone, default: 0], "seed \(seed): too many confirmations to \(phone)")
                }
            }

            for _ in 0..<steps {
                let phone = phones.randomElement(using: &generator) ?? phones[0]
                let step = Step.allCases.randomElement(using: &generator) ?? .drain
                switch step {
                case .keywordToMain:
                    let word = Self.keywords.randomElement(using: &generator) ?? "STOP"
                    _ = try await world.textIn(from: phone, body: word, to: main)
                    if Self.optOutWords.contains(word) {
                        if optedOut[phone] != true { optOuts[phone, default: 0] += 1 }
                        optedOut[phone] = true
                    } else if Self.optInWords.contains(word) {
                        optedOut[phone] = false
                    }
                case .keywordToMarketing:
                    let word = Self.keywords.randomElement(using: &generator) ?? "STOP"
                    _ = try await world.textIn(from: phone, body: word, to: marketing)
                    // A marketing opt-out earns its own confirmation (it ends promotions only).
                    if Self.optOutWords.contains(word) { optOuts[phone, default: 0] += 1 }
                case .chatter:
                    _ = try await world.textIn(
                        from: phone, body: "Question \(Int.random(in: 0..<999, using: &generator))", to: main)
                case .reply:
                    _ = try? await app.inbox.start(phone: phone, body: "Reply from the office", by: world.dispatcher)
                case .jobNotice:
                    _ = try? await app.messenger.send(
                        OutboundText(
                            accountID: world.account.id, to: try PhoneNumber.parse(phone),
                            body: "Your tech is on the way",
                            purpose: .transactional, author: .automated(.dispatchNotice), thread: .joinIfExists))
                case .promotion:
                    _ = try? await app.messenger.send(
                        OutboundText(
                            accountID: world.account.id, to: try PhoneNumber.parse(phone), body: "Tune-up special",
                            purpose: .marketing, author: .automated(.campaign), thread: .joinIfExists))
                case .drain:
                    try await worker.drain()
                    checkDeliveries()
                }
            }
            try await worker.drain()
            checkDeliveries()
            #expect(!fake.sent.isEmpty)
        }
    }
}
