import Foundation
import LMDB

/// A fresh directory per test, removed afterwards, so tests run in parallel without sharing files.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("lmdb-tests-\(UUID().uuidString)", isDirectory: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// Options for tests: no fsync, since durability across power loss is not what these tests check.
func testOptions(
    mapSize: Int = 16 << 20,
    maxMapSize: Int = 1 << 30,
    readOnly: Bool = false,
    mapSizeSettingName: String = "--map-size-mb / BOOKING_MAP_SIZE_MB"
) -> LMDBEnvironment.Options {
    LMDBEnvironment.Options(
        mapSize: mapSize,
        maxMapSize: maxMapSize,
        readOnly: readOnly,
        durability: .noSync,
        mapSizeSettingName: mapSizeSettingName
    )
}

/// Opens an environment in a fresh directory with one database named "main".
func withEnvironment<R>(
    _ options: LMDBEnvironment.Options = testOptions(),
    _ body: (LMDBEnvironment, LMDBDatabase) throws -> R
) throws -> R {
    try withTemporaryDirectory { path in
        let env = try LMDBEnvironment(path: path + "/env", options: options)
        let db = try env.openDatabase(named: "main", create: true)
        return try body(env, db)
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func string(_ buffer: UnsafeRawBufferPointer) -> String { String(decoding: buffer, as: UTF8.self) }

/// A deterministic value of `count` bytes that differs per `seed`, so a misplaced value is detected.
func pattern(seed: UInt64, count: Int) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var result = [UInt8](repeating: 0, count: count)
    result.withUnsafeMutableBytes { buffer in
        var offset = 0
        while offset < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            withUnsafeBytes(of: state) { word in
                let n = min(8, count - offset)
                buffer.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: n)
            }
            offset += 8
        }
    }
    return result
}

struct ExpectedFailure: Error, Equatable {}

/// Runs `body` on a separate OS thread and waits: proves the snapshot semantics across threads
/// without nesting transactions on one thread.
func onOtherThread<R: Sendable>(_ body: @escaping @Sendable () throws -> R) throws -> R {
    let box = ResultBox<R>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.set(Result { try body() })
        done.signal()
    }
    thread.start()
    done.wait()
    return try box.get()
}

final class ResultBox<R: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<R, any Error>?
    func set(_ value: Result<R, any Error>) { lock.withLock { result = value } }
    func get() throws -> R { try lock.withLock { result! }.get() }
}
