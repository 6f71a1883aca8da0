import ArgumentParser
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB

/// `booking-engine`: one executable for the server, the auditor and the operator's tools.
@main
struct BookingEngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "booking-engine",
        abstract: "An event-sourced booking engine: sessions, seats and an append-only, hash-chained log.",
        subcommands: [
            Serve.self, Audit.self, Rebuild.self, Secrets.self, Deliveries.self, Bench.self, CRMBench.self, BenchNotify.self,
            CrashWriter.self, BaselineHTTP.self,
        ],
        defaultSubcommand: Serve.self
    )
}

/// Options every command that opens the store shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory of the embedded LMDB store.")
    var dataDirectory = "./data"

    @Option(
        name: .customLong("max-map-size-mb"),
        help: "Ceiling for the LMDB map (MiB); the map starts at 1 GiB and doubles when full. Env: BOOKING_MAX_MAP_SIZE_MB.")
    var maxMapSizeMB: Int?

    @Option(
        name: .customLong("idempotency-retention-hours"),
        help: "How long an Idempotency-Key is remembered (hours, at least 24, the API's promise). Env: BOOKING_IDEMPOTENCY_RETENTION_HOURS.")
    var idempotencyRetentionHours: Int?

    func validate() throws {
        let hours = idempotencyRetentionHours ?? ProcessEnvironment.value("BOOKING_IDEMPOTENCY_RETENTION_HOURS").flatMap(Int.init)
        if let hours, hours < 24 || hours > 24 * 3650 {
            throw ValidationError("the idempotency retention must be between 24 hours and 10 years, got \(hours)")
        }
    }

    func logOptions(readOnly: Bool) -> LMDBEventLog.Options {
        var options = LMDBEventLog.Options(readOnly: readOnly)
        let hours = idempotencyRetentionHours ?? ProcessEnvironment.value("BOOKING_IDEMPOTENCY_RETENTION_HOURS").flatMap(Int.init)
        if let hours { options.idempotencyRetention = Int64(hours) * 3_600_000 }
        let environmentValue = ProcessEnvironment.value("BOOKING_MAX_MAP_SIZE_MB").flatMap(Int.init)
        if let megabytes = maxMapSizeMB ?? environmentValue {
            options.maxMapSize = megabytes << 20
            options.mapSize = min(options.mapSize, options.maxMapSize)
        }
        return options
    }
}
