internal import CLMDB
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One open LMDB environment (a directory holding `data.mdb` and `lock.mdb`), the entry point for
/// every transaction.
///
/// `@unchecked Sendable` is sound because: the `MDB_env` handle is documented thread-safe; it is
/// opened with `MDB_NOTLS`, so read transactions belong to their transaction object rather than to a
/// thread and may run on any pool thread; each transaction lives entirely inside one synchronous
/// closure on one thread; and the only mutable wrapper state (the map size) is changed under this
/// object's exclusive reader-writer lock, with the cached value in an atomic.
///
/// Open each path once per process: LMDB does not support two environments on the same files in
/// one process (its locks are per process). Other processes, such as a read-only auditor, may open
/// it concurrently.
public final class LMDBEnvironment: @unchecked Sendable {
    /// How hard a commit works to reach the disk.
    public enum Durability: Sendable {
        /// LMDB's default: every commit is fsync'd before `write` returns, so a committed transaction
        /// survives a crash. The only choice for real data.
        case synced
        /// `MDB_NOSYNC`: commits skip fsync, so a crash may lose recent ones (never corrupt the file).
        /// For throwaway benchmarks and tests only.
        case noSync
    }

    /// Settings fixed when the environment is opened.
    public struct Options: Sendable {
        /// Initial size of the memory map in bytes (rounded up to the page size). Only address space;
        /// the file grows as pages are used.
        public var mapSize: Int
        /// Ceiling for automatic map growth in bytes; past it, writes fail with a map-full error.
        public var maxMapSize: Int
        /// How many named databases the environment may hold.
        public var maxDatabases: UInt32
        /// Reader slots in the lock file, shared by every process: one per concurrent read transaction.
        public var maxReaders: UInt32
        /// Opens with `MDB_RDONLY`: no directory creation, no writes (for the auditor).
        public var readOnly: Bool
        /// Whether commits are fsync'd; see `Durability`.
        public var durability: Durability
        /// The user-facing setting that controls the map size, named in the map-full error so an
        /// operator knows what to raise.
        public var mapSizeSettingName: String

        /// Defaults suit the booking server: 1 GiB to start, growth up to 1 TiB, synced commits.
        public init(
            mapSize: Int = 1 << 30,
            maxMapSize: Int = 1 << 40,
            maxDatabases: UInt32 = 16,
            maxReaders: UInt32 = 512,
            readOnly: Bool = false,
            durability: Durability = .synced,
            mapSizeSettingName: String = "--map-size-mb / BOOKING_MAP_SIZE_MB"
        ) {
            self.mapSize = mapSize
            self.maxMapSize = maxMapSize
            self.maxDatabases = maxDatabases
            self.maxReaders = maxReaders
            self.readOnly = readOnly
            self.durability = durability
            self.mapSizeSettingName = mapSizeSettingName
        }
    }

    /// The directory holding the environment's files.
    public let path: String
    /// The options the environment was opened with.
    public let options: Options
    /// Reader slots freed at open because the processes holding them had died; non-zero means an
    /// earlier process crashed mid-read, worth a log line.
    public let staleReadersCleared: Int
    /// LMDB's page size, the granularity of map sizes.
    public let pageSize: Int

    private let env: OpaquePointer
    private let transactionLock = ReadWriteLock()
    private let openDatabaseLock = Mutex(())
    private let cachedMapSize: Atomic<Int>
    private let mapSizeCeiling: Int

    /// Opens (and, unless read-only, creates) the environment at `path`.
    ///
    /// Runs `mdb_reader_check` to reclaim reader slots left by crashed processes: a stale slot pins
    /// old pages and makes the file grow without bound.
    public init(path: String, options: Options = Options()) throws(LMDBError) {
        precondition(options.mapSize > 0, "mapSize must be positive")
        if !options.readOnly {
            try Self.createDirectory(path)
        }
        var envPointer: OpaquePointer?
        try LMDBError.check(mdb_env_create(&envPointer), "env_create")
        guard let env = envPointer else { throw LMDBError(code: ENOMEM, operation: "env_create") }

        let systemPageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var flags = UInt32(MDB_NOTLS)
        if options.readOnly { flags |= UInt32(MDB_RDONLY) }
        if options.durability == .noSync { flags |= UInt32(MDB_NOSYNC) }

        let cleared: Int
        let lmdbPageSize: Int
        let openedMapSize: Int
        do throws(LMDBError) {
            try LMDBError.check(mdb_env_set_mapsize(env, Self.roundUp(options.mapSize, to: systemPageSize)), "set map size")
            try LMDBError.check(mdb_env_set_maxreaders(env, options.maxReaders), "set max readers")
            try LMDBError.check(mdb_env_set_maxdbs(env, options.maxDatabases), "set max databases")
            // Owner-only: the log holds personal data. A read-only auditor runs as the same user.
            let rc = mdb_env_open(env, path, flags, 0o600)
            if rc != 0 {
                let hint = options.readOnly && rc == ENOENT ? "no LMDB environment at '\(path)'" : nil
                throw LMDBError(code: rc, operation: "open '\(path)'", message: hint.map { "\($0) (\(LMDBError.describe(rc)))" })
            }
            var dead: Int32 = 0
            try LMDBError.check(mdb_reader_check(env, &dead), "reader check")
            cleared = Int(dead)
            var stat = MDB_stat()
            try LMDBError.check(mdb_env_stat(env, &stat), "env stat")
            lmdbPageSize = Int(stat.ms_psize)
            var info = MDB_envinfo()
            try LMDBError.check(mdb_env_info(env, &info), "env info")
            openedMapSize = info.me_mapsize
        } catch {
            mdb_env_close(env)
            throw error
        }

        self.env = env
        self.path = path
        self.options = options
        self.staleReadersCleared = cleared
        self.pageSize = lmdbPageSize
        self.cachedMapSize = Atomic(openedMapSize)
        self.mapSizeCeiling = max(openedMapSize, options.maxMapSize / lmdbPageSize * lmdbPageSize)
    }

    deinit {
        // No transaction can be live here: every closure that runs one keeps `self` alive.
        mdb_env_close(env)
    }

    /// Whether the environment was opened read-only.
    public var isReadOnly: Bool { options.readOnly }

    /// The current size of the memory map in bytes; it grows as writes need room.
    public var mapSize: Int { cachedMapSize.load(ordering: .acquiring) }

    /// The largest key LMDB accepts (511 bytes with the default build).
    public var maxKeySize: Int { Int(mdb_env_get_maxkeysize(env)) }

    /// Opens the named database, creating it when `create` is true.
    ///
    /// Open every database once at startup and keep the handle: LMDB forbids opening databases from
    /// concurrent transactions, and a read transaction that began before a database was first opened
    /// cannot use it. In a read-only environment `create` is ignored and an absent database is an
    /// `isNotFound` error.
    public func openDatabase(named name: String, create: Bool = true) throws(LMDBError) -> LMDBDatabase {
        let operation = "open database '\(name)'"
        let absent = "database '\(name)' does not exist in '\(path)'"
        return try openDatabaseLock.withLock { _ throws(LMDBError) -> LMDBDatabase in
            var handle: MDB_dbi = 0
            if options.readOnly {
                let txn = try beginTransaction(readOnly: true, operation: operation)
                defer { transactionLock.unlock() }
                let rc = mdb_dbi_open(txn, name, 0, &handle)
                guard rc == 0 else {
                    mdb_txn_abort(txn)
                    throw LMDBError(code: rc, operation: operation, message: rc == MDB_NOTFOUND ? absent + " (read-only: cannot create it)" : nil)
                }
                // Committing, not aborting, is what keeps the handle open for later transactions.
                try LMDBError.check(mdb_txn_commit(txn), operation)
            } else {
                do {
                    try performWrite(operation: operation) { txn, _ throws(LMDBError) in
                        let rc = mdb_dbi_open(txn, name, create ? UInt32(MDB_CREATE) : 0, &handle)
                        if rc != 0 {
                            throw LMDBError(code: rc, operation: operation, message: rc == MDB_NOTFOUND ? absent : nil)
                        }
                    }
                } catch let error as LMDBError {
                    throw error
                } catch {
                    fatalError("unreachable: opening a database throws only LMDBError, got \(error)")
                }
            }
            return LMDBDatabase(handle: handle, name: name)
        }
    }

    /// Runs `body` in a read transaction: a consistent snapshot that never blocks or is blocked by the writer.
    ///
    /// The closure is synchronous on purpose: never `await` inside a transaction (the snapshot would
    /// pin old pages for as long as the task is suspended). Don't start another transaction of this
    /// environment inside `body`.
    public func read<R>(_ body: (borrowing ReadTransaction) throws -> R) throws -> R {
        let txn = try beginTransaction(readOnly: true, operation: "read")
        defer {
            mdb_txn_abort(txn)
            transactionLock.unlock()
        }
        return try body(ReadTransaction(core: TransactionCore(txn: txn)))
    }

    /// Runs `body` in the write transaction: committed (and, when `.synced`, on disk) when `body`
    /// returns, aborted with nothing persisted when it throws.
    ///
    /// LMDB allows one writer at a time; other callers wait. The closure is synchronous because an
    /// LMDB write transaction is bound to the thread that began it, and a task can change threads
    /// at an `await`: never `await` inside. When the map fills up, the transaction is aborted, the
    /// map doubled (up to `maxMapSize`) and `body` run again, so `body` must be re-runnable: its only
    /// side effects should be on the transaction. Don't start another transaction of this
    /// environment inside `body`.
    @discardableResult
    public func write<R>(_ body: (borrowing WriteTransaction) throws -> R) throws -> R {
        try performWrite(operation: "write") { txn, mapFullHit in
            try body(WriteTransaction(core: TransactionCore(txn: txn), mapFullHit: mapFullHit))
        }
    }

    /// B-tree figures for `database` as last committed.
    public func statistics(_ database: LMDBDatabase) throws -> DatabaseStatistics {
        try read { txn in try txn.statistics(database) }
    }

    /// Flushes buffers to disk; useful with `.noSync` before handing the files on. With `force`, the
    /// flush is synchronous. A read-only environment has nothing to flush.
    public func sync(force: Bool = true) throws(LMDBError) {
        guard !options.readOnly else { return }
        try LMDBError.check(mdb_env_sync(env, force ? 1 : 0), "sync")
    }

    /// Frees reader slots held by dead processes again (done once at open); returns how many.
    /// Worth calling periodically in a long-running server that shares the files with other processes.
    public func clearStaleReaders() throws(LMDBError) -> Int {
        var dead: Int32 = 0
        try LMDBError.check(mdb_reader_check(env, &dead), "reader check")
        return Int(dead)
    }

    // MARK: - Transactions and map size

    /// Begins a transaction and returns with the transaction lock held shared (the caller unlocks
    /// after ending the transaction). Adopts a map grown by another process when LMDB asks to.
    private func beginTransaction(readOnly: Bool, operation: String) throws(LMDBError) -> OpaquePointer {
        var resizes = 0
        while true {
            transactionLock.lockShared()
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
            if rc == 0, let txn { return txn }
            transactionLock.unlock()
            guard rc == MDB_MAP_RESIZED, resizes < 8 else {
                throw LMDBError(code: rc == 0 ? MDB_BAD_TXN : rc, operation: "\(operation): begin transaction")
            }
            resizes += 1
            try adoptMapSizeFromFile()
        }
    }

    /// The write loop shared by `write` and `openDatabase`: commit on return, abort on throw, and on
    /// a full map abort, grow and run `body` again.
    private func performWrite<R, E: Error>(
        operation: String,
        _ body: (OpaquePointer, UnsafeMutablePointer<Bool>) throws(E) -> R
    ) throws -> R {
        guard !options.readOnly else {
            throw LMDBError(
                code: EACCES,
                operation: operation,
                message: "the environment at '\(path)' is open read-only; writes are refused"
            )
        }
        while true {
            let txn = try beginTransaction(readOnly: false, operation: operation)
            let mapSizeBefore = mapSize
            var mapFull = false
            let outcome: Result<R, E> = withUnsafeMutablePointer(to: &mapFull) { mapFullHit in
                Result { () throws(E) in try body(txn, mapFullHit) }
            }
            var commitError: LMDBError?
            if case .success = outcome, !mapFull {
                let rc = mdb_txn_commit(txn)  // frees the transaction whatever the outcome
                if rc == MDB_MAP_FULL {
                    mapFull = true
                } else if rc != 0 {
                    commitError = LMDBError(code: rc, operation: "\(operation): commit")
                }
            } else {
                if case .failure(let error as LMDBError) = outcome, error.isMapFull { mapFull = true }
                mdb_txn_abort(txn)
            }
            transactionLock.unlock()

            if mapFull {
                try growMap(beyond: mapSizeBefore, operation: operation)
                continue
            }
            if let commitError { throw commitError }
            return try outcome.get()
        }
    }

    /// Doubles the map, capped at the ceiling. Runs with no transaction of this process live, as
    /// `mdb_env_set_mapsize` requires.
    private func growMap(beyond sizeWhenFull: Int, operation: String) throws(LMDBError) {
        try transactionLock.withExclusive { () throws(LMDBError) in
            let current = cachedMapSize.load(ordering: .relaxed)
            if current > sizeWhenFull { return }  // another writer already grew it meanwhile
            guard current < mapSizeCeiling else {
                throw LMDBError(
                    code: MDB_MAP_FULL,
                    operation: operation,
                    message: "the database map is full at its ceiling of \(Self.describeBytes(mapSizeCeiling)); "
                        + "raise the limit with \(options.mapSizeSettingName)"
                )
            }
            let doubled = current > mapSizeCeiling / 2 ? mapSizeCeiling : current * 2
            let target = max(doubled / pageSize * pageSize, current + pageSize)
            try LMDBError.check(mdb_env_set_mapsize(env, min(target, mapSizeCeiling)), "\(operation): grow map")
            try refreshMapSize()
        }
    }

    /// Another process grew the map (LMDB reported `MDB_MAP_RESIZED`): adopt the size recorded in the file.
    private func adoptMapSizeFromFile() throws(LMDBError) {
        try transactionLock.withExclusive { () throws(LMDBError) in
            try LMDBError.check(mdb_env_set_mapsize(env, 0), "adopt grown map")
            try refreshMapSize()
        }
    }

    private func refreshMapSize() throws(LMDBError) {
        var info = MDB_envinfo()
        try LMDBError.check(mdb_env_info(env, &info), "env info")
        cachedMapSize.store(info.me_mapsize, ordering: .releasing)
    }

    // MARK: - Helpers

    private static func roundUp(_ value: Int, to multiple: Int) -> Int {
        (value + multiple - 1) / multiple * multiple
    }

    private static func describeBytes(_ bytes: Int) -> String {
        let mebibytes = Double(bytes) / 1_048_576
        return mebibytes >= 1 ? "\(Int(mebibytes.rounded())) MiB (\(bytes) bytes)" : "\(bytes) bytes"
    }

    /// `mkdir -p` with owner-only permissions, since LMDB requires the directory to exist.
    private static func createDirectory(_ path: String) throws(LMDBError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            if mkdir(current, 0o700) != 0 {
                let code = errno
                var info = stat()
                guard code == EEXIST, stat(current, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw LMDBError(code: code, operation: "create directory '\(current)'")
                }
            }
        }
    }
}
