import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation
import Testing

@Suite struct AuditCommandTests {
    /// Changing one stored byte makes `audit verify` exit non-zero and name that event's position.
    @Test func verifyNamesTheTamperedPosition() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let marker = "Tamper-evident session \(UUID().uuidString)"
        let tamperedPosition = try await withService(directory) { service -> Int64 in
            let facilitator = try await service.register("host@example.com", role: .facilitator)
            _ = try await service.createSession(by: facilitator, capacity: 3, title: "First")
            _ = try await service.createSession(by: facilitator, capacity: 3, title: marker)
            _ = try await service.createSession(by: facilitator, capacity: 3, title: "Last")
            return service.log.committedHead - 1
        }
        let intact = try EngineBinary.run(["audit", "verify", "--data-dir", directory.path])
        #expect(intact.status == 0, "\(intact.errorOutput)")
        #expect(intact.output.contains("OK: 4 events"))

        let file = URL(fileURLWithPath: directory.path).appendingPathComponent("data.mdb")
        var bytes = try Data(contentsOf: file)
        // LMDB copies pages on write, so stale copies of the record may sit in free pages too: change them all.
        var searchStart = bytes.startIndex
        var changed = 0
        while let range = bytes.range(of: Data(marker.utf8), in: searchStart..<bytes.endIndex) {
            bytes[range.lowerBound] ^= 0x20  // "T" becomes "t": still valid UTF-8, only the hash can tell
            searchStart = range.upperBound
            changed += 1
        }
        #expect(changed >= 1)
        try bytes.write(to: file)

        let tampered = try EngineBinary.run(["audit", "verify", "--data-dir", directory.path])
        #expect(tampered.status != 0)
        #expect(tampered.output.contains("position \(tamperedPosition): hash does not match"), "\(tampered.output)")
    }

    /// `verify`, `export` and `replay` work on a read-only open while a writer has the store open.
    @Test func auditCommandsRunBesideALiveWriter() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withService(directory) { service in
            try await writeMixedHistory(service)
            let head = service.log.committedHead
            let verify = try EngineBinary.run(["audit", "verify", "--data-dir", directory.path])
            #expect(verify.status == 0)
            #expect(verify.output.contains("OK: \(head) events"))
            let export = try EngineBinary.run(["audit", "export", "--data-dir", directory.path, "--from", "2", "--to", "5"])
            let lines = export.output.split(separator: "\n")
            #expect(lines.count == 4)
            #expect(lines.first?.contains("\"position\":2") == true)
            let replay = try EngineBinary.run(["audit", "replay", "--data-dir", directory.path, "--to", "3"])
            #expect(replay.status == 0)
            #expect(replay.output.contains("\"position\" : 3"))
            let rebuild = try EngineBinary.run(["rebuild", "--data-dir", directory.path])
            #expect(rebuild.status == 0, "\(rebuild.output)\(rebuild.errorOutput)")
            #expect(rebuild.output.contains("projections match the write model"))
            // Progress goes to a terminal only: piped, stderr stays quiet.
            #expect(rebuild.errorOutput.isEmpty)
        }
    }
}
