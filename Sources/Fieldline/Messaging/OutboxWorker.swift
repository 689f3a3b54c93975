import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import SQLKit
import ServiceLifecycle
import Synchronization

/// Drains the outbox: per sender number at that number's rate, sending concurrently across
/// numbers, retrying passing failures with backoff, and never handing one row to the provider
/// twice. A row whose send may or may not have reached the provider (a crash, a timeout) is
/// reconciled with the provider's own list of sent texts before anything is retried.
///
/// Pacing has two gates. Claiming takes a number's texts with their slots on the number's grid
/// (`next_send_at`, shared by every worker on the database), up to half a second ahead. Handing
/// off waits for each slot, and `SendWindow` keeps a number within its rate over any window even
/// when the worker wakes late, so the provider never sees more than the rate.
public final class OutboxWorker: Service, Sendable {
    let app: Fieldline
    public let workerID: String
    let maximumConcurrentSends: Int
    /// How often the worker says it is alive; a worker silent for `deadAfter` is presumed dead.
    let heartbeatInterval: TimeInterval
    let deadAfter: TimeInterval
    /// How long a send of unknown outcome waits before the provider is asked about it.
    let reconcileInterval: TimeInterval

    private let inFlight = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)

    /// The claimed_by mark of a row whose provider call ended without a clear answer.
    static let unsure = "unsure"

    public init(
        app: Fieldline, workerID: String = "outbox-" + UUID().uuidString.lowercased(), maximumConcurrentSends: Int = 32,
        heartbeatInterval: TimeInterval = 5, deadAfter: TimeInterval = 15, reconcileInterval: TimeInterval = 5
    ) {
        self.app = app
        self.workerID = workerID
        self.maximumConcurrentSends = maximumConcurrentSends
        self.heartbeatInterval = heartbeatInterval
        self.deadAfter = deadAfter
        self.reconcileInterval = reconcileInterval
    }

    var logger: Logger { app.logger }

    // MARK: The service

    public func run() async throws {
        await withGracefulShutdownHandler {
            await loop()
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.app.outboxSignal.signal()
        }
    }

    /// A claimed text waiting for its moment.
    struct Scheduled: Sendable {
        var job: Job
        var at: Date
    }

    /// How far ahead texts are claimed; also how long a high-rate number's batch lasts.
    static let lookahead: TimeInterval = 0.5

    private func loop() async {
        await withTaskGroup(of: Void.self) { group in
            // The earliest due row per sender, as last read; each sender's next claimable slot;
            // texts claimed but not yet handed off; and each sender's hand-off window.
            var pending: [SenderNumberID: Date] = [:]
            var slots: [SenderNumberID: Date] = [:]
            var waiting: [Scheduled] = []
            var windows: [SenderNumberID: SendWindow] = [:]
            var lastRefresh = Date.distantPast
            var lastHeartbeat = Date.distantPast
            var lastReconcile = Date.distantPast
            var lastPrune = Date.distantPast
            while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
                do {
                    let now = app.clock.now()
                    if now.timeIntervalSince(lastHeartbeat) >= heartbeatInterval {
                        try await heartbeat(at: now)
                        lastHeartbeat = now
                    }
                    if now.timeIntervalSince(lastReconcile) >= reconcileInterval {
                        lastReconcile = now
                        try await reconcileAbandoned()
                    }
                    if now.timeIntervalSince(lastPrune) >= 3600 {
                        lastPrune = now
                        try await prune(before: now.addingTimeInterval(-86400))
                    }
                    if pending.isEmpty || now.timeIntervalSince(lastRefresh) >= 0.25 {
                        lastRefresh = now
                        pending = Dictionary(
                            try await app.database.read { sql in try await OutboxStore(sql).pendingSenders() },
                            uniquingKeysWith: min)
                        slots = slots.filter { pending[$0.key] != nil }
                    }
                    func due(_ sender: SenderNumberID) -> Date {
                        max(pending[sender] ?? .distantFuture, slots[sender] ?? .distantPast)
                    }

                    // Claim: every sender whose next slot is within the lookahead, and that has
                    // less than a lookahead's worth waiting already.
                    let horizon = app.clock.now().addingTimeInterval(Self.lookahead)
                    var waitingBySender: [SenderNumberID: (count: Int, rate: Double)] = [:]
                    for scheduled in waiting {
                        waitingBySender[
                            scheduled.job.sender.number.id, default: (0, scheduled.job.sender.number.ratePerSecond)
                        ]
                        .count += 1
                    }
                    for sender in pending.keys.sorted(by: { due($0) < due($1) }) {
                        guard due(sender) <= horizon else { break }
                        guard waiting.count + inFlight.load(ordering: .relaxed) < maximumConcurrentSends * 4 else {
                            break
                        }
                        // Claim again when less than half a batch is left, so the grid runs on.
                        if let queued = waitingBySender[sender],
                            Double(queued.count) >= max(1, queued.rate * Self.lookahead / 2)
                        {
                            continue
                        }
                        let claimed: Ahead
                        do {
                            claimed = try await claimAhead(from: sender, at: app.clock.now())
                        } catch let corrupt as CorruptRow {
                            // A sender number this version cannot read: its texts wait (logged),
                            // and every other number's go on.
                            logger.error("Outbox: number \(sender.rawValue) skipped for a minute: \(corrupt)")
                            slots[sender] = app.clock.now().addingTimeInterval(60)
                            continue
                        }
                        switch claimed {
                        case .claimed(let scheduled, let next):
                            slots[sender] = next
                            waiting.append(contentsOf: scheduled)
                        case .notUntil(let next):
                            slots[sender] = next
                        case .empty:
                            pending.removeValue(forKey: sender)
                        }
                    }

                    // Hand off: what is due, each sender within its window.
                    waiting.sort { $0.at < $1.at }
                    var index = 0
                    while index < waiting.count, waiting[index].at <= app.clock.now(),
                        inFlight.load(ordering: .relaxed) < maximumConcurrentSends
                    {
                        let current = app.clock.now()
                        let sender = waiting[index].job.sender.number
                        var window = windows[sender.id] ?? SendWindow(ratePerSecond: sender.ratePerSecond)
                        let allowed = window.earliest(at: current)
                        if allowed > current {
                            waiting[index].at = allowed
                            index += 1
                            continue
                        }
                        window.record(current)
                        windows[sender.id] = window
                        let job = waiting.remove(at: index).job
                        inFlight.add(1, ordering: .relaxed)
                        group.addTask {
                            await self.send(job)
                            self.inFlight.subtract(1, ordering: .relaxed)
                            self.app.outboxSignal.signal()
                        }
                    }
                    if windows.count > 10_000 { windows.removeAll() }

                    let after = app.clock.now()
                    let nextHandOff = waiting.map(\.at).min() ?? .distantFuture
                    // Senders with texts still waiting are looked at again at their next hand-off.
                    let busy = Set(waiting.map(\.job.sender.number.id))
                    let nextClaim = (pending.keys.filter { !busy.contains($0) }.map(due).min() ?? .distantFuture)
                        .addingTimeInterval(-Self.lookahead)
                    let wait = min(1, min(nextHandOff, nextClaim).timeIntervalSince(after))
                    if wait > 0 || inFlight.load(ordering: .relaxed) >= maximumConcurrentSends {
                        await app.outboxSignal.wait(timeout: max(wait, 0.001))
                    }
                } catch {
                    logger.error("Outbox worker: \(error)")
                    await app.outboxSignal.wait(timeout: 1)
                }
            }
            // Stopping: texts claimed but never handed off go back to the queue for the next worker.
            let unsent = waiting.map(\.job.entry.id)
            try? await app.database.write { sql in try await OutboxStore(sql).unclaim(unsent) }
            await group.waitForAll()
        }
        try? await app.database.write { sql in try await OutboxStore(sql).removeWorker(self.workerID) }
    }

    // MARK: Draining by hand (tests, the CLI)

    /// Sends everything due now, one after another, ignoring pacing; returns how many texts were
    /// handed to the provider or settled. Abandoned rows are reconciled first.
    @discardableResult
    public func drain() async throws -> Int {
        try await heartbeat(at: app.clock.now())
        try await reconcileAbandoned()
        var handled = 0
        while true {
            let senders = try await app.database.read { sql in try await OutboxStore(sql).pendingSenders() }
            var progressed = false
            for (sender, earliest) in senders where earliest <= app.clock.now() {
                switch try await claim(from: sender, at: app.clock.now(), respectPacing: false) {
                case .claimed(let job, _):
                    await send(job)
                    handled += 1
                    progressed = true
                case .skipped:
                    handled += 1
                    progressed = true
                case .notUntil, .empty:
                    break
                }
            }
            if !progressed { return handled }
        }
    }

    // MARK: Claiming

    struct Job: Sendable {
        var entry: OutboxStore.Entry
        var message: Message
        var sender: SenderNumberStore.Stored
    }

    enum Claim: Sendable {
        case claimed(Job, nextSlot: Date)
        /// The sender's next slot is later.
        case notUntil(Date)
        /// A row was settled without sending (canceled on re-check); try the sender again.
        case skipped
        case empty
    }

    func claim(from sender: SenderNumberID, at now: Date, respectPacing: Bool) async throws -> Claim {
        try await app.transaction { sql, effects in
            let numbers = SenderNumberStore(sql)
            guard let slot = try await numbers.lockedSlot(of: sender) else { return .empty }
            if respectPacing, slot.nextSendAt > now { return .notUntil(slot.nextSendAt) }
            let outbox = OutboxStore(sql)
            guard let entry = try await outbox.claimNext(for: sender, at: now, worker: workerID) else { return .empty }
            guard let message = try await queuedMessage(entry, sql: sql, now: now),
                let stored = try await numbers.find(sender, in: entry.accountID)
            else {
                try await outbox.remove(entry.id)
                return .skipped
            }
            // Consent may have changed while the text waited: the gate judges it again at the last moment.
            switch try await handOffDecision(of: message, sql: sql, now: now) {
            case .refuse(let refusal):
                try await cancel(message, entry: entry, because: refusal, sql: sql, effects: effects, now: now)
                return .skipped
            case .hold(let later, _):
                try await outbox.hold(entry.id, until: later)
                return .skipped
            case .send:
                break
            }
            let next = SendPacing.slotAfter(nextSlot: slot.nextSendAt, now: now, ratePerSecond: slot.ratePerSecond)
            try await numbers.setNextSendAt(next, of: sender)
            return .claimed(Job(entry: entry, message: message, sender: stored), nextSlot: next)
        }
    }

    enum Ahead: Sendable {
        case claimed([Scheduled], nextSlot: Date)
        case notUntil(Date)
        case empty
    }

    /// Claims a sender's due texts for the slots of the next `lookahead` seconds (one at least),
    /// and moves the sender's grid past them. Texts that may no longer go out are settled here and
    /// take no slot.
    func claimAhead(from sender: SenderNumberID, at now: Date) async throws -> Ahead {
        try await app.transaction { sql, effects in
            let numbers = SenderNumberStore(sql)
            guard let slot = try await numbers.lockedSlot(of: sender) else { return .empty }
            let interval = 1 / slot.ratePerSecond
            let times = SendPacing.slots(
                nextSlot: slot.nextSendAt, now: now, ratePerSecond: slot.ratePerSecond,
                horizon: now.addingTimeInterval(Self.lookahead), limit: 200)
            guard !times.isEmpty else { return .notUntil(slot.nextSendAt) }
            let entries = try await OutboxStore(sql).claimBatch(
                for: sender, limit: times.count, at: now, worker: workerID)
            guard !entries.isEmpty else { return .empty }
            guard let stored = try await numbers.find(sender, in: entries[0].accountID) else { return .empty }
            var scheduled: [Scheduled] = []
            for entry in entries {
                guard let message = try await queuedMessage(entry, sql: sql, now: now) else {
                    try await OutboxStore(sql).remove(entry.id)
                    continue
                }
                switch try await handOffDecision(of: message, sql: sql, now: now) {
                case .refuse(let refusal):
                    try await cancel(message, entry: entry, because: refusal, sql: sql, effects: effects, now: now)
                    continue
                case .hold(let later, _):
                    try await OutboxStore(sql).hold(entry.id, until: later)
                    continue
                case .send:
                    break
                }
                scheduled.append(
                    Scheduled(job: Job(entry: entry, message: message, sender: stored), at: times[scheduled.count]))
            }
            guard let last = scheduled.last else { return .claimed([], nextSlot: slot.nextSendAt) }
            let next = last.at.addingTimeInterval(interval)
            try await numbers.setNextSendAt(next, of: sender)
            return .claimed(scheduled, nextSlot: next)
        }
    }

    /// Settles a text that must not go out after all; a triggered campaign's run counts it as skipped.
    private func cancel(
        _ message: Message, entry: OutboxStore.Entry, because reason: FieldlineError,
        sql: any SQLDatabase, effects: AfterCommit, now: Date
    ) async throws {
        try await MessageStore(sql).advance(
            message.id, to: .canceled, errorCode: reason.code, errorMessage: reason.message, at: now)
        try await OutboxStore(sql).remove(entry.id)
        if let automation = message.author.automation, Self.triggeredAutomations.contains(automation) {
            try await TriggeredCampaignStore(sql).withdraw(
                message: message.id, reason: reason.code, in: message.accountID)
        }
        effects.publish(
            .messageStatusChanged(conversationID: message.conversationID, messageID: message.id, status: .canceled),
            to: message.accountID)
    }

    static let triggeredAutomations: Set<Automation> = Set(TriggeredCampaignKind.allCases.map(\.automation))

    /// The text an outbox row sends, or nil when there is none to send: it is gone, or it is stored
    /// in a form this version cannot read, and then it fails with that reason (logged, and shown on
    /// the message) rather than going out as something else. The caller removes the row.
    private func queuedMessage(_ entry: OutboxStore.Entry, sql: any SQLDatabase, now: Date) async throws -> Message? {
        do {
            return try await MessageStore(sql).find(entry.messageID, in: entry.accountID)
        } catch let corrupt as CorruptRow {
            app.logger.error("Outbox: message \(entry.messageID.rawValue) not sent: \(corrupt)")
            try await MessageStore(sql).failUnreadable(entry.messageID, reason: corrupt, at: now)
            return nil
        }
    }

    /// The gate's answer for a queued text at the moment it would leave: consent, blocking, line
    /// type and registrations may have changed while it waited, its campaign or trigger may have
    /// withdrawn it, and a text held for quiet hours may have come due at night after all.
    private func handOffDecision(of message: Message, sql: any SQLDatabase, now: Date) async throws -> SendDecision {
        var withdrawn: FieldlineError?
        if message.author.automation == .campaign,
            try await CampaignStore(sql).isCanceled(message: message.id, in: message.accountID)
        {
            withdrawn = .conflict(
                code: .campaignCanceled, message: "The campaign was canceled before this text went out.")
        } else if message.author.automation == .estimateFollowUp || message.author.automation == .serviceReminder,
            let reason = try await TriggeredCampaignStore(sql).withdrawal(ofMessage: message.id, in: message.accountID)
        {
            withdrawn = .conflict(
                code: reason,
                message:
                    "The estimate was answered, the service changed, or the automatic text was turned off before it went out."
            )
        }
        do {
            let consent = try await ConsentStore(sql).consent(of: message.phone, in: message.accountID)
            // Every outbound text is written with its purpose; one without is judged as the most
            // ordinary kind, a conversation, rather than waved through.
            return SendDecision.decide(
                try await app.messenger.recipientFacts(
                    message.phone, consent: consent, purpose: message.purpose ?? .conversational,
                    automation: message.author.automation, accountID: message.accountID, sql: sql, now: now,
                    stage: .handOff(withdrawn: withdrawn)))
        } catch let corrupt as CorruptRow {
            // A fact about the recipient this version cannot read: the text is not sent on a guess,
            // and the rest of the queue goes on.
            logger.error("Outbox: message \(message.id.rawValue) not sent: \(corrupt)")
            return .refuse(.conflict(code: .corruptRow, message: corrupt.description))
        }
    }

    // MARK: Sending

    func send(_ job: Job) async {
        do {
            let provider = try app.sms.provider(for: job.sender.number.provider)
            let credentials = try app.senderNumbers.credentials(for: job.sender)
            let sms = OutgoingSMS(
                from: job.sender.number.number, to: job.message.phone, body: job.message.body,
                statusCallbackURL: job.sender.number.provider == .twilio
                    ? app.publicURL + "/webhooks/twilio/status" : nil)
            let outcome: Result<AcceptedSMS, SMSSendError>
            do {
                outcome = .success(try await provider.send(sms, credentials: credentials))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let accepted):
                try await recordAccepted(job, providerID: accepted.providerID, providerStatus: accepted.status)
            case .failure(.rejected(let code, let text)):
                try await recordRejected(job, code: code, text: text)
            case .failure(.transient(let text, let retryAfter)):
                try await retryLater(job, error: text, retryAfter: retryAfter)
            case .failure(.uncertain(let text)):
                logger.warning("Send of \(job.message.id) ended unclear (\(text)); it will be reconciled.")
                try await app.database.write { sql in
                    try await OutboxStore(sql).adopt(job.entry.id, worker: Self.unsure)
                }
            }
        } catch {
            // Credentials that cannot be opened, or the database failing mid-way: the row stays
            // claimed and is reconciled, so the text is neither lost nor sent twice.
            logger.error("Sending \(job.message.id) failed: \(error)")
            try? await app.database.write { sql in
                try await OutboxStore(sql).adopt(job.entry.id, worker: Self.unsure)
            }
        }
    }

    private func recordAccepted(_ job: Job, providerID: String, providerStatus: String) async throws {
        try await app.transaction { sql, effects in
            let messages = MessageStore(sql)
            try await messages.lockProviderID(providerID, in: job.message.accountID)
            try await messages.recordProviderID(providerID, of: job.message.id)
            let status = DeliveryStatus.fromProvider(providerStatus) ?? .sending
            // A provider that reports the final state at once (the console) skips straight there.
            try await messages.advance(job.message.id, to: .sending, at: app.clock.now())
            try await OutboxStore(sql).remove(job.entry.id)
            effects.publish(
                .messageStatusChanged(
                    conversationID: job.message.conversationID, messageID: job.message.id, status: .sending),
                to: job.message.accountID)
            var updated = job.message
            updated.providerMessageID = providerID
            updated.status = .sending
            if status != .sending {
                try await app.deliveryReports.apply(
                    .init(providerMessageID: providerID, status: providerStatus, errorCode: nil, errorMessage: nil),
                    to: updated, sql: sql, effects: effects)
            }
            if let held = try await messages.takeHeldReport(providerMessageID: providerID, in: job.message.accountID) {
                try await app.deliveryReports.apply(held, to: updated, sql: sql, effects: effects)
            }
        }
    }

    private func recordRejected(_ job: Job, code: String?, text: String) async throws {
        try await app.transaction { sql, effects in
            try await OutboxStore(sql).remove(job.entry.id)
            try await app.deliveryReports.apply(
                .init(
                    providerMessageID: job.message.providerMessageID ?? "", status: "failed", errorCode: code ?? "",
                    errorMessage: text),
                to: job.message, sql: sql, effects: effects)
            if code == nil {
                // No provider code: keep the provider's own words.
                try await MessageStore(sql).setError(message: text, of: job.message.id)
            }
        }
    }

    private func retryLater(_ job: Job, error: String, retryAfter: TimeInterval?) async throws {
        try await app.transaction { sql, effects in
            switch RetryPolicy.texts.outcome(
                of: .passing(error, retryAfter: retryAfter), afterAttempts: job.entry.attempts)
            {
            case .fail(let reason):
                try await OutboxStore(sql).remove(job.entry.id)
                try await MessageStore(sql).advance(
                    job.message.id, to: .failed, errorMessage: reason, at: app.clock.now())
                effects.publish(
                    .messageStatusChanged(
                        conversationID: job.message.conversationID, messageID: job.message.id, status: .failed),
                    to: job.message.accountID)
            case .retry(let delay, let reason):
                try await OutboxStore(sql).release(
                    job.entry.id, notBefore: app.clock.now().addingTimeInterval(delay), error: reason)
            }
        }
    }

    // MARK: Reconciling

    /// Rows claimed by a worker that died, or whose send ended unclear, are matched against the
    /// provider's list of texts sent from that number to that recipient since the claim: found,
    /// the text is recorded as sent; not found, it goes back to the queue.
    func reconcileAbandoned() async throws {
        let now = app.clock.now()
        let adopted: [OutboxStore.Entry] = try await app.database.write { sql in
            let outbox = OutboxStore(sql)
            let live = Array(
                Set(try await outbox.liveWorkers(since: now.addingTimeInterval(-deadAfter)) + [workerID]))
            let rows = try await outbox.abandoned(liveWorkers: live, limit: 100)
            for row in rows { try await outbox.adopt(row.id, worker: workerID) }
            return rows
        }
        for entry in adopted {
            do {
                try await reconcile(entry)
            } catch {
                logger.warning("Could not reconcile \(entry.messageID) yet: \(error)")
                try await app.database.write { sql in try await OutboxStore(sql).adopt(entry.id, worker: Self.unsure) }
            }
        }
    }

    private func reconcile(_ entry: OutboxStore.Entry) async throws {
        // A write: a message this version cannot read is failed here, not reconciled forever.
        let found = try await app.database.write { sql -> (Message, SenderNumberStore.Stored)? in
            guard let message = try await queuedMessage(entry, sql: sql, now: app.clock.now()),
                let sender = try await SenderNumberStore(sql).find(entry.senderNumberID, in: entry.accountID)
            else { return nil }
            return (message, sender)
        }
        guard let (message, sender) = found else {
            try await app.database.write { sql in try await OutboxStore(sql).remove(entry.id) }
            return
        }
        let job = Job(entry: entry, message: message, sender: sender)
        let provider = try app.sms.provider(for: sender.number.provider)
        let since = (entry.claimedAt ?? entry.createdAt).addingTimeInterval(-120)
        let sent = try await provider.sentMessages(
            from: sender.number.number, to: message.phone, since: since,
            credentials: try app.senderNumbers.credentials(for: sender))
        let candidates = sent.filter { $0.body == message.body && !$0.providerID.isEmpty }
        let known = try await app.database.read { sql in
            try await MessageStore(sql).knownProviderIDs(candidates.map(\.providerID), in: message.accountID)
        }
        // The provider lists newest first; the oldest unclaimed match is the one this row sent.
        if let match = candidates.reversed().first(where: { !known.contains($0.providerID) }) {
            logger.info("Reconciled \(message.id): the provider has it as \(match.providerID).")
            try await recordAccepted(job, providerID: match.providerID, providerStatus: match.status)
        } else {
            try await app.database.write { sql in
                try await OutboxStore(sql).release(
                    entry.id, notBefore: app.clock.now(), error: "Not found at the provider after an interrupted send.")
            }
        }
    }

    // MARK: Upkeep

    private func heartbeat(at instant: Date) async throws {
        try await app.database.write { sql in try await OutboxStore(sql).heartbeat(worker: self.workerID, at: instant) }
    }

    private func prune(before instant: Date) async throws {
        try await app.database.write { sql in
            try await OutboxStore(sql).pruneWorkers(before: instant)
            try await MessageStore(sql).pruneHeldReports(before: instant)
        }
    }
}
