import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Logging
import ServiceLifecycle
import Synchronization

/// The one task that follows the event log for the notifier and fans each booking event out to the
/// open sockets of its session's facilitator.
///
/// It keeps, per facilitator, the list of its booking events (position, ids, time: no text), built by
/// one scan at start and extended live. A socket registers under the hub's lock and gets, in the same
/// critical section, the records after its cursor; everything the hub handles afterwards is pushed
/// to it. So the replay and the live stream meet without a gap or a duplicate, and a connecting
/// socket never reads the log: 1,000 sockets cost one subscription.
final class NotificationHub: Service, Sendable {
    private struct State {
        /// The last log position the hub has handled.
        var position: Int64
        /// Booking events by facilitator, in log order.
        var records: [UserID: [NotificationRecord]]
        var connections: [UserID: [UInt64: NotifierConnection]] = [:]
        var nextConnectionID: UInt64 = 0
        var isShuttingDown = false
    }

    private let service: BookingService
    private let bufferLimit: Int
    private let logger: Logger
    private let state: Mutex<State>

    /// Indexes the booking events already in the log (one sequential scan).
    init(service: BookingService, configuration: NotifierConfiguration, logger: Logger) throws {
        self.service = service
        self.bufferLimit = configuration.outboundBufferLimit
        self.logger = logger
        let head = service.log.committedHead
        var records: [UserID: [NotificationRecord]] = [:]
        let codec = BookingEventCodec()
        try service.log.scanSync(after: 0, through: head) { _, bytes in
            let view = try RecordView(parsing: bytes)
            if let record = NotificationRecord(try codec.decode(view), position: view.position, recordedAt: Timestamp(rawValue: view.recordedAt)) {
                records[record.facilitatorID, default: []].append(record)
            }
            return true
        }
        state = Mutex(State(position: head, records: records))
    }

    /// The last log position handled.
    var position: Int64 { state.withLock { $0.position } }

    /// Open sockets, for `/health` and the tests.
    var connectionCount: Int { state.withLock { $0.connections.values.reduce(0) { $0 + $1.count } } }

    /// Follows the log until cancelled; on graceful shutdown closes every socket with 1001.
    func run() async throws {
        let start = position
        let codec = BookingEventCodec()
        do {
            try await withGracefulShutdownHandler {
                // The subscription ends with the service: on graceful shutdown (after the server has
                // closed its sockets) and on cancellation.
                try await cancelWhenGracefulShutdown {
                    for try await recorded in self.service.log.subscribe(after: start) {
                        try await self.handle(
                            try codec.decode(recorded), position: recorded.position, recordedAt: Timestamp(rawValue: recorded.recordedAt))
                    }
                }
            } onGracefulShutdown: {
                self.closeAll(.shutdown)
            }
        } catch is CancellationError {
            return
        }
    }

    private func handle(_ event: BookingEvent, position: Int64, recordedAt: Timestamp) async throws {
        switch event {
        case .bookingConfirmed, .bookingCancelled:
            guard let record = NotificationRecord(event, position: position, recordedAt: recordedAt) else { return }
            // The writer applies a commit to the read model before answering, but the log may wake
            // this subscription first: render only once the model has the event.
            try await service.projection.waitUntil(position: position)
            let json = NotificationMessage.render(CollectionOfOne(record), from: service.projection).first
            let targets = state.withLock { state -> [NotifierConnection] in
                state.position = position
                state.records[record.facilitatorID, default: []].append(record)
                return state.connections[record.facilitatorID].map { Array($0.values) } ?? []
            }
            if let json {
                for connection in targets { connection.push(json) }
            }
        case .tokensRevoked(let revoked):
            let targets = state.withLock { state -> [NotifierConnection] in
                state.position = position
                return state.connections[revoked.userID].map { Array($0.values) } ?? []
            }
            for connection in targets where connection.tokenIssuedAt <= revoked.issuedNotAfter.rawValue {
                connection.close(.tokenRevoked)
            }
        default:
            state.withLock { $0.position = position }
        }
    }

    /// Registers a socket for `facilitatorID` and returns it with the notifications after `cursor`
    /// that the hub has already handled; later ones are pushed to the connection.
    func connect(facilitatorID: UserID, tokenIssuedAt: Int64, after cursor: Int64) -> (NotifierConnection, [NotificationRecord]) {
        let (connection, backlog) = state.withLock { state -> (NotifierConnection, [NotificationRecord]) in
            state.nextConnectionID &+= 1
            let connection = NotifierConnection(
                id: state.nextConnectionID, facilitatorID: facilitatorID, tokenIssuedAt: tokenIssuedAt, limit: bufferLimit)
            state.connections[facilitatorID, default: [:]][connection.id] = connection
            if state.isShuttingDown { connection.close(.shutdown) }
            return (connection, Self.records(in: state.records[facilitatorID] ?? [], after: cursor, limit: .max))
        }
        logger.debug("notifier socket opened", metadata: ["facilitator.id": "\(facilitatorID.rawValue)", "notifier.backlog": "\(backlog.count)"])
        return (connection, backlog)
    }

    /// Forgets a closed socket.
    func disconnect(_ connection: NotifierConnection) {
        state.withLock { state in
            state.connections[connection.facilitatorID]?[connection.id] = nil
            if state.connections[connection.facilitatorID]?.isEmpty == true { state.connections[connection.facilitatorID] = nil }
        }
    }

    /// Up to `limit` of a facilitator's notifications after `cursor`, for `GET /api/notifications`.
    func notifications(of facilitatorID: UserID, after cursor: Int64, limit: Int) -> [NotificationRecord] {
        state.withLock { Self.records(in: $0.records[facilitatorID] ?? [], after: cursor, limit: limit) }
    }

    /// Closes every open socket (shutdown) and refuses new ones from now on.
    func closeAll(_ reason: NotifierCloseReason) {
        let all = state.withLock { state -> [NotifierConnection] in
            state.isShuttingDown = true
            return state.connections.values.flatMap(\.values)
        }
        for connection in all { connection.close(reason) }
    }

    /// The records after `cursor` (binary search: the list is in position order).
    private static func records(in list: [NotificationRecord], after cursor: Int64, limit: Int) -> [NotificationRecord] {
        var low = 0
        var high = list.count
        while low < high {
            let middle = (low + high) / 2
            if list[middle].position <= cursor { low = middle + 1 } else { high = middle }
        }
        return Array(list[low..<min(list.count, low.addingReportingOverflow(limit).overflow ? list.count : low + limit)])
    }
}
