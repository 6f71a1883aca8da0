import EventSourcing
import Logging
import Synchronization

/// Tells the operator why commits fail, without flooding the log: a full disk fails every write
/// request, and one error line per commit would add to the problem. The first failure of a kind is
/// logged at once; repeats of it at most every `interval`, with how many were left out.
final class CommitFailureLog: Sendable {
    private struct State {
        var lastKind: String?
        var lastLogged: ContinuousClock.Instant?
        var suppressed = 0
    }

    private let logger: Logger
    private let interval: Duration
    private let state = Mutex(State())

    init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    func record(_ failure: CommandProcessorError) {
        let kind = failure.kind
        let now = ContinuousClock.now
        let suppressedBefore: Int? = state.withLock { state in
            if state.lastKind == kind, let last = state.lastLogged, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer {
                state.lastKind = kind
                state.lastLogged = now
                state.suppressed = 0
            }
            return state.suppressed
        }
        guard let suppressedBefore else { return }
        var metadata: Logger.Metadata = ["error": "\(failure)", "kind": "\(kind)"]
        if suppressedBefore > 0 { metadata["failures_not_logged"] = "\(suppressedBefore)" }
        let advice =
            kind == "out_of_space"
            ? "commit failed: the event store is out of space; write requests get 503 until there is room"
            : "commit failed; the batch's callers got 503 and nothing of it was written"
        logger.error("\(advice)", metadata: metadata)
    }
}
