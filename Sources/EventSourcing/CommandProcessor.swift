import Foundation
import Synchronization

/// The single writer: decides commands in arrival order against the in-memory state and commits each
/// batch of their events in one durable append (group commit).
///
/// Callers submit concurrently; the processor takes everything that queued up while the previous
/// commit was in flight, decides each command against the state as left by the ones before it, writes
/// all their events in one transaction (one fsync), and only then answers every caller. Invariants such
/// as capacity are therefore checked by one writer, so racing requests can never overbook.
///
/// If a commit fails, every caller in the batch gets the error and the state is reloaded from the log,
/// so it again equals the fold of what is durable.
public final class CommandProcessor<D: Decider, Codec: EventCodec, Log: EventLog>: Sendable where Codec.Event == D.Event {
    /// One command with its envelope facts.
    public struct Submission: Sendable {
        public var command: D.Command
        public var metadata: EventMetadata
        /// When the command was received, milliseconds since 1970 (UTC); also the events' `recordedAt`.
        public var receivedAt: Int64

        public init(command: D.Command, metadata: EventMetadata, receivedAt: Int64) {
            self.command = command
            self.metadata = metadata
            self.receivedAt = receivedAt
        }
    }

    /// What became of a command.
    public enum Outcome: Sendable {
        /// The command's events are durable (empty when nothing needed to happen). `isReplay` is true
        /// when its idempotency key had been used: these are the original events and nothing was written.
        case accepted([CommittedEvent<D.Event>], isReplay: Bool)
        /// The domain refused the command; nothing was written.
        case rejected(D.Rejection)
    }

    private struct Pending: Sendable {
        var submission: Submission
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct Queue: ~Copyable {
        var pending: [Pending] = []
        var wakeUp: CheckedContinuation<Void, Never>?
        var isStopped = false
    }

    private let log: Log
    private let codec: Codec
    private let makeEventID: @Sendable () -> UUID
    private let reloadState: @Sendable () async throws -> D.State
    private let onCommit: @Sendable ([CommittedEvent<D.Event>]) -> Void
    private let onCommitFailure: @Sendable (CommandProcessorError) -> Void
    private let maxBatchSize: Int
    private let queue = Mutex(Queue())
    private let state: Mutex<D.State>
    private let needsReload = Atomic<Bool>(false)
    private let metrics: Mutex<Metrics>

    /// Counters for operators and benchmarks.
    public struct Metrics: Sendable, Equatable {
        public var batches = 0
        public var commands = 0
        public var events = 0
        public var failedCommits = 0
        /// Why the last commit failed, while no commit has succeeded since; `nil` when the last one succeeded.
        public var lastCommitFailure: CommandProcessorError?
        public var largestBatch = 0
        /// Time spent in commits (the append, fsync included), in nanoseconds.
        public var commitNanoseconds: Int64 = 0
    }

    /// Creates a processor over `state`, which must be the fold of everything in `log`.
    /// - Parameters:
    ///   - onCommit: called with each batch's events, in log order, after they are durable and before
    ///     any caller is answered, so a read model fed from here gives callers read-your-writes without
    ///     reading the events back from the log.
    ///   - onCommitFailure: called once per failed commit (not once per caller), for the operator's log.
    ///   - reloadState: rebuilds the state from the log after a failed commit.
    public init(
        log: Log, codec: Codec, state: D.State, maxBatchSize: Int = 2048,
        makeEventID: @escaping @Sendable () -> UUID = { UUID.random() },
        onCommit: @escaping @Sendable ([CommittedEvent<D.Event>]) -> Void = { _ in },
        onCommitFailure: @escaping @Sendable (CommandProcessorError) -> Void = { _ in },
        reloadState: @escaping @Sendable () async throws -> D.State
    ) {
        self.onCommit = onCommit
        self.onCommitFailure = onCommitFailure
        self.log = log
        self.codec = codec
        self.state = Mutex(state)
        self.maxBatchSize = maxBatchSize
        self.makeEventID = makeEventID
        self.reloadState = reloadState
        self.metrics = Mutex(Metrics())
    }

    /// Submits a command and returns once its events are durable, or it was rejected.
    /// Throws when the batch's commit failed or the processor is stopped.
    public func submit(_ submission: Submission) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let wakeUp: CheckedContinuation<Void, Never>?
            let accepted: Bool
            (accepted, wakeUp) = queue.withLock { queue in
                guard !queue.isStopped else { return (false, nil) }
                queue.pending.append(Pending(submission: submission, continuation: continuation))
                defer { queue.wakeUp = nil }
                return (true, queue.wakeUp)
            }
            if accepted { wakeUp?.resume() } else { continuation.resume(throwing: CommandProcessorError.stopped) }
        }
    }

    /// Submits a command, the short way.
    public func submit(_ command: D.Command, metadata: EventMetadata, receivedAt: Int64) async throws -> Outcome {
        try await submit(Submission(command: command, metadata: metadata, receivedAt: receivedAt))
    }

    /// A copy of the current write-side state (for tests and diagnostics).
    public var currentState: D.State { state.withLock { $0 } }

    /// Counters so far.
    public var currentMetrics: Metrics { metrics.withLock { $0 } }

    /// Runs the writer loop until the task is cancelled; then refuses new commands and fails queued ones.
    ///
    /// The loop runs on its own thread (``DedicatedThreadExecutor``); a log whose `append` does not
    /// suspend (the LMDB one) then commits on that thread too.
    public func run() async {
        let executor = DedicatedThreadExecutor(name: "booking.writer")
        defer { executor.shutdown() }
        await withTaskExecutorPreference(executor) {
            while let batch = await nextBatch() {
                await process(batch)
            }
        }
        let leftovers = queue.withLock { queue in
            queue.isStopped = true
            defer { queue.pending = [] }
            return queue.pending
        }
        for pending in leftovers { pending.continuation.resume(throwing: CommandProcessorError.stopped) }
    }

    private func nextBatch() async -> [Pending]? {
        while !Task.isCancelled {
            let batch = queue.withLock { queue -> [Pending] in
                let count = min(queue.pending.count, maxBatchSize)
                defer { queue.pending.removeFirst(count) }
                return Array(queue.pending.prefix(count))
            }
            if !batch.isEmpty { return batch }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = queue.withLock { queue in
                        if !queue.pending.isEmpty || queue.isStopped { return true }
                        queue.wakeUp = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let wakeUp = queue.withLock { queue in
                    queue.isStopped = true
                    defer { queue.wakeUp = nil }
                    return queue.wakeUp
                }
                wakeUp?.resume()
            }
        }
        return nil
    }

    /// How a batch member will be answered once the commit is done.
    private enum Answer {
        case outcome(Outcome)
        /// Answered by append request `index`, whose domain events are `events`.
        case request(index: Int, events: [D.Event])
        /// Shares the answer of an earlier member with the same idempotency key.
        case sameAs(Int)
    }

    private func process(_ batch: [Pending]) async {
        if needsReload.load(ordering: .relaxed) {
            do {
                let reloaded = try await reloadState()
                state.withLock { $0 = reloaded }
                needsReload.store(false, ordering: .relaxed)
            } catch {
                for pending in batch { pending.continuation.resume(throwing: CommandProcessorError.storeUnavailable(String(describing: error))) }
                return
            }
        }

        var answers: [Answer] = []
        answers.reserveCapacity(batch.count)
        var requests: [AppendRequest] = []
        var firstMemberByKey: [String: Int] = [:]
        var prefetchFailure: (any Error)?

        for (memberIndex, pending) in batch.enumerated() {
            let submission = pending.submission
            if let key = submission.metadata.idempotencyKey {
                if let first = firstMemberByKey[key] {
                    answers.append(.sameAs(first))
                    continue
                }
                firstMemberByKey[key] = memberIndex
                do {
                    if let original = try await log.events(forIdempotencyKey: key) {
                        let committed = try original.map { CommittedEvent(event: try codec.decode($0), record: $0) }
                        answers.append(.outcome(.accepted(committed, isReplay: true)))
                        continue
                    }
                } catch {
                    prefetchFailure = error
                    break
                }
            }
            let decision = state.withLock { state -> Result<[D.Event], D.Rejection> in
                let events: [D.Event]
                do throws(D.Rejection) {
                    events = try D.decide(submission.command, state)
                } catch {
                    return .failure(error)
                }
                for event in events { D.evolve(&state, event) }
                return .success(events)
            }
            switch decision {
            case .failure(let rejection):
                answers.append(.outcome(.rejected(rejection)))
            case .success(let events) where events.isEmpty:
                answers.append(.outcome(.accepted([], isReplay: false)))
            case .success(let events):
                let proposed = events.map { event in
                    let encoded = codec.encode(event)
                    return ProposedEvent(
                        eventID: makeEventID(), stream: encoded.stream, type: encoded.type,
                        schemaVersion: encoded.schemaVersion, payload: encoded.payload)
                }
                answers.append(.request(index: requests.count, events: events))
                requests.append(AppendRequest(events: proposed, metadata: submission.metadata, recordedAt: submission.receivedAt))
            }
        }

        let results: [AppendResult]
        do {
            if let prefetchFailure { throw prefetchFailure }
            let commitStarted = ContinuousClock.now
            results = requests.isEmpty ? [] : try await log.append(requests)
            let commitTime = ContinuousClock.now - commitStarted
            metrics.withLock {
                $0.commitNanoseconds += commitTime.components.seconds * 1_000_000_000 + commitTime.components.attoseconds / 1_000_000_000
            }
        } catch {
            fail(batch, requests: requests, error: error)
            return
        }

        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.count)
        var committed: [CommittedEvent<D.Event>] = []
        for answer in answers {
            switch answer {
            case .outcome(let outcome):
                outcomes.append(outcome)
            case .sameAs(let first):
                outcomes.append(Self.replayed(outcomes[first]))
            case .request(let index, let events):
                switch results[index] {
                case .appended(let records):
                    let events = zip(events, records).map { CommittedEvent(event: $0, record: $1) }
                    committed += events
                    outcomes.append(.accepted(events, isReplay: false))
                case .duplicate, .versionMismatch:
                    // The processor checked keys and uses `.any`, so the log disagreeing means the in-memory
                    // state is not what is durable: fail everyone and reload rather than guess.
                    fail(batch, requests: requests, error: CommandProcessorError.inconsistentLog(String(describing: results[index])))
                    return
                }
            }
        }
        if !committed.isEmpty { onCommit(committed) }
        metrics.withLock { metrics in
            metrics.batches += 1
            metrics.commands += batch.count
            metrics.events += requests.reduce(0) { $0 + $1.events.count }
            metrics.largestBatch = max(metrics.largestBatch, batch.count)
            if !requests.isEmpty { metrics.lastCommitFailure = nil }
        }
        for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(returning: outcome) }
    }

    private static func replayed(_ outcome: Outcome) -> Outcome {
        if case .accepted(let events, _) = outcome { return .accepted(events, isReplay: true) }
        return outcome
    }

    private func fail(_ batch: [Pending], requests: [AppendRequest], error: any Error) {
        // The state already holds this batch's events; they are not durable, so it must be rebuilt.
        if !requests.isEmpty { needsReload.store(true, ordering: .relaxed) }
        let failure =
            switch error {
            case let full as StoreOutOfSpace: CommandProcessorError.outOfSpace(full.detail)
            case let known as CommandProcessorError: known
            default: CommandProcessorError.commitFailed(String(describing: error))
            }
        metrics.withLock {
            $0.failedCommits += 1
            $0.lastCommitFailure = failure
        }
        onCommitFailure(failure)
        for pending in batch { pending.continuation.resume(throwing: failure) }
    }
}

/// Why a submitted command got no outcome.
public enum CommandProcessorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The processor is shutting down.
    case stopped
    /// The batch's commit failed; nothing of it was written.
    case commitFailed(String)
    /// The batch's commit failed because the store is out of space; nothing of it was written.
    case outOfSpace(String)
    /// The state could not be reloaded after a failed commit.
    case storeUnavailable(String)
    /// The log contradicted the in-memory state.
    case inconsistentLog(String)

    /// `out_of_space` or `commit_failed`: the name operators see in `/health` and the log.
    public var kind: String {
        if case .outOfSpace = self { "out_of_space" } else { "commit_failed" }
    }

    public var description: String {
        switch self {
        case .stopped: "the command processor is stopped"
        case .commitFailed(let reason): "commit failed: \(reason)"
        case .outOfSpace(let detail): "commit failed, the event store is out of space: \(detail)"
        case .storeUnavailable(let reason): "event store unavailable: \(reason)"
        case .inconsistentLog(let reason): "event log disagrees with the in-memory state: \(reason)"
        }
    }
}
