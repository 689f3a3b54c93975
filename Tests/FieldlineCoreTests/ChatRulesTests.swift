import FieldlineCore
import FieldlineTestSupport
import Foundation
import Testing

@Suite("Inbox order, delivery states, pacing and after-hours periods")
struct ChatRulesTests {
    func conversation(_ id: String, unread: Bool, awaiting: Bool, at seconds: TimeInterval) -> Conversation {
        Conversation(
            id: ConversationID(id), accountID: AccountID("a"), phone: PhoneNumber(storedE164: "+15125550100"),
            senderNumberID: nil, jobID: nil, status: .open, unread: unread, awaitingReply: awaiting,
            lastMessageAt: Date(timeIntervalSince1970: seconds), lastMessagePreview: "", lastMessageDirection: .inbound,
            autoreplyPeriod: nil, createdAt: Date(timeIntervalSince1970: 0), closedAt: nil)
    }

    @Test("CH2: unread first, then read but unanswered, then answered; newest first within each")
    func inboxOrder() {
        let threads = [
            conversation("answered-new", unread: false, awaiting: false, at: 900),
            conversation("unread-old", unread: true, awaiting: true, at: 100),
            conversation("waiting-new", unread: false, awaiting: true, at: 800),
            conversation("unread-new", unread: true, awaiting: true, at: 700),
            conversation("answered-old", unread: false, awaiting: false, at: 50),
            conversation("waiting-old", unread: false, awaiting: true, at: 200),
            conversation("marked-unread", unread: true, awaiting: false, at: 300),
        ]
        let ordered = threads.sorted(by: InboxOrder.precedes).map(\.id.rawValue)
        #expect(
            ordered == [
                "unread-new", "marked-unread", "unread-old", "waiting-new", "waiting-old", "answered-new",
                "answered-old",
            ])
    }

    @Test("Delivery states only move forward, and a final state is never replaced")
    func deliveryStates() {
        #expect(DeliveryStatus.queued.canAdvance(to: .sending))
        #expect(DeliveryStatus.sending.canAdvance(to: .delivered))
        #expect(DeliveryStatus.sent.canAdvance(to: .undelivered))
        #expect(!DeliveryStatus.delivered.canAdvance(to: .sent))
        #expect(!DeliveryStatus.delivered.canAdvance(to: .undelivered))
        #expect(!DeliveryStatus.canceled.canAdvance(to: .sending))
        for status in DeliveryStatus.allCases where status.isFinal {
            for next in DeliveryStatus.allCases { #expect(!status.canAdvance(to: next)) }
        }
        #expect(DeliveryStatus.fromProvider("queued") == .sending)
        #expect(DeliveryStatus.fromProvider("read") == .delivered)
        #expect(DeliveryStatus.fromProvider("receiving") == nil)
    }

    @Test("Only undelivered or failed texts can be resent, and never to a landline")
    func resendable() {
        let base = Message(
            id: MessageID("m"), accountID: AccountID("a"), conversationID: nil, direction: .outbound, disposition: nil,
            phone: PhoneNumber(storedE164: "+15125550100"), ourNumber: PhoneNumber(storedE164: "+15125550300"),
            body: "Hi", purpose: .conversational, author: .automated(.autoresponder), jobID: nil, status: .undelivered,
            errorCode: "30003", errorMessage: nil, provider: "twilio", providerMessageID: nil, segments: 1,
            encoding: .gsm7, mediaCount: 0, resendOf: nil, createdAt: Date(), statusAt: Date())
        #expect(base.isResendable)
        var landline = base
        landline.errorCode = ProviderErrorCode.landline
        #expect(!landline.isResendable)
        var delivered = base
        delivered.status = .delivered
        #expect(!delivered.isResendable)
        var canceled = base
        canceled.status = .canceled
        #expect(!canceled.isResendable)
    }

    @Test("Pacing: however late the worker wakes, sends are never closer than the rate allows on average")
    func pacing() {
        for rate in [1.0, 3.0, 100.0] {
            var generator = SeededGenerator(seed: UInt64(rate * 7))
            let interval = 1 / rate
            var slot = Date(timeIntervalSince1970: 0)
            var sends: [Date] = []
            var clock = slot
            for _ in 0..<500 {
                // The worker wakes at the slot or up to half an interval late.
                clock = max(clock, slot).addingTimeInterval(Double.random(in: 0...(interval / 2), using: &generator))
                sends.append(clock)
                slot = SendPacing.slotAfter(nextSlot: slot, now: clock, ratePerSecond: rate)
            }
            // Never ahead of the grid: the k-th send waits for the k-th slot…
            for (index, sent) in sends.enumerated() {
                #expect(sent.timeIntervalSince1970 >= Double(index) * interval - 1e-9)
            }
            // …and never far behind it.
            let achieved = Double(sends.count) / ((sends.last?.timeIntervalSince1970 ?? 0) + interval)
            #expect(achieved >= rate * 0.95, "rate \(rate) achieved \(achieved)")
            // Over any window of one second, no more than rate + 1 sends.
            for (index, start) in sends.enumerated() {
                let inWindow = sends[index...].prefix { $0.timeIntervalSince(start) < 1 }.count
                #expect(Double(inWindow) <= rate + 1)
            }
        }
    }

    @Test("The hand-off window never lets more than the rate through in any window, however late the wake-ups")
    func sendWindow() {
        for rate in [0.5, 1.0, 3.5, 100.0] {
            var generator = SeededGenerator(seed: UInt64(rate * 13))
            var window = SendWindow(ratePerSecond: rate)
            var slot = Date(timeIntervalSince1970: 0)
            var clock = slot
            var handed: [Date] = []
            for _ in 0..<600 {
                // The worker wakes for the slot, up to half an interval late (or early for the window).
                clock = max(clock, slot).addingTimeInterval(Double.random(in: 0...(0.5 / rate), using: &generator))
                let allowed = window.earliest(at: clock)
                clock = max(clock, allowed)
                window.record(clock)
                handed.append(clock)
                slot = slot.addingTimeInterval(1 / rate)
            }
            for (index, start) in handed.enumerated() {
                let inside = handed[index...].prefix { $0.timeIntervalSince(start) < window.window - 1e-6 }.count
                #expect(inside <= window.capacity, "rate \(rate): \(inside) in one window")
            }
            let achieved = Double(handed.count - 1) / ((handed.last ?? start(handed)).timeIntervalSince(handed[0]))
            #expect(achieved >= rate * 0.95, "rate \(rate) achieved \(achieved)")
        }
    }

    func start(_ dates: [Date]) -> Date { dates.first ?? Date(timeIntervalSince1970: 0) }

    @Test("Claiming ahead takes the slots up to the horizon on the number's grid")
    func slotsAhead() {
        let now = Date(timeIntervalSince1970: 100)
        let onGrid = SendPacing.slots(
            nextSlot: now.addingTimeInterval(0.005), now: now, ratePerSecond: 100,
            horizon: now.addingTimeInterval(0.5), limit: 200)
        #expect(onGrid.count == 50)
        #expect(onGrid.first == now.addingTimeInterval(0.005))
        let idle = SendPacing.slots(
            nextSlot: now.addingTimeInterval(-60), now: now, ratePerSecond: 1, horizon: now.addingTimeInterval(0.5),
            limit: 200)
        #expect(idle == [now])
        let later = SendPacing.slots(
            nextSlot: now.addingTimeInterval(2), now: now, ratePerSecond: 1, horizon: now.addingTimeInterval(0.5),
            limit: 200)
        #expect(later.isEmpty)
    }

    @Test("An idle number restarts its grid instead of bursting through missed slots")
    func idleNumber() {
        let long = Date(timeIntervalSince1970: 0)
        let now = Date(timeIntervalSince1970: 3600)
        #expect(SendPacing.slotAfter(nextSlot: long, now: now, ratePerSecond: 2) == now.addingTimeInterval(0.5))
    }

    var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/Chicago") ?? .gmt
        return calendar
    }

    func at(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        calendar.date(from: DateComponents(year: 2026, month: 11, day: day, hour: hour, minute: minute)) ?? Date()
    }

    @Test("CH17: one closed period spans the night; the weekend is one period; open hours have none")
    func closedPeriods() {
        // Nov 2026: the 20th is a Friday, the 23rd a Monday.
        let hours = BusinessHours.standard
        #expect(hours.closedPeriod(containing: at(23, 10), calendar: calendar) == nil)
        let evening = hours.closedPeriod(containing: at(23, 19), calendar: calendar)
        let earlyMorning = hours.closedPeriod(containing: at(24, 6), calendar: calendar)
        #expect(evening != nil && evening == earlyMorning)
        let nextEvening = hours.closedPeriod(containing: at(24, 18), calendar: calendar)
        #expect(nextEvening != evening)
        let fridayNight = hours.closedPeriod(containing: at(20, 22), calendar: calendar)
        let sunday = hours.closedPeriod(containing: at(22, 12), calendar: calendar)
        let mondayDawn = hours.closedPeriod(containing: at(23, 7), calendar: calendar)
        #expect(fridayNight == sunday && sunday == mondayDawn)
    }

    @Test("A holiday joins the closed period around it")
    func holiday() {
        let hours = BusinessHours(days: BusinessHours.standard.days, holidays: ["2026-11-26"])
        let wednesdayNight = hours.closedPeriod(containing: at(25, 20), calendar: calendar)
        let thanksgivingNoon = hours.closedPeriod(containing: at(26, 12), calendar: calendar)
        #expect(wednesdayNight == thanksgivingNoon)
        #expect(hours.closedPeriod(containing: at(27, 10), calendar: calendar) == nil)
    }

    @Test("Form encoding round-trips every character and keeps repeats in order")
    func formEncoding() {
        let pairs: [(name: String, value: String)] = [
            ("Body", "Hi there & welcome = 100% 🚐 +1"), ("MediaUrl0", "https://x.test/a?b=c"), ("Body", "second"),
        ]
        let decoded = FormEncoding.decode(FormEncoding.encode(pairs))
        #expect(decoded.map(\.name) == pairs.map(\.name))
        #expect(decoded.map(\.value) == pairs.map(\.value))
        #expect(FormEncoding.decode("a=1+2&b=%zz&c").map(\.value) == ["1 2", "%zz", ""])
    }
}
