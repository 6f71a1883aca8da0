internal import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A position in one database, for ordered scans and range seeks.
///
/// Lent by `withCursor` and `~Copyable`, so it cannot outlive its transaction. Each move returns
/// buffers borrowed from the memory map: they stay valid until the next move of this cursor (and,
/// in a write transaction, until the next write), which is what lets a replay scan millions of
/// entries per second without allocating.
public struct LMDBCursor: ~Copyable {
    /// A key and its value, both borrowed from the map until the cursor moves again.
    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    let pointer: OpaquePointer
    let database: LMDBDatabase

    /// Moves to the smallest key; `nil` when the database is empty.
    public func first() throws(LMDBError) -> Entry? { try move(MDB_FIRST, "first") }

    /// Moves to the largest key; `nil` when the database is empty.
    public func last() throws(LMDBError) -> Entry? { try move(MDB_LAST, "last") }

    /// Moves to the following key (the first one if the cursor was never positioned); `nil` past the end.
    public func next() throws(LMDBError) -> Entry? { try move(MDB_NEXT, "next") }

    /// Moves to the preceding key (the last one if the cursor was never positioned); `nil` before the start.
    public func prev() throws(LMDBError) -> Entry? { try move(MDB_PREV, "prev") }

    /// The entry at the current position again, e.g. after handing the cursor to a helper.
    public func current() throws(LMDBError) -> Entry? { try move(MDB_GET_CURRENT, "current") }

    /// Moves to the first key `>= key` (`MDB_SET_RANGE`): the start of a range scan.
    public func seek(atLeast key: UnsafeRawBufferPointer) throws(LMDBError) -> Entry? {
        try move(MDB_SET_RANGE, "seek(atLeast:)", key: key)
    }

    /// Moves to exactly `key` (`MDB_SET_KEY`); `nil` when it is absent.
    public func seek(exactly key: UnsafeRawBufferPointer) throws(LMDBError) -> Entry? {
        try move(MDB_SET_KEY, "seek(exactly:)", key: key)
    }

    /// `seek(atLeast:)` with the key given as any contiguous bytes (e.g. a `BigEndianKey`).
    public func seek<Key: ContiguousBytes>(atLeast key: Key) throws(LMDBError) -> Entry? {
        let outcome: Result<Entry?, LMDBError> = key.withUnsafeBytes { keyBytes in
            Result { () throws(LMDBError) in try seek(atLeast: keyBytes) }
        }
        return try outcome.get()
    }

    /// `seek(exactly:)` with the key given as any contiguous bytes.
    public func seek<Key: ContiguousBytes>(exactly key: Key) throws(LMDBError) -> Entry? {
        let outcome: Result<Entry?, LMDBError> = key.withUnsafeBytes { keyBytes in
            Result { () throws(LMDBError) in try seek(exactly: keyBytes) }
        }
        return try outcome.get()
    }

    @inline(__always)
    private func move(_ op: MDB_cursor_op, _ name: StaticString, key: UnsafeRawBufferPointer? = nil) throws(LMDBError) -> Entry? {
        var keyVal = key.map { MDB_val($0) } ?? MDB_val()
        var dataVal = MDB_val()
        let rc = mdb_cursor_get(pointer, &keyVal, &dataVal, op)
        switch rc {
        case 0:
            return (keyVal.buffer, dataVal.buffer)
        case MDB_NOTFOUND:
            return nil
        case EINVAL where op == MDB_GET_CURRENT:
            // LMDB answers EINVAL for GET_CURRENT on a cursor that was never positioned.
            return nil
        default:
            throw LMDBError(code: rc, operation: "cursor \(name) in '\(database.name)'")
        }
    }
}
