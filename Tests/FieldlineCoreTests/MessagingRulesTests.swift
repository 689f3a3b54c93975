import FieldlineCore
import Testing

@Suite("SMS length, encoding and segments")
struct MessageTextTests {
    @Test("Plain text is GSM-7: 160 in one segment, then 153 per segment")
    func gsm7Segments() {
        #expect(MessageText(String(repeating: "a", count: 160)).segments == 1)
        #expect(MessageText(String(repeating: "a", count: 161)).segments == 2)
        #expect(MessageText(String(repeating: "a", count: 306)).segments == 2)
        #expect(MessageText(String(repeating: "a", count: 307)).segments == 3)
        #expect(MessageText("").segments == 0)
        #expect(MessageText("Hi, Luis is on the way!").encoding == .gsm7)
    }

    @Test("Extension characters cost two septets and never straddle a segment boundary")
    func gsm7Extension() {
        let euro = MessageText("Total: 120€ [incl. tax]")
        #expect(euro.encoding == .gsm7)
        #expect(euro.units == euro.characters + 3)
        #expect(MessageText(String(repeating: "{", count: 80)).segments == 1)
        #expect(MessageText(String(repeating: "{", count: 81)).segments == 2)
        // 152 plain septets then a two-septet character: it cannot split, so it opens segment two.
        let boundary = MessageText(String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 10))
        #expect(boundary.units == 164)
        #expect(boundary.segments == 2)
    }

    @Test("Anything outside GSM-7 makes the message UCS-2: 70 units, then 67 per segment")
    func ucs2Segments() {
        #expect(MessageText("On our way 🚐").encoding == .ucs2)
        #expect(MessageText("Ótimo, até amanhã").encoding == .ucs2)
        #expect(MessageText("Ça marche, à demain").encoding == .gsm7)  // Ç and à are in the GSM table
        #expect(MessageText(String(repeating: "ł", count: 70)).segments == 1)
        #expect(MessageText(String(repeating: "ł", count: 71)).segments == 2)
        #expect(MessageText(String(repeating: "ł", count: 134)).segments == 2)
        #expect(MessageText(String(repeating: "ł", count: 135)).segments == 3)
        let emoji = MessageText("🚐")
        #expect(emoji.units == 2 && emoji.characters == 1)
        // 66 units then an emoji (two units): it opens segment two instead of splitting.
        #expect(MessageText(String(repeating: "ł", count: 66) + "🚐" + String(repeating: "ł", count: 5)).segments == 2)
    }

    @Test("Outbound messages: trimmed, not empty, at most 160 characters")
    func outboundLimit() throws {
        #expect(try MessageText.validatedOutbound("  On my way  ").body == "On my way")
        #expect(try MessageText.validatedOutbound(String(repeating: "x", count: 160)).remaining == 0)
        #expect(throws: FieldlineError.self) { try MessageText.validatedOutbound(String(repeating: "x", count: 161)) }
        #expect(throws: FieldlineError.self) { try MessageText.validatedOutbound("   ") }
        #expect(throws: FieldlineError.self) { try MessageText.validatedOutbound(nil) }
        // 160 emoji are 160 characters (the limit people see) but 320 units and 5 segments.
        let emoji = try MessageText.validatedOutbound(String(repeating: "🙂", count: 160))
        #expect(emoji.segments == 5)
    }
}

@Suite("Compliance keywords (CH13)")
struct KeywordTests {
    @Test(
        "Every opt-out word, in any case, with white space or punctuation around it",
        arguments: [
            "stop", "STOP", " Stop ", "stop.", "STOP!", "end", "cancel", "unsubscribe", "quit", "arret", "ARRÊT",
            "stopall", "revoke", "optout", "Stop\n", "stopp",
        ])
    func optOut(body: String) {
        #expect(Keyword.classify(body) == .optOut)
    }

    @Test("Opt-in and help words", arguments: ["start", "UNSTOP", "Restart", "subscribe", "enroll"])
    func optIn(body: String) {
        #expect(Keyword.classify(body) == .optIn)
    }

    @Test("HELP and INFO ask for help")
    func help() {
        #expect(Keyword.classify("help") == .help)
        #expect(Keyword.classify(" INFO ") == .help)
    }

    @Test("YES opts in only while a double opt-in is pending")
    func yes() {
        #expect(Keyword.classify("Yes") == nil)
        #expect(Keyword.classify("YES", doubleOptInPending: true) == .optIn)
        #expect(Keyword.classify("yes please", doubleOptInPending: true) == nil)
    }

    @Test(
        "Keyword words about something else are conversation, not commands",
        arguments: [
            "stop by at 3", "please stop calling", "can you help", "st op", "", "🛑", "Help! Water everywhere",
            "start the job at 9",
        ])
    func notKeywords(body: String) {
        #expect(Keyword.classify(body) == nil)
    }
}
