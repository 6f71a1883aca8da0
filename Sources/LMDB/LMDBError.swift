internal import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed LMDB call, kept with its raw return code so callers can branch on the few codes that
/// mean something to them (absent key, duplicate key, full map) without parsing text.
public struct LMDBError: Error, CustomStringConvertible, Equatable {
    /// The LMDB return code (negative LMDB codes, or a positive `errno` from the system).
    public let code: Int32
    /// The wrapper operation that failed, so a log line says where it happened.
    public let operation: String
    /// A readable explanation: `mdb_strerror`'s text, plus context when the raw text would mislead.
    public let message: String

    /// Builds an error from a return code, taking the text from `mdb_strerror` unless a clearer one is given.
    public init(code: Int32, operation: String, message: String? = nil) {
        self.code = code
        self.operation = operation
        self.message = message ?? LMDBError.describe(code)
    }

    /// `"<operation>: <message> (code)"`, which is what operators need in a log line.
    public var description: String {
        "LMDB \(operation) failed: \(message) (code \(code))"
    }

    /// True when a key or named database does not exist (`MDB_NOTFOUND`).
    public var isNotFound: Bool { code == MDB_NOTFOUND }
    /// True when a put refused to replace an existing key, or an append key was out of order (`MDB_KEYEXIST`).
    public var isKeyExists: Bool { code == MDB_KEYEXIST }
    /// True when the memory map had no room left (`MDB_MAP_FULL`).
    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// True when a write found no room: the map full at its ceiling, the disk full (`ENOSPC`) or a
    /// quota reached (`EDQUOT`). Nothing of the transaction was written; making room lets the next one succeed.
    public var isOutOfSpace: Bool { isMapFull || code == ENOSPC || code == EDQUOT }
    /// True when the environment was opened read-only and a write was attempted.
    public var isReadOnly: Bool { code == EACCES }

    static func describe(_ code: Int32) -> String {
        guard let text = mdb_strerror(code) else { return "unknown error" }
        return String(cString: text)
    }

    /// Turns a non-zero return code into a thrown error; success stays on the fast path.
    @inline(__always)
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
        if code != 0 { throw LMDBError(code: code, operation: operation()) }
    }
}
