import FieldlineCore
import Foundation
import Testing

@Suite("Dispatch notices: the DN5 rule, templates and tokens, arrival estimates, tracking phases")
struct DispatchNoticeRulesTests {
    // MARK: DN5

    /// Every combination of up to three other visits at the site (each in every status, of an open
    /// or a closed job), with the limit on and off, against the rule stated plainly.
    @Test("DN5: another dispatch is silent exactly while someone is on the way or working at the site")
    func limitRuleExhaustive() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let fresh = now.addingTimeInterval(-3600)
        let forgotten = now.addingTimeInterval(-DispatchNoticeRules.forgottenAfter - 1)
        // (status, job open, dispatched at)
        let states: [(AssignmentStatus, Bool, Date?)] = AssignmentStatus.allCases.flatMap { status in
            [true, false].flatMap { open in
                (status == .scheduled ? [nil] : [fresh, forgotten]).map { (status, open, $0) }
            }
        }
        let dispatched = AssignmentID("dispatched")
        var combinations = 0
        for count in 0...3 {
            var indices = Array(repeating: 0, count: count)
            while true {
                let others = indices.enumerated().map { position, index in
                    SiteVisit(
                        assignmentID: AssignmentID("other-\(position)"), status: states[index].0,
                        jobIsOpen: states[index].1, dispatchedAt: states[index].2)
                }
                // The visit just dispatched is part of the site too, and never counts against itself.
                let site =
                    others + [
                        SiteVisit(assignmentID: dispatched, status: .dispatched, jobIsOpen: true, dispatchedAt: now)
                    ]
                // Someone on the way or working there, on an open job, dispatched within the last 12 hours.
                let someoneThere = others.contains {
                    ($0.status == .dispatched || $0.status == .working) && $0.jobIsOpen && $0.dispatchedAt == fresh
                }
                for limit in [true, false] {
                    let decision = DispatchNoticeRules.decide(
                        dispatched: dispatched, site: site, limitWhenSeveralDispatched: limit, now: now)
                    if limit && someoneThere {
                        guard case .alreadyAtSite(let other) = decision else {
                            Issue.record("expected silence for \(others)")
                            continue
                        }
                        #expect(other != dispatched)
                        #expect(others.contains { $0.assignmentID == other && $0.isActive(at: now) })
                    } else {
                        #expect(decision == .notify, "\(others), limit \(limit)")
                    }
                    combinations += 1
                }
                // Next combination (odometer).
                var position = count - 1
                while position >= 0 {
                    indices[position] += 1
                    if indices[position] < states.count { break }
                    indices[position] = 0
                    position -= 1
                }
                if position < 0 { break }
            }
        }
        // 14 states per visit: scheduled × open/closed, and three statuses × open/closed × fresh/forgotten.
        #expect(states.count == 14)
        #expect(combinations == 2 * (1 + 14 + 14 * 14 + 14 * 14 * 14))
    }

    @Test("DN5: only whether anyone is still there counts; a visit forgotten open for 12 hours does not")
    func laterDispatchNotifiesAgain() {
        let instant = Date(timeIntervalSince1970: 1_800_000_000)
        let done = SiteVisit(assignmentID: AssignmentID("a"), status: .done, jobIsOpen: true, dispatchedAt: instant)
        let scheduled = SiteVisit(assignmentID: AssignmentID("b"), status: .scheduled, jobIsOpen: true)
        let canceledButDispatched = SiteVisit(
            assignmentID: AssignmentID("c"), status: .dispatched, jobIsOpen: false, dispatchedAt: instant)
        let forgotten = SiteVisit(
            assignmentID: AssignmentID("e"), status: .working, jobIsOpen: true,
            dispatchedAt: instant.addingTimeInterval(-13 * 3600))
        let now = SiteVisit(
            assignmentID: AssignmentID("d"), status: .dispatched, jobIsOpen: true, dispatchedAt: instant)
        #expect(
            DispatchNoticeRules.decide(
                dispatched: now.assignmentID, site: [done, scheduled, canceledButDispatched, forgotten, now],
                limitWhenSeveralDispatched: true, now: instant) == .notify)
        let working = SiteVisit(
            assignmentID: AssignmentID("f"), status: .working, jobIsOpen: true,
            dispatchedAt: instant.addingTimeInterval(-11 * 3600))
        #expect(
            DispatchNoticeRules.decide(
                dispatched: now.assignmentID, site: [working, now], limitWhenSeveralDispatched: true, now: instant)
                == .alreadyAtSite(working.assignmentID))
    }

    // MARK: Templates (DN3)

    static let values = NoticeValues(
        customerName: "Robert Castellanos", technicianName: "Luis Romero", technicianRating: 4.8,
        companyName: "Northside Plumbing", jobNumber: 1042, arrivalWindow: "Tue, Dec 1 · 9:00 – 11:00 AM",
        trackingLink: "https://fl.example/t/abcdefghijklmnopqrstuv")

    @Test("Every token fills in; the default templates are valid and fit one text")
    func tokensFillIn() throws {
        let all = NoticeToken.dispatch.map { "{\($0.rawValue)}" }.joined(separator: "|")
        let rendered = try NoticeTemplate.parse(all, field: "t").render(Self.values, forText: false)
        #expect(
            rendered
                == "Robert Castellanos|Robert|Luis Romero|Luis|rated 4.8/5|Northside Plumbing|#1042|Tue, Dec 1 · 9:00 – 11:00 AM|https://fl.example/t/abcdefghijklmnopqrstuv"
        )
        let defaults = try DispatchNoticeSettings.validated(
            DispatchNoticeSettings(), trackingLinkLength: "https://fieldline.example.com/t/".count + 22)
        #expect(defaults.textTemplate == DispatchNoticeSettings.defaultTextTemplate)
    }

    @Test(
        "Unknown and malformed tokens are refused, naming the token",
        arguments: [
            ("Hi {customer}", "textTemplate", "{customer}"),
            ("Hi {Technician Name", "textTemplate", "not closed"),
            ("Hi technician_name}", "textTemplate", "no opening"),
            ("{{technician_name}}", "textTemplate", "braces cannot nest"),
            ("Hi {}", "textTemplate", "Unknown token {}"),
        ])
    func badTokens(source: String, field: String, mention: String) {
        do {
            _ = try NoticeTemplate.parse(source, field: field)
            Issue.record("\(source) was accepted")
        } catch {
            #expect(error.code == "invalid_text_template")
            #expect(error.message.contains(mention), "\(error.message)")
        }
    }

    @Test("Token names are forgiving about case and spaces inside the braces")
    func forgivingNames() throws {
        let template = try NoticeTemplate.parse("{ Technician_First_Name } is coming", field: "t")
        #expect(template.render(Self.values, forText: true) == "Luis is coming")
    }

    @Test("A text template is refused when the longest values would pass 160 characters, and accepted at exactly 160")
    func worstCaseLimit() throws {
        let link = 40
        let tokens = "{company_name}{technician_name}{arrival_window}{tracking_link}"
        let budget = 40 + 30 + 35 + link
        let fits = tokens + String(repeating: "x", count: 160 - budget)
        let settings = DispatchNoticeSettings(textTemplate: fits)
        #expect(try DispatchNoticeSettings.validated(settings, trackingLinkLength: link).textTemplate == fits)
        do {
            _ = try DispatchNoticeSettings.validated(
                DispatchNoticeSettings(textTemplate: fits + "!"), trackingLinkLength: link)
            Issue.record("161 characters were accepted")
        } catch {
            #expect(error.code == "invalid_text_template")
            #expect(error.message.contains("161"))
        }
    }

    @Test("In a text, long values are shortened to their budget so a saved template always fits")
    func budgetsHoldInRealTexts() throws {
        let long = NoticeValues(
            customerName: String(repeating: "Maximiliana ", count: 10),
            technicianName: String(repeating: "Bartholomew ", count: 8),
            technicianRating: 5, companyName: String(repeating: "Northside Plumbing and Heating ", count: 4),
            jobNumber: 9_999_999, arrivalWindow: "Sep 30, 10:30 AM – Oct 1, 12:30 PM",
            trackingLink: "https://fieldline.example.com/t/" + String(repeating: "a", count: 22))
        let linkLength = long.trackingLink?.count ?? 0
        let source =
            "{company_name}: {technician_name} ({technician_rating}) is on the way for {job_number}, {arrival_window}. {tracking_link}"
        let template = try NoticeTemplate.parse(source, field: "textTemplate")
        let worst = template.worstCaseCharacters(trackingLinkLength: linkLength)
        let text = template.render(long, forText: true, trackingLinkLength: linkLength)
        #expect(text.count <= worst)
        #expect(text.contains("...") && !text.contains("…"))
        #expect(text.hasSuffix(long.trackingLink ?? "-"), "the link is never cut")
        // Our own values stay in the GSM alphabet in a text: one segment, not three.
        #expect(MessageText(text).encoding == .gsm7)
        #expect(text.contains("Sep 30, 10:30 AM - Oct 1, 12:30 PM"))
    }

    @Test("DN4: a rating under 4 stars never appears, and an empty token leaves no stray spaces")
    func ratingOnlyWhenFlattering() throws {
        var values = Self.values
        values.technicianRating = 3.9
        let template = try NoticeTemplate.parse("{technician_name} ({technician_rating}) is coming .", field: "t")
        #expect(template.render(values, forText: true) == "Luis Romero is coming.")
        values.technicianRating = 4.0
        #expect(template.render(values, forText: true) == "Luis Romero (rated 4.0/5) is coming.")
        values.technicianRating = nil
        values.trackingLink = nil
        #expect(
            try NoticeTemplate.parse("Track: {tracking_link}", field: "t").render(values, forText: true) == "Track:")
    }

    @Test("Subjects are one line; empty templates are refused")
    func otherFields() {
        for (settings, code) in [
            (DispatchNoticeSettings(emailSubject: "a\nb"), "invalid_email_subject"),
            (DispatchNoticeSettings(textTemplate: "  "), "invalid_text_template"),
            (DispatchNoticeSettings(emailTemplate: ""), "invalid_email_template"),
            (DispatchNoticeSettings(emailTemplate: "Hi {nope}"), "invalid_email_template"),
        ] {
            #expect(throws: FieldlineError.self) {
                try DispatchNoticeSettings.validated(settings, trackingLinkLength: 40)
            }
            do {
                _ = try DispatchNoticeSettings.validated(settings, trackingLinkLength: 40)
            } catch {
                #expect(error.code == code)
            }
        }
    }

    // MARK: Arrival (DN6)

    @Test("Distance is the great-circle distance; ETA adds the detour factor at 40 km/h")
    func estimate() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let home = Coordinates(latitude: 30.25, longitude: -97.75)
        // 0.1° of latitude is 11.12 km on the mean sphere.
        let north = Coordinates(latitude: 30.35, longitude: -97.75)
        let estimate = ArrivalEstimate(from: north, to: home, reportedAt: now, now: now)
        #expect(abs(estimate.straightMeters - 11_119.5) < 5)
        // 11.12 km × 1.3 at 40 km/h = 21.7 min → 22.
        #expect(estimate.minutes == 22)
        #expect(estimate.distanceText == "6.9 mi")
        #expect(estimate.etaText == "about 22 min")

        let close = ArrivalEstimate(
            from: Coordinates(latitude: 30.2505, longitude: -97.75), to: home, reportedAt: now, now: now)
        #expect(close.minutes == 0 && close.etaText == "arriving now")
        #expect(close.distanceText == "180 ft")

        let stale = ArrivalEstimate(from: north, to: home, reportedAt: now.addingTimeInterval(-16 * 60), now: now)
        #expect(stale.minutes == nil && stale.etaText == nil && stale.distanceText == "6.9 mi")

        let far = ArrivalEstimate(
            from: Coordinates(latitude: 31.25, longitude: -97.75), to: home, reportedAt: now, now: now)
        #expect(far.etaText == "about 3 h 37 min")
        #expect(far.distanceText == "69 mi")
    }

    @Test("Tracking phases follow the visit; expiry and canceled jobs end the link")
    func phases() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let later = now.addingTimeInterval(60)
        for status in AssignmentStatus.allCases {
            for job in JobStatus.allCases {
                let phase = TrackingRules.phase(assignment: status, jobStatus: job, expiresAt: later, now: now)
                let expected: TrackingRules.Phase =
                    job == .canceled || status == .scheduled
                    ? .expired : status == .dispatched ? .onTheWay : status == .working ? .arrived : .finished
                #expect(phase == expected, "\(status) \(job)")
                #expect(TrackingRules.phase(assignment: status, jobStatus: job, expiresAt: now, now: now) == .expired)
            }
        }
    }
}
