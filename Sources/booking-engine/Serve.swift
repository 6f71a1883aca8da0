import ArgumentParser
import BookingAPI
import BookingEngine
import BookingIntegrations
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `serve`: opens the store, rebuilds the projections and runs the engine until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the engine and its HTTP API with the embedded store.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    func run() async throws {
        var logger = Logger(label: "booking.serve")
        logger.logLevel = .info
        let started = ContinuousClock.now
        let service = try BookingService.open(
            dataDirectory: store.dataDirectory, options: store.logOptions(readOnly: false), logger: logger,
            progress: ProgressReporter(label: "rebuilding projections").callback)
        // Trap the signals before saying we're up: until a dispatch source is registered, SIGTERM's
        // default action would kill the process instead of shutting it down gracefully.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let configuration = try APIConfiguration(host: host, port: port, environment: ProcessInfo.processInfo.environment)
        let secrets = try SecretsConfiguration(environment: ProcessInfo.processInfo.environment, dataDirectory: store.dataDirectory)
        let sideEffects = try SideEffectsSetup.make(
            environment: ProcessInfo.processInfo.environment, secrets: secrets, dataDirectory: store.dataDirectory, service: service,
            logger: logger)
        let application = try await buildApplication(
            configuration: configuration, secrets: secrets, service: service, sideEffects: sideEffects, logger: logger)
        let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: logger)
        logger.info(
            "store open",
            metadata: [
                "data_dir": "\(store.dataDirectory)", "log.position": "\(service.projection.position)",
                "rebuild_ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
        let signalLogger = logger
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await signal in signals {
                    signalLogger.info("shutting down", metadata: ["signal": "\(signal)"])
                    await group.triggerGracefulShutdown()
                    return
                }
            }
            try await group.run()
            tasks.cancelAll()
        }
        // The live read model's digest, comparable with what `rebuild` prints for the same position:
        // evidence that the projection kept up incrementally equals one folded from zero.
        let model = service.projection.read { $0 }
        let digest = (try? ProjectionCheck.digest(of: model)) ?? "unavailable"
        logger.info("stopped", metadata: ["log.position": "\(model.position)", "projection.digest": "\(digest)"])
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
