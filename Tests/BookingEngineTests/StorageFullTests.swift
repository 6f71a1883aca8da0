import Foundation
import Testing

/// A full disk and a full LMDB map, met by the built `serve` as in production: writes get 503 saying
/// the store is out of space, reads go on, `/health` says `degraded`, the operator log says why, and
/// once there is room again (space freed; the map ceiling raised) writes succeed and nothing that was
/// acknowledged is missing.
@Suite(.serialized) struct StorageFullTests {
    /// A small tmpfs, so "the disk is full" is real: LMDB's writes fail with ENOSPC from the kernel.
    final class SmallDisk {
        let path: String

        init(megabytes: Int) throws {
            path = NSTemporaryDirectory() + "booking-small-disk-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let mount = try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
            guard mount == 0 else { throw TestFailure("mount tmpfs at \(path) failed (\(mount))") }
        }

        /// Fills every byte left with a file, returning its path.
        func fill() throws -> String {
            let filler = path + "/filler"
            FileManager.default.createFile(atPath: filler, contents: nil)
            let descriptor = open(filler, O_WRONLY)
            defer { close(descriptor) }
            let chunk = [UInt8](repeating: 0xAB, count: 4096)
            while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
            return filler
        }

        func remove() {
            _ = try? Self.run("/bin/umount", ["-l", path])
            try? FileManager.default.removeItem(atPath: path)
        }

        /// Whether this machine lets the tests mount a tmpfs (root with CAP_SYS_ADMIN, as `tools/test` runs).
        static let isAvailable: Bool = {
            guard let disk = try? SmallDisk(megabytes: 1) else { return false }
            disk.remove()
            return true
        }()

        static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static let description = String(repeating: "Breathe in, breathe out. ", count: 190)  // ~4.7 KB per event

    static func sessionJSON(_ index: Int) -> String {
        #"{"title":"Session \#(index)","description":"\#(description)","start_time":"2099-06-01T18:00:00Z","end_time":"2099-06-01T19:30:00Z","capacity":5,"price":10}"#
    }

    /// Registers a facilitator and a guest; answers their tokens.
    static func accounts(_ server: ServeProcess) async throws -> (host: String, guest: String) {
        let (_, host, _, _) = try await server.call(
            "POST", "/api/auth/register", json: #"{"email":"host@example.com","password":"a long passphrase","name":"Host","role":"facilitator"}"#)
        let (_, guest, _, _) = try await server.call(
            "POST", "/api/auth/register", json: #"{"email":"guest@example.com","password":"another passphrase","name":"Guest"}"#)
        return (try #require(host?["access_token"] as? String), try #require(guest?["access_token"] as? String))
    }

    /// Publishes sessions and books each until a write is refused; answers the acknowledged session ids.
    static func writeUntilRefused(
        _ server: ServeProcess, _ tokens: (host: String, guest: String), from start: Int, maximum: Int
    ) async throws -> (acknowledged: [Int], booked: [Int], refusal: (status: Int, error: String, retryAfter: String?)?) {
        var acknowledged: [Int] = [], booked: [Int] = []
        for index in start..<(start + maximum) {
            let (status, body, _, headers) = try await server.call("POST", "/api/sessions", token: tokens.host, json: sessionJSON(index))
            if status != 201 {
                return (acknowledged, booked, (status, body?["error"] as? String ?? "", headers["Retry-After"] as? String))
            }
            let id = try #require(body?["session_id"] as? Int)
            acknowledged.append(id)
            let (bookStatus, bookBody, _, bookHeaders) = try await server.call("POST", "/api/bookings", token: tokens.guest, json: #"{"session_id":\#(id)}"#)
            if bookStatus != 201 {
                return (acknowledged, booked, (bookStatus, bookBody?["error"] as? String ?? "", bookHeaders["Retry-After"] as? String))
            }
            booked.append(id)
        }
        return (acknowledged, booked, nil)
    }

    /// Every acknowledged session is published and every acknowledged booking confirmed.
    static func expectAllPresent(_ server: ServeProcess, _ tokens: (host: String, guest: String), sessions: [Int], bookings: [Int]) async throws {
        var published: Set<Int> = []
        var cursor: Int? = nil
        repeat {
            let (status, _, body, headers) = try await server.call(
                "GET", "/api/facilitator/sessions?limit=1000" + (cursor.map { "&cursor=\($0)" } ?? ""), token: tokens.host)
            #expect(status == 200)
            for session in body as? [[String: Any]] ?? [] { if let id = session["id"] as? Int { published.insert(id) } }
            cursor = (headers["Link"] as? String).flatMap { link in
                link.range(of: #"cursor=(\d+)"#, options: .regularExpression).map { Int(link[$0].dropFirst(7))! }
            }
        } while cursor != nil
        #expect(Set(sessions).isSubset(of: published), "acknowledged sessions missing: \(Set(sessions).subtracting(published).sorted())")
        let (_, _, mine, _) = try await server.call("GET", "/api/bookings/my?limit=1000", token: tokens.guest)
        let confirmed = Set((mine as? [[String: Any]] ?? []).filter { $0["booking_status"] as? String == "confirmed" }.compactMap { $0["session_id"] as? Int })
        #expect(Set(bookings).isSubset(of: confirmed), "acknowledged bookings missing: \(Set(bookings).subtracting(confirmed).sorted())")
    }

    @Test(.enabled(if: SmallDisk.isAvailable, "needs permission to mount a tmpfs"))
    func aFullDiskGives503AndRecoversWhenSpaceReturns() async throws {
        let disk = try SmallDisk(megabytes: 24)
        defer { disk.remove() }
        let logs = try TemporaryDirectory("storage-full-logs")
        defer { logs.remove() }
        let dataDirectory = disk.path + "/data"
        var server = try await ServeProcess.start(dataDirectory: dataDirectory, logPath: logs.path + "/serve.log")
        defer { server.stop() }
        let tokens = try await Self.accounts(server)
        let before = try await Self.writeUntilRefused(server, tokens, from: 0, maximum: 5)
        #expect(before.refusal == nil && before.booked.count == 5, "writes work while there is room")

        let filler = try disk.fill()
        // LMDB may still reuse a few freed pages; keep writing until the disk refuses.
        let full = try await Self.writeUntilRefused(server, tokens, from: 100, maximum: 400)
        let refusal = try #require(full.refusal, "some write must fail once the disk is full")
        #expect(refusal.status == 503)
        #expect(refusal.error.contains("out of storage space"), "the error names the problem: \(refusal.error)")
        #expect(refusal.retryAfter != nil)
        let (healthStatus, health, _, _) = try await server.call("GET", "/health")
        #expect(healthStatus == 200)
        #expect(health?["status"] as? String == "degraded")
        let store = health?["store"] as? [String: Any]
        #expect(store?["writable"] as? Bool == false)
        #expect(store?["last_failure"] as? String == "out_of_space")
        let (readStatus, _, _, _) = try await server.call("GET", "/api/sessions?limit=5", token: tokens.guest)
        #expect(readStatus == 200, "reads go on while writes are refused")
        #expect(server.log.contains("the event store is out of space"), "the operator is told why")

        // Space returns: the next writes succeed without a restart.
        try FileManager.default.removeItem(atPath: filler)
        let after = try await Self.writeUntilRefused(server, tokens, from: 1_000, maximum: 3)
        #expect(after.refusal == nil, "writes succeed again once there is room: \(String(describing: after.refusal))")
        let (_, healed, _, _) = try await server.call("GET", "/health")
        #expect(healed?["status"] as? String == "ok")
        // The e-mail subscriber (outbox on the same full disk) caught up too, parking nothing.
        let deadline = Date().addingTimeInterval(120)
        var email: [String: Any]? = nil
        repeat {
            let (_, health, _, _) = try await server.call("GET", "/health")
            email = (health?["side_effects"] as? [String: Any])?["email"] as? [String: Any]
            if email?["backlog"] as? Int == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        } while Date() < deadline
        #expect(email?["backlog"] as? Int == 0, "e-mail backlog drained: \(String(describing: email))")
        #expect(email?["dead_letters"] as? Int == 0)
        let mailed = try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/outbox").filter { $0.hasSuffix(".eml") }
        let bookingCount = before.booked.count + full.booked.count + after.booked.count
        #expect(mailed.filter { $0.contains("booking-confirmation") }.count == bookingCount, "one confirmation per acknowledged booking")

        // Nothing acknowledged was lost, before or after a restart, and the log verifies.
        let sessions = before.acknowledged + full.acknowledged + after.acknowledged
        let bookings = before.booked + full.booked + after.booked
        try await Self.expectAllPresent(server, tokens, sessions: sessions, bookings: bookings)
        server.stop()
        server = try await ServeProcess.start(dataDirectory: dataDirectory, logPath: logs.path + "/serve.log")
        try await Self.expectAllPresent(server, tokens, sessions: sessions, bookings: bookings)
        server.stop()
        let verify = try EngineBinary.run(["audit", "verify", "--data-dir", dataDirectory])
        #expect(verify.status == 0, "audit verify: \(verify.output) \(verify.errorOutput)")
    }

    @Test func aFullMapGives503AndRecoversWithAHigherCeiling() async throws {
        let directory = try TemporaryDirectory("storage-full-map")
        defer { directory.remove() }
        let dataDirectory = directory.path + "/data"
        var server = try await ServeProcess.start(dataDirectory: dataDirectory, logPath: directory.path + "/serve.log", arguments: ["--max-map-size-mb", "2"])
        defer { server.stop() }
        let tokens = try await Self.accounts(server)
        let full = try await Self.writeUntilRefused(server, tokens, from: 0, maximum: 1_000)
        let refusal = try #require(full.refusal, "a 2 MiB map must fill up")
        #expect(full.acknowledged.count > 10, "the map held some sessions first")
        #expect(refusal.status == 503)
        #expect(refusal.error.contains("out of storage space"), "the error names the problem: \(refusal.error)")
        #expect(!refusal.error.contains("max-map-size"), "clients are not told the server's settings")
        let (_, health, _, _) = try await server.call("GET", "/health")
        #expect((health?["store"] as? [String: Any])?["last_failure"] as? String == "out_of_space")
        #expect(server.log.contains("--max-map-size-mb"), "the operator log names the setting to raise")
        server.stop()

        // The operator raises the ceiling and restarts: everything acknowledged is there, writes work.
        server = try await ServeProcess.start(dataDirectory: dataDirectory, logPath: directory.path + "/serve.log", arguments: ["--max-map-size-mb", "64"])
        try await Self.expectAllPresent(server, tokens, sessions: full.acknowledged, bookings: full.booked)
        let after = try await Self.writeUntilRefused(server, tokens, from: 5_000, maximum: 3)
        #expect(after.refusal == nil)
        server.stop()
        let verify = try EngineBinary.run(["audit", "verify", "--data-dir", dataDirectory])
        #expect(verify.status == 0, "audit verify: \(verify.output) \(verify.errorOutput)")
    }
}
