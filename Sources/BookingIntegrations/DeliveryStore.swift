import Foundation
import LMDB

/// Where side-effect subscribers keep their progress: one checkpoint per subscriber and the dead
/// letters, in an LMDB environment of their own under `DATA-DIR/deliveries`.
///
/// Kept apart from the event log on purpose. The log is the audited, hash-chained record of what
/// happened in the business; a delivery's progress is operational bookkeeping that changes on
/// every attempt and can be thrown away (deleting it only causes resends, which receivers
/// de-duplicate by event id). Writing it into the log would put retries of a flaky CRM into the
/// audit trail and make every checkpoint an fsync on the booking writer's path; a separate
/// environment has its own write lock, so a slow delivery never delays a booking.
///
/// Several processes may open it at once (LMDB locks across processes): `serve` writes checkpoints
/// and parks dead letters while `booking-engine deliveries retry` re-sends and removes them.
public final class DeliveryStore: Sendable {
    private let environment: LMDBEnvironment
    private let checkpoints: LMDBDatabase
    private let deadLetters: LMDBDatabase

    /// The directory under the data directory that holds the environment.
    public static func path(dataDirectory: String) -> String { dataDirectory + "/deliveries" }

    /// Opens (creating when needed) the store under `dataDirectory`.
    public convenience init(dataDirectory: String) throws {
        try self.init(path: Self.path(dataDirectory: dataDirectory))
    }

    /// Opens (creating when needed) the store at `path`. Delivery state is small: the map starts at
    /// 16 MiB and grows as needed.
    public init(path: String) throws {
        environment = try LMDBEnvironment(
            path: path,
            options: .init(mapSize: 16 << 20, maxDatabases: 4, maxReaders: 126, mapSizeSettingName: "the deliveries store's map"))
        checkpoints = try environment.openDatabase(named: "checkpoints")
        deadLetters = try environment.openDatabase(named: "dead-letters")
    }

    // MARK: Checkpoints

    /// The last log position `subscriber` has fully handled; 0 when it never ran.
    public func checkpoint(of subscriber: String) throws -> Int64 {
        try environment.read { txn in
            try txn.withValue(checkpoints, forKey: Array(subscriber.utf8)) { value in
                value.flatMap { UInt64(bigEndianKey: $0) }.map { Int64(bitPattern: $0) } ?? 0
            }
        }
    }

    /// Records that `subscriber` has handled everything up to `position`: every delivery there got a
    /// 2xx or was parked. Durable when it returns.
    public func setCheckpoint(_ position: Int64, of subscriber: String) throws {
        try environment.write { txn in
            try txn.put(checkpoints, key: Array(subscriber.utf8), value: UInt64(bitPattern: position).bigEndianKey)
        }
    }

    // MARK: Dead letters

    /// Parks (or updates) a dead letter. Durable when it returns.
    public func park(_ letter: DeadLetter) throws {
        let value = try JSONEncoder().encode(letter)
        try environment.write { txn in
            try txn.put(deadLetters, key: Self.key(letter.subscriber, letter.position, letter.deliveryKey), value: value)
        }
    }

    /// Removes a dead letter; returns whether there was one.
    @discardableResult
    public func removeDeadLetter(subscriber: String, position: Int64, deliveryKey: String) throws -> Bool {
        let key = Self.key(subscriber, position, deliveryKey)
        return try environment.write { txn in try txn.delete(deadLetters, key: key) }
    }

    /// The dead letter for one delivery, if it is parked.
    public func deadLetter(subscriber: String, position: Int64, deliveryKey: String) throws -> DeadLetter? {
        let bytes = try environment.read { txn in try txn.value(deadLetters, forKey: Self.key(subscriber, position, deliveryKey)) }
        return try bytes.map { try JSONDecoder().decode(DeadLetter.self, from: Data($0)) }
    }

    /// Every dead letter, by subscriber then position; only `subscriber`'s when given.
    public func deadLetters(subscriber: String? = nil) throws -> [DeadLetter] {
        let prefix: [UInt8] = subscriber.map { Array($0.utf8) + [0] } ?? []
        let raw: [[UInt8]] = try environment.read { txn in
            var found: [[UInt8]] = []
            let visit: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool = { key, value in
                guard key.starts(with: prefix) else { return false }
                found.append(Array(value))
                return true
            }
            // LMDB refuses an empty key, so "every subscriber" starts at the first entry instead.
            if prefix.isEmpty { try txn.forEach(deadLetters, from: nil, visit) } else { try txn.forEach(deadLetters, from: prefix, visit) }
            return found
        }
        let decoder = JSONDecoder()
        return try raw.map { try decoder.decode(DeadLetter.self, from: Data($0)) }
    }

    /// How many dead letters `subscriber` has (for `/health`).
    public func deadLetterCount(subscriber: String) throws -> Int {
        let prefix = Array(subscriber.utf8) + [0]
        return try environment.read { txn in
            var count = 0
            try txn.forEach(deadLetters, from: prefix) { key, _ in
                guard key.starts(with: prefix) else { return false }
                count += 1
                return true
            }
            return count
        }
    }

    /// subscriber ‖ 0x00 ‖ big-endian position ‖ delivery key: sorts by subscriber, then log order.
    private static func key(_ subscriber: String, _ position: Int64, _ deliveryKey: String) -> [UInt8] {
        var key = Array(subscriber.utf8)
        key.append(0)
        UInt64(bitPattern: position).bigEndianKey.withUnsafeBytes { key.append(contentsOf: $0) }
        key.append(contentsOf: deliveryKey.utf8)
        return key
    }
}
