import ArgumentParser
import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation
import LMDB

/// `bench`: the core's benchmark. Durable appends through the real writer at 1, 16 and 64 concurrent
/// submitters, then rebuild and verify rates over the resulting log, with raw LMDB figures measured in
/// the same run so the engine's overhead is visible. Prints a Markdown table for BENCHMARKS.md.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure durable append, rebuild and verify rates (use a release build).")

    @Option(name: .customLong("data-dir"), help: "Scratch directory (emptied first).")
    var dataDirectory = "./.bench-data"

    @Option(help: "Minimum size of the log, in events, for the rebuild and verify figures.")
    var events = 1_000_000

    @Option(help: "Events appended in the 1-submitter phase.")
    var singleSubmitterEvents = 6_000

    @Option(help: "Events appended in the 16-submitter phase.")
    var sixteenSubmitterEvents = 100_000

    @Flag(help: "Diagnostics only: commit without fsync, to see the engine's CPU ceiling. Never used by serve.")
    var unsafeNoSync = false

    @Flag(help: "Keep the engine's store in DATA-DIR/engine afterwards (for profiling rebuild or verify).")
    var keepData = false

    @Flag(help: "Skip the append phases: measure replay and verify on the store kept in DATA-DIR/engine.")
    var replayOnly = false

    func run() async throws {
        let fileManager = FileManager.default
        if replayOnly {
            let log = try LMDBEventLog(directory: dataDirectory + "/engine", options: .init(readOnly: true))
            try printTable(try replayRows(log), head: log.committedHead)
            return
        }
        try? fileManager.removeItem(atPath: dataDirectory)
        try fileManager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var rows: [(String, String, String)] = []

        let raw = try rawLMDB(directory: dataDirectory + "/raw")
        let storeRate = try await Self.storeOnly(directory: dataDirectory + "/store", batches: 1_500, batchSize: 64)
        rows.append(("event store alone: commits of 64 single-event appends", "\(storeRate) events/s", "no decider, no callers"))
        rows.append(("raw LMDB: synced commits, one 200-byte value each", "\(raw.commitsPerSecond) commits/s", "the fsync floor"))
        rows.append(("raw LMDB: synced commits of 64 values each", "\(raw.batchedValuesPerSecond) values/s", "the group-commit ceiling"))

        let service = try BookingService.open(
            dataDirectory: dataDirectory + "/engine", options: LMDBEventLog.Options(durability: unsafeNoSync ? .noSync : .synced))
        let runner = Task { await service.run() }
        let workload = try await BookingWorkload.prepare(service)
        var total = Int(service.log.committedHead)
        for (submitters, target) in [(1, singleSubmitterEvents), (16, sixteenSubmitterEvents), (64, max(events - total - singleSubmitterEvents - sixteenSubmitterEvents, 10_000))] {
            let before = service.processor.currentMetrics
            let started = ContinuousClock.now
            let appended = try await drive(workload, submitters: submitters, events: target)
            let elapsed = (ContinuousClock.now - started).seconds
            let after = service.processor.currentMetrics
            let batches = after.batches - before.batches
            let averageBatch = Double(after.commands - before.commands) / Double(max(batches, 1))
            total += appended
            rows.append(
                ("durable appends, \(submitters) submitter\(submitters == 1 ? "" : "s")", "\(Int(Double(appended) / elapsed)) events/s",
                 "\(appended) events, \(batches) commits, \(String(format: "%.1f", averageBatch)) commands per commit"))
        }
        runner.cancel()
        _ = await runner.value
        rows += try replayRows(service.log)
        try printTable(rows, head: service.log.committedHead)
        if !keepData { try? fileManager.removeItem(atPath: dataDirectory) }
    }

    private func printTable(_ rows: [(String, String, String)], head: Int64) throws {
        print("log: \(head) events, \(try fileSize(dataDirectory + "/engine/data.mdb") >> 20) MiB on disk")
        print("| measurement | rate | notes |")
        print("|---|---|---|")
        for (name, rate, notes) in rows { print("| \(name) | \(rate) | \(notes) |") }
    }

    private func replayRows(_ log: LMDBEventLog) throws -> [(String, String, String)] {
        var rows: [(String, String, String)] = []
        let scanStarted = ContinuousClock.now
        var scanned = 0
        try log.scanSync(after: 0, through: nil) { _, _ in
            scanned += 1
            return true
        }
        let scanRate = Int(Double(scanned) / (ContinuousClock.now - scanStarted).seconds)
        rows.append(("raw LMDB: cursor scan of the events database", "\(scanRate) values/s", "\(scanned) values"))

        let codec = BookingEventCodec()
        var decodeStarted = ContinuousClock.now
        var decoded = 0
        try log.scanSync(after: 0, through: nil) { _, bytes in
            let view = try RecordView(parsing: bytes)
            _ = try codec.decode(view)
            decoded += 1
            return true
        }
        let decodeRate = Int(Double(decoded) / (ContinuousClock.now - decodeStarted).seconds)
        rows.append(("replay: scan + parse + decode only", "\(decodeRate) events/s", "\(decoded) events"))
        decodeStarted = ContinuousClock.now
        var writeModel = BookingState()
        try log.scanSync(after: 0, through: nil) { _, bytes in
            writeModel.evolve(try codec.decode(RecordView(parsing: bytes)))
            return true
        }
        let stateRate = Int(Double(decoded) / (ContinuousClock.now - decodeStarted).seconds)
        rows.append(("replay: decode + write model", "\(stateRate) events/s", "\(decoded) events"))
        decodeStarted = ContinuousClock.now
        let readModel = try Replay.foldReadModel(log, through: nil)
        let modelRate = Int(Double(readModel.position) / (ContinuousClock.now - decodeStarted).seconds)
        rows.append(("replay: decode + read model", "\(modelRate) events/s", "\(readModel.position) events"))

        let rebuildStarted = ContinuousClock.now
        let (_, model) = try Replay.fold(log, through: nil)
        let rebuildRate = Int(Double(model.position) / (ContinuousClock.now - rebuildStarted).seconds)
        rows.append(("replay / rebuild (decode + write model + read model)", "\(rebuildRate) events/s", "\(model.position) events"))

        let verifyStarted = ContinuousClock.now
        let report = try Auditor.verify(log)
        let verifyRate = Int(Double(report.eventsChecked) / (ContinuousClock.now - verifyStarted).seconds)
        guard report.isIntact else { throw WorkloadError("verify failed: \(report)") }
        rows.append(("audit verify (parse + SHA-256 chain + decode)", "\(verifyRate) events/s", "\(report.eventsChecked) events"))
        return rows
    }

    private func drive(_ workload: BookingWorkload, submitters: Int, events: Int) async throws -> Int {
        let stepsPerSubmitter = max(1, events / 2 / submitters)
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for submitter in 0..<submitters {
                group.addTask {
                    var appended = 0
                    for step in 0..<stepsPerSubmitter {
                        appended += try await workload.step(step * submitters + submitter).count
                    }
                    return appended
                }
            }
            return try await group.reduce(0, +)
        }
    }

    private func rawLMDB(directory: String) throws -> (commitsPerSecond: Int, batchedValuesPerSecond: Int) {
        let environment = try LMDBEnvironment(path: directory, options: .init())
        let database = try environment.openDatabase(named: "raw", create: true)
        let value = [UInt8](repeating: 0xAB, count: 200)
        var key: UInt64 = 0
        let commits = 2_000
        var started = ContinuousClock.now
        for _ in 0..<commits {
            key += 1
            try environment.write { txn in _ = try txn.put(database, key: BigEndianKey(key), value: value, flags: .append) }
        }
        let commitsPerSecond = Int(Double(commits) / (ContinuousClock.now - started).seconds)
        let batches = 2_000
        started = ContinuousClock.now
        for _ in 0..<batches {
            try environment.write { txn in
                for offset in 1...64 { _ = try txn.put(database, key: BigEndianKey(key + UInt64(offset)), value: value, flags: .append) }
            }
            key += 64
        }
        let valuesPerSecond = Int(Double(batches * 64) / (ContinuousClock.now - started).seconds)
        return (commitsPerSecond, valuesPerSecond)
    }

    private func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}

extension Bench {
    /// The store alone: batches of `batchSize` single-event appends, one commit each, no processor.
    static func storeOnly(directory: String, batches: Int, batchSize: Int) async throws -> Int {
        let log = try LMDBEventLog(directory: directory)
        let payload = [UInt8](repeating: 0x61, count: 120)
        var sequence = 0
        let started = ContinuousClock.now
        for _ in 0..<batches {
            let requests = (0..<batchSize).map { _ -> AppendRequest in
                sequence += 1
                return AppendRequest(
                    events: [ProposedEvent(eventID: UUID.random(), stream: "user-\(sequence)", type: "user.registered", schemaVersion: 1, payload: payload)],
                    metadata: EventMetadata(actor: "system"), recordedAt: 1)
            }
            _ = try await log.append(requests)
        }
        return Int(Double(batches * batchSize) / (ContinuousClock.now - started).seconds)
    }
}
