import EventSourcing
import EventStoreLMDB
import Foundation
import LMDB
import Testing

/// Idempotency keys are remembered for the retention and then forgotten, a few per commit, so the
/// index stays about one retention's worth of keys however long the store lives.
@Suite struct IdempotencyRetentionTests {
    static let minute: Int64 = 60_000

    static func keyed(_ key: String, at time: Int64) -> AppendRequest {
        LMDBEventLogTests.request([LMDBEventLogTests.event("booking-\(key)")], key: key, at: time)
    }

    @Test func keysAreHonouredForTheRetentionThenForgotten() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path, options: .init(idempotencyRetention: 10 * Self.minute))
        _ = try await log.append([Self.keyed("early", at: 0)])
        // Still within the retention: the same key returns the original and writes nothing.
        let repeated = try await log.append([Self.keyed("early", at: 10 * Self.minute - 1)])
        guard case .duplicate = repeated[0] else { Issue.record("expected a duplicate, got \(repeated[0])"); return }
        #expect(try await log.events(forIdempotencyKey: "early") != nil)
        // The first commit past the retention forgets it; a later key is kept.
        _ = try await log.append([Self.keyed("late", at: 10 * Self.minute + 1)])
        #expect(try await log.events(forIdempotencyKey: "early") == nil)
        #expect(try await log.events(forIdempotencyKey: "late") != nil)
        #expect(try log.idempotencyKeyCount() == 1)
        // Forgotten means the key can be used again (the domain still refuses a second booking).
        let reused = try await log.append([Self.keyed("early", at: 10 * Self.minute + 2)])
        guard case .appended = reused[0] else { Issue.record("expected an append, got \(reused[0])"); return }
    }

    @Test func aLongRunKeepsAboutOneRetentionOfKeys() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path, options: .init(idempotencyRetention: 10 * Self.minute))
        // 6,000 keyed requests, 30 per commit, one commit every 6 s of recorded time: 100 minutes.
        var counts: [Int] = []
        for commit in 0..<200 {
            let time = Int64(commit) * 6_000
            _ = try await log.append((0..<30).map { Self.keyed("k\(commit)-\($0)", at: time) })
            if commit % 20 == 19 { counts.append(try log.idempotencyKeyCount()) }
        }
        // Ten minutes hold 100 commits of 30 keys; the count levels off there instead of reaching 6,000.
        #expect(counts.last! <= 100 * 30 + 30)
        #expect(counts.suffix(5).allSatisfy { $0 == counts.last! }, "flat once a retention has passed: \(counts)")
        #expect(try await log.events(forIdempotencyKey: "k0-0") == nil)
        #expect(try await log.events(forIdempotencyKey: "k199-29") != nil)
    }

    @Test func aBacklogAfterDowntimeIsWorkedOff() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try LMDBEventLog(directory: directory.path, options: .init(idempotencyRetention: Self.minute))
        for commit in 0..<20 {
            _ = try await log.append((0..<50).map { Self.keyed("old\(commit)-\($0)", at: Int64(commit)) })
        }
        #expect(try log.idempotencyKeyCount() == 1_000)
        // A day later, unkeyed commits alone drop at least 64 old keys each.
        for commit in 0..<16 {
            _ = try await log.append([LMDBEventLogTests.request([LMDBEventLogTests.event("other")], at: 86_400_000 + Int64(commit))])
        }
        #expect(try log.idempotencyKeyCount() == 0)
    }

    @Test func aStoreWrittenBeforeTheExpiryIndexGetsItOnOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let log = try LMDBEventLog(directory: directory.path)
            _ = try await log.append([Self.keyed("a", at: 0), Self.keyed("b", at: 0), Self.keyed("c", at: 2 * Self.minute)])
        }
        // Empty the expiry index, as in a store written by the release before it.
        do {
            let environment = try LMDBEnvironment(path: directory.path, options: .init(maxDatabases: 8))
            let expiry = try environment.openDatabase(named: "idempotency-expiry", create: false)
            try environment.write { txn in try txn.removeAll(expiry) }
        }
        let reopened = try LMDBEventLog(directory: directory.path, options: .init(idempotencyRetention: Self.minute))
        #expect(try reopened.idempotencyKeyCount() == 3)
        // The refilled index dates each key by its event, so the next commit forgets the two old ones.
        _ = try await reopened.append([LMDBEventLogTests.request([LMDBEventLogTests.event("other")], at: 2 * Self.minute + 1)])
        #expect(try await reopened.events(forIdempotencyKey: "a") == nil)
        #expect(try await reopened.events(forIdempotencyKey: "b") == nil)
        #expect(try await reopened.events(forIdempotencyKey: "c") != nil)
    }
}
