import LMDB
import Testing

@Suite("Cursors and big-endian keys")
struct CursorTests {
    @Test("big-endian keys encode numeric order as byte order and round-trip")
    func bigEndianKeyEncoding() {
        let key = UInt64(0x0102_0304_0506_0708).bigEndianKey
        let encoded = key.withUnsafeBytes { Array($0) }
        #expect(encoded == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(encoded.withUnsafeBytes { UInt64(bigEndianKey: $0) } == 0x0102_0304_0506_0708)
        #expect([UInt8](repeating: 0, count: 7).withUnsafeBytes { UInt64(bigEndianKey: $0) } == nil)
        #expect(UInt64(255).bigEndianKey < UInt64(256).bigEndianKey)
        let a = UInt64(255).bigEndianKey.withUnsafeBytes { Array($0) }
        let b = UInt64(256).bigEndianKey.withUnsafeBytes { Array($0) }
        #expect(a.lexicographicallyPrecedes(b))
    }

    @Test("cursor iterates big-endian UInt64 keys numerically and seeks ranges")
    func cursorOrderAndSeek() throws {
        try withEnvironment { env, db in
            try env.write { txn throws in
                for n: UInt64 in [65536, 1, 256, 255] {
                    try txn.put(db, key: n.bigEndianKey, value: n.bigEndianKey)
                }
            }
            try env.read { txn throws in
                var forward: [UInt64] = []
                try txn.forEach(db) { key, value in
                    let number = UInt64(bigEndianKey: key)!
                    #expect(UInt64(bigEndianKey: value) == number)
                    forward.append(number)
                    return true
                }
                #expect(forward == [1, 255, 256, 65536])

                var fromTwo: [UInt64] = []
                try txn.forEach(db, from: UInt64(2).bigEndianKey) { key, _ in
                    fromTwo.append(UInt64(bigEndianKey: key)!)
                    return fromTwo.count < 2  // stop early
                }
                #expect(fromTwo == [255, 256])

                try txn.withCursor(db) { cursor throws in
                    #expect(try cursor.current() == nil)  // not positioned yet
                    #expect(try cursor.first().map { UInt64(bigEndianKey: $0.key) } == 1)
                    #expect(try cursor.next().map { UInt64(bigEndianKey: $0.key) } == 255)
                    #expect(try cursor.current().map { UInt64(bigEndianKey: $0.key) } == 255)
                    #expect(try cursor.last().map { UInt64(bigEndianKey: $0.key) } == 65536)
                    #expect(try cursor.next() == nil)
                    #expect(try cursor.prev().map { UInt64(bigEndianKey: $0.key) } == 256)
                    #expect(try cursor.seek(atLeast: UInt64(257).bigEndianKey).map { UInt64(bigEndianKey: $0.key) } == 65536)
                    #expect(try cursor.seek(atLeast: UInt64(255).bigEndianKey).map { UInt64(bigEndianKey: $0.key) } == 255)
                    #expect(try cursor.seek(atLeast: UInt64(70000).bigEndianKey) == nil)
                    #expect(try cursor.seek(exactly: UInt64(256).bigEndianKey).map { UInt64(bigEndianKey: $0.value) } == 256)
                    #expect(try cursor.seek(exactly: UInt64(257).bigEndianKey) == nil)
                }
            }
        }
    }

    @Test("cursors on an empty database find nothing")
    func emptyDatabase() throws {
        try withEnvironment { env, db in
            try env.read { txn throws in
                try txn.withCursor(db) { cursor throws in
                    #expect(try cursor.first() == nil)
                    #expect(try cursor.last() == nil)
                    #expect(try cursor.seek(atLeast: UInt64(0).bigEndianKey) == nil)
                }
                var visited = 0
                try txn.forEach(db) { _, _ in
                    visited += 1
                    return true
                }
                #expect(visited == 0)
            }
        }
    }

    @Test("a bulk append of 100k keys scans back in order")
    func bulkAppendAndScan() throws {
        try withEnvironment { env, db in
            let count: UInt64 = 100_000
            try env.write { txn throws in
                for n in 1...count {
                    try txn.put(db, key: n.bigEndianKey, value: n.bigEndianKey, flags: .append)
                }
            }
            let (visited, sum, ordered) = try env.read { txn throws in
                var visited: UInt64 = 0
                var sum: UInt64 = 0
                var previous: UInt64 = 0
                var ordered = true
                try txn.forEach(db) { key, value in
                    let n = UInt64(bigEndianKey: key) ?? 0
                    if n <= previous || UInt64(bigEndianKey: value) != n { ordered = false }
                    previous = n
                    visited += 1
                    sum &+= n
                    return true
                }
                return (visited, sum, ordered)
            }
            #expect(visited == count)
            #expect(sum == count * (count + 1) / 2)
            #expect(ordered)
        }
    }
}
