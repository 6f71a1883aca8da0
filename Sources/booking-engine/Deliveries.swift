import ArgumentParser
import BookingAPI
import BookingEngine
import BookingIntegrations
import BookingProjections
import EventStoreLMDB
import Foundation
import Logging

/// `deliveries list | retry`: the dead letters of the side-effect subscribers (CRM webhook).
///
/// Both work beside a running `serve`: the delivery store is an LMDB environment several processes
/// may open, and `retry` sends from this process with the same configuration (`CRM_SERVICE_URL`,
/// `CRM_BEARER_TOKEN`, `CRM_WEBHOOK_SECRET`) and the same event ids, reading the event log read-only.
struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or re-send parked side-effect deliveries (dead letters).", subcommands: [List.self, Retry.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, oldest position first.")

        @OptionGroup var store: StoreOptions

        @Flag(help: "Print JSON (an array of dead letters) instead of a table.")
        var json = false

        func run() async throws {
            let letters = try DeliveryStore(dataDirectory: store.dataDirectory).deadLetters()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                FileHandle.standardOutput.write(try encoder.encode(letters))
                print()
                return
            }
            guard !letters.isEmpty else {
                print("no dead letters")
                return
            }
            print("subscriber  position  event id                              delivery  attempts  last attempt              last error")
            for letter in letters {
                print(
                    [
                        letter.subscriber.padding(10), String(letter.position).padding(8), letter.eventID.uuidString.lowercased().padding(36),
                        letter.deliveryKey.padding(8), String(letter.attempts).padding(8), ExportedEvent.exportedTime(letter.lastAttemptAt).padding(24),
                        letter.lastError,
                    ].joined(separator: "  "))
            }
            print("\(letters.count) dead letter\(letters.count == 1 ? "" : "s")")
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-send dead letters now; each one delivered is removed, the others stay parked. Exits 1 if any failed.")

        @OptionGroup var store: StoreOptions

        @Flag(help: "Re-send every dead letter.")
        var all = false

        @Argument(help: "Log positions of the dead letters to re-send.")
        var positions: [Int64] = []

        func validate() throws {
            if all == !positions.isEmpty { throw ValidationError("give either --all or one or more positions") }
        }

        func run() async throws {
            var logger = Logger(label: "booking.deliveries")
            logger.logLevel = .warning
            let deliveryStore = try DeliveryStore(dataDirectory: store.dataDirectory)
            var letters = try deliveryStore.deadLetters()
            if !all {
                let wanted = Set(positions)
                let missing = wanted.subtracting(letters.map(\.position))
                if !missing.isEmpty { throw ValidationError("no dead letter at position \(missing.sorted().map(String.init).joined(separator: ", "))") }
                letters = letters.filter { wanted.contains($0.position) }
            }
            guard !letters.isEmpty else {
                print("no dead letters")
                return
            }
            let environment = ProcessInfo.processInfo.environment
            let secrets = try SecretsConfiguration(environment: environment, dataDirectory: store.dataDirectory)
            let log = try LMDBEventLog(directory: store.dataDirectory, options: store.logOptions(readOnly: true))
            let projection = BookingProjection(try Replay.fold(log, through: nil).model)

            var failures = 0
            for subscriber in Set(letters.map(\.subscriber)).sorted() {
                let theirs = letters.filter { $0.subscriber == subscriber }
                switch subscriber {
                case "crm":
                    guard
                        let channel = try SideEffectsSetup.crmChannel(
                            environment: environment, secrets: secrets, dataDirectory: store.dataDirectory, logger: logger)?.channel
                    else {
                        print("crm: \(theirs.count) dead letter(s) not re-sent: CRM_SERVICE_URL is not set")
                        failures += theirs.count
                        continue
                    }
                    failures += try await resend(theirs, through: channel, log: log, projection: projection, store: deliveryStore)
                case "email":
                    let channel = try SideEffectsSetup.emailChannel(environment: environment, dataDirectory: store.dataDirectory).channel
                    failures += try await resend(theirs, through: channel, log: log, projection: projection, store: deliveryStore)
                default:
                    print("\(subscriber): \(theirs.count) dead letter(s) not re-sent: this build has no such subscriber")
                    failures += theirs.count
                }
            }
            if failures > 0 { throw ExitCode(1) }
        }
    }
}

extension Deliveries.Retry {
    /// Re-sends `letters` through `channel`, prints one line per letter, and returns how many still fail.
    fileprivate func resend<Channel: DeliveryChannel>(
        _ letters: [DeadLetter], through channel: Channel, log: LMDBEventLog, projection: BookingProjection, store: DeliveryStore
    ) async throws -> Int {
        let results = try await DeadLetterRetrier(channel: channel, log: log, projection: projection, store: store).retry(letters)
        await channel.close()
        var failures = 0
        for result in results {
            let letter = "\(result.letter.subscriber) \(result.letter.position) \(result.letter.deliveryKey)"
            if let failure = result.failure {
                failures += 1
                print("\(letter): still parked (\(failure))")
            } else {
                print("\(letter): delivered")
            }
        }
        return failures
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
