import ArgumentParser
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation

/// `crash-writer`: appends under load and prints every acknowledged event, for the crash test that
/// kills it with SIGKILL. A line is printed only after the commit that made the event durable.
struct CrashWriter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-writer", abstract: "Append under load until killed, printing 'ack POSITION EVENT-ID' per durable event.",
        shouldDisplay: false)

    @OptionGroup var store: StoreOptions

    @Option(help: "Concurrent submitters.")
    var submitters = 16

    func run() async throws {
        let service = try BookingService.open(dataDirectory: store.dataDirectory, options: store.logOptions(readOnly: false))
        let runner = Task { await service.run() }
        let workload = try await BookingWorkload.prepare(service, sessionCount: 4)
        let output = FileHandle.standardOutput
        output.write(Data("ready \(service.log.committedHead)\n".utf8))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for submitter in 0..<submitters {
                group.addTask {
                    var sequence = submitter
                    while true {
                        let committed = try await workload.step(sequence)
                        sequence += submitters
                        // One write per line: a SIGKILL can cut the stream only between or inside a line,
                        // and the test ignores a final partial line.
                        for (position, eventID) in committed {
                            output.write(Data("ack \(position) \(eventID.uuidString.lowercased())\n".utf8))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        runner.cancel()
    }
}
