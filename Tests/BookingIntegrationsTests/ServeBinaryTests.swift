import BookingEngine
import Foundation
import Testing

/// The built `booking-engine serve` with the CRM webhook on: killed mid-delivery and restarted,
/// dead letters listed and re-sent with the CLI while it runs, `/health` reporting the subscriber.
@Suite("CRM webhook in the serve binary", .serialized)
struct ServeBinaryTests {
    func environment(_ receiver: CRMReceiver, port: Int, extra: [String: String] = [:]) -> [String: String] {
        [
            "CRM_SERVICE_URL": "http://127.0.0.1:\(port)", "CRM_BEARER_TOKEN": receiver.token, "CRM_WEBHOOK_SECRET": receiver.secret,
            "CRM_RETRY_BASE_MS": "5", "CRM_RETRY_MAX_MS": "50",
        ].merging(extra) { _, new in new }
    }

    /// Writes `count` bookings into a store with an in-process engine, then lets it go.
    func populate(_ directory: TemporaryDirectory, bookings count: Int) async throws -> [String] {
        try await withService(directory) { service in try await service.makeBookings(count) }.map { $0.uuidString.lowercased() }
    }

    @Test("SIGKILL while a delivery is in flight, then restart: every booking reaches the CRM, only the interrupted one twice")
    func killedMidDelivery() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ids = try await populate(directory, bookings: 10)
        let receiver = CRMReceiver()
        receiver.script([.accept, .accept, .accept, .accept, .holdUntilReleased])
        try await receiver.run { port in
            let first = try await ServeProcess(dataDirectory: directory.path, environment: environment(receiver, port: port))
            try await waitUntil("the fifth delivery in flight") { receiver.requests.count == 5 }
            first.kill()
            let interrupted = receiver.requests[4].webhookID
            receiver.release()

            let second = try await ServeProcess(dataDirectory: directory.path, environment: environment(receiver, port: port))
            defer { second.stop() }
            try await waitUntil("all 10 bookings accepted; got \(Set(receiver.acceptedIDs).count)") { Set(receiver.acceptedIDs).count == 10 }
            #expect(Set(receiver.acceptedIDs) == Set(ids))
            let counts = Dictionary(receiver.requests.map { ($0.webhookID, 1) }, uniquingKeysWith: +)
            #expect(counts.filter { $0.value > 1 }.map(\.key).allSatisfy { $0 == interrupted }, "only the interrupted delivery was sent again")
            #expect(try receiver.requests.allSatisfy(\.isAuthentic))
            try await waitUntil("backlog 0") { (try await second.crmHealth()["backlog"] as? Int) == 0 }
            let crm = try await second.crmHealth()
            #expect(crm["state"] as? String == "on")
            #expect(crm["dead_letters"] as? Int == 0)
            #expect(second.stop() == 0, "graceful shutdown with the worker running: \(second.output)")
        }
    }

    @Test("dead letters: counted by /health, listed and re-sent by `deliveries` while serve runs")
    func deadLettersThroughTheCLI() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ids = try await populate(directory, bookings: 2)
        let receiver = CRMReceiver()
        receiver.script([], then: .status(503))
        try await receiver.run { port in
            let env = environment(receiver, port: port, extra: ["CRM_MAX_ATTEMPTS": "2"])
            let serve = try await ServeProcess(dataDirectory: directory.path, environment: env)
            defer { serve.stop() }
            try await waitUntil("two dead letters in /health") { (try await serve.crmHealth()["dead_letters"] as? Int) == 2 }
            #expect(try await serve.crmHealth()["backlog"] as? Int == 0, "the subscriber moved past both")

            let listed = try await EngineBinary.run(["deliveries", "list", "--data-dir", directory.path], environment: env)
            #expect(listed.status == 0)
            #expect(listed.output.contains("2 dead letters"))
            #expect(listed.output.contains("HTTP 503"))
            #expect(!listed.output.contains("@example.com"), "no e-mail addresses in the listing")
            let json = try await EngineBinary.run(["deliveries", "list", "--json", "--data-dir", directory.path], environment: env)
            let letters = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
            #expect(letters.compactMap { $0["event_id"] as? String }.map { $0.lowercased() } == ids)
            #expect(letters.allSatisfy { $0["attempts"] as? Int == 2 })

            let unknown = try await EngineBinary.run(["deliveries", "retry", "--data-dir", directory.path, "999999"], environment: env)
            #expect(unknown.status != 0)

            // Still failing: the retry says so, exits 1 and leaves both parked.
            let failing = try await EngineBinary.run(["deliveries", "retry", "--all", "--data-dir", directory.path], environment: env)
            #expect(failing.status == 1)
            #expect(failing.output.contains("still parked (HTTP 503)"))

            receiver.script([], then: .accept)
            let retried = try await EngineBinary.run(["deliveries", "retry", "--all", "--data-dir", directory.path], environment: env)
            #expect(retried.status == 0, "\(retried.output)")
            #expect(Set(receiver.acceptedIDs) == Set(ids))
            let after = try await EngineBinary.run(["deliveries", "list", "--json", "--data-dir", directory.path], environment: env)
            #expect((try JSONSerialization.jsonObject(with: Data(after.output.utf8)) as? [Any])?.isEmpty == true)
            try await waitUntil("/health counts none") { (try await serve.crmHealth()["dead_letters"] as? Int) == 0 }
        }
    }

    @Test("no CRM_SERVICE_URL: the subscriber is off and /health says so")
    func offWithoutURL() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let serve = try await ServeProcess(dataDirectory: directory.path, environment: [:])
        defer { serve.stop() }
        let crm = try await serve.crmHealth()
        #expect(crm["state"] as? String == "off")
        #expect(crm["reason"] as? String == "CRM_SERVICE_URL is not set")
        let health = try await serve.health()
        #expect(health["store"] != nil && health["projection"] != nil, "the existing fields stay")
    }
}
