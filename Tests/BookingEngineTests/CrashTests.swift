import BookingEngine
import EventSourcing
import EventStoreLMDB
import Foundation
import Testing

@Suite struct CrashTests {
    /// A writer under load is killed with SIGKILL at random moments, 20 times. After every round the
    /// log verifies (no torn or partial event), and at the end every event that was acknowledged, in
    /// any round, is present at the position it was acknowledged with.
    @Test func everyAcknowledgedEventSurvivesSIGKILL() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var generator = SplitMix64(seed: 0xB00C_1A6E)
        var acknowledged: [Int64: String] = [:]
        for round in 1...20 {
            // Kill after a random number of acknowledgements rather than a random time: the moment is
            // still random relative to the writer's commits, and the test never waits on a clock.
            let killAfter = Int(generator.next() % 300) + 1
            let acks = try runWriterUntilKilled(directory: directory.path, killAfterAcks: killAfter)
            #expect(acks.count >= killAfter, "round \(round)")
            for (position, eventID) in acks {
                if let earlier = acknowledged[position] { #expect(earlier == eventID, "position \(position) acknowledged twice") }
                acknowledged[position] = eventID
            }
            let log = try LMDBEventLog(directory: directory.path, options: .init(readOnly: true))
            let report = try Auditor.verify(log)
            #expect(report.isIntact, "round \(round): \(report)")
        }
        let log = try LMDBEventLog(directory: directory.path, options: .init(readOnly: true))
        var stored: [Int64: String] = [:]
        for record in try log.readSync(after: 0, limit: Int.max) {
            stored[record.position] = record.eventID.uuidString.lowercased()
        }
        let missing = acknowledged.filter { stored[$0.key] != $0.value }
        #expect(missing.isEmpty, "acknowledged but lost or changed: \(missing.keys.sorted().prefix(10))")
        #expect(acknowledged.count > 20)
    }

    /// Starts `crash-writer`, reads its acknowledgements until `killAfterAcks`, then SIGKILLs it.
    private func runWriterUntilKilled(directory: String, killAfterAcks: Int) throws -> [(Int64, String)] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EngineBinary.path)
        process.arguments = ["crash-writer", "--data-dir", directory, "--submitters", "8"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        var acks: [(Int64, String)] = []
        var pending = Data()
        let reader = stdout.fileHandleForReading
        var killed = false
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }  // end of file: the process is gone
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                let fields = line.split(separator: " ")
                if fields.count == 3, fields[0] == "ack", let position = Int64(fields[1]) {
                    acks.append((position, String(fields[2])))
                }
            }
            if !killed, acks.count >= killAfterAcks {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        // A final line cut by the kill (no newline) is ignored: it was never fully acknowledged to us.
        return acks
    }
}

/// A small deterministic generator, so every run kills at the same points.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
