import Foundation

/// A few dedicated threads for blocking work (libcurl transfers, fsync), so it never occupies
/// Swift's cooperative pool, whose handful of threads must keep serving HTTP and the writer.
///
/// Jobs run in submission order across `threadCount` threads. The threads (and so the pool) live as
/// long as the process: create pools once, like ``mail``, not per message.
public final class BlockingPool: @unchecked Sendable {
    /// Shared by the mailers: two threads, so one slow SMTP server doesn't stall the outbox and sends
    /// stay bounded on a 2-core machine.
    public static let mail = BlockingPool(threadCount: 2, name: "mailer")

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [@Sendable () -> Void] = []

    /// Starts `threadCount` threads named `name-N`.
    public init(threadCount: Int, name: String) {
        precondition(threadCount > 0, "a pool needs at least one thread")
        for index in 0..<threadCount {
            let thread = Thread { [condition, self] in
                while true {
                    condition.lock()
                    while self.jobs.isEmpty { condition.wait() }
                    let job = self.jobs.removeFirst()
                    condition.unlock()
                    job()
                }
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Runs `work` on one of the pool's threads and resumes the caller with its result.
    public func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            condition.lock()
            jobs.append { continuation.resume(returning: work()) }
            condition.signal()
            condition.unlock()
        }
    }
}
