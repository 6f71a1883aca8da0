import BookingDomain
import Synchronization

/// The read model shared between the task that feeds it from the log and the tasks that answer
/// requests.
///
/// A mutex rather than an actor: reads are short and synchronous, and a request handler should not
/// hop executors to look up a user. ``waitUntil(position:)`` gives read-your-writes: after a command
/// commits at position N, the handler waits for N before answering from the model.
public final class BookingProjection: Sendable {
    private struct Waiter {
        let position: Int64
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var model: BookingReadModel
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiterID: UInt64 = 0
        /// No waiter wants a position below this, so most applies skip the scan of waiters. May be
        /// stale-low after a cancellation, which only costs one extra scan.
        var lowestAwaitedPosition: Int64 = .max

        /// Removes and returns the waiters the model has now caught up with.
        mutating func takeSatisfiedWaiters() -> [CheckedContinuation<Void, Never>] {
            guard model.position >= lowestAwaitedPosition else { return [] }
            var satisfied: [CheckedContinuation<Void, Never>] = []
            var lowest = Int64.max
            for (id, waiter) in waiters {
                if waiter.position <= model.position {
                    satisfied.append(waiter.continuation)
                    waiters[id] = nil
                } else {
                    lowest = min(lowest, waiter.position)
                }
            }
            lowestAwaitedPosition = lowest
            return satisfied
        }
    }

    private let state: Mutex<State>

    /// Starts from `model`: empty for a full rebuild, or a model restored from a snapshot.
    public init(_ model: BookingReadModel = BookingReadModel()) {
        state = Mutex(State(model: model))
    }

    /// The last log position applied, for `/health`'s projection lag and for resuming a subscription.
    public var position: Int64 { state.withLock { $0.model.position } }

    /// Applies one event and wakes whoever was waiting for its position.
    public func apply(_ event: BookingEvent, position: Int64, recordedAt: Timestamp) {
        let satisfied = state.withLock { state in
            state.model.apply(event, position: position, recordedAt: recordedAt)
            return state.takeSatisfiedWaiters()
        }
        // Resumed outside the lock: a resumed task may read the model straight away.
        for continuation in satisfied { continuation.resume() }
    }

    /// Applies a batch under one lock acquisition, the way the log subscription delivers events.
    public func apply(batch events: some Sequence<PositionedEvent>) {
        let satisfied = state.withLock { state in
            state.model.apply(batch: events)
            return state.takeSatisfiedWaiters()
        }
        for continuation in satisfied { continuation.resume() }
    }

    /// Runs `body` against the current model under the lock. Keep it short and synchronous: the feeder
    /// waits while it runs. Return copies of views, never the model itself, which would copy every
    /// index on the next write.
    public func read<Result, Failure: Error>(
        _ body: (borrowing BookingReadModel) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        try state.withLock { (state) throws(Failure) -> sending Result in try body(state.model) }
    }

    /// Returns once the model has applied `position`, at once if it already has.
    ///
    /// Throws `CancellationError` promptly when the waiting task is cancelled first, and forgets the
    /// waiter, so a client that went away leaves nothing behind.
    public func waitUntil(position target: Int64) async throws(CancellationError) {
        let id: UInt64? = state.withLock { state in
            guard state.model.position < target else { return nil }
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        guard let id else { return }

        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    // The cancellation flag is set before `onCancel` runs, so a cancellation that came
                    // before this registration is seen here and never leaves a waiter stranded.
                    if state.model.position >= target || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(position: target, continuation: continuation)
                    state.lowestAwaitedPosition = min(state.lowestAwaitedPosition, target)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { $0.waiters.removeValue(forKey: id)?.continuation }
            continuation?.resume()
        }

        if self.position < target { throw CancellationError() }
    }
}
