import Fieldline
import FieldlineCore
import FieldlineStore
import FieldlineTestSupport
import Foundation
import SQLKit
import Testing

/// The one work queue (issue 27.6) as each queue uses it, on both engines: a due row is claimed
/// once; a second worker finds nothing while the claim is fresh; a claim past its lease is taken
/// over (counting a new attempt), and the worker that lost it can no longer settle it.
@Suite("One durable work queue: claim, lease, take-over, settle")
struct WorkQueueTests {
    @Test(
        "Emails: claimed once, taken over after the lease, settled only by the current claim",
        arguments: TestEngine.available)
    func emails(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, _ in
            let now = app.clock.now()
            let email = Email(
                id: .generate(), accountID: world.account.id, jobID: nil, purpose: .transactional,
                automation: .dispatchNotice, to: EmailAddress(storedValue: "robert@example.com"),
                fromName: "Northside", subject: "On the way", html: "<p>Hi</p>", text: "Hi", status: .queued,
                attempts: 0, notBefore: now, claimedAt: nil, providerMessageID: nil, errorMessage: nil,
                createdAt: now, sentAt: nil)
            try await app.database.write { try await EmailStore($0).insert(email) }
            func claim(at instant: Date) async throws -> [Email] {
                try await app.database.write {
                    try await EmailStore($0).claimDue(
                        limit: 10, at: instant, staleBefore: instant.addingTimeInterval(-120))
                }
            }
            let first = try await claim(at: now)
            #expect(first.map(\.id) == [email.id] && first[0].status == .sending && first[0].attempts == 1)
            #expect(try await claim(at: now.addingTimeInterval(60)).isEmpty, "a fresh claim is nobody else's")
            let second = try await claim(at: now.addingTimeInterval(121))
            #expect(second.map(\.id) == [email.id] && second[0].attempts == 2, "a stale claim is taken over")

            var late = first[0]
            late.status = .sent
            let lateSettle = late
            #expect(try await app.database.write { try await EmailStore($0).settle(lateSettle) } == false)
            var current = second[0]
            current.status = .sent
            let currentSettle = current
            #expect(try await app.database.write { try await EmailStore($0).settle(currentSettle) } == true)
            #expect(try await claim(at: now.addingTimeInterval(1000)).isEmpty)
        }
    }

    @Test(
        "ServiceChannel changes: the same lease, and a change waits behind its work order's earlier one",
        arguments: TestEngine.available)
    func serviceChannelChanges(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, _ in
            let now = app.clock.now()
            func change(_ key: String, _ kind: WorkOrderChangeKind) -> WorkOrderChange {
                WorkOrderChange(
                    accountID: world.account.id, workOrderID: 42, bookingID: nil, jobID: nil, kind: kind,
                    dedupeKey: key, note: key, occurredAt: now, createdAt: now)
            }
            let accept = change("accept", .accept)
            let note = change("note", .note)
            let queued = try await app.database.write { sql in
                [try await ServiceChannelStore(sql).enqueue(accept), try await ServiceChannelStore(sql).enqueue(note)]
            }
            #expect(queued == [true, true])
            func claim(at instant: Date) async throws -> [WorkOrderChange] {
                try await app.database.write {
                    try await ServiceChannelStore($0).claimDue(
                        limit: 10, at: instant, staleBefore: instant.addingTimeInterval(-600))
                }
            }
            let first = try await claim(at: now)
            #expect(first.map(\.id) == [accept.id], "the note waits behind the accept")
            #expect(try await claim(at: now.addingTimeInterval(30)).isEmpty)
            let second = try await claim(at: now.addingTimeInterval(601))
            #expect(second.map(\.id) == [accept.id] && second[0].attempts == 2)
            var late = first[0]
            late.state = .applied
            let lateSettle = late
            #expect(try await app.database.write { try await ServiceChannelStore($0).settle(lateSettle) } == false)
            var current = second[0]
            current.state = .applied
            let currentSettle = current
            #expect(try await app.database.write { try await ServiceChannelStore($0).settle(currentSettle) } == true)
            #expect(try await claim(at: now.addingTimeInterval(602)).map(\.id) == [note.id])
        }
    }

    @Test(
        "Media downloads: claimed once, still pending to the inbox, taken over after the lease",
        arguments: TestEngine.available)
    func media(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            _ = try await world.textIn(
                from: world.phone.number.e164, body: "Photo of the leak", to: number,
                media: [.init(url: "https://api.twilio.com/2010-04-01/Media/ME1", contentType: "image/jpeg")])
            let now = app.clock.now()
            func claim(at instant: Date) async throws -> [(media: MessageMedia, attempt: Int)] {
                try await app.database.write {
                    try await MessageStore($0).claimMedia(
                        dueBy: instant, staleBefore: instant.addingTimeInterval(-300), limit: 10)
                }
            }
            let first = try await claim(at: now)
            #expect(first.count == 1 && first[0].attempt == 1 && first[0].media.state == .pending)
            #expect(try await claim(at: now.addingTimeInterval(10)).isEmpty)
            let second = try await claim(at: now.addingTimeInterval(301))
            #expect(second.count == 1 && second[0].attempt == 2)
            let id = first[0].media.id
            // The fetcher that lost its claim cannot fail the download; the current one can.
            try await app.database.write {
                try await MessageStore($0).failMedia(id, attempt: 1, error: "late", retryAt: nil)
            }
            let stillPending = try await app.database.read {
                try await MessageStore($0).media(id, in: world.account.id)
            }
            #expect(stillPending?.state == .pending)
            try await app.database.write {
                try await MessageStore($0).failMedia(id, attempt: 2, error: "gone", retryAt: nil)
            }
            let failed = try await app.database.read { try await MessageStore($0).media(id, in: world.account.id) }
            #expect(failed?.state == .failed)
        }
    }

    @Test(
        "The outbox: a sender's texts claimed in queue order, once, and given back when unclaimed",
        arguments: TestEngine.available)
    func outbox(engine: TestEngine) async throws {
        try await engine.withChatWorld { app, world, _, number in
            guard
                case .inbox(_, let conversation, _) = try await world.textIn(
                    from: world.phone.number.e164, body: "Is anyone coming?", to: number)
            else { throw TestSetupError("not in inbox") }
            let first = try await app.inbox.reply(to: conversation, body: "Yes", by: world.dispatcher)
            let second = try await app.inbox.reply(to: conversation, body: "At 3", by: world.dispatcher)
            let now = app.clock.now().addingTimeInterval(5)
            func claim(_ worker: String) async throws -> [OutboxStore.Entry] {
                try await app.database.write {
                    try await OutboxStore($0).claimBatch(for: number.id, limit: 10, at: now, worker: worker)
                }
            }
            let claimed = try await claim("a")
            #expect(claimed.map(\.messageID) == [first.id, second.id], "in the order they were queued")
            #expect(claimed.allSatisfy { $0.state == .inFlight && $0.claimedBy == "a" && $0.attempts == 1 })
            #expect(try await claim("b").isEmpty)
            try await app.database.write { try await OutboxStore($0).unclaim(claimed.map(\.id)) }
            let again = try await claim("b")
            #expect(again.map(\.messageID) == [first.id, second.id] && again.allSatisfy { $0.attempts == 1 })
        }
    }
}
