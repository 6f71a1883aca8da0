internal import CLMDB

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The read operations every transaction offers, so code that only reads (a projection lookup, a
/// replay step) can run inside either a read transaction or the writer's transaction.
///
/// Buffers handed to closures point straight into LMDB's memory map: that is what makes reads
/// zero-copy, and also why they are valid only inside the closure (and, in a write transaction,
/// only until the next write).
public protocol ReadableTransaction: ~Copyable {
    /// Looks up `key` and lends the stored bytes, or `nil` when the key is absent, without copying.
    func withValue<R>(
        _ database: LMDBDatabase,
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R

    /// B-tree figures for `database` as this transaction sees it.
    func statistics(_ database: LMDBDatabase) throws(LMDBError) -> DatabaseStatistics

    /// Opens a cursor on `database` for the duration of `body`; the cursor cannot outlive the closure.
    func withCursor<R>(_ database: LMDBDatabase, _ body: (borrowing LMDBCursor) throws -> R) throws -> R
}

extension ReadableTransaction where Self: ~Copyable {
    /// Looks up a key given as any contiguous bytes (`[UInt8]`, `Data`, `BigEndianKey`) without copying the value.
    public func withValue<Key: ContiguousBytes, R>(
        _ database: LMDBDatabase,
        forKey key: Key,
        _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R {
        try key.withUnsafeBytes { keyBytes in try withValue(database, forKey: keyBytes, body) }
    }

    /// Copies the value out of the map, for callers that keep it beyond the transaction.
    public func value(_ database: LMDBDatabase, forKey key: UnsafeRawBufferPointer) throws(LMDBError) -> [UInt8]? {
        do {
            return try withValue(database, forKey: key) { $0.map { Array($0.bindMemory(to: UInt8.self)) } }
        } catch let error as LMDBError {
            throw error
        } catch {
            fatalError("unreachable: the copying closure does not throw")
        }
    }

    /// Copies the value for a key given as any contiguous bytes.
    public func value<Key: ContiguousBytes>(_ database: LMDBDatabase, forKey key: Key) throws(LMDBError) -> [UInt8]? {
        do {
            return try key.withUnsafeBytes { keyBytes in try value(database, forKey: keyBytes) }
        } catch let error as LMDBError {
            throw error
        } catch {
            fatalError("unreachable: value(_:forKey:) throws only LMDBError")
        }
    }

    /// Whether `key` is present, without touching its value.
    public func containsKey<Key: ContiguousBytes>(_ database: LMDBDatabase, _ key: Key) throws(LMDBError) -> Bool {
        try value(database, forKey: key) != nil
    }

    /// The number of entries in `database` (`mdb_stat`'s `ms_entries`); O(1), not a scan.
    public func entryCount(_ database: LMDBDatabase) throws(LMDBError) -> Int {
        try statistics(database).entries
    }

    /// Visits entries in key order starting at the first key `>= start` (or the first key when `start`
    /// is `nil`) until `body` returns `false`.
    ///
    /// This is the replay fast path: one cursor, no per-entry allocation, buffers borrowed from the map
    /// and valid only during that call of `body`.
    public func forEach(
        _ database: LMDBDatabase,
        from start: UnsafeRawBufferPointer? = nil,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try withCursor(database) { cursor in
            var entry = if let start { try cursor.seek(atLeast: start) } else { try cursor.first() }
            while let current = entry {
                guard try body(current.key, current.value) else { return }
                entry = try cursor.next()
            }
        }
    }

    /// `forEach(_:from:_:)` with the start key given as any contiguous bytes (e.g. a `BigEndianKey`).
    public func forEach<Key: ContiguousBytes>(
        _ database: LMDBDatabase,
        from start: Key,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        // Optional on purpose: a bare buffer is itself ContiguousBytes and would recurse into this overload.
        try start.withUnsafeBytes { startBytes in try forEach(database, from: Optional(startBytes), body) }
    }
}

/// A read-only snapshot (MVCC): it sees what was committed when it began and never blocks the writer.
///
/// Only `LMDBEnvironment.read` creates one and lends it to a closure; being `~Copyable` and
/// borrowed, it cannot be stored or escape, so it can never outlive the LMDB transaction.
public struct ReadTransaction: ~Copyable, ReadableTransaction {
    let core: TransactionCore

    /// Looks up `key` and lends the stored bytes without copying; see `ReadableTransaction`.
    public func withValue<R>(
        _ database: LMDBDatabase,
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R {
        try core.withValue(database, forKey: key, body)
    }

    /// B-tree figures for `database` as of this snapshot.
    public func statistics(_ database: LMDBDatabase) throws(LMDBError) -> DatabaseStatistics {
        try core.statistics(database)
    }

    /// Opens a cursor on `database` for the duration of `body`.
    public func withCursor<R>(_ database: LMDBDatabase, _ body: (borrowing LMDBCursor) throws -> R) throws -> R {
        try core.withCursor(database, body)
    }
}

/// Options for `WriteTransaction.put`, mirroring LMDB's put flags.
public struct PutFlags: OptionSet, Sendable {
    /// The LMDB flag bits.
    public let rawValue: UInt32

    /// Wraps raw LMDB flag bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Keep an existing value: the put then returns `false` instead of replacing it.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))

    /// Bulk-load fast path (`MDB_APPEND`): the key must sort after every key in the database, so LMDB
    /// skips the search and fills pages completely. An out-of-order key throws an `isKeyExists` error
    /// and leaves the transaction usable.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}

/// The single write transaction: read methods plus puts and deletes, committed when
/// `LMDBEnvironment.write`'s closure returns and aborted when it throws.
///
/// `~Copyable` and borrowed so it cannot escape the closure, which also keeps it on the thread that
/// began it, as LMDB requires of write transactions.
public struct WriteTransaction: ~Copyable, ReadableTransaction {
    let core: TransactionCore
    /// Set when LMDB reports a full map, so the environment grows and re-runs the closure even if the
    /// closure caught the error (the transaction is unusable afterwards either way).
    let mapFullHit: UnsafeMutablePointer<Bool>

    /// Looks up `key` and lends the stored bytes without copying; valid until the next write.
    public func withValue<R>(
        _ database: LMDBDatabase,
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R {
        try core.withValue(database, forKey: key, body)
    }

    /// B-tree figures for `database`, including this transaction's uncommitted writes.
    public func statistics(_ database: LMDBDatabase) throws(LMDBError) -> DatabaseStatistics {
        try core.statistics(database)
    }

    /// Opens a cursor on `database` for the duration of `body`; it sees this transaction's writes.
    public func withCursor<R>(_ database: LMDBDatabase, _ body: (borrowing LMDBCursor) throws -> R) throws -> R {
        try core.withCursor(database, body)
    }

    /// Stores `value` under `key`.
    ///
    /// - Returns: `true` when written; `false` only with `.noOverwrite` when the key already exists
    ///   (a normal outcome for idempotent inserts, so not an error).
    /// - Throws: `LMDBError`; `isKeyExists` for an out-of-order `.append`, `isMapFull` when the map is
    ///   full (the environment then grows the map and re-runs the write closure by itself).
    @discardableResult
    public func put(
        _ database: LMDBDatabase,
        key: UnsafeRawBufferPointer,
        value: UnsafeRawBufferPointer,
        flags: PutFlags = []
    ) throws(LMDBError) -> Bool {
        var keyVal = MDB_val(key)
        var dataVal = MDB_val(value)
        let rc = mdb_put(core.txn, database.handle, &keyVal, &dataVal, flags.rawValue)
        return try putOutcome(rc, database, key, flags)
    }

    /// Stores a value under a key, both given as any contiguous bytes (`[UInt8]`, `Data`, `BigEndianKey`).
    @discardableResult
    public func put<Key: ContiguousBytes, Value: ContiguousBytes>(
        _ database: LMDBDatabase,
        key: Key,
        value: Value,
        flags: PutFlags = []
    ) throws(LMDBError) -> Bool {
        let outcome: Result<Bool, LMDBError> = key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes in
                Result { () throws(LMDBError) in try put(database, key: keyBytes, value: valueBytes, flags: flags) }
            }
        }
        return try outcome.get()
    }

    /// Reserves `count` bytes for `key` and lets `fill` write the value straight into the map
    /// (`MDB_RESERVE`), saving the copy of a large value through an intermediate buffer.
    ///
    /// `fill` must write all `count` bytes: the space is uninitialised. It is not called when
    /// `.noOverwrite` finds the key present (the put returns `false`). Like the write closure, it may
    /// run again if the map has to grow.
    @discardableResult
    public func put(
        _ database: LMDBDatabase,
        key: UnsafeRawBufferPointer,
        reservingCount count: Int,
        flags: PutFlags = [],
        _ fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws -> Bool {
        precondition(count >= 0, "reservingCount must not be negative")
        var keyVal = MDB_val(key)
        var dataVal = MDB_val(mv_size: count, mv_data: nil)
        let rc = mdb_put(core.txn, database.handle, &keyVal, &dataVal, flags.rawValue | UInt32(MDB_RESERVE))
        guard try putOutcome(rc, database, key, flags) else { return false }
        try fill(UnsafeMutableRawBufferPointer(start: dataVal.mv_data, count: count))
        return true
    }

    /// `put(_:key:reservingCount:flags:_:)` with the key given as any contiguous bytes.
    @discardableResult
    public func put<Key: ContiguousBytes>(
        _ database: LMDBDatabase,
        key: Key,
        reservingCount count: Int,
        flags: PutFlags = [],
        _ fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws -> Bool {
        try key.withUnsafeBytes { keyBytes in
            try put(database, key: keyBytes, reservingCount: count, flags: flags, fill)
        }
    }

    /// Removes `key`; returns `false` when it was not there, since deleting an absent key is usually fine.
    @discardableResult
    public func delete(_ database: LMDBDatabase, key: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        var keyVal = MDB_val(key)
        let rc = mdb_del(core.txn, database.handle, &keyVal, nil)
        switch rc {
        case 0: return true
        case MDB_NOTFOUND: return false
        default: throw failure(rc, "delete from '\(database.name)'")
        }
    }

    /// `delete(_:key:)` with the key given as any contiguous bytes.
    @discardableResult
    public func delete<Key: ContiguousBytes>(_ database: LMDBDatabase, key: Key) throws(LMDBError) -> Bool {
        let outcome: Result<Bool, LMDBError> = key.withUnsafeBytes { keyBytes in
            Result { () throws(LMDBError) in try delete(database, key: keyBytes) }
        }
        return try outcome.get()
    }

    /// Empties `database` but keeps it open, e.g. before rebuilding a projection from the log.
    public func removeAll(_ database: LMDBDatabase) throws(LMDBError) {
        let rc = mdb_drop(core.txn, database.handle, 0)
        if rc != 0 { throw failure(rc, "clear '\(database.name)'") }
    }

    private func putOutcome(
        _ rc: Int32,
        _ database: LMDBDatabase,
        _ key: UnsafeRawBufferPointer,
        _ flags: PutFlags
    ) throws(LMDBError) -> Bool {
        switch rc {
        case 0:
            return true
        case MDB_KEYEXIST where flags.contains(.append):
            // LMDB reports an out-of-order append as KEYEXIST; tell the two apart for the caller.
            if flags.contains(.noOverwrite), (try? value(database, forKey: key)) != nil { return false }
            throw LMDBError(
                code: rc,
                operation: "put into '\(database.name)'",
                message: "append requires each key to sort after the last key in the database"
            )
        case MDB_KEYEXIST where flags.contains(.noOverwrite):
            return false
        default:
            throw failure(rc, "put into '\(database.name)'")
        }
    }

    private func failure(_ rc: Int32, _ operation: String) -> LMDBError {
        if rc == MDB_MAP_FULL { mapFullHit.pointee = true }
        return LMDBError(code: rc, operation: operation)
    }
}

/// The read machinery shared by both transaction kinds: a bare `MDB_txn` pointer whose lifetime the
/// environment manages.
struct TransactionCore {
    let txn: OpaquePointer

    @inline(__always)
    func withValue<R>(
        _ database: LMDBDatabase,
        forKey key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer?) throws -> R
    ) throws -> R {
        var keyVal = MDB_val(key)
        var dataVal = MDB_val()
        let rc = mdb_get(txn, database.handle, &keyVal, &dataVal)
        switch rc {
        case 0: return try body(dataVal.buffer)
        case MDB_NOTFOUND: return try body(nil)
        default: throw LMDBError(code: rc, operation: "get from '\(database.name)'")
        }
    }

    func statistics(_ database: LMDBDatabase) throws(LMDBError) -> DatabaseStatistics {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(txn, database.handle, &stat), "stat '\(database.name)'")
        return DatabaseStatistics(
            entries: stat.ms_entries,
            depth: Int(stat.ms_depth),
            pageSize: Int(stat.ms_psize),
            branchPages: stat.ms_branch_pages,
            leafPages: stat.ms_leaf_pages,
            overflowPages: stat.ms_overflow_pages
        )
    }

    func withCursor<R>(_ database: LMDBDatabase, _ body: (borrowing LMDBCursor) throws -> R) throws -> R {
        var cursorPointer: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(txn, database.handle, &cursorPointer), "open cursor on '\(database.name)'")
        guard let cursorPointer else { throw LMDBError(code: MDB_BAD_TXN, operation: "open cursor on '\(database.name)'") }
        defer { mdb_cursor_close(cursorPointer) }
        let cursor = LMDBCursor(pointer: cursorPointer, database: database)
        return try body(cursor)
    }
}

extension MDB_val {
    /// Points LMDB at caller bytes; LMDB never writes through a key or plain value pointer.
    @inline(__always)
    init(_ buffer: UnsafeRawBufferPointer) {
        self.init(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
    }

    /// The bytes LMDB returned, borrowed from the memory map.
    @inline(__always)
    var buffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mv_data, count: mv_size)
    }
}
