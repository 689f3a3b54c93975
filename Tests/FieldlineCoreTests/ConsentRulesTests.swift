import Foundation
import Testing

@testable import FieldlineCore

@Suite("Consent: keywords, scopes and who may be texted")
struct ConsentRulesTests {
    let phone = PhoneNumber(storedE164: "+15125550142")
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    /// Every consent state a number can be in, pending double opt-in included.
    var allStates: [SMSConsent] {
        var states: [SMSConsent] = []
        for optedOut in [false, true] {
            for marketing in MarketingConsent.allCases {
                for owed in [false, true] {
                    for pending in [nil, now.addingTimeInterval(600)] {
                        states.append(
                            SMSConsent(
                                phone: phone, optedOut: optedOut, marketing: marketing, confirmationOwed: owed,
                                doubleOptInPendingUntil: pending))
                    }
                }
            }
        }
        return states
    }

    @Test("STOP to a chat number opts out of everything, with one confirmation")
    func stopToChatNumber() {
        let outcome = ConsentRules.apply(
            .optOut, scope: .all, to: SMSConsent(phone: phone, marketing: .optedIn), at: now)
        #expect(outcome.consent.optedOut)
        #expect(outcome.consent.marketing == .optedOut)
        #expect(outcome.reply == .optOutConfirmation)
        #expect(outcome.consent.confirmationOwed)
        #expect(
            outcome.changes == [
                ConsentChange(scope: .all, from: "subscribed", to: "opted_out"),
                ConsentChange(scope: .marketing, from: "opted_in", to: "opted_out"),
            ])
    }

    @Test("A second STOP changes nothing and earns no second confirmation")
    func secondStop() {
        let first = ConsentRules.apply(.optOut, scope: .all, to: SMSConsent(phone: phone), at: now)
        var spent = first.consent
        spent.confirmationOwed = false
        let second = ConsentRules.apply(.optOut, scope: .all, to: spent, at: now)
        #expect(second.reply == nil)
        #expect(second.changes.isEmpty)
        #expect(second.consent == spent)
    }

    @Test("STOP to the marketing number ends marketing only; job texts still go")
    func stopToMarketingNumber() {
        let outcome = ConsentRules.apply(
            .optOut, scope: .marketing, to: SMSConsent(phone: phone, marketing: .optedIn), at: now)
        #expect(!outcome.consent.optedOut)
        #expect(outcome.consent.marketing == .optedOut)
        #expect(outcome.reply == .optOutConfirmation)
        #expect(
            ConsentRules.check(.transactional, automation: .dispatchNotice, consent: outcome.consent, preferences: nil)
                == nil)
        #expect(
            ConsentRules.check(.marketing, automation: .campaign, consent: outcome.consent, preferences: nil)
                == .marketingNotConsented)
    }

    @Test("START resumes the scope it was sent to; marketing needs its own consent again")
    func startResumes() {
        let stopped = SMSConsent(phone: phone, optedOut: true, marketing: .optedOut)
        let resumed = ConsentRules.apply(.optIn, scope: .all, to: stopped, at: now)
        #expect(!resumed.consent.optedOut)
        #expect(resumed.consent.marketing == .optedOut)
        #expect(resumed.reply == .optInConfirmation)
        #expect(ConsentRules.check(.conversational, automation: nil, consent: resumed.consent, preferences: nil) == nil)
        let marketingStart = ConsentRules.apply(.optIn, scope: .marketing, to: resumed.consent, at: now)
        #expect(marketingStart.consent.marketing == .optedIn)
    }

    @Test("YES opts in to marketing only while a double opt-in is pending")
    func doubleOptIn() {
        let pending = SMSConsent(phone: phone, doubleOptInPendingUntil: now.addingTimeInterval(60))
        #expect(Keyword.classify("Yes", doubleOptInPending: pending.doubleOptInPending(at: now)) == .optIn)
        #expect(
            Keyword.classify("Yes", doubleOptInPending: pending.doubleOptInPending(at: now.addingTimeInterval(61)))
                == nil)
        let outcome = ConsentRules.apply(.optIn, scope: .all, to: pending, at: now)
        #expect(outcome.consent.marketing == .optedIn)
        #expect(outcome.consent.doubleOptInPendingUntil == nil)
    }

    @Test("HELP changes no consent and is answered")
    func help() {
        for state in allStates {
            let outcome = ConsentRules.apply(.help, scope: .all, to: state, at: now)
            #expect(outcome.consent == state && outcome.changes.isEmpty && outcome.reply == .helpReply)
        }
    }

    @Test("An opted-out number may receive nothing but the confirmation the opt-out owes")
    func optedOutGetsNothing() {
        for state in allStates where state.optedOut {
            for purpose in MessagePurpose.allCases {
                for automation in [nil] + Automation.allCases {
                    let refusal = ConsentRules.check(purpose, automation: automation, consent: state, preferences: nil)
                    let isOwedConfirmation =
                        purpose == .compliance && automation == .optOutConfirmation && state.confirmationOwed
                    #expect((refusal == nil) == isOwedConfirmation, "\(purpose) \(String(describing: automation))")
                }
            }
        }
    }

    @Test("Every keyword from every state keeps the ledger in step with the state")
    func changesDescribeTheTransition() {
        for state in allStates {
            for keyword in Keyword.allCases {
                for scope in ConsentScope.allCases {
                    let outcome = ConsentRules.apply(keyword, scope: scope, to: state, at: now)
                    for changed in ConsentScope.allCases {
                        let recorded = outcome.changes.first { $0.scope == changed }
                        if state.state(of: changed) == outcome.consent.state(of: changed) {
                            #expect(recorded == nil)
                        } else {
                            #expect(recorded?.from == state.state(of: changed))
                            #expect(recorded?.to == outcome.consent.state(of: changed))
                        }
                    }
                    if keyword == .optOut, scope == .all { #expect(outcome.consent.optedOut) }
                    if outcome.reply == .optOutConfirmation { #expect(outcome.consent.confirmationOwed) }
                }
            }
        }
    }

    @Test("Transactional texts honour the job-notifications preference, marketing the marketing one")
    func preferences() {
        let consenting = SMSConsent(phone: phone, marketing: .optedIn)
        let off = NotificationPreferences(jobNotifications: false, marketingUpdates: false)
        #expect(
            ConsentRules.check(.transactional, automation: .dispatchNotice, consent: consenting, preferences: off)
                == .jobNotificationsOff)
        #expect(
            ConsentRules.check(.marketing, automation: .campaign, consent: consenting, preferences: off)
                == .marketingUpdatesOff)
        #expect(ConsentRules.check(.conversational, automation: nil, consent: consenting, preferences: off) == nil)
        #expect(
            ConsentRules.check(
                .marketing, automation: .campaign, consent: consenting,
                preferences: NotificationPreferences(jobNotifications: true, marketingUpdates: true)) == nil)
    }

    @Test("The confirmation admitted to the outbox still goes after its allowance was spent")
    func admittedConfirmation() {
        let spent = SMSConsent(phone: phone, optedOut: true, confirmationOwed: false)
        #expect(
            ConsentRules.check(.compliance, automation: .optOutConfirmation, consent: spent, preferences: nil) != nil)
        #expect(
            ConsentRules.check(
                .compliance, automation: .optOutConfirmation, consent: spent, preferences: nil, admitted: true)
                == nil)
        #expect(
            ConsentRules.check(.conversational, automation: nil, consent: spent, preferences: nil, admitted: true)
                == .optedOut)
    }

    @Test("Keyword replies fit one text whatever the company is called")
    func repliesFit() {
        for company in ["Northside Plumbing", String(repeating: "Very Long Company Name ", count: 12)] {
            for automation in [Automation.optOutConfirmation, .optInConfirmation, .helpReply] {
                for scope in ConsentScope.allCases {
                    let text = ComplianceReplies.text(
                        for: automation, scope: scope, company: company, contactNumber: phone)
                    #expect(text.map { $0.count <= MessageText.maximumCharacters } == true)
                    // One segment: a shortened name keeps the GSM alphabet.
                    #expect(text.map { MessageText($0).segments } == 1, "\(text ?? "")")
                }
            }
        }
        let help =
            ComplianceReplies.text(for: .helpReply, scope: .all, company: "Northside", contactNumber: phone) ?? ""
        #expect(help.contains("Northside") && help.contains("(512) 555-0142") && help.contains("STOP"))
        #expect(help.contains("rates may apply") && help.contains("frequency"))
    }
}

@Suite("Quiet hours")
struct QuietHoursTests {
    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/Chicago") ?? .gmt
        return calendar
    }

    func at(_ hour: Int, _ minute: Int = 0, month: Int = 11, day: Int = 23, year: Int = 2026) -> Date {
        calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)) ?? Date()
    }

    @Test("Inside the window a text goes now; before it, at 8:00; after it, at 8:00 the next day")
    func window() {
        let federal = QuietHours.federal
        #expect(federal.nextAllowed(from: at(12), calendar: calendar) == at(12))
        #expect(federal.nextAllowed(from: at(6, 30), calendar: calendar) == at(8))
        #expect(federal.nextAllowed(from: at(21), calendar: calendar) == at(8, day: 24))
        #expect(federal.nextAllowed(from: at(20, 59), calendar: calendar) == at(20, 59))
    }

    @Test("Florida's stricter law ends the window at 20:00")
    func florida() {
        let florida = QuietHours.window(forState: "fl")
        #expect(florida.nextAllowed(from: at(20, 30), calendar: calendar) == at(8, day: 24))
        #expect(QuietHours.window(forState: "TX") == .federal)
        #expect(QuietHours.window(forState: nil) == .federal)
    }

    func wall(_ zone: String, _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone) ?? .gmt
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))
            ?? Date()
    }

    @Test("The window is read on the wall clock on the days clocks change")
    func daylightSaving() {
        let federal = QuietHours.federal
        // Spring forward (2027-03-14, 2:00 → 3:00): 8:30 is inside the window although only
        // 7½ hours have passed since midnight; 7:30 waits for 8:00 the same morning.
        #expect(
            federal.nextAllowed(from: at(8, 30, month: 3, day: 14, year: 2027), calendar: calendar)
                == at(8, 30, month: 3, day: 14, year: 2027))
        #expect(
            federal.nextAllowed(from: at(7, 30, month: 3, day: 14, year: 2027), calendar: calendar)
                == at(8, month: 3, day: 14, year: 2027))
        // Fall back (2026-11-01, 2:00 → 1:00): 20:30 is inside although 21½ hours have passed.
        #expect(
            federal.nextAllowed(from: at(20, 30, month: 11, day: 1), calendar: calendar)
                == at(20, 30, month: 11, day: 1))
        #expect(federal.nextAllowed(from: at(21, month: 11, day: 1), calendar: calendar) == at(8, month: 11, day: 2))
        // Held across the change: 22:00 the night before spring forward goes at 8:00 daylight time.
        #expect(
            federal.nextAllowed(from: at(22, month: 3, day: 13, year: 2027), calendar: calendar)
                == at(8, month: 3, day: 14, year: 2027))
    }

    @Test("Each recipient is read in their own state's zones and window; unknown means the strictest")
    func recipientZones() {
        var chicago = Calendar(identifier: .gregorian)
        chicago.timeZone = TimeZone(identifier: "America/Chicago") ?? .gmt
        // 9:00 in Chicago is 7:00 in California: held until 8:00 there, 10:00 in Chicago.
        let nine = wall("America/Chicago", 2026, 11, 23, 9)
        #expect(
            QuietHours.recipient(state: "CA", accountCalendar: chicago).nextAllowed(from: nine)
                == wall("America/Los_Angeles", 2026, 11, 23, 8))
        // Florida spans Eastern and Central time and ends at 20:00: 19:30 in Miami is fine, 20:30
        // is not, and the next morning waits for 8:00 in the panhandle (9:00 in Miami).
        let florida = QuietHours.recipient(state: "fl", accountCalendar: chicago)
        #expect(
            florida.nextAllowed(from: wall("America/New_York", 2026, 11, 23, 19, 30))
                == wall("America/New_York", 2026, 11, 23, 19, 30))
        #expect(
            florida.nextAllowed(from: wall("America/New_York", 2026, 11, 23, 20, 30))
                == wall("America/Chicago", 2026, 11, 24, 8))
        // Tennessee spans Central and Eastern: 20:30 in Nashville is 21:30 in Knoxville.
        let tennessee = QuietHours.recipient(state: "TN", accountCalendar: chicago)
        #expect(
            tennessee.nextAllowed(from: wall("America/Chicago", 2026, 11, 23, 20, 30))
                == wall("America/Chicago", 2026, 11, 24, 8))
        #expect(
            tennessee.nextAllowed(from: wall("America/Chicago", 2026, 11, 23, 19, 30))
                == wall("America/Chicago", 2026, 11, 23, 19, 30))
        // Texas: 7:30 in Dallas is 6:30 in El Paso.
        #expect(
            QuietHours.recipient(state: "TX", accountCalendar: chicago)
                .nextAllowed(from: wall("America/Chicago", 2026, 11, 23, 8, 30))
                == wall("America/Denver", 2026, 11, 23, 8))
        // No state, or an unknown one: the strictest window (9:00-20:00) on the account's clock.
        let unknown = QuietHours.recipient(state: "Ontario", accountCalendar: chicago)
        #expect(unknown.window == .strictest && unknown.calendars.map(\.timeZone) == [chicago.timeZone])
        #expect(
            unknown.nextAllowed(from: wall("America/Chicago", 2026, 11, 23, 8, 30))
                == wall("America/Chicago", 2026, 11, 23, 9))
        // Every zone named exists.
        for state in QuietHours.stateTimeZones.keys {
            #expect(QuietHours.timeZones(forState: state).count == QuietHours.stateTimeZones[state]?.count, "\(state)")
        }
        #expect(QuietHours.applies(to: .marketing, automation: .campaign))
        #expect(QuietHours.applies(to: .compliance, automation: .doubleOptInRequest))
        #expect(!QuietHours.applies(to: .compliance, automation: .optOutConfirmation))
        #expect(!QuietHours.applies(to: .transactional, automation: .dispatchNotice))
    }
}
