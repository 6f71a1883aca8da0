/// A handle to one named database (a sorted key-value table) inside an environment.
///
/// It is only a number LMDB hands out once per environment, so it is cheap to copy and safe to share
/// between threads; it is meaningful only with the environment that opened it.
public struct LMDBDatabase: Sendable, Hashable {
    /// LMDB's `MDB_dbi`, kept as a plain integer so the C module stays an implementation detail.
    let handle: UInt32
    /// The name it was opened with, for error messages and logs.
    public let name: String
}

/// B-tree figures for one database, from `mdb_stat`: how many entries and how much space they take.
public struct DatabaseStatistics: Sendable, Equatable {
    /// Number of key-value entries.
    public var entries: Int
    /// Height of the B-tree; lookups touch this many pages.
    public var depth: Int
    /// Page size in bytes, the same for every database of the environment.
    public var pageSize: Int
    /// Internal (non-leaf) pages.
    public var branchPages: Int
    /// Leaf pages.
    public var leafPages: Int
    /// Pages holding values too large for a leaf page.
    public var overflowPages: Int

    /// Bytes occupied by this database's pages.
    public var usedBytes: Int { (branchPages + leafPages + overflowPages) * pageSize }
}
