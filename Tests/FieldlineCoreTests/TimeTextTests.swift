import FieldlineCore
import FieldlineTestSupport
import Foundation
import Testing

@Suite("Times as people read them, in the account's time zone")
struct TimeTextTests {
    static func reference(_ date: Date, _ pattern: String, _ zone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: zone)
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }

    @Test("Every pattern reads as Foundation's formatter writes it, across zones, years and DST changes")
    func matchesFoundation() {
        var random = SeededGenerator(seed: 20_261_201)
        let zones = ["America/Chicago", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Europe/Berlin"]
        for _ in 0..<2000 {
            let zone = zones[Int.random(in: 0..<zones.count, using: &random)]
            let date = Date(timeIntervalSince1970: Double.random(in: 1_600_000_000...1_900_000_000, using: &random))
            let text = TimeText(timeZoneIdentifier: zone)
            #expect(text.day(date) == Self.reference(date, "EEE, MMM d", zone))
            #expect(text.longDay(date) == Self.reference(date, "EEEE, MMMM d, yyyy", zone))
            #expect(text.time(date) == Self.reference(date, "h:mm a", zone))
            #expect(text.dateTime(date) == Self.reference(date, "MMM d, h:mm a", zone))
            #expect(text.stamp(date) == Self.reference(date, "MMM d, yyyy, h:mm:ss a", zone))
            #expect(text.inputValue(date) == Self.reference(date, "yyyy-MM-dd'T'HH:mm", zone))
        }
    }

    @Test("Lists say today's time, Yesterday, the weekday, then the date")
    func short() {
        let text = TimeText(timeZoneIdentifier: "America/Chicago")
        let now = Date(timeIntervalSince1970: 1_795_000_000)  // Wed, Nov 18 2026, 5:06 AM in Chicago
        #expect(text.short(now.addingTimeInterval(-60), now: now) == "5:05 AM")
        #expect(text.short(now.addingTimeInterval(-86_400), now: now) == "Yesterday")
        #expect(text.short(now.addingTimeInterval(-3 * 86_400), now: now) == "Sun")
        #expect(text.short(now.addingTimeInterval(-30 * 86_400), now: now) == "Oct 19")
        #expect(text.short(now.addingTimeInterval(-400 * 86_400), now: now) == "Oct 14, 2025")
        #expect(text.range(now, now.addingTimeInterval(3600)) == "Wed, Nov 18 · 5:06 – 6:06 AM")
    }
}
