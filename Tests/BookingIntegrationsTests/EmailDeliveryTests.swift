import BookingDomain
import BookingEngine
import BookingIntegrations
import EventStoreLMDB
import Foundation
import MailTestSupport
import Mailer
import Testing

/// The e-mail subscriber end to end: the delivery worker following a real log, the booking e-mails,
/// and a real SMTP server (aiosmtpd, STARTTLS and AUTH required) or the outbox folder.
@Suite("E-mail delivery", .serialized)
struct EmailDeliveryTests {
    static let user = "mailer"
    static let password = "a test-only smtp password"
    static let sender = MailAddress("bookings@example.com", displayName: "Booking Engine")

    static func smtp(port: Int) -> SMTPMailer {
        SMTPMailer(
            configuration: SMTPConfiguration(
                host: "127.0.0.1", port: port, security: .startTLS,
                credentials: SMTPConfiguration.Credentials(username: user, password: password), caFile: testCAFile,
                connectTimeout: .seconds(10), totalTimeout: .seconds(30)))
    }

    @Test("a booking and its cancellation: two messages each, over STARTTLS with AUTH, Message-IDs from the event ids")
    func mailsBookingsAndCancellations() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await SMTPTestServer(tls: "starttls", user: Self.user, password: Self.password)
        defer { server.stop() }
        try await withService(directory) { service in
            let host = try await service.register("host@example.com", name: "Hélène <Host>", role: .facilitator)
            let session = try await service.createSession(by: host, title: "Breath & <b>work</b>")
            let guest = try await service.register("guest@example.com", name: "Guest")
            let booked = try await service.book(guest, on: session)
            let cancelled = try await service.cancel(booked.0, by: guest)
            let store = try DeliveryStore(dataDirectory: directory.path)
            let channel = EmailChannel(mailer: Self.smtp(port: server.port), sender: Self.sender)
            try await withWorker(channel, service: service, store: store) { worker in
                let messages = try await server.waitForMessages(4)
                try await waitUntil("checkpoint at the head") { worker.checkpoint == service.log.committedHead }
                #expect(messages.count == 4)
                #expect(messages.allSatisfy { $0.tls && $0.auth_login == Self.user })
                let booking = booked.eventID.uuidString.lowercased()
                let cancellation = cancelled.eventID.uuidString.lowercased()
                #expect(messages.map(\.parsed.message_id) == [
                    "<\(booking).booking-confirmation@booking-engine>", "<\(booking).new-booking@booking-engine>",
                    "<\(cancellation).cancellation-user@booking-engine>", "<\(cancellation).cancellation-facilitator@booking-engine>",
                ])
                #expect(messages.map(\.rcpt_tos) == [["guest@example.com"], ["host@example.com"], ["guest@example.com"], ["host@example.com"]])
                for message in messages {
                    #expect(message.parsed.parts.map(\.content_type) == ["text/plain", "text/html"])
                    let html = message.parsed.parts.last?.body ?? ""
                    #expect(!html.contains("<b>work</b>") && !html.contains("<Host>"), "user-supplied text is escaped in HTML")
                }
                #expect(try store.deadLetters().isEmpty)
            }
        }
    }

    @Test("the mail server down for a while, then up: every message arrives, each Message-ID once")
    func survivesAnOutage() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let port = try unusedPort()
        try await withService(directory) { service in
            let ids = try await service.makeBookings(3)
            let store = try DeliveryStore(dataDirectory: directory.path)
            let channel = RecordingChannel(EmailChannel(mailer: Self.smtp(port: port), sender: Self.sender))
            // A budget that outlasts the Python server's start-up (it parks after 100 attempts of at most 100 ms).
            let patient = RetryPolicy(maxAttempts: 100, baseDelay: .milliseconds(5), maxDelay: .milliseconds(100))
            try await withWorker(channel, service: service, store: store, policy: patient) { worker in
                try await waitUntil("two refused attempts while the server is down") { channel.failedAttempts >= 2 }
                #expect(try store.checkpoint(of: "email") < service.log.committedHead, "the checkpoint waits for the server")
                let server = try await SMTPTestServer(tls: "starttls", user: Self.user, password: Self.password, listenPort: port)
                defer { server.stop() }
                let messages = try await server.waitForMessages(6)
                try await waitUntil("checkpoint at the head") { worker.checkpoint == service.log.committedHead }
                let expected = ids.flatMap { id in
                    let event = id.uuidString.lowercased()
                    return ["<\(event).booking-confirmation@booking-engine>", "<\(event).new-booking@booking-engine>"]
                }
                #expect(try server.messages().map(\.parsed.message_id) == expected, "in log order, none twice")
                #expect(messages.count == 6)
                #expect(try store.deadLetters().isEmpty)
            }
        }
    }

    @Test("a refused recipient (550) parks that message as a dead letter and the worker moves on")
    func permanentRefusalIsParked() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await SMTPTestServer(tls: "starttls", user: Self.user, password: Self.password, rcptReply: "550 5.1.1 no such user")
        defer { server.stop() }
        try await withService(directory) { service in
            _ = try await service.makeBookings(1)
            let store = try DeliveryStore(dataDirectory: directory.path)
            let channel = EmailChannel(mailer: Self.smtp(port: server.port), sender: Self.sender)
            try await withWorker(channel, service: service, store: store) { worker in
                try await waitUntil("checkpoint at the head") { worker.checkpoint == service.log.committedHead }
                let letters = try store.deadLetters()
                #expect(letters.map(\.deliveryKey).sorted() == ["mail-facilitator", "mail-user"])
                #expect(letters.allSatisfy { $0.subscriber == "email" && $0.attempts == 1 && $0.lastError.contains("550") })
                #expect(letters.allSatisfy { !$0.lastError.contains("@example.com") }, "no addresses in the stored error")
            }
        }
    }

    @Test("without SMTP_SERVER the built `serve` writes each message to DATA-DIR/outbox")
    func serveWritesTheOutboxByDefault() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ids = try await withService(directory) { service in try await service.makeBookings(2) }
        let serve = try await ServeProcess(dataDirectory: directory.path, environment: [:])
        defer { serve.stop() }
        let outbox = directory.path + "/outbox"
        let expected = Set(ids.flatMap { id in
            let event = id.uuidString.lowercased()
            return ["\(event).booking-confirmation@booking-engine.eml", "\(event).new-booking@booking-engine.eml"]
        })
        try await waitUntil("four messages in the outbox") {
            Set((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).isSuperset(of: expected)
        }
        let text = try String(contentsOfFile: outbox + "/" + expected.sorted()[0], encoding: .utf8)
        #expect(text.contains("Message-ID:") && text.contains("<\(expected.sorted()[0].dropLast(4))>"))
        #expect(text.contains("multipart/alternative"))
        #expect(serve.stop() == 0)
    }
}
