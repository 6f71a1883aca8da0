import BookingEngine
import BookingIntegrations
import EventStoreLMDB
import BookingProjections
import Foundation
import Testing

/// Parking after the retry budget, permanent failures, and re-sending parked deliveries.
@Suite("Dead letters")
struct DeadLetterTests {
    @Test("after the budget the delivery is parked, the subscriber moves on, and a retry re-sends it with the same id")
    func parksThenRetries() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = CRMReceiver()
        receiver.script([.status(503), .status(503), .status(503)])
        try await receiver.run { port in
            try await withService(directory) { service in
                let store = try DeliveryStore(dataDirectory: directory.path)
                let ids = try await service.makeBookings(2)
                let channel = try CRMChannel(configuration: crmConfiguration(port: port, receiver: receiver, policy: testPolicy(attempts: 3)), logger: quietLogger())
                try await withWorker(channel, service: service, store: store, policy: testPolicy(attempts: 3)) { worker in
                    try await waitUntil("the second booking delivered after the first was parked") { receiver.acceptedIDs.count == 1 }
                    try await waitUntil("checkpoint at the head") { worker.checkpoint == service.log.committedHead }
                }
                #expect(receiver.acceptedIDs == [ids[1].uuidString.lowercased()])
                let letters = try store.deadLetters()
                try #require(letters.count == 1)
                let letter = letters[0]
                #expect(letter.subscriber == "crm")
                #expect(letter.eventID == ids[0])
                #expect(letter.attempts == 3)
                #expect(letter.lastError == "HTTP 503")
                #expect(letter.firstAttemptAt <= letter.lastAttemptAt)
                #expect(try store.deadLetterCount(subscriber: "crm") == 1)

                // The operator's retry: rendered again from the log and the read model, sent with the same id.
                let retrier = DeadLetterRetrier(
                    channel: try CRMChannel(configuration: crmConfiguration(port: port, receiver: receiver), logger: quietLogger()),
                    log: service.log, projection: service.projection, store: store)
                let results = try await retrier.retry(letters)
                #expect(results.count == 1)
                #expect(results.first?.failure == nil)
                #expect(receiver.acceptedIDs == [ids[1], ids[0]].map { $0.uuidString.lowercased() })
                #expect(try receiver.requests.allSatisfy(\.isAuthentic))
                #expect(try store.deadLetters().isEmpty)
            }
        }
    }

    @Test("a failed retry keeps the letter parked and counts the attempt")
    func failedRetryKeepsLetter() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = CRMReceiver()
        receiver.script([], then: .status(500))
        try await receiver.run { port in
            try await withService(directory) { service in
                let store = try DeliveryStore(dataDirectory: directory.path)
                _ = try await service.makeBookings(1)
                let channel = try CRMChannel(configuration: crmConfiguration(port: port, receiver: receiver), logger: quietLogger())
                try await withWorker(channel, service: service, store: store, policy: testPolicy(attempts: 2)) { _ in
                    try await waitUntil("parked") { try store.deadLetterCount(subscriber: "crm") == 1 }
                }
                let retrier = DeadLetterRetrier(
                    channel: try CRMChannel(configuration: crmConfiguration(port: port, receiver: receiver), logger: quietLogger()),
                    log: service.log, projection: service.projection, store: store)
                let results = try await retrier.retry(try store.deadLetters())
                #expect(results.first?.failure == "HTTP 500")
                let letters = try store.deadLetters()
                #expect(letters.count == 1)
                #expect(letters.first?.attempts == 3)
            }
        }
    }

    @Test("a permanent refusal (400) is parked after one attempt, without retries")
    func permanentFailureParksAtOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = CRMReceiver()
        receiver.script([.status(400)])
        try await receiver.run { port in
            try await withService(directory) { service in
                let store = try DeliveryStore(dataDirectory: directory.path)
                _ = try await service.makeBookings(1)
                let channel = try CRMChannel(configuration: crmConfiguration(port: port, receiver: receiver), logger: quietLogger())
                try await withWorker(channel, service: service, store: store) { _ in
                    try await waitUntil("parked") { try store.deadLetterCount(subscriber: "crm") == 1 }
                }
                #expect(receiver.requests.count == 1)
                #expect(try store.deadLetters().first?.lastError == "HTTP 400")
                #expect(try store.deadLetters().first?.attempts == 1)
            }
        }
    }

    @Test("a wrong bearer token is refused by the CRM (401) and parked, not retried forever")
    func wrongTokenIsParked() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = CRMReceiver()
        try await receiver.run { port in
            try await withService(directory) { service in
                let store = try DeliveryStore(dataDirectory: directory.path)
                _ = try await service.makeBookings(1)
                var configuration = crmConfiguration(port: port, receiver: receiver)
                configuration.bearerToken = "not-the-crm-token-0123456789abcdefghij"
                let channel = try CRMChannel(configuration: configuration, logger: quietLogger())
                try await withWorker(channel, service: service, store: store) { _ in
                    try await waitUntil("parked") { try store.deadLetterCount(subscriber: "crm") == 1 }
                }
                #expect(receiver.requests.map(\.isAuthentic) == [false])
                #expect(try store.deadLetters().first?.lastError == "HTTP 401")
            }
        }
    }
}
