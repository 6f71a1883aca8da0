import BookingDomain
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation
import Logging

/// The engine as one object: the event log, the single writer that decides commands, and the read
/// model that follows the log. `serve`, the tests and the benchmarks all go through it.
public final class BookingService: Sendable {
    /// The group-commit writer over the booking domain.
    public typealias Processor = CommandProcessor<BookingDecider, BookingEventCodec, LMDBEventLog>

    /// Where the events are.
    public let log: LMDBEventLog
    /// Decides and commits commands.
    public let processor: Processor
    /// Users, sessions, bookings and dashboards, kept current from the log.
    public let projection: BookingProjection
    private let logger: Logger

    /// Opens the store in `dataDirectory` and folds the log into the write model and the read model in
    /// one pass.
    public static func open(
        dataDirectory: String, options: LMDBEventLog.Options = .init(), logger: Logger = Logger(label: "booking.engine"),
        progress: ((_ done: Int64, _ total: Int64) -> Void)? = nil
    ) throws -> BookingService {
        let log = try LMDBEventLog(directory: dataDirectory, options: options)
        let (state, model) = try Replay.fold(log, through: nil, progress: progress)
        return BookingService(log: log, state: state, model: model, logger: logger)
    }

    init(log: LMDBEventLog, state: BookingState, model: BookingReadModel, logger: Logger) {
        let projection = BookingProjection(model)
        self.log = log
        self.logger = logger
        self.projection = projection
        // The writer feeds the read model the events it just made durable, in log order, before it
        // answers their callers: read-your-writes without reading the events back. Other subscribers
        // (notifier, CRM, e-mail) follow the log itself with their own checkpoints.
        self.processor = Processor(
            log: log, codec: BookingEventCodec(), state: state,
            onCommit: { committed in
                projection.apply(
                    batch: committed.map {
                        PositionedEvent($0.event, position: $0.record.position, recordedAt: Timestamp(rawValue: $0.record.recordedAt))
                    })
            },
            onCommitFailure: { [failureLog = CommitFailureLog(logger: logger)] in failureLog.record($0) },
            reloadState: { [log] in try Replay.fold(log, through: nil).state })
    }

    /// Runs the writer until the task is cancelled.
    public func run() async {
        await processor.run()
    }

    /// What became of a command: its durable events (with `isReplay` when an idempotency key had been
    /// used before), or the domain's refusal.
    public typealias Outcome = Processor.Outcome

    /// Submits a command and returns once its events are durable and applied to the read model
    /// (the writer applies them before answering).
    public func execute(
        _ command: BookingCommand, actor: String, now: Timestamp, idempotencyKey: String? = nil, correlationID: UUID? = nil
    ) async throws -> Outcome {
        try await processor.submit(
            command, metadata: EventMetadata(actor: actor, correlationID: correlationID, idempotencyKey: idempotencyKey),
            receivedAt: now.rawValue)
    }
}

extension Timestamp {
    /// The wall clock, read at the edges (the API, the tools); the domain never reads it.
    public static var now: Timestamp { Timestamp(rawValue: Int64((Date().timeIntervalSince1970 * 1000).rounded())) }
}

/// Folding the log into models, shared by start-up, `rebuild` and `audit replay`.
public enum Replay {
    /// Decodes every event up to `through` (or the head) and folds it into the write model and the
    /// read model. Records are read zero-copy from the map; the two models are folded on two threads,
    /// each with its own scan, since they share nothing but the log.
    public static func fold(
        _ log: LMDBEventLog, through: Int64?, progress: ((_ done: Int64, _ total: Int64) -> Void)? = nil
    ) throws -> (state: BookingState, model: BookingReadModel) {
        let head = through ?? log.committedHead
        let results = FoldResults()
        nonisolated(unsafe) let progress = progress  // called from the read-model thread only
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            do {
                if index == 0 {
                    results.state = try foldWriteModel(log, through: head)
                } else {
                    results.model = try foldReadModel(log, through: head, progress: progress)
                }
            } catch {
                results.record(error)
            }
        }
        if let error = results.error { throw error }
        return (results.state, results.model)
    }

    /// The write model alone.
    public static func foldWriteModel(_ log: LMDBEventLog, through: Int64?) throws -> BookingState {
        let codec = BookingEventCodec()
        var state = BookingState()
        try log.scanSync(after: 0, through: through) { _, bytes in
            state.evolve(try codec.decode(RecordView(parsing: bytes)))
            return true
        }
        return state
    }

    /// The read model alone.
    public static func foldReadModel(
        _ log: LMDBEventLog, through: Int64?, progress: ((_ done: Int64, _ total: Int64) -> Void)? = nil
    ) throws -> BookingReadModel {
        let codec = BookingEventCodec()
        var model = BookingReadModel()
        let total = through ?? log.committedHead
        try log.scanSync(after: 0, through: through) { key, bytes in
            let view = try RecordView(parsing: bytes)
            model.apply(try codec.decode(view), position: view.position, recordedAt: Timestamp(rawValue: view.recordedAt))
            if let progress, key & 0xFFFF == 0 { progress(key, total) }
            return true
        }
        progress?(model.position, total)
        return model
    }
}

/// Where the two fold threads leave their results; each writes only its own field.
private final class FoldResults: @unchecked Sendable {
    var state = BookingState()
    var model = BookingReadModel()
    private let lock = NSLock()
    private(set) var error: (any Error)?

    func record(_ error: any Error) {
        lock.withLock { self.error = self.error ?? error }
    }
}
