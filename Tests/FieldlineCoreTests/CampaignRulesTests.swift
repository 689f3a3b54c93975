import Foundation
import Testing

@testable import FieldlineCore

@Suite("Campaigns: the text, the audience, the schedule")
struct CampaignRulesTests {
    @Test("The opt-out line is appended and counted in the 160")
    func optOutLine() throws {
        let longest = String(repeating: "a", count: CampaignRules.maximumBodyCharacters)
        let body = try CampaignRules.validatedBody("  " + longest + " ")
        let text = CampaignRules.composed(body)
        #expect(text.hasSuffix("\nReply STOP to opt out"))
        #expect(text.count == MessageText.maximumCharacters)
        #expect(MessageText(text).segments == 1)
        #expect(throws: FieldlineError.self) { try CampaignRules.validatedBody(longest + "b") }
        #expect(throws: FieldlineError.self) { try CampaignRules.validatedBody("   ") }
        // Outside the GSM alphabet one text holds 70: the body must leave room for the line.
        #expect(throws: FieldlineError.self) {
            try CampaignRules.validatedBody("Spring tune-ups 20% off this week only, book now 🌷 see you soon friends")
        }
        #expect(
            MessageText(CampaignRules.composed(try CampaignRules.validatedBody("Tune-ups 🌷 20% off"))).segments == 1)
    }

    @Test("Audiences: tags cleaned, service dates in order; schedules in the future")
    func audienceAndSchedule() throws {
        let audience = try CampaignRules.validatedAudience(CampaignAudience(tags: [" VIP, plan ", "vip"]))
        #expect(audience.tags == ["vip", "plan"])
        let now = Date(timeIntervalSince1970: 1_795_456_800)
        #expect(throws: FieldlineError.self) {
            try CampaignRules.validatedAudience(
                CampaignAudience(lastServiceFrom: now, lastServiceBefore: now.addingTimeInterval(-1)))
        }
        #expect(throws: FieldlineError.self) {
            try CampaignRules.validatedSchedule(now.addingTimeInterval(-3600), now: now)
        }
        #expect(try CampaignRules.validatedSchedule(now.addingTimeInterval(-30), now: now) == now)
        #expect(throws: FieldlineError.self) {
            try CampaignRules.validatedSchedule(now.addingTimeInterval(400 * 86400), now: now)
        }
        #expect(throws: FieldlineError.self) { try Customer.validatedTags([String(repeating: "x", count: 41)]) }
        #expect(throws: FieldlineError.self) { try Customer.validatedTags(["a|b"]) }
    }

    @Test("Registrations gate every text, and marketing needs its own")
    func registrationGate() {
        for texting in RegistrationStatus.allCases {
            for marketing in RegistrationStatus.allCases {
                for purpose in MessagePurpose.allCases {
                    for automation in [nil] + Automation.allCases {
                        let refusal = RegistrationRules.refusal(
                            purpose: purpose, automation: automation, texting: texting, marketing: marketing)
                        let needsMarketing = purpose == .marketing || automation == .doubleOptInRequest
                        let allowed = texting == .approved && (!needsMarketing || marketing == .approved)
                        #expect(
                            (refusal == nil) == allowed,
                            "\(texting) \(marketing) \(purpose) \(String(describing: automation))")
                    }
                }
            }
        }
    }

    @Test("A registration lists what it misses, cleans its fields, and is submitted only when complete")
    func registrationDetails() throws {
        let account = AccountID("a")
        var texting = Registration(accountID: account, kind: .texting, updatedAt: Date())
        #expect(RegistrationRules.missing(texting.details, for: .texting).count == RegistrationRules.allFields.count)
        #expect(RegistrationRules.submissionRefusal(texting, texting: texting) != nil)
        texting.details = try RegistrationRules.validated(
            RegistrationDetails(
                legalName: "Northside Plumbing LLC", taxId: "123456789", website: "https://northside.example",
                street: "1 Main St", city: "Austin", state: "tx", postalCode: "78701", contactName: "Dana",
                contactEmail: "Dana@Northside.example", contactPhone: "(512) 555-0100",
                useCase: "Appointment notices", optInDescription: "Customers give their number when booking",
                sampleMessage: "Northside: Luis is on the way"), for: .texting)
        #expect(texting.details.taxId == "12-3456789" && texting.details.state == "TX")
        #expect(
            texting.details.contactEmail == "dana@northside.example" && texting.details.contactPhone == "+15125550100")
        #expect(RegistrationRules.submissionRefusal(texting, texting: texting) == nil)
        var marketing = Registration(accountID: account, kind: .marketing, updatedAt: Date())
        marketing.details = try RegistrationRules.validated(
            RegistrationDetails(
                useCase: "Offers", optInDescription: "Double opt-in", sampleMessage: "20% off. Reply STOP to opt out"),
            for: .marketing)
        // The brand comes first.
        #expect(RegistrationRules.submissionRefusal(marketing, texting: texting) != nil)
        texting.status = .pending
        #expect(RegistrationRules.submissionRefusal(marketing, texting: texting) == nil)
        #expect(throws: FieldlineError.self) {
            try RegistrationRules.validated(RegistrationDetails(sampleMessage: "20% off"), for: .marketing)
        }
        #expect(throws: FieldlineError.self) {
            try RegistrationRules.validated(RegistrationDetails(taxId: "12-34"), for: .texting)
        }
        #expect(throws: FieldlineError.self) {
            try RegistrationRules.validated(RegistrationDetails(website: "northside"), for: .texting)
        }
        #expect(throws: FieldlineError.self) {
            try RegistrationRules.validated(RegistrationDetails(postalCode: "7870"), for: .texting)
        }
    }

    @Test("The opt-in link and its QR code")
    func optInLink() throws {
        let link = Keyword.optInLink(to: PhoneNumber(storedE164: "+15125550199"))
        #expect(link == "sms:+15125550199?&body=Please%20sign%20me%20up%20for%20marketing%20texts")
        #expect(Keyword.classify(Keyword.signUpSentence, toMarketingNumber: true) == .optIn)
        #expect(Keyword.classify("please sign me up for marketing texts!", toMarketingNumber: true) == .optIn)
        #expect(Keyword.classify(Keyword.signUpSentence, toMarketingNumber: false) == nil)
        #expect(Keyword.classify("Please sign me up for marketing texts tomorrow", toMarketingNumber: true) == nil)
        let code = try QRCode.encode(link)
        #expect(code.size == code.version * 4 + 17)
        // Finder patterns in three corners, a dark module beside the bottom-left one, timing rows.
        for (x, y) in [(0, 0), (code.size - 7, 0), (0, code.size - 7)] {
            #expect(code.isDark(x: x, y: y) && code.isDark(x: x + 6, y: y + 6) && !code.isDark(x: x + 1, y: y + 1))
            #expect(code.isDark(x: x + 3, y: y + 3))
        }
        #expect(code.isDark(x: 8, y: code.size - 8))
        for index in 8..<(code.size - 8) { #expect(code.isDark(x: index, y: 6) == (index % 2 == 0)) }
        #expect(code.svg().hasPrefix("<svg") && code.svg().contains("<path d=\"M"))
        #expect(throws: FieldlineError.self) { try QRCode.encode(String(repeating: "x", count: 300)) }
    }

    @Test("Reed-Solomon matches the standard's worked example (ISO 18004 annex I: 01234567, version 1-M)")
    func reedSolomon() {
        let data: [UInt8] = [
            0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11,
        ]
        let ecc = QRCode.reedSolomonRemainder(data, divisor: QRCode.reedSolomonDivisor(degree: 10))
        #expect(ecc == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    }
}
