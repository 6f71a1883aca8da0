import BookingEngine
import EventStoreLMDB
import Foundation
import Testing

/// The golden event log under `Fixtures/golden-v1/`: a store written by release 1 (the LMDB file
/// itself), its `audit export`, and its `audit replay`. Every later release must keep verifying,
/// exporting and replaying it to the same bytes. Regenerate only when deliberately starting a new
/// golden log: `BOOKING_REGENERATE_GOLDEN=1 tools/test --filter GoldenLogTests` (then add a new
/// folder rather than overwrite an old one).
@Suite struct GoldenLogTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden-v1")

    static func replayJSON(_ log: LMDBEventLog) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(Auditor.replay(log, to: nil))
    }

    static func export(_ log: LMDBEventLog) throws -> Data {
        var data = Data()
        try Auditor.export(log) { data.append($0) }
        return data
    }

    @Test func goldenStoreStillVerifiesExportsAndReplays() async throws {
        if ProcessInfo.processInfo.environment["BOOKING_REGENERATE_GOLDEN"] == "1" { try await regenerate() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.copyItem(
            at: Self.folder.appendingPathComponent("data.mdb"), to: URL(fileURLWithPath: directory.path).appendingPathComponent("data.mdb"))
        let log = try LMDBEventLog(directory: directory.path, options: .init(readOnly: true))
        let report = try Auditor.verify(log)
        #expect(report.isIntact, "\(report)")
        #expect(report.eventsChecked > 20)
        #expect(try Self.export(log) == Data(contentsOf: Self.folder.appendingPathComponent("events.jsonl")))
        #expect(try Self.replayJSON(log) == Data(contentsOf: Self.folder.appendingPathComponent("replay.json")))
    }

    @Test func goldenExportLoadsIntoAnEmptyStoreByteForByte() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let lines = try Data(contentsOf: Self.folder.appendingPathComponent("events.jsonl"))
        let log = try LMDBEventLog(directory: directory.path)
        try await EventImporter.importLines(lines, into: log)
        #expect(try Auditor.verify(log).isIntact)
        #expect(try Self.export(log) == lines)
        #expect(try Self.replayJSON(log) == Data(contentsOf: Self.folder.appendingPathComponent("replay.json")))
    }

    private func regenerate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withService(directory) { try await writeMixedHistory($0) }
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: Self.folder, withIntermediateDirectories: true)
        let target = Self.folder.appendingPathComponent("data.mdb")
        try? fileManager.removeItem(at: target)
        try fileManager.copyItem(at: URL(fileURLWithPath: directory.path).appendingPathComponent("data.mdb"), to: target)
        let log = try LMDBEventLog(directory: directory.path, options: .init(readOnly: true))
        try Self.export(log).write(to: Self.folder.appendingPathComponent("events.jsonl"))
        try Self.replayJSON(log).write(to: Self.folder.appendingPathComponent("replay.json"))
    }
}
