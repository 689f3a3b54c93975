import Foundation
import SQLKit
import Synchronization

/// SQLite's single writer, with group commit: transactions that arrive while another is running
/// wait in a queue, and the writer runs everything queued in one `BEGIN IMMEDIATE … COMMIT`.
/// Every caller hears back only after the commit. When one body throws, the shared transaction
/// is rolled back, that caller gets its error, and the others run again, each in a transaction of
/// its own — so transaction bodies must only touch the database (effects to run after a commit
/// are collected per attempt, see `Fieldline.transaction`). Under load this turns many small
/// commits, each writing its own WAL pages, into few larger ones.
final class GroupCommitWriter: Sendable {
    private final class Job: Sendable {
        /// Runs the caller's transaction body; cleared before the caller is answered, so nothing
        /// keeps it alive after.
        let body: Mutex<(@Sendable (any SQLDatabase) async -> Bool)?>
        /// Hands the caller its outcome, with the commit's error if the commit failed.
        let finish: @Sendable ((any Error)?) -> Void

        init(
            body: @escaping @Sendable (any SQLDatabase) async -> Bool,
            finish: @escaping @Sendable ((any Error)?) -> Void
        ) {
            self.body = Mutex(body)
            self.finish = finish
        }
    }

    /// The most transactions one commit carries.
    static let maximumBatch = 64

    private let connection: any SQLDatabase
    private let queue = Mutex<(jobs: [Job], waiter: CheckedContinuation<Void, Never>?, closed: Bool)>(([], nil, false))
    private let drainer = Mutex<Task<Void, Never>?>(nil)

    /// `executor` should run on the connection's own thread, so statements do not hop threads.
    init(connection: any SQLDatabase, executor: (any TaskExecutor)? = nil) {
        self.connection = connection
        let task = Task(executorPreference: executor) { await self.drain() }
        drainer.withLock { $0 = task }
    }

    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withoutActuallyEscaping(body) { body in
            let outcome = Mutex<Result<T, any Error>?>(nil)
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let job = Job(
                    body: { sql in
                        do {
                            let value = try await body(sql)
                            outcome.withLock { $0 = .success(value) }
                            return true
                        } catch {
                            outcome.withLock { $0 = .failure(error) }
                            return false
                        }
                    },
                    finish: { commitError in
                        let result = outcome.withLock { $0 } ?? .failure(CancellationError())
                        if let commitError, case .success = result {
                            continuation.resume(throwing: commitError)
                        } else {
                            continuation.resume(with: result)
                        }
                    })
                let (accepted, waiter) = queue.withLock { queue -> (Bool, CheckedContinuation<Void, Never>?) in
                    guard !queue.closed else { return (false, nil) }
                    queue.jobs.append(job)
                    let waiter = queue.waiter
                    queue.waiter = nil
                    return (true, waiter)
                }
                if accepted {
                    waiter?.resume()
                } else {
                    job.body.withLock { $0 = nil }
                    continuation.resume(throwing: DatabaseConfigurationError(message: "The database is closed."))
                }
            }
        }
    }

    /// Stops taking transactions and waits for the queued ones to finish.
    func close() async {
        let (waiter, task) = queue.withLock { queue in
            queue.closed = true
            let waiter = queue.waiter
            queue.waiter = nil
            return (waiter, drainer.withLock { $0 })
        }
        waiter?.resume()
        await task?.value
    }

    private func nextBatch() async -> [Job]? {
        while true {
            let batch = queue.withLock { queue -> [Job]? in
                if queue.jobs.isEmpty { return queue.closed ? nil : [] }
                let batch = Array(queue.jobs.prefix(Self.maximumBatch))
                queue.jobs.removeFirst(batch.count)
                return batch
            }
            guard let batch else { return nil }
            if !batch.isEmpty { return batch }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = queue.withLock { queue -> Bool in
                    if !queue.jobs.isEmpty || queue.closed { return true }
                    queue.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private func drain() async {
        while let batch = await nextBatch() {
            let outcomes = await run(batch)
            for (job, commitError) in zip(batch, outcomes) {
                job.body.withLock { $0 = nil }
                job.finish(commitError)
            }
        }
    }

    /// Runs the batch in one transaction; per job, the error of the commit that carried it, if any.
    private func run(_ batch: [Job]) async -> [(any Error)?] {
        guard batch.count > 1 else { return [await runAlone(batch[0])] }
        do {
            try await connection.raw("BEGIN IMMEDIATE").run()
        } catch {
            return batch.map { _ in error }
        }
        var failed: Int?
        for (index, job) in batch.enumerated() {
            guard let body = job.body.withLock({ $0 }) else { continue }
            if !(await body(connection)) {
                failed = index
                break
            }
        }
        guard let failed else {
            do {
                try await connection.raw("COMMIT").run()
                return batch.map { _ in nil }
            } catch {
                try? await connection.raw("ROLLBACK").run()
                return batch.map { _ in error }
            }
        }
        // One body failed: undo the shared transaction and give everyone else a transaction alone.
        try? await connection.raw("ROLLBACK").run()
        var outcomes: [(any Error)?] = []
        for (index, job) in batch.enumerated() {
            outcomes.append(index == failed ? nil : await runAlone(job))
        }
        return outcomes
    }

    private func runAlone(_ job: Job) async -> (any Error)? {
        guard let body = job.body.withLock({ $0 }) else { return nil }
        do {
            try await connection.raw("BEGIN IMMEDIATE").run()
        } catch {
            return error
        }
        guard await body(connection) else {
            try? await connection.raw("ROLLBACK").run()
            return nil
        }
        do {
            try await connection.raw("COMMIT").run()
            return nil
        } catch {
            try? await connection.raw("ROLLBACK").run()
            return error
        }
    }
}
