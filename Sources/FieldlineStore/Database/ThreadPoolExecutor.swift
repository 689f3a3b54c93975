import NIOPosix

/// A task executor that runs jobs on an `NIOThreadPool`. SQLite's writer connection gets a pool of
/// one thread, and the writer's task prefers this executor: the transaction bodies and the SQLite
/// calls they make then run one after another on that one thread, instead of hopping between the
/// cooperative pool and the SQLite thread (and waking each) for every statement.
final class ThreadPoolExecutor: TaskExecutor {
    let pool: NIOThreadPool

    init(pool: NIOThreadPool) {
        self.pool = pool
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        pool.submit { _ in job.runSynchronously(on: executor) }
    }
}
