import FieldlineCore
import Foundation
import Testing

@Suite("Slowing down password guessing")
struct SignInThrottleTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("Open below five failures in 15 minutes, locked at five, open again when the oldest ages out")
    func lock() {
        let minutesAgo = { (minutes: Double) in self.now.addingTimeInterval(-minutes * 60) }
        #expect(SignInThrottle.lockedUntil(failures: [], now: now) == nil)
        #expect(SignInThrottle.lockedUntil(failures: [1, 2, 3, 4].map(minutesAgo), now: now) == nil)
        let five = [1, 2, 3, 4, 10].map(minutesAgo)
        #expect(SignInThrottle.lockedUntil(failures: five, now: now) == minutesAgo(10).addingTimeInterval(15 * 60))
        // Seven failures: it takes the third newest to age out before fewer than five remain.
        let seven = [1, 2, 3, 4, 5, 12, 14].map(minutesAgo)
        #expect(SignInThrottle.lockedUntil(failures: seven, now: now) == minutesAgo(5).addingTimeInterval(15 * 60))
        // Failures older than the window do not count.
        #expect(SignInThrottle.lockedUntil(failures: [1, 2, 3, 4, 16, 20].map(minutesAgo), now: now) == nil)
        #expect(SignInThrottle.message(until: now.addingTimeInterval(61), now: now).hasSuffix("in 2 minutes."))
        #expect(SignInThrottle.message(until: now.addingTimeInterval(5), now: now).hasSuffix("in 1 minute."))
    }
}
