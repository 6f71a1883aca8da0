import Foundation
import MailTestSupport
import Mailer
import Testing

/// SMTPMailer (libcurl) against a scripted peer that answers with replies no SMTP server should send:
/// garbage, cut off, enormous, non-numeric, not UTF-8, never ending. Each send ends in one
/// `MailDeliveryError` within the configured timeouts; nothing crashes or hangs.
@Suite("SMTP mailer against malformed server replies", .serialized, .timeLimit(.minutes(3)))
struct MalformedSMTPReplyTests {
    /// Plain SMTP with STARTTLS required, short timeouts: these servers never get as far as TLS.
    static func configuration(_ peer: ScriptedPeer) -> SMTPConfiguration {
        SMTPConfiguration(
            host: "127.0.0.1", port: peer.port, security: .startTLS, credentials: nil, connectTimeout: .seconds(2), totalTimeout: .seconds(3))
    }

    /// A peer that sends `greeting`, then answers the first command (EHLO) with `ehloReply` when given,
    /// then every later command with `250 ok` (never offering STARTTLS), and closes when the client does.
    static func peer(greeting: [UInt8], ehloReply: [UInt8]? = nil, thenClose: Bool = false) throws -> ScriptedPeer {
        try ScriptedPeer { connection in
            guard connection.send(greeting), !thenClose else { return }
            guard let ehloReply else {
                while connection.readLine() != nil { connection.send("250 ok\r\n") }
                return
            }
            guard connection.readLine() != nil, connection.send(ehloReply) else { return }
            while connection.readLine() != nil { connection.send("250 ok\r\n") }
        }
    }

    /// Sends one message through `peer`; returns the error (recording an issue if it was delivered).
    static func failure(_ peer: ScriptedPeer, sourceLocation: SourceLocation = #_sourceLocation) async throws -> MailDeliveryError? {
        defer { peer.stop() }
        let started = ContinuousClock.now
        do {
            try await SMTPMailer(configuration: configuration(peer)).send(sampleMessage())
            Issue.record("delivered through a malformed server", sourceLocation: sourceLocation)
            return nil
        } catch let error as MailDeliveryError {
            // Connect and total timeouts are 2 s and 3 s; libcurl may add a little for the last read.
            #expect(ContinuousClock.now - started < .seconds(15), "bounded by the timeouts", sourceLocation: sourceLocation)
            #expect(!error.reason.isEmpty, sourceLocation: sourceLocation)
            #expect(peer.connectionCount == 1, "one connection, no retry loop inside a send", sourceLocation: sourceLocation)
            return error
        }
    }

    @Test("garbage and impossible codes in the greeting are transient failures without a reply code", arguments: [
        "HELLO THERE\r\n", "abc hello\r\n", "999 what\r\n", "\u{0}\u{0}\u{0}\r\n", "\r\n", "-220 hi\r\n",
    ])
    func garbageGreeting(_ greeting: String) async throws {
        let error = try #require(try await Self.failure(try Self.peer(greeting: Array(greeting.utf8))))
        #expect(error.kind == .transient, "\(greeting.debugDescription): \(error)")
        #expect(error.replyCode == nil, "\(greeting.debugDescription): \(error)")
    }

    @Test("odd greetings (no CRLF, 4-digit codes, a 100 KB or 1 MB line) end in one classified, bounded failure", arguments: [
        "220", "22", "2200 hi\r\n", "220-first\r\n220x\r\n", "220 " + String(repeating: "x", count: 100 * 1024) + "\r\n",
        String(repeating: "y", count: 1 << 20),
    ])
    func oddGreeting(_ greeting: String) async throws {
        let error = try #require(try await Self.failure(try Self.peer(greeting: Array(greeting.utf8), thenClose: !greeting.hasSuffix("\r\n"))))
        if let code = error.replyCode { #expect((200...599).contains(code), "\(error)") }
    }

    @Test("a greeting cut off mid-line (the connection closes) is transient")
    func truncatedGreeting() async throws {
        for cut in ["2", "220 mail.example.com ESMTP rea", "220-mail.example.com\r\n220-more"] {
            let error = try #require(try await Self.failure(try Self.peer(greeting: Array(cut.utf8), thenClose: true)))
            #expect(error.kind == .transient, "\(cut): \(error)")
        }
    }

    @Test("invalid UTF-8 and NUL bytes in reply text don't matter: the server still lacks STARTTLS, a permanent refusal")
    func invalidUTF8InReplyText() async throws {
        let greeting: [UInt8] = Array("220 ".utf8) + [0xFF, 0xFE, 0xC3, 0x28, 0x00, 0xED, 0xA0, 0x80] + Array(" ready\r\n".utf8)
        let ehlo: [UInt8] = Array("250-".utf8) + [0xFF, 0xC0, 0xAF] + Array("\r\n250 ".utf8) + [0xE2, 0x82] + Array("\r\n".utf8)
        let error = try #require(try await Self.failure(try Self.peer(greeting: greeting, ehloReply: ehlo)))
        #expect(error.kind == .permanent, "\(error)")
        #expect(String(describing: error).utf8.count < 2_000)
    }

    @Test("malformed EHLO replies: non-numeric, truncated, 100 KB, mixed codes", arguments: [
        "2x0 ok\r\n", "250\r\n", "25", "250-first\r\n251 second\r\n", "ok\r\n", "250-" + String(repeating: "z", count: 100 * 1024) + "\r\n250 ok\r\n",
        "-1 no\r\n", "99999999999999999999 no\r\n",
    ])
    func malformedEHLOReply(_ reply: String) async throws {
        let error = try #require(try await Self.failure(try Self.peer(greeting: Array("220 ready\r\n".utf8), ehloReply: Array(reply.utf8))))
        // Whatever libcurl makes of it, the outcome is classified and bounded; a reply code, if any, is a real one.
        if let code = error.replyCode { #expect((200...599).contains(code), "\(error)") }
    }

    @Test("a multiline reply that never ends is cut by the total timeout, transiently")
    func endlessMultilineReply() async throws {
        for stage in ["greeting", "ehlo"] {
            let peer = try ScriptedPeer { connection in
                if stage == "ehlo" {
                    guard connection.send("220 ready\r\n"), connection.readLine() != nil else { return }
                }
                var line = 0
                // A continuation line every few milliseconds, until the client hangs up.
                while connection.send("\(stage == "ehlo" ? 250 : 220)-line \(line)\r\n") {
                    line += 1
                    usleep(5_000)
                }
            }
            let error = try #require(try await Self.failure(peer))
            #expect(error.kind == .transient, "\(stage): \(error)")
        }
    }

    @Test("an endless reply line without CRLF is cut, transiently")
    func endlessLine() async throws {
        let peer = try ScriptedPeer { connection in
            guard connection.send("220 ") else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: "w"), count: 64 * 1024)
            while connection.send(chunk) {}
        }
        let error = try #require(try await Self.failure(peer))
        #expect(error.kind == .transient, "\(error)")
    }
}
