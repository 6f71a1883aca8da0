import Foundation
import LMDB
import Testing

/// `mdb_load` from Debian's `lmdb-utils` is a real second process writing the same environment,
/// which is the only way to make LMDB report `MDB_MAP_RESIZED` (one process cannot open a path twice).
private let mdbLoad = "/usr/bin/mdb_load"

@Suite("Sharing the environment with another process")
struct CrossProcessTests {
    @Test(
        "a map grown by another process is adopted on the next transaction",
        .enabled(if: FileManager.default.isExecutableFile(atPath: mdbLoad), "needs mdb_load (apt lmdb-utils)")
    )
    func adoptsMapGrownByAnotherProcess() throws {
        try withTemporaryDirectory { path in
            let env = try LMDBEnvironment(path: path, options: testOptions(mapSize: 64 << 10, maxMapSize: 1 << 30))
            let main = try env.openDatabase(named: "main")
            try env.write { txn throws in try txn.put(main, key: bytes("mine"), value: bytes("before")) }
            #expect(env.mapSize == 64 << 10)

            // The other process loads ~2 MB with a 16 MiB map: far past this process's 64 KiB mapping.
            let grownMapSize = 16 << 20
            var dump = "VERSION=3\nformat=bytevalue\ndatabase=loaded\ntype=btree\nmapsize=\(grownMapSize)\nHEADER=END\n"
            for n in UInt64(0)..<2_000 {
                let key = n.bigEndianKey.withUnsafeBytes { Array($0) }
                dump += " " + hex(key) + "\n " + hex(pattern(seed: n, count: 1_000)) + "\n"
            }
            dump += "DATA=END\n"
            let dumpPath = path + "/../" + URL(fileURLWithPath: path).lastPathComponent + ".dump"
            try dump.write(toFile: dumpPath, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: dumpPath) }

            let process = Process()
            process.executableURL = URL(fileURLWithPath: mdbLoad)
            process.arguments = ["-f", dumpPath, path]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)

            // The next transactions must adopt the new size instead of failing with MDB_MAP_RESIZED.
            let loaded = try env.openDatabase(named: "loaded", create: false)
            try env.read { txn throws in
                #expect(try txn.entryCount(loaded) == 2_000)
                #expect(try txn.value(loaded, forKey: UInt64(1_999).bigEndianKey) == pattern(seed: 1_999, count: 1_000))
                #expect(try txn.value(main, forKey: bytes("mine")) == bytes("before"))
            }
            #expect(env.mapSize == grownMapSize)
            try env.write { txn throws in try txn.put(main, key: bytes("mine"), value: bytes("after")) }
            #expect(try env.read { try $0.value(main, forKey: bytes("mine")) } == bytes("after"))
        }
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}
