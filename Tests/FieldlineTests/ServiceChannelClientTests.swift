import AsyncHTTPClient
import FieldlineCore
import FieldlineProviders
import FieldlineTestSupport
import Foundation
import Testing

@Suite("The ServiceChannel client against the fake: tokens, limits, paging, errors")
struct ServiceChannelClientTests {
    static let start = Date(timeIntervalSince1970: 1_795_456_800)

    /// A client whose waits move the test clock instead of the wall clock.
    static func client(
        _ fake: FakeServiceChannel, clock: TestClock, limits: ServiceChannelLimits = .production
    ) -> ServiceChannelClient {
        ServiceChannelClient(
            http: HTTPClient.shared, endpoints: fake.endpoints, credentials: fake.credentials, limits: limits,
            clock: clock, sleep: { seconds in clock.advance(by: seconds) })
    }

    static func workOrder(_ id: Int, updated: Date, status: String = "Open") -> ServiceChannelWorkOrder {
        ServiceChannelWorkOrder(
            id: id, number: "WO\(8_840_000 + id)", subscriber: .init(id: 2_014_917_243, name: "Acme Retail"),
            location: .init(
                id: 100 + id % 7, storeID: "\(100 + id % 7)", name: "Store \(100 + id % 7)", city: "Austin", state: "TX"
            ),
            status: .init(primary: status), priority: "P2 - 8 HOURS", trade: "PLUMBING", category: "REPAIR",
            description: "Restroom faucet dripping", nte: 450, updatedDate: ServiceChannelDate.format(updated))
    }

    @Test("One token serves every call until it nears its ten minutes; then the refresh token renews it")
    func tokenReuse() async throws {
        let clock = TestClock(Self.start)
        try await FakeServiceChannel.running(clock: clock) { fake in
            fake.add(Self.workOrder(1, updated: Self.start))
            let client = Self.client(fake, clock: clock)
            for _ in 0..<30 { _ = try await client.workOrder(1) }
            #expect(fake.tokenRequests == 1)
            clock.advance(by: 580)
            _ = try await client.workOrder(1)
            #expect(fake.tokenRequests == 2)
            // Revoked on ServiceChannel's side: a 401 gets one new token, no sooner than 5 s apart.
            fake.revokeTokens()
            _ = try await client.workOrder(1)
            fake.revokeTokens()
            _ = try await client.workOrder(1)
            #expect(fake.tokenRequests == 4)
            #expect(fake.tokenLimitViolations == 0)
            #expect(await client.tokenRequests == 4)
        }
    }

    @Test("Wrong credentials are an authentication error that says why")
    func badCredentials() async throws {
        let clock = TestClock(Self.start)
        try await FakeServiceChannel.running(clock: clock) { fake in
            var credentials = fake.credentials
            credentials.password = "wrong"
            let client = ServiceChannelClient(
                http: HTTPClient.shared, endpoints: fake.endpoints, credentials: credentials, clock: clock,
                sleep: { clock.advance(by: $0) })
            await #expect(
                throws: ServiceChannelError.authentication(
                    "ServiceChannel refused the sign-in: The user name or password is incorrect.")
            ) {
                _ = try await client.workOrder(1)
            }
        }
    }

    @Test("Work orders changed since an instant come page by page, 50 at a time, oldest first")
    func paging() async throws {
        let clock = TestClock(Self.start)
        try await FakeServiceChannel.running(clock: clock) { fake in
            for id in 1...120 { fake.add(Self.workOrder(id, updated: Self.start.addingTimeInterval(Double(id)))) }
            let client = Self.client(fake, clock: clock)
            let all = try await client.workOrders(updatedSince: Self.start)
            #expect(all.map(\.id) == Array(1...120))
            #expect(fake.calls.count == 3)
            let later = try await client.workOrders(updatedSince: Self.start.addingTimeInterval(101))
            #expect(later.map(\.id) == Array(101...120))
            #expect(all.first?.location.state == "TX")
            #expect(all.first?.nte == 450)
        }
    }

    @Test("A budget of 40 calls a minute is never exceeded: the client waits instead of being throttled")
    func budget() async throws {
        let clock = TestClock(Self.start)
        try await FakeServiceChannel.running(clock: clock, callsPerMinute: 40) { fake in
            fake.add(Self.workOrder(1, updated: Self.start))
            let client = Self.client(fake, clock: clock, limits: .sandbox)
            for _ in 0..<100 { _ = try await client.workOrder(1) }
            #expect(fake.throttledCalls == 0)
            #expect(fake.busiestMinute == 40)
            #expect(clock.now().timeIntervalSince(Self.start) >= 120)
            #expect(await client.callsMade == 100)
        }
    }

    @Test("A 429 waits its Retry-After and is tried again; past the retries it reports the wait")
    func throttled() async throws {
        let clock = TestClock(Self.start)
        try await FakeServiceChannel.running(clock: clock) { fake in
            fake.add(Self.workOrder(1, updated: Self.start))
            let client = Self.client(fake, clock: clock)
            fake.throttleNext(2)
            _ = try await client.workOrder(1)
            #expect(fake.throttledCalls == 2)
            #expect(await client.throttledAnswers == 2)
            fake.throttleNext(10)
            await #expect(throws: ServiceChannelError.self) { _ = try await client.workOrder(1) }
        }
    }

    @Test("Accept, notes, check-in and check-out move the work order; refusals carry ServiceChannel's code")
    func changes() async throws {
        let clock = TestClock(Self.start)
        try await FakeServiceChannel.running(clock: clock) { fake in
            fake.add(Self.workOrder(7, updated: Self.start))
            fake.add(Self.workOrder(8, updated: Self.start))
            let client = Self.client(fake, clock: clock)
            try await client.accept(7, note: "Northside Plumbing has accepted this work order.")
            #expect(fake.workOrder(7)?.status == .init(primary: "In Progress", extended: "Dispatch Confirmed"))
            do {
                try await client.accept(7, note: "again")
                Issue.record("A second accept was taken")
            } catch {
                #expect(
                    error as? ServiceChannelError
                        == .refused(status: 400, code: "5202", message: "The work order is already accepted."))
            }
            try await client.decline(
                8, reason: .tradeNotServiced, customReason: nil,
                note: "Northside Plumbing has declined this work order.")
            #expect(fake.workOrder(8)?.status == .init(primary: "Open", extended: "Declined"))
            try await client.addNote(7, text: "Job #1042 in our system.")
            try await client.checkIn(7, at: clock.now(), latitude: 30.26, longitude: -97.74)
            #expect(fake.workOrder(7)?.status.extended == "On Site")
            try await client.checkOut(7, at: clock.now(), resolution: "Replaced cartridge")
            #expect(fake.workOrder(7)?.status.primary == "Completed")
            do {
                try await client.checkIn(7, at: clock.now(), latitude: nil, longitude: nil)
                Issue.record("A check-in on a completed work order was taken")
            } catch {
                #expect(
                    error as? ServiceChannelError
                        == .refused(status: 400, code: "904", message: "The work order status does not allow check-in.")
                )
            }
            let notes = try await client.notes(7)
            #expect(
                notes.map(\.text) == ["Northside Plumbing has accepted this work order.", "Job #1042 in our system."])
            await #expect(
                throws: ServiceChannelError.notFound(code: "WorkOrderNotFound", message: "Work order 99 was not found.")
            ) {
                try await client.accept(99, note: "x")
            }
            #expect(
                fake.calls.map { "\($0.method) \($0.path)" } == [
                    "PUT /workorders/7/accept", "PUT /workorders/7/accept", "PUT /workorders/8/decline",
                    "POST /workorders/7/notes", "POST /workorders/7/universalCheckIn",
                    "POST /workorders/7/universalCheckOut", "POST /workorders/7/universalCheckIn",
                    "GET /workorders/7/notes", "PUT /workorders/99/accept",
                ])
        }
    }

    @Test("A work order just written reads as not found until the replica catches up")
    func replicaLag() async throws {
        let clock = TestClock(Self.start)
        try await FakeServiceChannel.running(clock: clock) { fake in
            fake.add(Self.workOrder(5, updated: Self.start))
            fake.setReplicaLag(30)
            let client = Self.client(fake, clock: clock)
            try await client.accept(5, note: "accepted")
            await #expect(throws: ServiceChannelError.self) { _ = try await client.workOrder(5) }
            clock.advance(by: 31)
            #expect(try await client.workOrder(5).status.primary == "In Progress")
        }
    }
}

@Suite("ServiceChannel timestamps and amounts, read and written by hand")
struct ServiceChannelDateTests {
    static func foundation(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let fraction = ISO8601DateFormatter()
        fraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return plain.date(from: text) ?? fraction.date(from: text)
    }

    @Test("Every form ServiceChannel writes reads as Foundation reads it; anything else is nil")
    func parse() {
        #expect(ServiceChannelDate.parse("2026-11-23T15:04:05Z") == Self.foundation("2026-11-23T15:04:05Z"))
        #expect(ServiceChannelDate.parse("2026-11-23T15:04:05") == Self.foundation("2026-11-23T15:04:05Z"))
        #expect(ServiceChannelDate.parse("2026-11-23T15:04:05-06:00") == Self.foundation("2026-11-23T21:04:05Z"))
        #expect(ServiceChannelDate.parse("2024-02-29T23:59:59+05:30") == Self.foundation("2024-02-29T18:29:59Z"))
        let fractional = ServiceChannelDate.parse("2026-11-23T15:04:05.123Z")
        #expect(abs((fractional?.timeIntervalSince1970 ?? 0) - 1_795_446_245.123) < 0.000_001)
        for bad in [
            "", "2026-11-23", "2026-13-01T00:00:00Z", "2026-11-23 15:04:05Z", "2026-11-23T15:04:05Zjunk",
            "2026-11-23T15:04:05.Z", "yesterday",
        ] {
            #expect(ServiceChannelDate.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("Writing round-trips for dates across centuries, leap days and the epoch")
    func roundTrip() {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<2000 {
            let seconds = Double(Int.random(in: -2_000_000_000...4_000_000_000, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            let text = ServiceChannelDate.format(date)
            #expect(Self.foundation(text) == date, "\(text)")
            #expect(ServiceChannelDate.parse(text) == date, "\(text)")
        }
        #expect(ServiceChannelDate.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(
            ServiceChannelDate.formatMilliseconds(Date(timeIntervalSince1970: 1_795_446_245.1239))
                == "2026-11-23T15:04:05.123Z")
    }

    @Test("Amounts: two decimals, thousands grouped, rounded to the cent")
    func money() {
        #expect(Money.decimal(0) == "0.00")
        #expect(Money.decimal(5) == "5.00")
        #expect(Money.decimal(450) == "450.00")
        #expect(Money.decimal(1250) == "1,250.00")
        #expect(Money.decimal(1_234_567.891) == "1,234,567.89")
        #expect(Money.decimal(0.005) == "0.01")
        #expect(Money.decimal(-3.5) == "-3.50")
        #expect(Money.dollars(cents: 165_045) == "$1,650.45")
    }
}
