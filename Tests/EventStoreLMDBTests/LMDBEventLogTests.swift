import EventSourcing
import EventStoreLMDB
import Foundation
import Testing

@Suite struct LMDBEventLogTests {
    static func event(_ stream: String, _ text: String = "payload") -> ProposedEvent {
        ProposedEvent(eventID: UUID(), stream: stream, type: "test.happened", schemaVersion: 1, payload: Array(text.utf8))
    }

    static func request(
        _ events: [ProposedEvent], key: String? = nil, expectations: [String: ExpectedVersion] = [:], at time: Int64 = 1_000
    ) -> AppendRequest {
        AppendRequest(events: events, expectations: expectations, metadata: EventMetadata(actor: "test", idempotencyKey: key), recordedAt: time)
    }

    @Test func positionsAreGapFreeAndVersionsCountPerStream() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        let results = try await log.append([
            Self.request([Self.event("a"), Self.event("b")]),
            Self.request([Self.event("a")]),
        ])
        let records = results.flatMap(\.events)
        #expect(records.map(\.position) == [1, 2, 3])
        #expect(records.map(\.version) == [1, 1, 2])
        #expect(records.map(\.stream) == ["a", "b", "a"])
        #expect(try await log.headPosition() == 3)
        let stream = try await log.readStream("a", fromVersion: 1, limit: 10)
        #expect(stream.map(\.position) == [1, 3])
        // A stream whose name is a prefix of another must not see the other's events.
        _ = try await log.append([Self.request([Self.event("ab")])])
        #expect(try await log.readStream("a", fromVersion: 1, limit: 10).count == 2)
    }

    @Test func hashesChainFromGenesis() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        let records = try await log.append([Self.request([Self.event("a"), Self.event("a")])]).flatMap(\.events)
        #expect(records[0].previousHash == EventRecordFormat.genesisHash)
        #expect(records[1].previousHash == records[0].hash)
        #expect(records[0].hash != records[1].hash)
        let stored = try await log.read(after: 0, limit: 10)
        #expect(stored == records)
    }

    @Test func expectedVersionsAreEnforced() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        let results = try await log.append([
            Self.request([Self.event("s")], expectations: ["s": .noStream]),
            Self.request([Self.event("s")], expectations: ["s": .noStream]),
            Self.request([Self.event("s")], expectations: ["s": .exact(1)]),
            Self.request([Self.event("s"), Self.event("t")], expectations: ["s": .exact(1)]),
        ])
        #expect(results[0].events.map(\.version) == [1])
        #expect(results[1] == .versionMismatch(stream: "s", expected: .noStream, actual: 1))
        #expect(results[2].events.map(\.version) == [2])
        #expect(results[3] == .versionMismatch(stream: "s", expected: .exact(1), actual: 2))
        // Nothing of a refused request was written, and positions stayed gap-free.
        #expect(try await log.headPosition() == 2)
        #expect(try await log.readStream("t", fromVersion: 1, limit: 10).isEmpty)
    }

    @Test func idempotencyKeyReturnsTheOriginalAndWritesNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        let first = try await log.append([Self.request([Self.event("a"), Self.event("b")], key: "k-1")])
        let again = try await log.append([
            Self.request([Self.event("a", "different")], key: "k-1"),
            Self.request([Self.event("c")], key: "k-2"),
            Self.request([Self.event("d")], key: "k-2"),
        ])
        guard case .appended(let original) = first[0], case .duplicate(let replayed) = again[0] else {
            Issue.record("expected appended then duplicate, got \(first[0]) and \(again[0])")
            return
        }
        #expect(replayed == original)
        #expect(again[1].events.map(\.position) == [3])
        #expect(again[2] == .duplicate(again[1].events))
        #expect(try await log.headPosition() == 3)
        #expect(try await log.events(forIdempotencyKey: "k-1") == original)
        #expect(try await log.events(forIdempotencyKey: "never-used") == nil)
    }

    @Test func stateSurvivesReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var written: [RecordedEvent] = []
        do {
            let log = try LMDBEventLog(directory: directory.path)
            written = try await log.append([Self.request([Self.event("a")], key: "k"), Self.request([Self.event("a")])]).flatMap(\.events)
        }
        let reopened = try LMDBEventLog(directory: directory.path)
        #expect(try await reopened.headPosition() == 2)
        #expect(try await reopened.read(after: 0, limit: 10) == written)
        let next = try await reopened.append([Self.request([Self.event("a")]), Self.request([Self.event("x")], key: "k")])
        #expect(next[0].events.first?.previousHash == written.last?.hash)
        #expect(next[0].events.first?.version == 3)
        #expect(next[1] == .duplicate([written[0]]))
    }

    @Test func readOnlyOpenSeesCommittedEventsAndRefusesAppends() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writer = try LMDBEventLog(directory: directory.path)
        _ = try await writer.append([Self.request([Self.event("a")])])
        let reader = try LMDBEventLog(directory: directory.path, options: .init(readOnly: true))
        #expect(try await reader.read(after: 0, limit: 10).count == 1)
        await #expect(throws: EventLogError.readOnly) { try await reader.append([Self.request([Self.event("a")])]) }
        _ = try await writer.append([Self.request([Self.event("a")])])
        try reader.refreshHead()
        #expect(try await reader.headPosition() == 2)
    }

    @Test func subscriptionYieldsHistoryThenLiveEvents() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        _ = try await log.append([Self.request([Self.event("a"), Self.event("a")])])
        let reader = Task {
            var positions: [Int64] = []
            for try await record in log.subscribe(after: 1) {
                positions.append(record.position)
                if positions.count == 3 { break }
            }
            return positions
        }
        _ = try await log.append([Self.request([Self.event("b")])])
        _ = try await log.append([Self.request([Self.event("c")])])
        #expect(try await reader.value == [2, 3, 4])
    }

    @Test func waitingForAppendEndsOnCancellation() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        let waiter = Task { try await log.waitForAppend(after: 0) }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
    }

    @Test func scanVisitsRawRecordsInOrderAcrossChunks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        _ = try await log.append((0..<25).map { Self.request([Self.event("s\($0 % 3)")]) })
        var keys: [Int64] = []
        try log.scanSync(after: 3, through: 20, chunkSize: 4) { key, record throws in
            #expect(try RecordView(parsing: record).position == key)
            keys.append(key)
            return true
        }
        #expect(keys == Array(4...20))
    }
}

@Suite struct StreamKeyTests {
    @Test func entityStreamsSortByNumberAndNeverCollide() throws {
        let nine = try LMDBEventLog.streamKey("booking-9")
        let ten = try LMDBEventLog.streamKey("booking-10")
        #expect(nine.lexicographicallyPrecedes(ten))
        #expect(try LMDBEventLog.streamKey("user-007") != LMDBEventLog.streamKey("user-7"))
        #expect(try LMDBEventLog.streamKey("user-7x") != LMDBEventLog.streamKey("user-7"))
        #expect(try LMDBEventLog.streamKey("-7") != LMDBEventLog.streamKey("7"))
        #expect(throws: EventLogError.self) { try LMDBEventLog.streamKey(String(repeating: "s", count: 600)) }
    }

    @Test func entityStreamsReadBackInVersionOrder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path)
        let streams = ["booking-9", "booking-10", "booking-90", "user-007", "user-7", "booking-9"]
        _ = try await log.append(streams.map { LMDBEventLogTests.request([LMDBEventLogTests.event($0)]) })
        #expect(try await log.readStream("booking-9", fromVersion: 1, limit: 10).map(\.position) == [1, 6])
        #expect(try await log.readStream("booking-9", fromVersion: 2, limit: 10).map(\.position) == [6])
        #expect(try await log.readStream("user-7", fromVersion: 1, limit: 10).map(\.position) == [5])
        #expect(try await log.readStream("user-007", fromVersion: 1, limit: 10).map(\.position) == [4])
        #expect(try await log.readStream("booking-1", fromVersion: 1, limit: 10).isEmpty)
    }
}
