import MailTestSupport
import Foundation
import Mailer
import Testing

/// SMTPMailer against a real SMTP server (aiosmtpd in a subprocess, tools/smtp-test-server.py).
/// Serialized: each test starts its own server, and the 2-core CI box needn't run them all at once.
@Suite("SMTP mailer against a real SMTP server", .serialized)
struct SMTPMailerTests {
    static let user = "mailer-test"
    static let password = "correct horse battery staple"

    func configuration(_ server: SMTPTestServer, security: SMTPConfiguration.Security = .startTLS, password: String? = Self.password)
        -> SMTPConfiguration
    {
        SMTPConfiguration(
            host: "127.0.0.1", port: server.port, security: security,
            credentials: password.map { SMTPConfiguration.Credentials(username: Self.user, password: $0) }, caFile: testCAFile,
            connectTimeout: .seconds(10), totalTimeout: .seconds(30)
        )
    }

    @Test("STARTTLS (required by the server) and AUTH: the message arrives with its headers and both parts")
    func deliversOverSTARTTLSWithAuth() async throws {
        let server = try await SMTPTestServer(tls: "starttls", user: Self.user, password: Self.password)
        let message = sampleMessage()
        try await SMTPMailer(configuration: configuration(server)).send(message)
        let received = try #require(try await server.waitForMessages(1).first)
        #expect(received.tls, "the message crossed an encrypted connection")
        #expect(received.auth_login == Self.user)
        #expect(received.mail_from == "bookings@example.com")
        #expect(received.rcpt_tos == ["ada@example.org"])
        #expect(received.parsed.subject == message.subject)
        #expect(received.parsed.message_id == "<\(message.messageID)>")
        #expect(received.parsed.content_type == "multipart/alternative")
        #expect(received.parsed.parts.map(\.content_type) == ["text/plain", "text/html"])
        #expect(received.parsed.parts.first?.body == message.textBody, "the lone-dot line survived SMTP's end-of-data rule")
        #expect(received.parsed.parts.last?.body == message.htmlBody!)
        #expect(received.parsed.defects.isEmpty)
    }

    @Test("without credentials no AUTH is attempted, and a server that requires AUTH refuses permanently")
    func noCredentialsAgainstAuthServer() async throws {
        let server = try await SMTPTestServer(tls: "starttls", user: Self.user, password: Self.password)
        let error = try await #require(throws: MailDeliveryError.self) {
            try await SMTPMailer(configuration: configuration(server, password: nil)).send(sampleMessage())
        }
        #expect(error.kind == .permanent)
        #expect(error.replyCode == 530)
        #expect(try server.messages().isEmpty)
    }

    @Test("a server that needs no AUTH gets the message without it")
    func deliversWithoutAuth() async throws {
        let server = try await SMTPTestServer(tls: "starttls")
        try await SMTPMailer(configuration: configuration(server, password: nil)).send(sampleMessage())
        let received = try #require(try await server.waitForMessages(1).first)
        #expect(received.tls)
        #expect(received.auth_login == nil)
    }

    @Test("a wrong password is a permanent failure (535) and nothing is delivered")
    func wrongPassword() async throws {
        let server = try await SMTPTestServer(tls: "starttls", user: Self.user, password: Self.password)
        let error = try await #require(throws: MailDeliveryError.self) {
            try await SMTPMailer(configuration: configuration(server, password: "wrong")).send(sampleMessage())
        }
        #expect(error.kind == .permanent)
        #expect(error.replyCode == 535)
        #expect(!error.description.contains("wrong") && !error.description.contains(Self.user), "no credentials in the error")
        #expect(try server.messages().isEmpty)
    }

    @Test("a server without STARTTLS is refused: no plaintext fallback, nothing sent")
    func refusesPlaintextServer() async throws {
        let server = try await SMTPTestServer(tls: "none")
        let error = try await #require(throws: MailDeliveryError.self) {
            try await SMTPMailer(configuration: configuration(server, password: nil)).send(sampleMessage())
        }
        #expect(error.kind == .permanent)
        #expect(try server.messages().isEmpty)
    }

    @Test("implicit TLS (a 465-style server) with AUTH")
    func implicitTLS() async throws {
        let server = try await SMTPTestServer(tls: "implicit", user: Self.user, password: Self.password)
        try await SMTPMailer(configuration: configuration(server, security: .implicitTLS)).send(sampleMessage())
        let received = try #require(try await server.waitForMessages(1).first)
        #expect(received.tls)
        #expect(received.auth_login == Self.user)
    }

    @Test("a certificate no trusted authority signed is refused permanently")
    func untrustedCertificate() async throws {
        let server = try await SMTPTestServer(tls: "starttls")
        var untrusting = configuration(server, password: nil)
        untrusting.caFile = nil
        let error = try await #require(throws: MailDeliveryError.self) { try await SMTPMailer(configuration: untrusting).send(sampleMessage()) }
        #expect(error.kind == .permanent)
        #expect(try server.messages().isEmpty)
    }

    @Test("server down (connection refused) is transient")
    func serverDown() async throws {
        let server = try await SMTPTestServer(tls: "starttls")
        let closed = configuration(server, password: nil)
        server.stop()
        let error = try await #require(throws: MailDeliveryError.self) { try await SMTPMailer(configuration: closed).send(sampleMessage()) }
        #expect(error.kind == .transient)
        #expect(error.isTransient)
    }

    @Test("a server that accepts the connection but never answers times out, transiently")
    func stalledServer() async throws {
        let server = try await SMTPTestServer(stall: true)
        var impatient = configuration(server, password: nil)
        impatient.totalTimeout = .seconds(1)
        let started = ContinuousClock.now
        let error = try await #require(throws: MailDeliveryError.self) { try await SMTPMailer(configuration: impatient).send(sampleMessage()) }
        #expect(error.kind == .transient)
        #expect(ContinuousClock.now - started < .seconds(20), "the total timeout bounds the attempt")
    }

    @Test("4xx replies are transient, 5xx permanent, with the reply code", arguments: [(450, MailDeliveryError.Kind.transient), (550, .permanent)])
    func replyClassification(code: Int, kind: MailDeliveryError.Kind) async throws {
        let server = try await SMTPTestServer(tls: "starttls", rcptReply: "\(code) mailbox unavailable")
        let error = try await #require(throws: MailDeliveryError.self) {
            try await SMTPMailer(configuration: configuration(server, password: nil)).send(sampleMessage())
        }
        #expect(error.kind == kind)
        #expect(error.replyCode == code)
        #expect(try server.messages().isEmpty)
    }

    @Test("a message with an injected header is refused before connecting")
    func injectionNeverSent() async throws {
        let server = try await SMTPTestServer(tls: "starttls")
        var message = sampleMessage()
        message.subject = "Hi\r\nBcc: victim@example.com"
        let error = try await #require(throws: MailDeliveryError.self) {
            try await SMTPMailer(configuration: configuration(server, password: nil)).send(message)
        }
        #expect(error.kind == .permanent)
        try await SMTPMailer(configuration: configuration(server, password: nil)).send(sampleMessage())
        #expect(try await server.waitForMessages(1).count == 1, "only the valid message arrived")
    }
}
