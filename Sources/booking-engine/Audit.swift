import ArgumentParser
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation

/// `audit`: verify, replay, export and import the log. Opens the store read-only (except `import`),
/// so it runs beside a live `serve`.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify, replay, export or import the event log.",
        subcommands: [Verify.self, ReplayCommand.self, Export.self, Import.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check positions are gap-free, every hash links and every payload decodes. Exit 0 when intact.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let log = try LMDBEventLog(directory: store.dataDirectory, options: store.logOptions(readOnly: true))
            let progress = ProgressReporter(label: "verifying")
            let started = ContinuousClock.now
            let report = try Auditor.verify(log, progress: progress.callback)
            progress.finish()
            let elapsed = (ContinuousClock.now - started).seconds
            if report.isIntact {
                print("\(report) [\(Int(Double(report.eventsChecked) / max(elapsed, 0.000_001))) events/s]")
            } else {
                print(report)
                throw ExitCode(1)
            }
        }
    }

    struct ReplayCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay", abstract: "Print the users, sessions and bookings as of a position, as JSON.")

        @OptionGroup var store: StoreOptions

        @Option(help: "Replay up to and including this position (default: the whole log).")
        var to: Int64?

        func run() async throws {
            let log = try LMDBEventLog(directory: store.dataDirectory, options: store.logOptions(readOnly: true))
            if let to, to < 0 { throw ValidationError("--to must be 0 or more") }
            let state = try Auditor.replay(log, to: to)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            FileHandle.standardOutput.write(try encoder.encode(state))
            print()
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write events as JSON Lines, one envelope per line.")

        @OptionGroup var store: StoreOptions

        @Option(help: "First position to export.")
        var from: Int64 = 1

        @Option(help: "Last position to export (default: the head).")
        var to: Int64?

        func run() async throws {
            let log = try LMDBEventLog(directory: store.dataDirectory, options: store.logOptions(readOnly: true))
            let progress = ProgressReporter(label: "exporting")
            let output = BufferedOutput()
            try Auditor.export(log, from: from, to: to, progress: progress.callback) { output.write($0) }
            output.flush()
            progress.finish()
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load an export into an empty store, byte for byte; fails unless every hash matches the file.")

        @OptionGroup var store: StoreOptions

        @Option(help: "The JSON Lines file to load.")
        var file: String

        func run() async throws {
            let log = try LMDBEventLog(directory: store.dataDirectory, options: store.logOptions(readOnly: false))
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            let count = try await EventImporter.importLines(data, into: log)
            print("imported \(count) events; hashes match the file")
        }
    }
}

/// `rebuild`: folds the whole log into the projections and checks they agree with the write model.
struct Rebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the projections from the log and report whether they match the write model.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let log = try LMDBEventLog(directory: store.dataDirectory, options: store.logOptions(readOnly: true))
        let progress = ProgressReporter(label: "rebuilding")
        let started = ContinuousClock.now
        let report = try ProjectionCheck.run(log, progress: progress.callback)
        progress.finish()
        let elapsed = (ContinuousClock.now - started).seconds
        print("rebuilt \(report.position) events in \(String(format: "%.3f", elapsed)) s (\(Int(Double(report.position) / max(elapsed, 0.000_001))) events/s)")
        print("read model digest: \(report.digest)")
        if report.mismatches.isEmpty {
            print("projections match the write model")
        } else {
            for mismatch in report.mismatches.prefix(20) { print("MISMATCH: \(mismatch)") }
            print("projections do NOT match the write model (\(report.mismatches.count) differences)")
            throw ExitCode(1)
        }
    }
}

/// Collects output in large writes: printing a million lines one `write` each is needlessly slow.
final class BufferedOutput {
    private var buffer = Data()

    func write(_ data: Data) {
        buffer.append(data)
        if buffer.count >= 1 << 20 { flush() }
    }

    func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
