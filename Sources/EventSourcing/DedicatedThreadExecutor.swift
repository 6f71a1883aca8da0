import Foundation
import Synchronization

/// A task executor that runs every job on one dedicated thread.
///
/// The writer's loop prefers it, so deciding a batch, the LMDB commit (synchronous, fsync included)
/// and answering callers all happen on one thread, outside the cooperative pool: the fsync never
/// blocks a pool thread, and a command costs two thread hand-offs (submit, answer) instead of the four
/// an actor plus a dispatch queue would add.
public final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private struct State: ~Copyable {
        var jobs: [UnownedJob] = []
        var isShuttingDown = false
    }

    private let state = Mutex(State())
    private let condition = NSCondition()
    private var thread: Thread?

    /// Starts the thread.
    public init(name: String) {
        let thread = Thread { [unowned self] in self.runLoop() }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        state.withLock { $0.jobs.append(unowned) }
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread finish the jobs it has and exit.
    public func shutdown() {
        condition.lock()
        state.withLock { $0.isShuttingDown = true }
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        while true {
            condition.lock()
            var batch: [UnownedJob] = []
            var finished = false
            while true {
                (batch, finished) = state.withLock { state in
                    defer { state.jobs.removeAll(keepingCapacity: true) }
                    return (state.jobs, state.isShuttingDown)
                }
                if !batch.isEmpty || finished { break }
                condition.wait()
            }
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            if finished && batch.isEmpty { return }
        }
    }
}
