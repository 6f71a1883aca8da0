import ArgumentParser
import BookingDomain
import BookingEngine
import BookingIntegrations
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation
import Hummingbird
import LMDB
import Logging
import ServiceLifecycle
import Synchronization

/// `crm-bench`: CRM webhook deliveries per second to a local receiver (a Hummingbird server in this
/// process on loopback), through the real worker: rendering from the read model, signing, HTTP, and a
/// synced checkpoint in the deliveries store after each one.
struct CRMBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-bench", abstract: "Measure CRM webhook deliveries per second to a local receiver (use a release build).")

    @Option(name: .customLong("data-dir"), help: "Scratch directory (emptied first).")
    var dataDirectory = "./.bench-crm"

    @Option(help: "Bookings to deliver.")
    var bookings = 3_000

    func run() async throws {
        try? FileManager.default.removeItem(atPath: dataDirectory)
        var logger = Logger(label: "crm-bench")
        logger.logLevel = .error
        // The log's own fsyncs are not what is measured here; the deliveries store stays synced.
        let service = try BookingService.open(dataDirectory: dataDirectory + "/engine", options: .init(durability: .noSync))
        let writer = Task { await service.run() }
        defer { writer.cancel() }
        let at = Timestamp.now
        let host = try await Self.register(service, "host@example.com", role: .facilitator, at: at)
        let details = SessionDetails(
            title: "Bench", startTime: Timestamp(rawValue: at.rawValue + 86_400_000), endTime: Timestamp(rawValue: at.rawValue + 90_000_000),
            capacity: bookings)
        let created = try await service.execute(.createSession(facilitatorID: host, details: details, now: at), actor: "bench", now: at)
        guard case .accepted(let sessionEvents, _) = created, case .sessionCreated(let session)? = sessionEvents.first?.event else {
            throw ValidationError("could not create the session")
        }
        for index in 0..<bookings {
            let guest = try await Self.register(service, "guest\(index)@example.com", role: .user, at: at)
            _ = try await service.execute(.bookSeat(sessionID: session.sessionID, userID: guest, notes: nil, now: at), actor: "bench", now: at)
        }

        let received = ReceivedCount()
        let router = Router()
        router.post("/api/booking-notification") { _, _ in
            received.value.add(1, ordering: .relaxed)
            return Response(status: .ok)
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let receiver = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            }, logger: logger)
        let group = ServiceGroup(services: [receiver], gracefulShutdownSignals: [], logger: logger)
        let server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ValidationError("receiver did not start") }

        let store = try DeliveryStore(dataDirectory: dataDirectory)
        let channel = try CRMChannel(
            configuration: CRMConfiguration(
                serviceURL: "http://127.0.0.1:\(port)", bearerToken: String(repeating: "b", count: 40), webhookSecret: WebhookSigner.randomSecret()),
            logger: logger)
        let worker = DeliveryWorker(channel: channel, log: service.log, projection: service.projection, store: store, logger: logger)
        let head = service.log.committedHead
        let started = ContinuousClock.now
        let running = Task { try await worker.run() }
        while worker.checkpoint != head { try await Task.sleep(for: .milliseconds(1)) }
        let elapsed = ContinuousClock.now - started
        running.cancel()
        try await running.value
        await group.triggerGracefulShutdown()
        try await server.value

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let count = received.value.load(ordering: .relaxed)
        print("| CRM deliveries to a local receiver (one at a time, synced checkpoint each) | \(Int(Double(count) / seconds)) deliveries/s | \(count) bookings in \(String(format: "%.2f", seconds)) s, \(String(format: "%.2f", seconds * 1000 / Double(count))) ms each |")
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

extension CRMBench {
    static func register(_ service: BookingService, _ email: String, role: Role, at: Timestamp) async throws -> UserID {
        let outcome = try await service.execute(
            .registerUser(RegisterUser(email: email, name: email, role: role, passwordHash: nil)), actor: "system", now: at)
        guard case .accepted(let events, _) = outcome, case .userRegistered(let user)? = events.first?.event else {
            throw ValidationError("could not register \(email)")
        }
        return user.userID
    }
}

/// What the bench's receiver has accepted (a class, so the handler closure can share it).
private final class ReceivedCount: Sendable {
    let value = Atomic<Int>(0)
}
