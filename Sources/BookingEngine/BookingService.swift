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
    private let codec = BookingEventCodec()
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
        self.log = log
        self.logger = logger
        self.projection = BookingProjection(model)
        self.processor = Processor(log: log, codec: BookingEventCodec(), state: state) { [log] in
            try Replay.fold(log, through: nil).state
        }
    }

    /// Runs the writer and keeps the read model current until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.processor.run() }
            group.addTask { await self.followLog() }
            await group.waitForAll()
        }
    }

    private func followLog() async {
        let start = projection.position
        do {
            var batch: [PositionedEvent] = []
            for try await record in log.subscribe(after: start) {
                let event = try codec.decode(record)
                batch.append(PositionedEvent(event, position: record.position, recordedAt: Timestamp(rawValue: record.recordedAt)))
                // Apply what the subscription already buffered in one lock, but never hold back the newest event.
                if record.position >= log.committedHead || batch.count >= 512 {
                    projection.apply(batch: batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
        } catch is CancellationError {
        } catch {
            logger.critical("read model stopped following the log", metadata: ["error": "\(error)"])
        }
    }

    /// What became of a command, as the API needs it.
    public enum Outcome: Sendable {
        /// Durable (and visible in ``projection``). `isReplay`: an earlier request with the same
        /// idempotency key produced these events and nothing new was written.
        case accepted([CommittedEvent<BookingEvent>], isReplay: Bool)
        /// Refused by the domain; nothing was written.
        case rejected(DomainError)
    }

    /// Submits a command and returns once its events are durable and applied to the read model.
    public func execute(
        _ command: BookingCommand, actor: String, now: Timestamp, idempotencyKey: String? = nil, correlationID: UUID? = nil
    ) async throws -> Outcome {
        let outcome = try await processor.submit(
            command, metadata: EventMetadata(actor: actor, correlationID: correlationID, idempotencyKey: idempotencyKey),
            receivedAt: now.rawValue)
        switch outcome {
        case .accepted(let events, let isReplay):
            if let last = events.last?.record.position { try await projection.waitUntil(position: last) }
            return .accepted(events, isReplay: isReplay)
        case .rejected(let rejection):
            return .rejected(rejection)
        }
    }
}

/// Folding the log into models, shared by start-up, `rebuild` and `audit replay`.
public enum Replay {
    /// Decodes every event up to `through` (or the head) and folds it into the write model and the
    /// read model. Runs at millions of events per second: records are read zero-copy from the map.
    public static func fold(
        _ log: LMDBEventLog, through: Int64?, progress: ((_ done: Int64, _ total: Int64) -> Void)? = nil
    ) throws -> (state: BookingState, model: BookingReadModel) {
        let codec = BookingEventCodec()
        var state = BookingState()
        var model = BookingReadModel()
        let total = through ?? log.committedHead
        try log.scanSync(after: 0, through: through) { key, bytes in
            let view = try RecordView(parsing: bytes)
            let event = try codec.decode(view)
            state.evolve(event)
            model.apply(event, position: view.position, recordedAt: Timestamp(rawValue: view.recordedAt))
            if let progress, key & 0xFFFF == 0 { progress(key, total) }
            return true
        }
        progress?(model.position, total)
        return (state, model)
    }
}
