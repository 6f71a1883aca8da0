import BookingDomain
import BookingEngine
import BookingIntegrations
import EventStoreLMDB
import Foundation
import Testing

/// The CRM webhook against a real HTTP server on loopback that checks token, body and signature.
@Suite("CRM webhook")
struct CRMWebhookTests {
    @Test("a confirmed and a cancelled booking are POSTed with the bearer token, the CRM's body and a valid signature")
    func deliversSignedNotifications() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = CRMReceiver()
        try await receiver.run { port in
            try await withService(directory) { service in
                let store = try DeliveryStore(dataDirectory: directory.path)
                let host = try await service.register("host@example.com", name: "Hana Host", role: .facilitator)
                let guest = try await service.register("guest@example.com", name: "Gus <b>Guest</b>")
                let session = try await service.createSession(by: host, title: "Sound bath")
                let (booking, _, bookedID) = try await service.book(guest, on: session)
                let (cancelPosition, cancelledID) = try await service.cancel(booking, by: guest)
                let channel = try CRMChannel(configuration: crmConfiguration(port: port, receiver: receiver), logger: quietLogger())
                try await withWorker(channel, service: service, store: store) { worker in
                    try await waitUntil("two notifications accepted, got \(receiver.requests.count)") { receiver.acceptedIDs.count == 2 }
                    try await waitUntil("checkpoint at the head") { worker.checkpoint == service.log.committedHead }
                }
                let requests = receiver.requests
                #expect(requests.count == 2, "nothing sent twice when the CRM answered 200 at once")
                #expect(try requests.allSatisfy(\.isAuthentic), "token and signature verified by the receiver")
                #expect(requests.map(\.webhookID) == [bookedID, cancelledID].map { $0.uuidString.lowercased() })
                for request in requests {
                    let stamp = try #require(Int64(request.timestamp))
                    #expect(abs(stamp - Int64(Date().timeIntervalSince1970)) < 300)
                }

                let confirmed = try #require(try JSONSerialization.jsonObject(with: Data(requests[0].body)) as? [String: Any])
                #expect(confirmed["type"] as? String == "booking_confirmed")
                #expect(confirmed["booking_id"] as? Int == Int(booking.rawValue))
                #expect(confirmed["facilitator_id"] as? Int == Int(host.rawValue))
                let user = try #require(confirmed["user"] as? [String: Any])
                #expect(user["id"] as? Int == Int(guest.rawValue))
                #expect(user["email"] as? String == "guest@example.com")
                #expect(user["name"] as? String == "Gus <b>Guest</b>")
                for key in ["event", "session"] {
                    let event = try #require(confirmed[key] as? [String: Any], "\(key) object")
                    #expect(event["id"] as? Int == Int(session.rawValue))
                    #expect(event["title"] as? String == "Sound bath")
                    #expect(event["start_time"] as? String == ExportedEvent.exportedTime(inAWeek.rawValue))
                }
                let cancelled = try #require(try JSONSerialization.jsonObject(with: Data(requests[1].body)) as? [String: Any])
                #expect(cancelled["type"] as? String == "booking_cancelled")
                #expect(cancelled["cancellation_cause"] as? String == "by_user")
                #expect(try store.checkpoint(of: "crm") == cancelPosition)
                #expect(try store.deadLetters().isEmpty)
            }
        }
    }

    @Test("a wrong secret fails the receiver's independent check, so the check can fail")
    func receiverRejectsForgedSignature() async throws {
        let receiver = CRMReceiver()
        let forger = CRMReceiver(secret: "whsec_" + Data(repeating: 9, count: 32).base64EncodedString())
        let body = Array(#"{"booking_id":1}"#.utf8)
        let signature = WebhookSigner(secret: forger.secret)!.signature(id: "evt", timestamp: 1, body: body)
        #expect(!receiver.verify(id: "evt", timestamp: "1", body: body, signature: signature))
        #expect(forger.verify(id: "evt", timestamp: "1", body: body, signature: signature))
        #expect(!forger.verify(id: "evt", timestamp: "2", body: body, signature: signature), "the timestamp is signed")
    }

    @Test("the CRM answering 500 for a while: every booking delivered, ids repeated only after a failed attempt")
    func recoversFromServerErrors() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = CRMReceiver()
        receiver.script(Array(repeating: .status(500), count: 6))
        try await receiver.run { port in
            try await withService(directory) { service in
                let ids = try await service.makeBookings(5)
                let channel = try CRMChannel(configuration: crmConfiguration(port: port, receiver: receiver), logger: quietLogger())
                try await withWorker(channel, service: service, store: try DeliveryStore(dataDirectory: directory.path)) { _ in
                    try await waitUntil("5 bookings accepted, got \(receiver.acceptedIDs.count)") { receiver.acceptedIDs.count == 5 }
                }
                #expect(receiver.acceptedIDs == ids.map { $0.uuidString.lowercased() }, "each once, in log order")
                assertRepeatsFollowFailures(receiver.requests)
                #expect(receiver.requests.count == 11)
            }
        }
    }

    @Test("the CRM timing out: the request is abandoned after the total timeout and retried")
    func retriesAfterTimeouts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = CRMReceiver()
        receiver.script([.hang(.seconds(3)), .hang(.seconds(3))])
        try await receiver.run { port in
            try await withService(directory) { service in
                let ids = try await service.makeBookings(2)
                let channel = RecordingChannel(
                    try CRMChannel(
                        configuration: crmConfiguration(port: port, receiver: receiver, requestTimeout: .milliseconds(300)), logger: quietLogger()))
                try await withWorker(channel, service: service, store: try DeliveryStore(dataDirectory: directory.path)) { _ in
                    try await waitUntil("2 bookings delivered") { channel.deliveredIDs.count == 2 }
                }
                #expect(channel.deliveredIDs == ids, "each seen delivered once, in log order")
                #expect(channel.attempts.prefix(2).allSatisfy { if case .retry(_, let reason) = $0 { reason == "timeout" } else { false } })
                // On a loaded machine even a 200 can arrive after the 300 ms timeout; the worker then
                // rightly sends again. So a repeat is judged by what the worker saw, not the receiver:
                // the receiver got at most one request per attempt, so nothing after the worker's success.
                for id in ids {
                    let key = id.uuidString.lowercased()
                    #expect(
                        receiver.requests.filter { $0.webhookID == key }.count <= channel.attemptedIDs.filter { $0 == id }.count,
                        "at most one request per attempt for \(key)")
                }
                #expect(Set(receiver.acceptedIDs) == Set(ids.map { $0.uuidString.lowercased() }))
            }
        }
    }

    @Test("the CRM down (port closed) and then up: everything queued meanwhile is delivered")
    func recoversWhenCRMComesUp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = CRMReceiver()
        let port = try unusedPort()
        try await withService(directory) { service in
            let channel = RecordingChannel(try CRMChannel(configuration: crmConfiguration(port: port, receiver: receiver), logger: quietLogger()))
            let store = try DeliveryStore(dataDirectory: directory.path)
            try await withWorker(channel, service: service, store: store) { worker in
                let ids = try await service.makeBookings(3)
                try await waitUntil("three refused connection attempts") { channel.failedAttempts >= 3 }
                #expect(try store.checkpoint(of: "crm") < service.log.committedHead, "the checkpoint waits while the CRM is down")
                try await receiver.run(port: port) { _ in
                    try await waitUntil("3 bookings accepted after the CRM came up") { receiver.acceptedIDs.count == 3 }
                    try await waitUntil("checkpoint at the head") { worker.checkpoint == service.log.committedHead }
                }
                #expect(receiver.acceptedIDs == ids.map { $0.uuidString.lowercased() })
                #expect(receiver.requests.count == 3, "nothing reached the CRM before it was up, nothing twice after")
                #expect(try store.deadLetters().isEmpty)
            }
        }
    }

    @Test("Retry-After is honoured even when the backoff would be shorter")
    func honoursRetryAfter() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = CRMReceiver()
        receiver.script([.status(429, retryAfter: "1")])
        try await receiver.run { port in
            try await withService(directory) { service in
                _ = try await service.makeBookings(1)
                let channel = try CRMChannel(configuration: crmConfiguration(port: port, receiver: receiver), logger: quietLogger())
                try await withWorker(channel, service: service, store: try DeliveryStore(dataDirectory: directory.path)) { _ in
                    try await waitUntil("accepted after the 429") { receiver.acceptedIDs.count == 1 }
                }
                let requests = receiver.requests
                try #require(requests.count == 2)
                #expect(requests[1].arrivedAt - requests[0].arrivedAt >= .seconds(1), "waited the Retry-After, not the 5 ms backoff")
                #expect(requests[0].webhookID == requests[1].webhookID)
            }
        }
    }
}

/// Every repeated `webhook-id` must follow an attempt with the same id that was not accepted.
func assertRepeatsFollowFailures(_ requests: [CRMReceiver.Request], sourceLocation: SourceLocation = #_sourceLocation) {
    var accepted: Set<String> = []
    for request in requests {
        #expect(!accepted.contains(request.webhookID), "\(request.webhookID) sent again after a 2xx", sourceLocation: sourceLocation)
        if (200..<300).contains(request.answered) { accepted.insert(request.webhookID) }
    }
}
