import FieldlineCore
import Foundation
import Testing

@Suite("Transactional campaign rules: templates, timing, missed calls, estimates and services")
struct TriggeredCampaignRulesTests {
    @Test("Every kind's default template is valid and fits one GSM text with the longest values")
    func defaults() throws {
        for kind in TriggeredCampaignKind.allCases {
            let checked = try TriggeredCampaignRules.validated(TriggeredCampaign(accountID: AccountID("a"), kind: kind))
            #expect(checked.template == kind.defaultTemplate)
            #expect(checked.days == kind.defaultDays)
            let template = try NoticeTemplate.parse(checked.template, field: "template", allowed: kind.tokens)
            #expect(template.worstCaseCharacters(trackingLinkLength: 0) <= 160)
        }
    }

    @Test(
        "Templates are refused with a reason: a token of another kind, too long, outside GSM, days out of range",
        arguments: [
            (
                TriggeredCampaignKind.estimateFollowUp, "Hi {technician_name}", 3, "template",
                "Unknown token {technician_name}"
            ),
            (.missedCall, "Due {due_date}", nil, "template", "Unknown token {due_date}"),
            (.serviceReminder, String(repeating: "x", count: 150) + " {service_name}", 7, "template", "reaches 191"),
            (.estimateFollowUp, "Thanks 🙂 {company_name}", 3, "template", "GSM"),
            (.estimateFollowUp, "Hi {customer_first_name}", 0, "days", "between 1 and 60"),
            (.serviceReminder, "Due {due_date}", 61, "days", "between 1 and 60"),
            (.missedCall, "   ", nil, "template", "Write the text"),
            (.missedCall, "Hi", nil, "follow_on_url", "web address"),
        ] as [(TriggeredCampaignKind, String, Int?, String, String)])
    func refused(kind: TriggeredCampaignKind, template: String, days: Int?, field: String, message: String) {
        do {
            _ = try TriggeredCampaignRules.validated(
                TriggeredCampaign(
                    accountID: AccountID("a"), kind: kind, template: template, days: days,
                    followOnURL: field == "follow_on_url" ? "ftp://voicemail" : nil))
            Issue.record("\(template) was accepted")
        } catch {
            #expect(error.code == "invalid_\(field)")
            #expect(error.message.contains(message))
        }
    }

    @Test("A follow-up is due from its day for two weeks; a reminder for due days from today to `days` ahead")
    func timing() {
        let given = Date(timeIntervalSince1970: 1_795_000_000)
        let day: TimeInterval = 86_400
        func due(at now: Date) -> Bool {
            let window = TriggeredCampaignRules.followUpGiven(days: 3, now: now)
            return given > window.from && given <= window.until
        }
        #expect(!due(at: given.addingTimeInterval(3 * day - 1)))
        #expect(due(at: given.addingTimeInterval(3 * day)))
        #expect(due(at: given.addingTimeInterval(17 * day - 1)))
        #expect(!due(at: given.addingTimeInterval(17 * day)))
        #expect(TriggeredCampaignRules.reminderDays(today: "2026-12-28", days: 7) == "2026-12-28"..."2027-01-04")
        #expect(TriggeredCampaignRules.reminderDays(today: "2027-02-27", days: 2) == "2027-02-27"..."2027-03-01")
        #expect(TriggeredCampaignRules.reminderDays(today: "not a day", days: 2) == nil)
    }

    @Test("A missed call: unanswered, busy, failed or canceled inbound calls; the dialed leg's outcome decides")
    func missedCalls() {
        #expect(TriggeredCampaignRules.isMissed(callStatus: "no-answer", dialCallStatus: nil, direction: "inbound"))
        #expect(TriggeredCampaignRules.isMissed(callStatus: "busy", dialCallStatus: nil, direction: nil))
        #expect(
            TriggeredCampaignRules.isMissed(callStatus: "completed", dialCallStatus: "no-answer", direction: "inbound"))
        #expect(
            !TriggeredCampaignRules.isMissed(callStatus: "completed", dialCallStatus: "completed", direction: "inbound")
        )
        #expect(!TriggeredCampaignRules.isMissed(callStatus: "completed", dialCallStatus: nil, direction: "inbound"))
        #expect(
            !TriggeredCampaignRules.isMissed(callStatus: "no-answer", dialCallStatus: nil, direction: "outbound-api"))
        #expect(!TriggeredCampaignRules.isMissed(callStatus: nil, dialCallStatus: nil, direction: nil))
        #expect(TriggeredCampaignRules.isMissed(callStatus: "CANCELED", dialCallStatus: "", direction: "inbound"))
    }

    @Test("Follow-ups and reminders wait for quiet hours; text-backs do not")
    func quietHours() {
        #expect(QuietHours.applies(to: .transactional, automation: .estimateFollowUp))
        #expect(QuietHours.applies(to: .transactional, automation: .serviceReminder))
        #expect(!QuietHours.applies(to: .transactional, automation: .missedCallTextBack))
        #expect(!QuietHours.applies(to: .transactional, automation: .dispatchNotice))
        #expect(TriggeredCampaignKind.allCases.filter(\.waitsForQuietHours) == [.estimateFollowUp, .serviceReminder])
        #expect(
            TriggeredCampaignKind.allCases.allSatisfy {
                $0.waitsForQuietHours == QuietHours.applies(to: .transactional, automation: $0.automation)
            })
    }

    @Test("Amounts read as cents; anything else is refused")
    func amounts() throws {
        #expect(try Estimate.cents(from: "1250") == 125_000)
        #expect(try Estimate.cents(from: "$1,250.5") == 125_050)
        #expect(try Estimate.cents(from: " 99.99 ") == 9_999)
        #expect(try Estimate.cents(from: "") == nil)
        for bad in ["12.345", "-5", "ten", "1.2.3", "12."] {
            #expect(throws: FieldlineError.self) { try Estimate.cents(from: bad) }
        }
        #expect(
            Estimate(
                id: .generate(), accountID: AccountID("a"), customerID: CustomerID("c"), locationID: nil, summary: "x",
                amountCents: 185_000, status: .open, createdAt: Date(), decidedAt: nil
            ).amountText == "$1,850.00")
    }

    @Test("A service's next due day moves by whole months, the 31st to the month's last day")
    func followingDue() throws {
        func service(_ due: String, every months: Int) -> RecurringService {
            RecurringService(
                id: .generate(), accountID: AccountID("a"), customerID: CustomerID("c"), locationID: nil, name: "Test",
                intervalMonths: months, nextDue: due, createdAt: Date())
        }
        #expect(service("2027-01-31", every: 1).followingDue() == "2027-02-28")
        #expect(service("2027-03-15", every: 12).followingDue() == "2028-03-15")
        #expect(service("2027-11-30", every: 6).followingDue() == "2028-05-30")
        #expect(service("2026-12-03", every: 12).dueDateText == "Thu, Dec 3")
        #expect(try RecurringService.validatedDay(" 2027-02-28 ") == "2027-02-28")
        #expect(throws: FieldlineError.self) { try RecurringService.validatedDay("2027-02-30") }
        #expect(throws: FieldlineError.self) { try RecurringService.validatedDay("2101-01-01") }
        // Done late: one interval on is still past, so it rolls on to today or later.
        #expect(service("2025-03-15", every: 6).dueAfterDone(today: "2026-11-23") == "2027-03-15")
        #expect(service("2026-11-20", every: 12).dueAfterDone(today: "2026-11-23") == "2027-11-20")
        #expect(throws: FieldlineError.self) { try RecurringService.validatedInterval(0) }
    }
}
