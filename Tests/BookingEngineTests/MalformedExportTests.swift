import BookingEngine
import EventStoreLMDB
import Foundation
import Testing

/// `audit import` fed files that are not (quite) an export: each is refused with the number of the bad
/// line, and the target store stays empty, even when the bad line is the last of many.
@Suite struct MalformedExportTests {
    static let golden = GoldenLogTests.folder.appendingPathComponent("events.jsonl")

    /// The golden export as lines (without the final newline's empty line).
    static func goldenLines() throws -> [Data] {
        try Data(contentsOf: golden).split(separator: UInt8(ascii: "\n")).map { Data($0) }
    }

    static func file(_ lines: [Data]) -> Data {
        var data = Data()
        for line in lines {
            data.append(line)
            data.append(UInt8(ascii: "\n"))
        }
        return data
    }

    /// Replaces the first occurrence of `old` in `line` (which must contain it).
    static func replacing(_ old: String, with new: Data, in line: Data) throws -> Data {
        let range = try #require(line.range(of: Data(old.utf8)), "\(old) not in the line")
        var result = line
        result.replaceSubrange(range, with: new)
        return result
    }

    static func replacing(_ old: String, with new: String, in line: Data) throws -> Data {
        try replacing(old, with: Data(new.utf8), in: line)
    }

    /// Imports `data` into a fresh store; returns the failure (recording an issue if it succeeded) and
    /// checks that nothing was written.
    static func expectRefused(
        _ data: Data, line expectedLine: Int, _ reasonFragment: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let directory = try TemporaryDirectory("malformed-import")
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        do {
            let count = try await EventImporter.importLines(data, into: log)
            Issue.record("imported \(count) events from a malformed file", sourceLocation: sourceLocation)
        } catch let failure as EventImporter.Failure {
            #expect(failure.line == expectedLine, "\(failure)", sourceLocation: sourceLocation)
            if let reasonFragment {
                #expect(failure.reason.contains(reasonFragment), "\(failure)", sourceLocation: sourceLocation)
            }
        }
        #expect(try await log.headPosition() == 0, "nothing may be written", sourceLocation: sourceLocation)
    }

    @Test func truncatedLastLineIsRefusedAndNothingIsImported() async throws {
        var lines = try Self.goldenLines()
        let last = lines.removeLast()
        for cut in [1, last.count / 2, last.count - 1] {
            try await Self.expectRefused(Self.file(lines + [last.prefix(cut)]), line: lines.count + 1, "not an exported event")
            // Cut without the final newline, as a copy interrupted mid-write leaves it.
            var data = Self.file(lines)
            data.append(last.prefix(cut))
            try await Self.expectRefused(data, line: lines.count + 1)
        }
    }

    @Test func wrongTypesNameTheLine() async throws {
        let lines = try Self.goldenLines()
        let cases: [(String, String)] = [
            (#""position":3"#, #""position":"3""#),
            (#""position":3"#, #""position":3.5"#),
            (#""position":3"#, #""position":null"#),
            (#""version":1"#, #""version":[1]"#),
            (#""stream":"#, #""stream":{"a":1},"x":"#),
            (#""event_id":""#, #""event_id":42,"y":""#),
            (#""payload":{"#, #""payload":"text","z":{"#),
            (#""hash":""#, #""hash":12345,"h":""#),
            (#""recorded_at":""#, #""recorded_at":"yesterday","r":""#),
        ]
        for (old, new) in cases {
            var altered = lines
            altered[2] = try Self.replacing(old, with: new, in: lines[2])
            try await Self.expectRefused(Self.file(altered), line: 3)
        }
        // A line that is JSON but not an object, or an object that is not an event.
        for junk in ["[]", "42", "\"event\"", "null", "{}", #"{"position":1}"#] {
            var altered = lines
            altered[0] = Data(junk.utf8)
            try await Self.expectRefused(Self.file(altered), line: 1)
        }
    }

    @Test func hugeLinesAreRefusedNotImportedInPart() async throws {
        var lines = try Self.goldenLines()
        // A 10 MB actor in an otherwise well-formed last event: it decodes, but its hash can't match.
        let huge = String(repeating: "n", count: 10 << 20)
        lines[lines.count - 1] = try Self.replacing(#""actor":""#, with: #""actor":"\#(huge)"#, in: lines[lines.count - 1])
        try await Self.expectRefused(Self.file(lines), line: lines.count, "hash")
        // 10 MB of garbage on a line of its own.
        var garbage = try Self.goldenLines()
        garbage.insert(Data(repeating: UInt8(ascii: "x"), count: 10 << 20), at: 5)
        try await Self.expectRefused(Self.file(garbage), line: 6)
    }

    @Test func deeplyNestedLinesAreRefusedWithoutCrashing() async throws {
        let lines = try Self.goldenLines()
        for depth in [600, 100_000] {
            let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            for nested in [arrays, objects] {
                var alone = lines
                alone[1] = Data(nested.utf8)
                try await Self.expectRefused(Self.file(alone), line: 2)
                var inPayload = lines
                inPayload[1] = try Self.replacing(#""payload":{"#, with: #""payload":{"deep":\#(nested),"#, in: lines[1])
                try await Self.expectRefused(Self.file(inPayload), line: 2)
            }
        }
    }

    @Test func invalidUTF8AndNULBytesAreRefused() async throws {
        let lines = try Self.goldenLines()
        let badBytes: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0x00]]
        for bytes in badBytes {
            var inString = lines
            inString[3] = try Self.replacing(#""actor":""#, with: Data(#""actor":""#.utf8) + Data(bytes), in: lines[3])
            try await Self.expectRefused(Self.file(inString), line: 4)
            var bare = lines
            bare[3] = Data(bytes) + lines[3]
            try await Self.expectRefused(Self.file(bare), line: 4)
        }
    }

    @Test func emptyLinesAreSkippedButCounted() async throws {
        let lines = try Self.goldenLines()
        // Blank lines anywhere (and several at the end) are ignored: the export still loads whole.
        var spaced = lines
        spaced.insert(Data(), at: 10)
        spaced.insert(Data(), at: 0)
        let directory = try TemporaryDirectory("blank-lines")
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        #expect(try await EventImporter.importLines(Self.file(spaced) + Data("\n\n".utf8), into: log) == lines.count)
        #expect(try Auditor.verify(log).isIntact)
        // ... and they count in the line numbers an error names: line 13 of the file is the 11th event.
        var broken = spaced
        broken[12] = try Self.replacing(#""actor":""#, with: #""actor":"x"#, in: spaced[12])
        try await Self.expectRefused(Self.file(broken), line: 13, "hash")
        // A line of spaces is not an empty line.
        var blanks = lines
        blanks.insert(Data("   ".utf8), at: 4)
        try await Self.expectRefused(Self.file(blanks), line: 5)
        // An empty file imports nothing, successfully.
        let empty = try TemporaryDirectory("empty-import")
        defer { empty.remove() }
        #expect(try await EventImporter.importLines(Data(), into: try LMDBEventLog(directory: empty.path)) == 0)
    }

    @Test func brokenHashChainsNameTheFirstBadLine() async throws {
        let lines = try Self.goldenLines()
        let count = lines.count
        // An altered hash on the last line: before the import checked every line first, the 33 lines
        // before it (and the bad one) were already stored when this was noticed.
        var alteredHash = lines
        let last = String(decoding: lines[count - 1], as: UTF8.self)
        let hashRange = try #require(last.range(of: #""hash":"[0-9a-f]"#, options: .regularExpression))
        let firstDigit = last[last.index(before: hashRange.upperBound)]
        alteredHash[count - 1] = Data(last.replacingCharacters(in: hashRange, with: #""hash":""# + (firstDigit == "0" ? "1" : "0")).utf8)
        #expect(alteredHash[count - 1] != lines[count - 1])
        try await Self.expectRefused(Self.file(alteredHash), line: count, "hash")
        // An altered envelope field with its hash left alone.
        var alteredPayload = lines
        alteredPayload[count - 1] = try Self.replacing(#""actor":""#, with: #""actor":"Z"#, in: lines[count - 1])
        try await Self.expectRefused(Self.file(alteredPayload), line: count, "hash")
        // A line missing from the middle: the next one neither has the expected position nor links.
        var gap = lines
        gap.remove(at: 20)
        try await Self.expectRefused(Self.file(gap), line: 21, "position")
        // Two lines swapped.
        var swapped = lines
        swapped.swapAt(7, 8)
        try await Self.expectRefused(Self.file(swapped), line: 8, "position")
        // A line repeated.
        var repeated = lines
        repeated.insert(lines[15], at: 16)
        try await Self.expectRefused(Self.file(repeated), line: 17, "position")
        // A second export appended to the first: line count+1 starts again at position 1.
        try await Self.expectRefused(Self.file(lines + lines), line: count + 1, "position")
        // An idempotency key reused by a later, separate request (the log would answer "duplicate").
        var reusedKey = lines
        reusedKey[17] = try Self.replacing(#""idempotency_key":"key-7""#, with: #""idempotency_key":"key-3""#, in: lines[17])
        try await Self.expectRefused(Self.file(reusedKey), line: 18, "idempotency key")
        // Starting mid-log (an `export --from 5`) can't be imported into an empty store.
        try await Self.expectRefused(Self.file(Array(lines.dropFirst(4))), line: 1, "position")
    }

    /// The binary as an operator runs it: a non-zero exit, the line on stderr, an empty store.
    @Test func auditImportExitsNonZeroNamingTheLineAndLeavesTheStoreEmpty() async throws {
        let directory = try TemporaryDirectory("import-binary")
        defer { directory.remove() }
        var lines = try Self.goldenLines()
        lines[lines.count - 1] = lines[lines.count - 1].prefix(40)
        let file = URL(fileURLWithPath: directory.path).appendingPathComponent("cut.jsonl")
        try Self.file(lines).write(to: file)
        let store = directory.path + "/store"

        let result = try EngineBinary.run(["audit", "import", "--data-dir", store, "--file", file.path])
        #expect(result.status != 0)
        #expect(result.errorOutput.contains("line \(lines.count):"), "stderr: \(result.errorOutput)")
        #expect(!result.errorOutput.contains("Fatal error"), "stderr: \(result.errorOutput)")

        let verify = try EngineBinary.run(["audit", "verify", "--data-dir", store])
        #expect(verify.output.contains("OK: 0 events"), "\(verify.output) \(verify.errorOutput)")
        let export = try EngineBinary.run(["audit", "export", "--data-dir", store])
        #expect(export.status == 0)
        #expect(export.output.isEmpty)

        // The same store then takes the intact file.
        try Data(contentsOf: Self.golden).write(to: file)
        let retry = try EngineBinary.run(["audit", "import", "--data-dir", store, "--file", file.path])
        #expect(retry.status == 0, "\(retry.errorOutput)")
        #expect(retry.output.contains("imported \(lines.count) events"))
    }
}
