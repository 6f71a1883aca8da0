import AsyncHTTPClient
import ArgumentParser
import Authentication
import BookingAPI
import BookingDomain
import BookingEngine
import EventSourcing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// `bench-notify` (hidden): the notifier's latency. A release server in this process, N facilitator
/// sockets connected, bookings arriving over HTTP at a fixed rate, each spread over the facilitators;
/// the time from a booking's 2xx at the HTTP client to its facilitator's socket receiving it.
struct BenchNotify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-notify", abstract: "Measure notification latency (use a release build: tools/bench-notify).", shouldDisplay: false)

    @Option(name: .customLong("data-dir"), help: "Scratch directory (emptied first).")
    var dataDirectory = "./.bench-notify-data"

    @Option(help: "Port for the in-process server.")
    var port = 18_080

    @Option(help: "Facilitator sockets (one facilitator each, one session each).")
    var sockets = 1_000

    @Option(help: "Bookings per second over HTTP.")
    var rate = 1_000

    @Option(help: "Seconds of bookings.")
    var seconds = 10

    @Option(help: "Concurrent HTTP clients issuing the bookings.")
    var clients = 32

    func run() async throws {
        var logger = Logger(label: "bench-notify")
        logger.logLevel = .warning
        try? FileManager.default.removeItem(atPath: dataDirectory)
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let service = try BookingService.open(dataDirectory: dataDirectory, logger: logger)
        let secret = String(repeating: "b", count: 48)
        var configuration = APIConfiguration(host: "127.0.0.1", port: port)
        configuration.authRateLimit = nil
        configuration.apiRateLimit = nil
        // swift-websocket's client sends `Origin: ws://HOST`, which the notifier checks like any other.
        configuration.corsAllowedOrigins = ["ws://127.0.0.1"]
        // The application runs the engine's writer; set-up below goes through it.
        let application = try await buildApplication(
            configuration: configuration, secrets: SecretsConfiguration(jwtSecret: secret), service: service, logger: logger)
        let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: logger)
        let server = Task { try await group.run() }
        try await waitForServer(port: port)

        // Accounts and sessions straight through the engine (no password hashing: tokens are minted
        // below with the server's secret), so set-up takes seconds, not minutes of Argon2id.
        let now = Timestamp.now
        let start = Timestamp(rawValue: now.rawValue + 7 * 86_400_000)
        var facilitators: [UserID] = []
        var sessions: [Int64] = []
        for index in 0..<sockets {
            let facilitator = try await register("host\(index)@bench.example", role: .facilitator, service: service)
            facilitators.append(facilitator)
            let details = SessionDetails(title: "Session \(index)", startTime: start, endTime: Timestamp(rawValue: start.rawValue + 3_600_000), capacity: 100_000)
            let outcome = try await service.execute(.createSession(facilitatorID: facilitator, details: details, now: now), actor: "bench", now: now)
            guard case .accepted(let events, _) = outcome, case .sessionCreated(let created) = events.first?.event
            else { throw ValidationError("session not created") }
            sessions.append(created.sessionID.rawValue)
        }
        let total = rate * seconds
        let userCount = max(1, (total + sockets - 1) / sockets)
        var users: [UserID] = []
        for index in 0..<userCount { users.append(try await register("user\(index)@bench.example", role: .user, service: service)) }

        let tokens = try await AccessTokens(
            secret: secret, configuration: .init(issuer: "booking-engine", audience: "booking-engine-api", lifetimeHours: 24))
        var facilitatorTokens: [String] = []
        for facilitator in facilitators { facilitatorTokens.append(try await tokens.issue(subject: "\(facilitator.rawValue)", role: "facilitator").token) }
        var userTokens: [String] = []
        for user in users { userTokens.append(try await tokens.issue(subject: "\(user.rawValue)", role: "user").token) }


        // Sockets.
        let clock = ContinuousClock()
        let record = BenchRecord()
        let port = self.port
        var socketTasks: [Task<Void, any Error>] = []
        for token in facilitatorTokens {
            let url = "ws://127.0.0.1:\(port)/api/notifications/ws"
            socketTasks.append(
                Task {
                    _ = try await WebSocketClient.connect(
                        url: url, configuration: .init(additionalHeaders: [.authorization: "Bearer \(token)"]), logger: logger
                    ) { inbound, _, _ in
                        record.connected.withLock { $0 += 1 }
                        for try await message in inbound.messages(maxSize: 1 << 16) {
                            let at = clock.now
                            guard case .text(let text) = message, let id = Self.bookingID(in: text) else { continue }
                            record.received.withLock { $0[id] = at }
                        }
                    }
                })
        }
        let connectDeadline = clock.now + .seconds(120)
        while record.connected.withLock({ $0 }) < sockets {
            guard clock.now < connectDeadline else { throw ValidationError("only \(record.connected.withLock { $0 }) of \(sockets) sockets connected") }
            try await Task.sleep(for: .milliseconds(10))
        }
        print("\(sockets) sockets connected; booking at \(rate)/s for \(seconds) s")

        // Bookings at a fixed rate, spread over `clients` concurrent HTTP clients.
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: .init(idleTimeout: .seconds(60))))
        let began = clock.now
        let interval = Duration.seconds(1) / rate
        let (sessionList, userTokenList, socketCount, userTotal, clientCount) = (sessions, userTokens, sockets, userCount, clients)
        await withTaskGroup(of: Void.self) { tasks in
            for worker in 0..<clientCount {
                tasks.addTask {
                    var index = worker
                    while index < total {
                        let due = began + interval * index
                        if clock.now < due { try? await Task.sleep(until: due, clock: clock) }
                        // Booking i: user i mod U on session (i div U + i) mod S, so every facilitator gets bookings and no pair repeats.
                        let user = index % userTotal
                        let session = sessionList[(index / userTotal + index) % socketCount]
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/bookings")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(userTokenList[user])")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: #"{"session_id":\#(session)}"#))
                        do {
                            let response = try await http.execute(request, timeout: .seconds(30))
                            let body = try await response.body.collect(upTo: 1 << 16)
                            let at = clock.now
                            if response.status.code == 201, let id = Self.bookingID(in: String(buffer: body)) {
                                record.acknowledged.withLock { $0[id] = at }
                            } else {
                                record.failures.withLock { $0 += 1 }
                            }
                        } catch {
                            record.failures.withLock { $0 += 1 }
                        }
                        index += clientCount
                    }
                }
            }
        }
        let sendSeconds = Double((clock.now - began).components.attoseconds) / 1e18 + Double((clock.now - began).components.seconds)
        // Wait (up to 30 s) until every acknowledged booking reached its socket.
        let deliveryDeadline = clock.now + .seconds(30)
        let expected = Set(record.acknowledged.withLock { $0.keys })
        while clock.now < deliveryDeadline {
            let missing = record.received.withLock { got in expected.filter { got[$0] == nil }.count }
            if missing == 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let (sent, got) = (record.acknowledged.withLock { $0 }, record.received.withLock { $0 })
        var latencies: [Double] = []
        var early = 0
        var missing = 0
        for (id, ack) in sent {
            guard let at = got[id] else {
                missing += 1
                continue
            }
            let delta = at - ack
            let ms = Double(delta.components.seconds) * 1000 + Double(delta.components.attoseconds) / 1e15
            if ms < 0 { early += 1 }
            latencies.append(max(0, ms))
        }
        latencies.sort()
        func percentile(_ p: Double) -> String {
            guard !latencies.isEmpty else { return "n/a" }
            return String(format: "%.2f ms", latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))])
        }
        print("| measurement | value |")
        print("|---|---|")
        print("| sockets connected | \(sockets) |")
        print("| bookings acknowledged (2xx) | \(sent.count) of \(total) in \(String(format: "%.1f", sendSeconds)) s (\(String(format: "%.0f", Double(sent.count) / sendSeconds))/s); \(record.failures.withLock { $0 }) failed |")
        print("| delivered to the facilitator's socket | \(sent.count - missing) (missing: \(missing)) |")
        print("| latency 2xx → socket, p50 | \(percentile(0.50)) |")
        print("| latency 2xx → socket, p90 | \(percentile(0.90)) |")
        print("| latency 2xx → socket, p99 | \(percentile(0.99)) |")
        print("| latency 2xx → socket, max | \(latencies.last.map { String(format: "%.2f ms", $0) } ?? "n/a") |")
        print("| notification before the 2xx was read (counted as 0) | \(early) |")

        try await http.shutdown()
        await group.triggerGracefulShutdown()
        for task in socketTasks { _ = try? await task.value }
        _ = try? await server.value
    }

    private func register(_ email: String, role: Role, service: BookingService) async throws -> UserID {
        let now = Timestamp.now
        let outcome = try await service.execute(
            .registerUser(RegisterUser(email: email, name: email, role: role, passwordHash: nil)), actor: "bench", now: now)
        guard case .accepted(let events, _) = outcome, case .userRegistered(let user) = events.first?.event
        else { throw ValidationError("registration of \(email) failed") }
        return user.userID
    }

    private func waitForServer(port: Int) async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let response = try? await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(1)), response.status.code == 200 {
                try await http.shutdown()
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await http.shutdown()
        throw ValidationError("server did not start on port \(port)")
    }

    /// `"booking_id":N` in a JSON text, without a full parse.
    static func bookingID(in text: String) -> Int64? {
        guard let range = text.range(of: "\"booking_id\":") else { return nil }
        return Int64(text[range.upperBound...].prefix { $0.isNumber })
    }
}

/// What the benchmark's tasks record, shared between them.
private final class BenchRecord: Sendable {
    let received = Mutex<[Int64: ContinuousClock.Instant]>([:])
    let acknowledged = Mutex<[Int64: ContinuousClock.Instant]>([:])
    let connected = Mutex(0)
    let failures = Mutex(0)
}
