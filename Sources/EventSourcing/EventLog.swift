/// Thrown by an ``EventLog``'s append when the store has no room left (the disk, a quota or the
/// store's own size ceiling): nothing was written, and retrying helps only once an operator made room.
/// The writer reports it apart from other failures so clients and operators are told what is wrong.
public struct StoreOutOfSpace: Error, Sendable, Hashable, CustomStringConvertible {
    /// The store's own explanation, for the operator's log (not for clients).
    public var detail: String

    public init(detail: String) { self.detail = detail }

    public var description: String { "the event store is out of space: \(detail)" }
}

/// An append-only, hash-chained event log with a global gap-free position.
///
/// LMDB is the embedded implementation (`EventStoreLMDB`); a PostgreSQL one can follow without the
/// domain noticing. Implementations must make every ``append(_:)`` durable before returning.
public protocol EventLog: Sendable {
    /// Appends each request all-or-nothing, in order, in one durable commit, and returns one result
    /// per request. Throws only when the commit itself failed, in which case nothing was written.
    func append(_ requests: [AppendRequest]) async throws -> [AppendResult]

    /// The position of the last committed event (0 for an empty log).
    func headPosition() async throws -> Int64

    /// Up to `limit` committed events after `position`, in order.
    func read(after position: Int64, limit: Int) async throws -> [RecordedEvent]

    /// Up to `limit` events of one stream, starting at `version`.
    func readStream(_ stream: String, fromVersion version: Int64, limit: Int) async throws -> [RecordedEvent]

    /// The events an earlier request with this idempotency key wrote, or `nil` when the key is new.
    func events(forIdempotencyKey key: String) async throws -> [RecordedEvent]?

    /// Calls `body` with each stored record after `position` up to `through` (inclusive, or the head
    /// when `nil`), in order, without copying; stops early when `body` returns `false`. Records are
    /// handed over raw (position key and bytes) so that a damaged record can still be reported.
    func scan(
        after position: Int64, through: Int64?, _ body: (_ key: Int64, _ record: UnsafeRawBufferPointer) throws -> Bool
    ) async throws

    /// Returns once the head is beyond `position`, or throws `CancellationError` when the task is cancelled.
    func waitForAppend(after position: Int64) async throws
}

extension EventLog {
    /// Every committed event after `position`, then each new one as it commits: a live subscription.
    ///
    /// The sequence reads in batches through ordinary read transactions, so it never blocks the writer,
    /// and ends only when the consuming task is cancelled or a read fails.
    public func subscribe(after position: Int64, batchSize: Int = 512) -> EventSubscription<Self> {
        EventSubscription(log: self, position: position, batchSize: batchSize)
    }
}

/// A live subscription: see ``EventLog/subscribe(after:batchSize:)``.
public struct EventSubscription<Log: EventLog>: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent
    let log: Log
    let position: Int64
    let batchSize: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(log: log, position: position, batchSize: batchSize)
    }

    /// Yields events in position order, waiting for new commits when caught up.
    public struct Iterator: AsyncIteratorProtocol {
        let log: Log
        var position: Int64
        let batchSize: Int
        var buffered: [RecordedEvent] = []
        var index = 0

        public mutating func next() async throws -> RecordedEvent? {
            while index == buffered.count {
                try Task.checkCancellation()
                buffered = try await log.read(after: position, limit: batchSize)
                index = 0
                if buffered.isEmpty { try await log.waitForAppend(after: position) }
            }
            defer { index += 1 }
            position = buffered[index].position
            return buffered[index]
        }
    }
}
