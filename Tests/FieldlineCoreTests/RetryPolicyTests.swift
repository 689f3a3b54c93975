import FieldlineCore
import Foundation
import Testing

/// The one retry policy the work queues follow (issue 27.6): pure, so every queue's numbers and
/// every kind of failure are checked here rather than inside the workers that call it.
@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("Texts back off 2, 4, 8 … seconds up to five minutes")
    func textDelays() {
        #expect(RetryPolicy.texts.delay(afterAttempts: 1) == 2)
        #expect(RetryPolicy.texts.delay(afterAttempts: 3) == 8)
        #expect(RetryPolicy.texts.delay(afterAttempts: 30) == 300)
        #expect(RetryPolicy.texts.delay(afterAttempts: 10_000) == 300)
    }

    @Test("Each queue's waits double from its first delay to its cap")
    func eachQueue() {
        #expect(RetryPolicy.emails.delay(afterAttempts: 1) == 30)
        #expect(RetryPolicy.emails.delay(afterAttempts: 2) == 60)
        #expect(RetryPolicy.emails.delay(afterAttempts: 12) == 3600)
        #expect(RetryPolicy.serviceChannelChanges.delay(afterAttempts: 1) == 5)
        #expect(RetryPolicy.serviceChannelChanges.delay(afterAttempts: 9) == 900)
        #expect(RetryPolicy.media.delay(afterAttempts: 2) == 4)
        for policy in [RetryPolicy.texts, .emails, .serviceChannelChanges, .media] {
            var previous: TimeInterval = 0
            for attempts in 0...40 {
                let delay = policy.delay(afterAttempts: attempts)
                #expect(delay >= previous && delay <= policy.maximumDelay && delay > 0)
                previous = delay
            }
        }
    }

    @Test("A final failure fails at once, whatever the attempt")
    func finalFails() {
        for attempts in [1, 2, 7] {
            #expect(
                RetryPolicy.texts.outcome(of: .final("21211 invalid number"), afterAttempts: attempts)
                    == .fail(reason: "21211 invalid number"))
        }
    }

    @Test("A passing failure is retried until the last attempt, then fails saying so")
    func passingUntilLimit() {
        let policy = RetryPolicy.texts
        for attempts in 1..<policy.maximumAttempts {
            #expect(
                policy.outcome(of: .passing("timeout"), afterAttempts: attempts)
                    == .retry(after: policy.delay(afterAttempts: attempts), reason: "timeout"))
        }
        #expect(
            policy.outcome(of: .passing("timeout"), afterAttempts: policy.maximumAttempts)
                == .fail(reason: "Gave up after 8 attempts: timeout"))
    }

    @Test("Retry-After lengthens a text's wait, and replaces an email's")
    func retryAfter() {
        #expect(
            RetryPolicy.texts.outcome(of: .passing("429", retryAfter: 60), afterAttempts: 1)
                == .retry(after: 60, reason: "429"))
        #expect(
            RetryPolicy.texts.outcome(of: .passing("429", retryAfter: 0.5), afterAttempts: 3)
                == .retry(after: 8, reason: "429"))
        #expect(
            RetryPolicy.emails.outcome(of: .passing("still processing", retryAfter: 5), afterAttempts: 3)
                == .retry(after: 5, reason: "still processing"))
        #expect(
            RetryPolicy.emails.outcome(of: .passing("429", retryAfter: 0), afterAttempts: 1)
                == .retry(after: 1, reason: "429"))
    }

    @Test("Throttling waits as asked and never counts toward giving up")
    func throttling() {
        let policy = RetryPolicy.serviceChannelChanges
        #expect(
            policy.outcome(of: .throttled("budget", wait: 42), afterAttempts: 500)
                == .retry(after: 42, reason: "budget"))
        #expect(
            policy.outcome(of: .throttled("budget", wait: 0), afterAttempts: 1) == .retry(after: 1, reason: "budget"))
    }
}
