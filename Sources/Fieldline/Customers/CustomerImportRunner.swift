import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import Logging
import SQLKit
import ServiceLifecycle

extension CustomerImports {
    /// Claims the next import due (or one whose worker stopped) and runs it to its end; nil when
    /// there is none. `progress` hears after every committed batch.
    @discardableResult
    public func runNext(
        only: CustomerImportID? = nil, progress: (CustomerImport) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) async throws -> CustomerImport? {
        let now = app.clock.now()
        guard
            let claimed = try await app.database.write({ sql in
                try await CustomerImportStore(sql).claim(
                    at: now, staleBefore: now.addingTimeInterval(-Self.lease), only: only)
            })
        else { return nil }
        return try await run(claimed, progress: progress, shouldStop: shouldStop)
    }

    /// Imports the rows after `rowsDone`, a batch per transaction. Returns the import as this
    /// worker left it: done, failed, or — when it was cancelled or taken over — as far as it got.
    func run(
        _ claimed: CustomerImport, progress: (CustomerImport) -> Void, shouldStop: () -> Bool
    ) async throws -> CustomerImport {
        var value = claimed
        // An import whose batches keep failing for a reason that is not the file's (claimed again
        // and again) stops instead of retrying for ever with its bar standing still.
        if claimed.attempts > Self.maximumAttempts {
            value.state = .failed
            value.failure =
                "Stopped at row \((value.rowsDone + 1).formatted()) after \(Self.maximumAttempts) attempts; the server log has the error. The rows before it are imported."
            let now = app.clock.now()
            let ended = value
            _ = try await app.database.write { sql in try await CustomerImportStore(sql).finish(ended, at: now) }
            progress(value)
            return value
        }
        var header = true
        var seen = 0
        var batch: [CSVRecord] = []
        var lost = false
        var stopping = false
        do {
            try await records(of: value) { record in
                if header {
                    header = false
                    return true
                }
                guard !record.isBlank else { return true }
                seen += 1
                guard seen > value.rowsDone else { return true }
                batch.append(record)
                guard batch.count == Self.batchSize else { return true }
                guard let next = try await commit(batch, of: value) else {
                    lost = true
                    return false
                }
                value = next
                batch.removeAll(keepingCapacity: true)
                progress(value)
                stopping = shouldStop()
                return !stopping
            }
            if lost { return value }
            if stopping {
                // The server is stopping: hand the import back, so the next one to start resumes
                // it at once instead of waiting for the claim to go stale.
                let paused = value
                _ = try await app.database.write { sql in try await CustomerImportStore(sql).release(paused) }
                return value
            }
            if !batch.isEmpty {
                guard let next = try await commit(batch, of: value) else { return value }
                value = next
            }
            value.state = .done
        } catch let error as FieldlineError {
            // The stored file no longer reads as it did when it was checked: nothing more can be
            // imported from it, and saying so beats retrying for ever.
            value.state = .failed
            value.failure = "Stopped at row \((value.rowsDone + 1).formatted()): \(error.message)"
        }
        let now = app.clock.now()
        let ended = value
        _ = try await app.database.write { sql in try await CustomerImportStore(sql).finish(ended, at: now) }
        value.finishedAt = now
        progress(value)
        app.logger.info(
            "Customer import \(value.id) \(value.state.rawValue): \(value.created) created, \(value.merged) merged, \(value.skipped) skipped, \(value.failed) failed."
        )
        return value
    }

    /// Imports one batch in one transaction with the import's new position; nil when the claim
    /// was lost (the import was cancelled, or another worker took it over after a stall), in
    /// which case nothing of the batch is kept.
    private func commit(_ batch: [CSVRecord], of value: CustomerImport) async throws -> CustomerImport? {
        let rows = batch.map { ($0, Self.read($0, value)) }
        for attempt in 1...3 {
            let now = app.clock.now()
            do {
                return try await app.database.write { sql in
                    let store = CustomerImportStore(sql)
                    // The claim first: on PostgreSQL this also locks the import against a cancel,
                    // and a worker whose claim was taken over writes nothing.
                    guard try await store.recordBatch(value, at: now) else { throw ClaimLost() }
                    var next = value
                    let outcome = try await ImportBatch(
                        account: value.accountID, duplicates: value.duplicates, now: now
                    )
                    .apply(rows, sql: sql, secrets: app.secrets)
                    next.rowsDone += batch.count
                    next.created += outcome.created
                    next.merged += outcome.merged
                    next.skipped += outcome.skipped
                    next.failed += outcome.failed
                    try await store.insertProblems(outcome.problems, of: value.id)
                    guard try await store.recordBatch(next, at: now) else { throw ClaimLost() }
                    return next
                }
            } catch is ClaimLost {
                return nil
            } catch  where attempt < 3 && StoreErrors.isUniqueViolation(error) {
                // Someone added one of these numbers between the batch's lookup and its insert
                // (PostgreSQL, another server): run the batch again, which now sees it.
                continue
            }
        }
        return nil
    }

    private struct ClaimLost: Error {}
    static let maximumAttempts = 5
}

/// One batch of rows turned into customers inside a transaction: duplicates found against the
/// account (and earlier rows of the batch), new customers written in bulk, merges applied.
struct ImportBatch {
    let account: AccountID
    let duplicates: DuplicatePolicy
    let now: Date

    struct Outcome {
        var created = 0
        var merged = 0
        var skipped = 0
        var failed = 0
        var problems: [ImportProblem] = []
    }

    /// A customer the batch creates or changes, gathered before anything is written.
    private struct Draft {
        var customer: Customer
        var isNew: Bool
        /// The line of this file a new customer came from.
        var line: Int?
        var location: ServiceLocation?
        var knownStreets: Set<String>
        var knownEmails: Set<EmailAddress>
        var newPhones: [PhoneContact] = []
        var newEmails: [EmailContact] = []
        var newLocations: [ServiceLocation] = []
        var changed = false
    }

    func apply(
        _ rows: [(CSVRecord, Result<ImportedCustomer, FieldlineError>)], sql: any SQLDatabase, secrets: SecretBox?
    ) async throws -> Outcome {
        let store = CustomerStore(sql)
        let readable = rows.compactMap { try? $0.1.get() }
        let phoneOwners = try await store.phoneOwners(readable.flatMap { $0.phones.map(\.number) }, in: account)
        let emailOwners = try await store.emailOwners(readable.flatMap(\.emails), in: account)
        let matched = Array(Set(phoneOwners.values).union(emailOwners.values))
        // An erased customer takes nothing more (merging into one would undo the erasure).
        let existing = try await store.customers(matched, in: account).filter { $0.value.erasedAt == nil }

        var drafts: [CustomerID: Draft] = [:]
        var order: [CustomerID] = []
        if duplicates == .merge, !matched.isEmpty {
            let streets = Dictionary(
                grouping: try await store.locations(ofCustomers: matched, in: account), by: \.customerID)
            let emails = Dictionary(
                grouping: try await store.emails(ofCustomers: matched, in: account), by: \.customerID)
            for (id, customer) in existing {
                drafts[id] = Draft(
                    customer: customer, isNew: false, location: nil,
                    knownStreets: Set((streets[id] ?? []).map { Self.streetKey($0.address) }),
                    knownEmails: Set((emails[id] ?? []).map(\.address)))
            }
        }
        // Numbers and addresses as this batch leaves them: an earlier row's number is taken.
        var phoneOwner = phoneOwners
        var emailOwner = emailOwners
        var outcome = Outcome()

        for (record, result) in rows {
            let row: ImportedCustomer
            switch result {
            case .failure(let error):
                outcome.failed += 1
                outcome.problems.append(
                    ImportProblem(line: record.line, kind: .failed, message: error.message, cells: record.fields))
                continue
            case .success(let customer):
                row = customer
            }
            let owner =
                row.phones.lazy.compactMap { phoneOwner[$0.number] }.first
                ?? row.emails.lazy.compactMap { emailOwner[$0] }.first
            guard let owner else {
                let id = CustomerID.generate()
                var draft = Draft(
                    customer: Customer(
                        id: id, accountID: account, name: row.name, notes: row.notes, tags: row.tags, createdAt: now,
                        updatedAt: now),
                    isNew: true, line: record.line, location: nil, knownStreets: [], knownEmails: [])
                add(row, to: &draft, phoneOwner: &phoneOwner, emailOwner: &emailOwner)
                drafts[id] = draft
                order.append(id)
                outcome.created += 1
                continue
            }
            let ownerName = drafts[owner]?.customer.name ?? existing[owner]?.name ?? "a customer"
            let whose = drafts[owner]?.line.map { "line \($0) of this file" } ?? "already a customer"
            let how = row.phones.contains { phoneOwner[$0.number] == owner } ? "phone number" : "email"
            switch duplicates {
            case .skip:
                outcome.skipped += 1
                outcome.problems.append(
                    ImportProblem(
                        line: record.line, kind: .duplicate,
                        message: "Same \(how) as \(ownerName) (\(whose)): skipped.",
                        cells: record.fields))
            case .merge:
                guard var draft = drafts[owner] else {
                    // Matched a customer this account had erased in the meantime: nothing to merge into.
                    outcome.failed += 1
                    outcome.problems.append(
                        ImportProblem(
                            line: record.line, kind: .failed, message: "The customer this row matches was erased.",
                            cells: record.fields))
                    continue
                }
                var merged = draft.customer
                merged.tags = (try? Customer.validatedTags(merged.tags + row.tags)) ?? merged.tags
                if let notes = row.notes, !(merged.notes ?? "").contains(notes) {
                    let joined = [merged.notes, notes].compactMap { $0 }.joined(separator: "\n")
                    merged.notes = String(joined.prefix(5000))
                }
                if merged != draft.customer {
                    merged.updatedAt = now
                    draft.customer = merged
                    draft.changed = true
                }
                add(row, to: &draft, phoneOwner: &phoneOwner, emailOwner: &emailOwner)
                if !draft.isNew && !order.contains(owner) { order.append(owner) }
                drafts[owner] = draft
                outcome.merged += 1
            }
        }

        let touched = order.compactMap { drafts[$0] }
        let created = touched.filter(\.isNew)
        try await store.insert(customers: created.map(\.customer))
        for draft in touched where !draft.isNew && draft.changed { try await store.update(draft.customer) }
        try await store.insert(locations: touched.flatMap(\.newLocations))
        let phones = touched.flatMap(\.newPhones)
        try await store.insert(phones: phones)
        try await store.insert(emails: touched.flatMap(\.newEmails))
        // A number of a customer the account erased gets its kept consent history back (OP3).
        if !phones.isEmpty, let key = try await AccountStore(sql).existingErasureKey(of: account) {
            let consent = ConsentStore(sql)
            for phone in phones {
                _ = try await consent.relinkErased(
                    phone.number, hashed: ErasureHash.of(phone.number.e164, accountKey: key, secrets: secrets),
                    in: account)
            }
        }
        return outcome
    }

    /// Adds a row's numbers, emails and address to a customer being created or merged into;
    /// a number that belongs to someone else stays theirs.
    private func add(
        _ row: ImportedCustomer, to draft: inout Draft, phoneOwner: inout [PhoneNumber: CustomerID],
        emailOwner: inout [EmailAddress: CustomerID]
    ) {
        let id = draft.customer.id
        for phone in row.phones where phoneOwner[phone.number] == nil {
            phoneOwner[phone.number] = id
            // Imported numbers are not opted in to anything: job texts are on as for any number
            // the office adds, marketing stays off until the customer agrees (CP rules).
            draft.newPhones.append(
                PhoneContact(
                    id: .generate(), accountID: account, customerID: id, number: phone.number, kind: phone.kind,
                    label: phone.label, preferences: NotificationPreferences(), createdAt: now))
        }
        for email in row.emails where !draft.knownEmails.contains(email) {
            draft.knownEmails.insert(email)
            if emailOwner[email] == nil { emailOwner[email] = id }
            draft.newEmails.append(
                EmailContact(
                    id: .generate(), accountID: account, customerID: id, address: email, jobNotifications: true,
                    createdAt: now))
        }
        if let address = row.address, !draft.knownStreets.contains(Self.streetKey(address)) {
            draft.knownStreets.insert(Self.streetKey(address))
            draft.newLocations.append(
                ServiceLocation(
                    id: .generate(), accountID: account, customerID: id, name: nil, address: address, verified: false,
                    coordinates: nil, createdAt: now))
        }
    }

    /// Two spellings of one address count as the same place: case, spaces and punctuation aside.
    static func streetKey(_ address: Address) -> String {
        (address.street + " " + address.postalCode).lowercased().filter { $0.isLetter || $0.isNumber }
    }
}

/// Runs imports in the background: a started import is picked up at once (signalled), and one
/// whose server stopped is resumed by the next worker once its claim is stale. Uploads left
/// half-way are removed after a day, uploads never started are discarded after a week, and the
/// problem rows of an import (customers' details) are deleted 30 days after it ended.
public final class CustomerImportWorker: Service, Sendable {
    let app: Fieldline
    let interval: TimeInterval

    public init(app: Fieldline, interval: TimeInterval = 60) {
        self.app = app
        self.interval = interval
    }

    public func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            while !stopping.isSet && !Task.isCancelled {
                do {
                    while !stopping.isSet,
                        try await app.customerImports.runNext(shouldStop: { stopping.isSet }) != nil
                    {}
                    let now = app.clock.now()
                    _ = try await app.database.write { sql in
                        let store = CustomerImportStore(sql)
                        _ = try await store.removeAbandonedUploads(before: now.addingTimeInterval(-86_400))
                        try await store.expire(
                            mappingBefore: now.addingTimeInterval(-7 * 86_400),
                            reportsBefore: now.addingTimeInterval(-30 * 86_400), at: now)
                    }
                } catch {
                    app.logger.error("Customer imports: \(error)")
                }
                await app.importSignal.wait(timeout: interval)
            }
        } onGracefulShutdown: { [app] in
            stopping.set()
            app.importSignal.signal()
        }
    }
}
