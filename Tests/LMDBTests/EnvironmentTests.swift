import Foundation
import LMDB
import Synchronization
import Testing

@Suite("Environment lifecycle and map size")
struct EnvironmentTests {
    @Test("the map grows from 64 KiB to hold 10 MB, re-running the write closure, and every value reads back")
    func mapGrowth() throws {
        let options = testOptions(mapSize: 64 << 10, maxMapSize: 256 << 20)
        try withEnvironment(options) { env, db in
            let initialMapSize = env.mapSize
            #expect(initialMapSize == 64 << 10)

            // Many small transactions, each possibly hitting the full map.
            let valueSize = 4_000
            for batch in 0..<25 {
                try env.write { txn throws in
                    for i in 0..<50 {
                        let n = UInt64(batch * 50 + i)
                        try txn.put(db, key: n.bigEndianKey, value: pattern(seed: n, count: valueSize))
                    }
                }
            }
            // One large transaction (~5 MB via MDB_RESERVE): must be re-run at least once after growth.
            let sizeBeforeBigWrite = env.mapSize
            var runs = 0
            try env.write { txn throws in
                runs += 1
                for n in UInt64(10_000)..<UInt64(10_050) {
                    let value = pattern(seed: n, count: 100_000)
                    try txn.put(db, key: n.bigEndianKey, reservingCount: value.count) { $0.copyBytes(from: value) }
                }
            }
            #expect(runs > 1)
            #expect(env.mapSize > sizeBeforeBigWrite)
            #expect(env.mapSize >= 10 << 20)
            #expect(env.mapSize <= 256 << 20)

            try env.read { txn throws in
                #expect(try txn.entryCount(db) == 1_250 + 50)
                var mismatches = 0
                for n in UInt64(0)..<1_250 where try txn.value(db, forKey: n.bigEndianKey) != pattern(seed: n, count: valueSize) {
                    mismatches += 1
                }
                for n in UInt64(10_000)..<10_050 where try txn.value(db, forKey: n.bigEndianKey) != pattern(seed: n, count: 100_000) {
                    mismatches += 1
                }
                #expect(mismatches == 0)
            }
        }
    }

    @Test("a full map at the ceiling names the setting, keeps committed data and stays readable")
    func mapFullAtCeiling() throws {
        let options = testOptions(mapSize: 64 << 10, maxMapSize: 256 << 10, mapSizeSettingName: "--test-map-size-mb")
        try withEnvironment(options) { env, db in
            try env.write { txn throws in try txn.put(db, key: bytes("before"), value: bytes("kept")) }

            let error = #expect(throws: LMDBError.self) {
                try env.write { txn throws in
                    for n in UInt64(0)..<200 {
                        try txn.put(db, key: n.bigEndianKey, value: pattern(seed: n, count: 8_000))
                    }
                }
            }
            #expect(error?.isMapFull == true)
            #expect(error?.message.contains("--test-map-size-mb") == true)
            #expect(error?.description.contains("--test-map-size-mb") == true)
            #expect(env.mapSize == 256 << 10)

            try env.read { txn throws in
                #expect(try txn.value(db, forKey: bytes("before")) == bytes("kept"))
                #expect(try txn.entryCount(db) == 1)
            }
            // Small writes that fit still succeed.
            try env.write { txn throws in try txn.put(db, key: bytes("after"), value: bytes("fits")) }
            #expect(try env.read { try $0.value(db, forKey: bytes("after")) } == bytes("fits"))
        }
    }

    @Test("a closure that swallows the map-full error is still re-run after the map grows")
    func swallowedMapFullStillRetries() throws {
        try withEnvironment(testOptions(mapSize: 64 << 10, maxMapSize: 64 << 20)) { env, db in
            var runs = 0
            var swallowed = 0
            try env.write { txn throws in
                runs += 1
                do {
                    try txn.put(db, key: bytes("big"), value: pattern(seed: 1, count: 1 << 20))
                } catch let error as LMDBError where error.isMapFull {
                    swallowed += 1
                }
            }
            #expect(runs > 1)
            #expect(swallowed == runs - 1)
            #expect(try env.read { try $0.value(db, forKey: bytes("big")) } == pattern(seed: 1, count: 1 << 20))
        }
    }

    @Test("readers on other threads keep working while the writer grows the map")
    func concurrentReadsDuringGrowth() throws {
        try withEnvironment(testOptions(mapSize: 64 << 10, maxMapSize: 256 << 20)) { env, db in
            let expected = pattern(seed: 0, count: 1_000)
            try env.write { txn throws in try txn.put(db, key: UInt64(0).bigEndianKey, value: expected) }
            let stop = StopFlag()
            let readersRunning = DispatchSemaphore(value: 0)
            let readersDone = DispatchGroup()
            let reads = Mutex<[Int]>([])
            let mismatches = Mutex(0)
            for _ in 0..<2 {
                readersDone.enter()
                Thread {
                    defer { readersDone.leave() }
                    var count = 0
                    while count == 0 || !stop.isSet {
                        let value = try? env.read { try $0.value(db, forKey: UInt64(0).bigEndianKey) }
                        if value != expected { mismatches.withLock { $0 += 1 } }
                        count += 1
                        if count == 1 { readersRunning.signal() }
                    }
                    reads.withLock { $0.append(count) }
                }.start()
            }
            readersRunning.wait()
            readersRunning.wait()
            for batch in UInt64(1)...40 {
                try env.write { txn throws in
                    try txn.put(db, key: batch.bigEndianKey, value: pattern(seed: batch, count: 50_000))
                }
            }
            stop.set()
            readersDone.wait()
            #expect(reads.withLock { $0.count } == 2)
            #expect(reads.withLock { $0.allSatisfy { $0 > 0 } })
            #expect(mismatches.withLock { $0 } == 0)
            #expect(env.mapSize > 64 << 10)
            try env.read { txn throws in
                #expect(try txn.entryCount(db) == 41)
                #expect(try txn.value(db, forKey: UInt64(40).bigEndianKey) == pattern(seed: 40, count: 50_000))
            }
        }
    }

    @Test("a read-only open sees committed data and refuses writes and new databases")
    func readOnlyOpen() throws {
        try withTemporaryDirectory { path in
            do {
                let env = try LMDBEnvironment(path: path, options: testOptions())
                let db = try env.openDatabase(named: "events", create: true)
                try env.write { txn throws in try txn.put(db, key: UInt64(1).bigEndianKey, value: bytes("first event")) }
            }
            let readOnly = try LMDBEnvironment(path: path, options: testOptions(readOnly: true))
            #expect(readOnly.isReadOnly)
            let db = try readOnly.openDatabase(named: "events", create: false)
            #expect(try readOnly.read { try $0.value(db, forKey: UInt64(1).bigEndianKey) } == bytes("first event"))

            let writeError = #expect(throws: LMDBError.self) {
                try readOnly.write { txn throws in try txn.put(db, key: UInt64(2).bigEndianKey, value: bytes("nope")) }
            }
            #expect(writeError?.isReadOnly == true)
            #expect(writeError?.message.contains("read-only") == true)

            let openError = #expect(throws: LMDBError.self) {
                _ = try readOnly.openDatabase(named: "projections", create: true)
            }
            #expect(openError?.isNotFound == true)
            #expect(openError?.message.contains("does not exist") == true)
            #expect(try readOnly.read { try $0.entryCount(db) } == 1)
        }
    }

    @Test("a read-only open of a missing environment fails without creating it")
    func readOnlyOpenOfMissingEnvironment() throws {
        try withTemporaryDirectory { path in
            let missing = path + "/nothing-here"
            let error = #expect(throws: LMDBError.self) {
                _ = try LMDBEnvironment(path: missing, options: testOptions(readOnly: true))
            }
            #expect(error?.message.contains("no LMDB environment") == true)
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
    }

    @Test("reopening after close sees committed data, with synced durability")
    func reopenAfterClose() throws {
        try withTemporaryDirectory { path in
            let nested = path + "/a/b/env"  // created recursively
            do {
                let env = try LMDBEnvironment(path: nested)  // default options: synced commits
                #expect(env.options.durability == .synced)
                let db = try env.openDatabase(named: "events")
                try env.write { txn throws in try txn.put(db, key: bytes("k"), value: bytes("durable")) }
                try env.sync(force: true)
            }
            let env = try LMDBEnvironment(path: nested)
            #expect(env.staleReadersCleared == 0)
            let db = try env.openDatabase(named: "events", create: false)
            #expect(try env.read { try $0.value(db, forKey: bytes("k")) } == bytes("durable"))
            #expect(FileManager.default.fileExists(atPath: nested + "/data.mdb"))
        }
    }

    @Test("reader check runs at open and on demand, finding no stale readers in a clean environment")
    func readerCheck() throws {
        try withEnvironment { env, db in
            #expect(env.staleReadersCleared == 0)
            try env.write { txn throws in try txn.put(db, key: bytes("k"), value: bytes("v")) }
            #expect(try env.read { _ in try env.clearStaleReaders() } == 0)
            #expect(try env.clearStaleReaders() == 0)
        }
    }

    @Test("statistics report entries and page geometry")
    func statistics() throws {
        try withEnvironment { env, db in
            try env.write { txn throws in
                for n in UInt64(0)..<500 { try txn.put(db, key: n.bigEndianKey, value: pattern(seed: n, count: 100)) }
            }
            let stats = try env.statistics(db)
            #expect(stats.entries == 500)
            #expect(stats.pageSize == env.pageSize)
            #expect(stats.pageSize >= 4_096)
            #expect(stats.depth >= 2)
            #expect(stats.leafPages > 1)
            #expect(stats.usedBytes >= 500 * 100)
            #expect(env.maxKeySize == 511)
        }
    }
}

/// A flag shared with reader threads; a class so the threads can capture it.
final class StopFlag: Sendable {
    private let flag = Atomic(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
