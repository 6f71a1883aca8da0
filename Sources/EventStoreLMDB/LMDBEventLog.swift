import Crypto
import Dispatch
import EventSourcing
import Foundation
import LMDB
import Synchronization

/// The embedded ``EventLog``: an LMDB environment holding the hash-chained events and their indexes.
///
/// Databases:
/// - `events`: position (big-endian UInt64) → stored record (``EventRecordFormat``), appended in order;
/// - `stream-index`: stream key, version (big-endian) → position; a stream's current version is its
///   last key here (one cursor step), so no separate table has to be written on every commit;
/// - `idempotency`: SHA-256 of the key → first position and event count of the request that used it;
/// - `idempotency-expiry`: recorded-at (big-endian ms), SHA-256 of the key → nothing: the same keys in
///   age order, so each commit can drop the few older than the retention without scanning (added
///   without a layout change: a store written before it gets it, filled from the log, on first open);
/// - `meta`: `layout` → the layout version below, checked at open so a future release can tell an
///   older store from a damaged one.
///
/// Appends run synchronously on the caller's thread, one at a time (LMDB allows one writer, and its
/// transactions are bound to the thread that began them, so no `await` ever happens inside one). The
/// command processor calls it from its dedicated writer thread. Reads use their own MVCC read
/// transactions and never wait for the writer. Commits are fully synced unless the options say otherwise.
public final class LMDBEventLog: EventLog {
    /// How to open the store.
    public struct Options: Sendable {
        /// Initial map size in bytes; the map grows by doubling when full, up to `maxMapSize`.
        public var mapSize: Int
        /// The ceiling for map growth.
        public var maxMapSize: Int
        public var readOnly: Bool
        /// `.synced` (LMDB's default: every commit is durable before it returns). `.noSync` exists only
        /// for measuring LMDB's raw speed; `serve` never uses it.
        public var durability: LMDBEnvironment.Durability
        /// The setting that controls the map size, named in the map-full error.
        public var mapSizeSettingName: String
        /// How long an idempotency key is remembered, in milliseconds of recorded time; older keys are
        /// dropped a few per commit, so the index holds about one retention's worth of keys.
        public var idempotencyRetention: Int64
        /// The API's promise: a key is honoured for at least 24 hours (as pretix does).
        public static let defaultIdempotencyRetention: Int64 = 24 * 3_600_000

        public init(
            mapSize: Int = 1 << 30, maxMapSize: Int = 1 << 40, readOnly: Bool = false, durability: LMDBEnvironment.Durability = .synced,
            mapSizeSettingName: String = "--max-map-size-mb / BOOKING_MAX_MAP_SIZE_MB",
            idempotencyRetention: Int64 = Options.defaultIdempotencyRetention
        ) {
            self.idempotencyRetention = idempotencyRetention
            self.mapSize = mapSize
            self.maxMapSize = maxMapSize
            self.readOnly = readOnly
            self.durability = durability
            self.mapSizeSettingName = mapSizeSettingName
        }
    }

    private struct Head: Sendable {
        var position: Int64
        var hash: [UInt8]
    }

    private struct Waiter {
        var position: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// The LMDB environment, for statistics and raw benchmarks.
    public let environment: LMDBEnvironment
    private let events: LMDBDatabase
    private let streamIndex: LMDBDatabase
    private let idempotency: LMDBDatabase
    /// Absent only in a store written before it existed and opened read-only.
    private let idempotencyExpiry: LMDBDatabase?
    private let idempotencyRetention: Int64
    /// The version of this database layout (record format and index keys).
    public static let layoutVersion = "booking-engine/lmdb/1"
    /// The last appended event, guarded by the lock that also serialises appends.
    private let writerHead: Mutex<Head>
    private let committedPosition: Atomic<Int64>
    private let waiters = Mutex<(nextID: Int, byID: [Int: Waiter])>((0, [:]))

    /// Opens (creating when writable) the store in `directory`.
    public init(directory: String, options: Options = Options()) throws {
        environment = try LMDBEnvironment(
            path: directory,
            options: LMDBEnvironment.Options(
                mapSize: options.mapSize, maxMapSize: options.maxMapSize, maxDatabases: 8, readOnly: options.readOnly,
                durability: options.durability, mapSizeSettingName: options.mapSizeSettingName))
        let create = !options.readOnly
        events = try environment.openDatabase(named: "events", create: create)
        streamIndex = try environment.openDatabase(named: "stream-index", create: create)
        idempotency = try environment.openDatabase(named: "idempotency", create: create)
        idempotencyRetention = options.idempotencyRetention
        idempotencyExpiry = try Self.openDatabaseIfPresent(environment, named: "idempotency-expiry", create: create)
        let meta = try environment.openDatabase(named: "meta", create: create)
        let layoutKey = Array("layout".utf8)
        let storedLayout = try environment.read { txn in try txn.value(meta, forKey: layoutKey) }
        if let storedLayout {
            guard storedLayout == Array(Self.layoutVersion.utf8) else {
                throw EventLogError.unknownLayout(String(decoding: storedLayout, as: UTF8.self))
            }
        } else if !options.readOnly {
            try environment.write { txn in _ = try txn.put(meta, key: layoutKey, value: Array(Self.layoutVersion.utf8)) }
        }
        let events = self.events
        let head = try environment.read { txn -> Head in
            try txn.withCursor(events) { cursor -> Head in
                guard let last = try cursor.last() else { return Head(position: 0, hash: EventRecordFormat.genesisHash) }
                let view = try RecordView(parsing: last.value)
                return Head(position: view.position, hash: Array(view.hash))
            }
        }
        writerHead = Mutex(head)
        committedPosition = Atomic(head.position)
        if !options.readOnly { try fillExpiryIndexIfMissing() }
    }

    /// Opens (or creates) a database; `nil` when it is absent and may not be created (read-only).
    private static func openDatabaseIfPresent(_ environment: LMDBEnvironment, named name: String, create: Bool) throws -> LMDBDatabase? {
        do {
            return try environment.openDatabase(named: name, create: create)
        } catch {
            if !create, error.isNotFound { return nil }
            throw error
        }
    }

    /// A store written before `idempotency-expiry` existed has keys but no expiry entries: date each
    /// key by its request's first event, once.
    private func fillExpiryIndexIfMissing() throws {
        guard let expiry = idempotencyExpiry,
            try environment.statistics(expiry).entries == 0, try environment.statistics(idempotency).entries > 0
        else { return }
        let (idempotency, events) = (self.idempotency, self.events)
        try environment.write { txn in
            var keys: [(digest: [UInt8], first: Int64)] = []
            try txn.forEach(idempotency) { digest, value in
                keys.append((Array(digest), try IdempotencyEntry(Array(value)).first))
                return true
            }
            for (digest, first) in keys {
                let recordedAt = try txn.withValue(events, forKey: BigEndianKey(UInt64(first))) { record in
                    guard let record else { throw EventLogError.corruptIndex("idempotency") }
                    return try RecordView(parsing: record).recordedAt
                }
                _ = try txn.put(expiry, key: Self.expiryKey(recordedAt: recordedAt, digest: digest), value: [UInt8]())
            }
        }
    }

    /// Whether the store was opened read-only (the auditor's mode).
    public var isReadOnly: Bool { environment.isReadOnly }

    // MARK: Appending

    public func append(_ requests: [AppendRequest]) async throws -> [AppendResult] {
        try appendSynchronously(requests)
    }

    /// ``append(_:)`` without suspending: blocks the calling thread for the commit.
    public func appendSynchronously(_ requests: [AppendRequest]) throws -> [AppendResult] {
        guard !isReadOnly else { throw EventLogError.readOnly }
        do {
            return try writerHead.withLock { writerHead in try append(requests, after: &writerHead) }
        } catch let error as LMDBError where error.isOutOfSpace {
            throw StoreOutOfSpace(detail: error.description)
        }
    }

    private func append(_ requests: [AppendRequest], after writerHead: inout Head) throws -> [AppendResult] {
        let start = writerHead
        let (results, newHead) = try environment.write { txn -> ([AppendResult], Head) in
            // The closure may run again if the map has to grow, so it only touches the transaction and locals.
            var head = start
            var results: [AppendResult] = []
            results.reserveCapacity(requests.count)
            for request in requests {
                results.append(try append(request, head: &head, txn))
            }
            if let now = requests.lazy.map(\.recordedAt).max() {
                // Drop more than this commit added, so a backlog (after downtime) shrinks too.
                let added = requests.count(where: { $0.metadata.idempotencyKey != nil })
                try forgetIdempotencyKeys(recordedBefore: now - idempotencyRetention, atMost: 64 + 2 * added, txn)
            }
            return (results, head)
        }
        writerHead = newHead
        if newHead.position != start.position { publish(newHead.position) }
        return results
    }

    private func append(_ request: AppendRequest, head: inout Head, _ txn: borrowing WriteTransaction) throws -> AppendResult {
        let keyDigest = request.metadata.idempotencyKey.map { Array(SHA256.hash(data: Array($0.utf8))) }
        if let keyDigest, let original = try txn.value(idempotency, forKey: keyDigest) {
            return .duplicate(try readRange(IdempotencyEntry(original), txn))
        }
        var versions: [String: Int64] = [:]
        func currentVersion(_ stream: String) throws -> Int64 {
            if let version = versions[stream] { return version }
            return try Self.lastVersion(of: stream, in: streamIndex, txn)
        }
        for (stream, expected) in request.expectations.sorted(by: { $0.key < $1.key }) {
            let actual = try currentVersion(stream)
            guard expected.isSatisfied(by: actual) else { return .versionMismatch(stream: stream, expected: expected, actual: actual) }
        }
        var recorded: [RecordedEvent] = []
        recorded.reserveCapacity(request.events.count)
        for event in request.events {
            let version = try currentVersion(event.stream) + 1
            let position = head.position + 1
            let body = EventRecordFormat.encodeBody(
                position: position, eventID: event.eventID, recordedAt: request.recordedAt, version: version, event: event,
                metadata: request.metadata)
            let (record, hash) = EventRecordFormat.seal(body: body, previousHash: head.hash)
            _ = try txn.put(events, key: BigEndianKey(UInt64(position)), value: record, flags: .append)
            _ = try txn.put(streamIndex, key: try Self.streamIndexKey(event.stream, version), value: BigEndianKey(UInt64(position)))
            versions[event.stream] = version
            recorded.append(
                RecordedEvent(
                    position: position, eventID: event.eventID, stream: event.stream, version: version, type: event.type,
                    schemaVersion: event.schemaVersion, recordedAt: request.recordedAt, metadata: request.metadata,
                    payload: event.payload, previousHash: head.hash, hash: hash))
            head = Head(position: position, hash: hash)
        }
        if let keyDigest, let first = recorded.first {
            _ = try txn.put(idempotency, key: keyDigest, value: IdempotencyEntry(first: first.position, count: recorded.count).bytes)
            if let idempotencyExpiry {
                _ = try txn.put(idempotencyExpiry, key: Self.expiryKey(recordedAt: request.recordedAt, digest: keyDigest), value: [UInt8]())
            }
        }
        return .appended(recorded)
    }

    /// Removes up to `limit` idempotency keys recorded before `cutoff` (oldest first).
    private func forgetIdempotencyKeys(recordedBefore cutoff: Int64, atMost limit: Int, _ txn: borrowing WriteTransaction) throws {
        guard let idempotencyExpiry else { return }
        var expired: [[UInt8]] = []
        try txn.withCursor(idempotencyExpiry) { cursor in
            var entry = try cursor.first()
            while let current = entry, expired.count < limit {
                guard current.key.count == 40, let recordedAt = UInt64(bigEndianKey: UnsafeRawBufferPointer(rebasing: current.key[..<8])),
                    Int64(recordedAt) < cutoff
                else { break }
                expired.append(Array(current.key))
                entry = try cursor.next()
            }
        }
        for key in expired {
            _ = try txn.delete(idempotency, key: Array(key[8...]))
            _ = try txn.delete(idempotencyExpiry, key: key)
        }
    }

    private static func expiryKey(recordedAt: Int64, digest: [UInt8]) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(40)
        BigEndianKey(UInt64(max(0, recordedAt))).withUnsafeBytes { key.append(contentsOf: $0) }
        return key + digest
    }

    /// How many idempotency keys are remembered (for metrics and the resource measurements).
    public func idempotencyKeyCount() throws -> Int {
        try environment.statistics(idempotency).entries
    }

    /// The longest stream key LMDB accepts once the 8-byte version is appended (LMDB's key limit is 511).
    static let maxStreamKeySize = 511 - 8

    /// The key a stream is indexed under.
    ///
    /// Entity streams (`booking-901`) are keyed as category, NUL, big-endian number, so a new entity's
    /// keys land at the end of its category instead of at a random place in the B-tree. Under load that
    /// keeps each commit's dirty pages (and so its fsync) small. Other names are stored as they are,
    /// behind a different tag byte, so the two forms can never collide.
    public static func streamKey(_ stream: String) throws -> [UInt8] {
        let utf8 = Array(stream.utf8)
        var key: [UInt8]
        if let dash = utf8.lastIndex(of: UInt8(ascii: "-")), dash > 0, dash < utf8.count - 1, utf8.count - dash - 1 <= 18,
            utf8[(dash + 1)...].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            utf8[dash + 1] != UInt8(ascii: "0"), !utf8[..<dash].contains(0)
        {
            let number = utf8[(dash + 1)...].reduce(UInt64(0)) { $0 * 10 + UInt64($1 - UInt8(ascii: "0")) }
            key = [1] + utf8[..<dash] + [0]
            BigEndianKey(number).withUnsafeBytes { key.append(contentsOf: $0) }
        } else {
            key = [2] + utf8
        }
        guard key.count <= maxStreamKeySize else { throw EventLogError.streamNameTooLong(utf8.count) }
        return key
    }

    /// The stream's last version: the greatest index key with the stream's prefix (0 when it has none).
    static func lastVersion(
        of stream: String, in index: LMDBDatabase, _ txn: borrowing some ReadableTransaction & ~Copyable
    ) throws -> Int64 {
        let prefix = try streamKey(stream)
        let pastTheEnd = prefix + [UInt8](repeating: 0xFF, count: 8)
        return try txn.withCursor(index) { cursor -> Int64 in
            let candidate = try cursor.seek(atLeast: pastTheEnd) != nil ? try cursor.prev() : try cursor.last()
            guard let entry = candidate, entry.key.count == prefix.count + 8, entry.key.starts(with: prefix),
                let version = UInt64(bigEndianKey: UnsafeRawBufferPointer(rebasing: entry.key[prefix.count...]))
            else { return 0 }
            return Int64(version)
        }
    }

    static func streamIndexKey(_ stream: String, _ version: Int64) throws -> [UInt8] {
        var key = try streamKey(stream)
        BigEndianKey(UInt64(version)).withUnsafeBytes { key.append(contentsOf: $0) }
        return key
    }

    private func readRange(_ entry: IdempotencyEntry, _ txn: borrowing some ReadableTransaction & ~Copyable) throws -> [RecordedEvent] {
        var result: [RecordedEvent] = []
        try txn.forEach(events, from: BigEndianKey(UInt64(entry.first))) { _, value in
            result.append(try RecordView(parsing: value).materialize())
            return result.count < entry.count
        }
        return result
    }

    // MARK: Reading

    public func headPosition() async throws -> Int64 { committedPosition.load(ordering: .acquiring) }

    /// The last committed position, without suspending.
    public var committedHead: Int64 { committedPosition.load(ordering: .acquiring) }

    /// The position and hash of the last event on disk (reads the store, so it also sees other writers).
    public func storedHead() throws -> (position: Int64, hash: [UInt8]) {
        let events = self.events
        return try environment.read { txn in
            try txn.withCursor(events) { cursor in
                guard let last = try cursor.last() else { return (0, EventRecordFormat.genesisHash) }
                let view = try RecordView(parsing: last.value)
                return (view.position, Array(view.hash))
            }
        }
    }

    public func read(after position: Int64, limit: Int) async throws -> [RecordedEvent] {
        try readSync(after: position, limit: limit)
    }

    /// ``read(after:limit:)`` without suspending.
    public func readSync(after position: Int64, limit: Int) throws -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        var result: [RecordedEvent] = []
        let events = self.events
        try environment.read { txn in
            try txn.forEach(events, from: BigEndianKey(UInt64(max(0, position) + 1))) { _, value in
                result.append(try RecordView(parsing: value).materialize())
                return result.count < limit
            }
        }
        return result
    }

    public func readStream(_ stream: String, fromVersion version: Int64, limit: Int) async throws -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        let prefix = try Self.streamKey(stream)
        var result: [RecordedEvent] = []
        let (events, streamIndex) = (self.events, self.streamIndex)
        try environment.read { txn in
            var positions: [UInt64] = []
            try txn.forEach(streamIndex, from: try Self.streamIndexKey(stream, max(1, version))) { key, value in
                guard key.count == prefix.count + 8, key.starts(with: prefix), let position = UInt64(bigEndianKey: value) else { return false }
                positions.append(position)
                return positions.count < limit
            }
            for position in positions {
                if let record = try txn.withValue(events, forKey: BigEndianKey(position), { try $0.map { try RecordView(parsing: $0).materialize() } }) {
                    result.append(record)
                }
            }
        }
        return result
    }

    public func events(forIdempotencyKey key: String) async throws -> [RecordedEvent]? {
        let digest = Array(SHA256.hash(data: Array(key.utf8)))
        let idempotency = self.idempotency
        return try environment.read { txn -> [RecordedEvent]? in
            guard let entry = try txn.value(idempotency, forKey: digest) else { return nil }
            return try readRange(IdempotencyEntry(entry), txn)
        }
    }

    /// Scans in chunks, each in its own short read transaction, so a long scan never pins an old
    /// snapshot (which would stop LMDB reusing freed pages while the writer goes on).
    public func scan(
        after position: Int64, through: Int64?, _ body: (_ key: Int64, _ record: UnsafeRawBufferPointer) throws -> Bool
    ) async throws {
        try scanSync(after: position, through: through, body)
    }

    /// ``scan(after:through:_:)`` without suspending.
    public func scanSync(
        after position: Int64, through: Int64?, chunkSize: Int = 65_536,
        _ body: (_ key: Int64, _ record: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var cursorPosition = max(0, position)
        let limit = through ?? Int64.max
        let events = self.events
        var finished = false
        while !finished, cursorPosition < limit {
            var visited = 0
            try environment.read { txn in
                try txn.forEach(events, from: BigEndianKey(UInt64(cursorPosition + 1))) { key, value in
                    guard let raw = UInt64(bigEndianKey: key), raw <= UInt64(Int64.max) else {
                        throw EventLogError.corruptKey
                    }
                    let keyPosition = Int64(raw)
                    guard keyPosition <= limit else { finished = true; return false }
                    visited += 1
                    cursorPosition = keyPosition
                    guard try body(keyPosition, value) else { finished = true; return false }
                    return visited < chunkSize
                }
            }
            if visited < chunkSize { finished = true }
        }
    }

    /// Number of records in the `events` database.
    public func eventCount() throws -> Int {
        try environment.statistics(events).entries
    }

    // MARK: Waiting for commits

    public func waitForAppend(after position: Int64) async throws {
        if committedPosition.load(ordering: .acquiring) > position { return }
        let id = waiters.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = waiters.withLock { state -> Bool in
                    if committedPosition.load(ordering: .acquiring) > position { return true }
                    if Task.isCancelled { return true }
                    state.byID[id] = Waiter(position: position, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = waiters.withLock { $0.byID.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    private func publish(_ position: Int64) {
        committedPosition.store(position, ordering: .releasing)
        let ready = waiters.withLock { state -> [Waiter] in
            let ready = state.byID.filter { $0.value.position < position }
            for id in ready.keys { state.byID[id] = nil }
            return Array(ready.values)
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Picks up events appended by another process (the auditor polling a live server).
    public func refreshHead() throws {
        let position = try storedHead().position
        if position > committedPosition.load(ordering: .acquiring) { publish(position) }
    }
}

/// Where an idempotent request's events are: first position and count.
private struct IdempotencyEntry {
    var first: Int64
    var count: Int

    init(first: Int64, count: Int) {
        self.first = first
        self.count = count
    }

    init(_ bytes: [UInt8]) throws {
        guard bytes.count == 12 else { throw EventLogError.corruptIndex("idempotency") }
        first = Int64(bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        count = Int(bytes[8..<12].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    var bytes: [UInt8] {
        var writer = BinaryWriter(capacity: 12)
        writer.write(UInt64(first))
        writer.write(UInt32(count))
        return writer.bytes
    }
}

/// Errors of the LMDB event log beyond LMDB's own.
public enum EventLogError: Error, Hashable, Sendable, CustomStringConvertible {
    case readOnly
    case corruptKey
    case corruptIndex(String)
    case streamNameTooLong(Int)
    case unknownLayout(String)

    public var description: String {
        switch self {
        case .readOnly: "the event log was opened read-only"
        case .corruptKey: "an events key is not an 8-byte position"
        case .corruptIndex(let name): "the \(name) index holds a malformed entry"
        case .streamNameTooLong(let bytes): "stream name of \(bytes) bytes is too long for the index"
        case .unknownLayout(let layout): "the store's layout \"\(layout)\" is not one this release reads"
        }
    }
}
