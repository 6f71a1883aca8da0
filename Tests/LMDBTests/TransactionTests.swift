import Foundation
import LMDB
import Testing

@Suite("Transactions")
struct TransactionTests {
    @Test("put then get returns the same bytes, zero-copy and copied")
    func putGetRoundTrip() throws {
        try withEnvironment { env, db in
            try env.write { txn throws in
                try txn.put(db, key: bytes("alpha"), value: bytes("one"))
                try txn.put(db, key: bytes("beta"), value: [0, 1, 2, 255])
            }
            try env.read { txn throws in
                #expect(try txn.value(db, forKey: bytes("alpha")) == bytes("one"))
                #expect(try txn.value(db, forKey: bytes("beta")) == [0, 1, 2, 255])
                #expect(try txn.value(db, forKey: bytes("gamma")) == nil)
                let length = try txn.withValue(db, forKey: bytes("alpha")) { $0?.count }
                #expect(length == 3)
                let text = try txn.withValue(db, forKey: bytes("alpha")) { $0.map(string) }
                #expect(text == "one")
                #expect(try txn.entryCount(db) == 2)
                #expect(try txn.containsKey(db, bytes("beta")))
                #expect(try !txn.containsKey(db, bytes("gamma")))
            }
            #expect(try env.statistics(db).entries == 2)
        }
    }

    @Test("write commits when the closure returns and persists nothing when it throws")
    func commitAndAbort() throws {
        try withEnvironment { env, db in
            let returned = try env.write { txn throws in
                try txn.put(db, key: bytes("kept"), value: bytes("yes"))
                return 42
            }
            #expect(returned == 42)

            #expect(throws: ExpectedFailure.self) {
                try env.write { txn throws in
                    try txn.put(db, key: bytes("dropped"), value: bytes("no"))
                    try txn.put(db, key: bytes("kept"), value: bytes("overwritten"))
                    #expect(try txn.value(db, forKey: bytes("dropped")) == bytes("no"))
                    throw ExpectedFailure()
                }
            }

            try env.read { txn throws in
                #expect(try txn.value(db, forKey: bytes("kept")) == bytes("yes"))
                #expect(try txn.value(db, forKey: bytes("dropped")) == nil)
                #expect(try txn.entryCount(db) == 1)
            }
        }
    }

    @Test("another reader sees a write only after it commits, and an older snapshot never does")
    func visibilityAfterCommit() throws {
        try withEnvironment { env, db in
            try env.write { txn throws in
                try txn.put(db, key: bytes("k"), value: bytes("v"))
                let seenDuringWrite = try onOtherThread {
                    try env.read { try $0.value(db, forKey: bytes("k")) }
                }
                #expect(seenDuringWrite == nil)
            }
            #expect(try env.read { try $0.value(db, forKey: bytes("k")) } == bytes("v"))

            // A snapshot taken before a commit keeps seeing the old value (MVCC).
            try env.read { snapshot throws in
                _ = try onOtherThread {
                    _ = try env.write { try $0.put(db, key: bytes("k"), value: bytes("v2")) }
                }
                #expect(try snapshot.value(db, forKey: bytes("k")) == bytes("v"))
            }
            #expect(try env.read { try $0.value(db, forKey: bytes("k")) } == bytes("v2"))
        }
    }

    @Test("named databases are independent")
    func namedDatabasesAreIndependent() throws {
        try withEnvironment { env, main in
            let other = try env.openDatabase(named: "other", create: true)
            #expect(other != main)
            try env.write { txn throws in
                try txn.put(main, key: bytes("shared"), value: bytes("in main"))
                try txn.put(other, key: bytes("shared"), value: bytes("in other"))
                try txn.put(other, key: bytes("only-other"), value: bytes("x"))
            }
            try env.write { txn throws in
                #expect(try txn.delete(main, key: bytes("shared")))
            }
            try env.read { txn throws in
                #expect(try txn.value(main, forKey: bytes("shared")) == nil)
                #expect(try txn.value(other, forKey: bytes("shared")) == bytes("in other"))
                #expect(try txn.value(main, forKey: bytes("only-other")) == nil)
                #expect(try txn.entryCount(main) == 0)
                #expect(try txn.entryCount(other) == 2)
            }
            // Opening by name again finds the same database.
            let reopened = try env.openDatabase(named: "other", create: false)
            #expect(try env.read { try $0.value(reopened, forKey: bytes("only-other")) } == bytes("x"))
        }
    }

    @Test("opening an absent database without create is a not-found error")
    func openAbsentDatabase() throws {
        try withEnvironment { env, _ in
            let error = #expect(throws: LMDBError.self) {
                _ = try env.openDatabase(named: "missing", create: false)
            }
            #expect(error?.isNotFound == true)
            #expect(error?.message.contains("missing") == true)
        }
    }

    @Test(".noOverwrite keeps the existing value and reports false")
    func noOverwrite() throws {
        try withEnvironment { env, db in
            let results = try env.write { txn throws in
                let first = try txn.put(db, key: bytes("k"), value: bytes("first"), flags: .noOverwrite)
                let second = try txn.put(db, key: bytes("k"), value: bytes("second"), flags: .noOverwrite)
                return (first, second)
            }
            #expect(results.0 == true)
            #expect(results.1 == false)
            #expect(try env.read { try $0.value(db, forKey: bytes("k")) } == bytes("first"))
            // Without the flag a put replaces the value.
            try env.write { txn throws in #expect(try txn.put(db, key: bytes("k"), value: bytes("third"))) }
            #expect(try env.read { try $0.value(db, forKey: bytes("k")) } == bytes("third"))
        }
    }

    @Test(".append accepts ascending keys and rejects an out-of-order key cleanly")
    func appendOutOfOrder() throws {
        try withEnvironment { env, db in
            try env.write { txn throws in
                for n: UInt64 in [1, 2, 3] {
                    try txn.put(db, key: n.bigEndianKey, value: bytes("v\(n)"), flags: .append)
                }
                let error = #expect(throws: LMDBError.self) {
                    try txn.put(db, key: UInt64(2).bigEndianKey, value: bytes("late"), flags: .append)
                }
                #expect(error?.isKeyExists == true)
                #expect(error?.message.contains("append") == true)
                // With .noOverwrite, the existing last key is reported as present rather than an error.
                #expect(try !txn.put(db, key: UInt64(3).bigEndianKey, value: bytes("dup"), flags: [.append, .noOverwrite]))
                // The transaction stays usable after the rejected append.
                try txn.put(db, key: UInt64(4).bigEndianKey, value: bytes("v4"), flags: .append)
            }
            try env.read { txn throws in
                #expect(try txn.entryCount(db) == 4)
                #expect(try txn.value(db, forKey: UInt64(2).bigEndianKey) == bytes("v2"))
                #expect(try txn.value(db, forKey: UInt64(3).bigEndianKey) == bytes("v3"))
                #expect(try txn.value(db, forKey: UInt64(4).bigEndianKey) == bytes("v4"))
            }
        }
    }

    @Test("delete removes a key and reports false for an absent one")
    func delete() throws {
        try withEnvironment { env, db in
            try env.write { txn throws in
                try txn.put(db, key: bytes("a"), value: bytes("1"))
                try txn.put(db, key: bytes("b"), value: bytes("2"))
            }
            let outcomes = try env.write { txn throws in
                (try txn.delete(db, key: bytes("a")), try txn.delete(db, key: bytes("a")), try txn.delete(db, key: bytes("zzz")))
            }
            #expect(outcomes == (true, false, false))
            try env.read { txn throws in
                #expect(try txn.value(db, forKey: bytes("a")) == nil)
                #expect(try txn.value(db, forKey: bytes("b")) == bytes("2"))
                #expect(try txn.entryCount(db) == 1)
            }
            try env.write { txn throws in try txn.removeAll(db) }
            #expect(try env.read { try $0.entryCount(db) } == 0)
        }
    }

    @Test("reserved puts write straight into the map; .noOverwrite skips the fill")
    func reservedPut() throws {
        try withEnvironment { env, db in
            let big = pattern(seed: 7, count: 100_000)
            var fills = 0
            try env.write { txn throws in
                let inserted = try txn.put(db, key: bytes("big"), reservingCount: big.count) { target in
                    fills += 1
                    target.copyBytes(from: big)
                }
                #expect(inserted)
                let again = try txn.put(db, key: bytes("big"), reservingCount: 4, flags: .noOverwrite) { _ in
                    fills += 1
                }
                #expect(!again)
            }
            #expect(fills == 1)
            #expect(try env.read { try $0.value(db, forKey: bytes("big")) } == big)
        }
    }

    @Test("write transactions read their own uncommitted writes, including through cursors")
    func readYourWrites() throws {
        try withEnvironment { env, db in
            let keys = try env.write { txn throws in
                try txn.put(db, key: UInt64(2).bigEndianKey, value: bytes("b"))
                try txn.put(db, key: UInt64(1).bigEndianKey, value: bytes("a"))
                var seen: [UInt64] = []
                try txn.forEach(db) { key, _ in
                    seen.append(UInt64(bigEndianKey: key) ?? .max)
                    return true
                }
                #expect(try txn.entryCount(db) == 2)
                return seen
            }
            #expect(keys == [1, 2])
        }
    }

    @Test("errors carry the code, the operation and mdb_strerror's text")
    func errorDescription() throws {
        try withEnvironment { env, db in
            let error = #expect(throws: LMDBError.self) {
                try env.write { txn throws in try txn.put(db, key: [UInt8](), value: bytes("empty key")) }
            }
            #expect(error?.code == -30781)  // MDB_BAD_VALSIZE
            #expect(error?.operation.contains("main") == true)
            #expect(error?.description.contains("MDB_BAD_VALSIZE") == true)
            #expect(error == LMDBError(code: -30781, operation: error?.operation ?? ""))
            #expect(error?.isMapFull == false)
            // The environment is fine afterwards.
            try env.write { txn throws in try txn.put(db, key: bytes("k"), value: bytes("v")) }
            #expect(try env.read { try $0.entryCount(db) } == 1)
        }
    }
}
