import FieldlineTestSupport
import Foundation
import Testing

@testable import FieldlineCore

/// One labelled message of a corpus in Resources (see the header of each file for the format).
struct LabelledReply: CustomStringConvertible {
    enum Tag: String { case perSe = "per-se", negative, none = "-" }

    var expected: ReplyIntent
    var tag: Tag
    var text: String
    var line: Int

    var description: String { "line \(line): \(text.debugDescription) (expected \(expected.rawValue))" }

    static func load(_ name: String) throws -> [LabelledReply] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "tsv", subdirectory: "Resources"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        var replies: [LabelledReply] = []
        for (offset, line) in lines.enumerated() where !line.isEmpty && !line.hasPrefix("#") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            try #require(fields.count == 3, "line \(offset + 1) has \(fields.count) fields")
            let expected = try #require(ReplyIntent(rawValue: String(fields[0])), "line \(offset + 1): label")
            let tag = try #require(Tag(rawValue: String(fields[1])), "line \(offset + 1): tag")
            let text = fields[2].replacingOccurrences(of: "\\n", with: "\n")
            replies.append(LabelledReply(expected: expected, tag: tag, text: text, line: offset + 1))
        }
        return replies
    }
}

/// How a classifier did on a corpus, for one class.
struct ClassFigures {
    var truePositives = 0
    var falsePositives = 0
    var falseNegatives = 0

    var precision: Double { Double(truePositives) / Double(max(1, truePositives + falsePositives)) }
    var recall: Double { Double(truePositives) / Double(max(1, truePositives + falseNegatives)) }

    init(_ intent: ReplyIntent, _ results: [(LabelledReply, ReplyIntent)]) {
        for (reply, got) in results {
            if reply.expected == intent, got == intent { truePositives += 1 }
            if reply.expected != intent, got == intent { falsePositives += 1 }
            if reply.expected == intent, got != intent { falseNegatives += 1 }
        }
    }

    var summary: String {
        String(
            format: "precision %.3f (%d/%d), recall %.3f (%d/%d)", precision, truePositives,
            truePositives + falsePositives, recall, truePositives, truePositives + falseNegatives)
    }
}

@Suite("Consent in the customer's own words (CP1)")
struct ReplyIntentTests {
    @Test(
        "The per-se words asking for no more texts revoke",
        arguments: [
            "STOP", "stop texting me", "Please unsubscribe me", "opt-out", "Opt out!!", "stop sending me these",
            "END.", "Please stop texting me", "STOP texting", "opt out", "stpo", "unsubscibe", "<b>STOP</b>",
            "Thanks for fixing the sink. Please stop sending me these promos though", "🛑 STOP 🛑",
            "I already opted out, why am I getting this?", "can you please stop?", "Stop it",
            "Please opt this number out",
            "Please stop messaging me about gutter cleaning",
        ])
    func perSe(text: String) {
        #expect(ReplyIntent.classify(text) == .revoke)
    }

    @Test(
        "Other clear wording revokes, in English and Spanish",
        arguments: [
            "don't text me anymore", "remove me from your list", "no more messages", "take me off", "leave me alone",
            "Do not contact me again", "delete my number", "para", "alto", "baja", "cancelar", "no más mensajes",
            "no me envíen más mensajes", "No me envien mas mensajes", "dejen de mandarme mensajes", "Dénme de baja",
            "sáquenme de su lista", "Para de mandarme mensajes", "No vuelvan a mandarme mensajes",
            "No me vuelvan a mandar mensajes", "Don't start texting me again",
            "I don't ever want to receive texts again",
            "I would not like to receive texts again",
            "You added me by mistake. I don't want to receive your texts again.", "Stop it with the texts",
            "Please take me off your list it is the third time I asked", "I revoke my consent",
        ])
    func clearWording(text: String) {
        #expect(ReplyIntent.classify(text) == .revoke)
    }

    @Test(
        "The same words about the job stay ordinary messages",
        arguments: [
            "can you stop by at 3?", "the leak won't stop", "please cancel my appointment", "end of the hallway",
            "don't stop, it's working now", "I'll quit calling", "Can I opt out of the extended warranty?",
            "para mañana a las 3 está bien", "el agua no para", "la presión está muy baja", "Meet me at the bus stop",
            "Necesito el número para enviar el pago", "I stopped getting texts from the tech, is he coming?",
            "Help! Water everywhere", "Remove me from the 9am slot and put me at 11",
            "Stop sending different techs every time", "Dejen de mandar técnicos diferentes cada vez",
            "quit sending me the bill twice", "Unsubscribe me from the paper bills, email is fine",
            "Please revoke my authorization to charge the card on file",
            "I revoke permission for your tech to enter when I'm not home", "Can I opt out of the tune-up this year?",
            "Please stop sending invoices to my old address",
        ])
    func negatives(text: String) {
        #expect(ReplyIntent.classify(text) == .nothing)
    }

    @Test("A limit on when, a wrong number or a bare 'enough' goes to a person")
    func uncertain() {
        for text in [
            "don't text me after 8pm", "Wrong number", "🛑", "not interested", "Cancel. I found someone else.",
            "Stop! Don't come today, I'm sick. Can we do Friday?", "Please stop texting my old number",
            "Did you unsubscribe me? I'm not getting my reminders",
            "How do I opt back in? I think I got opted out by mistake",
            "Please stop sending reminders to my husband, send them to me instead",
            "Stop this! The tech is digging up the wrong bed", "Please stop calling me, just text me instead",
            "Cancel please", "Stop texting me at work",
        ] {
            #expect(ReplyIntent.classify(text) == .possibleRevoke, "\(text)")
        }
    }

    @Test("START and HELP count as the whole text only")
    func wholeMessageKeywords() {
        #expect(ReplyIntent.classify("Start") == .resume)
        #expect(ReplyIntent.classify("START please") == .resume)
        #expect(ReplyIntent.classify("Opt me back in") == .resume)
        #expect(ReplyIntent.classify("I opted out by accident, please start sending me the texts again") == .resume)
        #expect(ReplyIntent.classify("start the job at 9") == .nothing)
        #expect(ReplyIntent.classify("HELP") == .help)
        #expect(ReplyIntent.classify("ayuda") == .help)
        #expect(ReplyIntent.classify("can you help with the drain") == .nothing)
    }

    @Test("Empty, long, emoji, mixed scripts, markup and random text are read without error")
    func badInput() {
        #expect(ReplyIntent.classify("") == .nothing)
        #expect(ReplyIntent.classify("😀🙏👍") == .nothing)
        #expect(ReplyIntent.classify("Привет 你好 مرحبا") == .nothing)
        #expect(ReplyIntent.classify("<script>alert(1)</script><b>hello</b>") == .nothing)
        #expect(ReplyIntent.classify("<<<<<<") == .nothing)
        let long = String(repeating: "The water heater by the end of the hallway won't stop dripping. ", count: 35)
        #expect(long.count > 1600)
        #expect(ReplyIntent.classify(long) == .nothing)
        #expect(ReplyIntent.classify(long + " Stop texting me.") == .nothing, "read only as far as a text can be long")
        var random = SeededGenerator(seed: 19)
        for _ in 0..<500 {
            let scalars = (0..<Int.random(in: 0...200, using: &random)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0...0x1_FFFF, using: &random))
            }
            _ = ReplyIntent.classify(String(String.UnicodeScalarView(scalars)))
        }
    }

    @Test(
        "The labelled corpora: no per-se revocation missed, no negative revoked, and the figures",
        arguments: ["reply-intent-corpus", "reply-intent-holdout"])
    func corpus(name: String) throws {
        let replies = try LabelledReply.load(name)
        let results = replies.map { ($0, ReplyIntent.classify($0.text)) }
        if name == "reply-intent-corpus" { #expect(replies.count >= 300) }
        for (reply, got) in results where reply.tag == .perSe {
            #expect(got == .revoke, "per-se revocation missed: \(reply)")
        }
        for (reply, got) in results where reply.tag == .negative {
            #expect(got != .revoke, "negative read as a revocation: \(reply)")
        }
        let revoke = ClassFigures(.revoke, results)
        // Held for a person or revoked: what keeps automatic texts from a number that may have asked.
        let stopped = ClassFigures(
            .revoke,
            results.map { reply, got in
                var merged = reply
                if merged.expected == .possibleRevoke { merged.expected = .revoke }
                return (merged, got == .possibleRevoke ? .revoke : got)
            })
        let correct = results.filter { $0.0.expected == $0.1 }.count
        print(
            "\(name): \(replies.count) messages, \(correct) classified as labelled; revoke \(revoke.summary); "
                + "revoke or review \(stopped.summary)")
        for (reply, got) in results where reply.expected != got {
            print("  \(name) differs: \(reply) got \(got.rawValue)")
        }
        #expect(revoke.precision >= 0.95)
        #expect(revoke.recall >= 0.95)
    }
}
