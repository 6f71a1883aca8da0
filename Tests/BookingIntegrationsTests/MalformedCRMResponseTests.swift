import Foundation
import MailTestSupport
import Testing

@testable import BookingIntegrations

/// The CRM channel against a scripted peer that answers a webhook with broken HTTP: garbage, cut off,
/// enormous, endless, with `Retry-After` values that mean nothing. Each attempt ends, in bounded time
/// and memory, as a retry with the normal backoff (or, for a readable answer, what its status says).
@Suite("CRM webhook against malformed responses", .timeLimit(.minutes(3)))
struct MalformedCRMResponseTests {
    static let delivery = Delivery(
        key: "webhook", position: 1, eventID: UUID(), payload: CRMChannel.Payload(body: .success(Array(#"{"type":"booking_confirmed"}"#.utf8))))

    static func channel(_ peer: ScriptedPeer, requestTimeout: Duration = .seconds(2)) throws -> CRMChannel {
        let receiver = CRMReceiver()
        return try CRMChannel(
            configuration: CRMConfiguration(
                serviceURL: "http://127.0.0.1:\(peer.port)", bearerToken: receiver.token, webhookSecret: receiver.secret, retry: testPolicy(),
                connectTimeout: .seconds(2), requestTimeout: requestTimeout),
            logger: quietLogger())
    }

    /// One delivery against a peer that reads the request and answers with `response` (then closes).
    static func outcome(answering response: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) async throws -> DeliveryOutcome {
        let peer = try ScriptedPeer { connection in
            guard connection.readHTTPRequest() != nil else { return }
            connection.send(response)
        }
        defer { peer.stop() }
        let channel = try channel(peer)
        let started = ContinuousClock.now
        let outcome = await channel.deliver(delivery)
        await channel.close()
        #expect(ContinuousClock.now - started < .seconds(15), "bounded by the request timeout", sourceLocation: sourceLocation)
        return outcome
    }

    static func isPlainRetry(_ outcome: DeliveryOutcome) -> Bool {
        if case .retry(after: nil, _) = outcome { true } else { false }
    }

    @Test("garbage and cut-off responses are retried with the normal backoff", arguments: [
        "HELLO\r\n\r\n", "\r\n\r\n", "HTTP/1.1 20", "HTTP/1.1 200", "HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
        "HTTP/1.1 abc OK\r\n\r\n", "HTTP/9.9 200 OK\r\n\r\n", "SMTP/1.0 220 hi\r\n\r\n", "HTTP/1.1 -200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "",
    ])
    func garbage(_ response: String) async throws {
        let outcome = try await Self.outcome(answering: Array(response.utf8))
        #expect(Self.isPlainRetry(outcome), "\(response.debugDescription): \(outcome)")
    }

    @Test("bytes that aren't UTF-8 or ASCII in the status line and headers are retried")
    func invalidUTF8() async throws {
        for response: [UInt8] in [
            [0xFF, 0xFE, 0x00, 0x0D, 0x0A, 0x0D, 0x0A],
            Array("HTTP/1.1 2".utf8) + [0xC3, 0x28] + Array(" OK\r\n\r\n".utf8),
            Array("HTTP/1.1 200 OK\r\nContent-".utf8) + [0xFF] + Array("Length: 0\r\n\r\n".utf8),
        ] {
            let outcome = try await Self.outcome(answering: response)
            #expect(Self.isPlainRetry(outcome), "\(response.prefix(30)): \(outcome)")
        }
    }

    @Test("a 2xx whose body is broken is delivered: the status is the CRM's answer, the body is not used", arguments: [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\"",
        "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\ngarbage after the response",
    ])
    func brokenBodyAfterSuccess(_ response: String) async throws {
        #expect(try await Self.outcome(answering: Array(response.utf8)) == .delivered)
    }

    @Test("a 1 MB header is refused by the HTTP parser and retried")
    func hugeHeader() async throws {
        let response = "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "h", count: 1 << 20) + "\r\nContent-Length: 0\r\n\r\n"
        let outcome = try await Self.outcome(answering: Array(response.utf8))
        #expect(Self.isPlainRetry(outcome), "\(outcome)")
        // So are 20,000 small headers (over NIO's 80 KB for all of them together).
        let many = "HTTP/1.1 200 OK\r\n" + (0..<20_000).map { "X-H\($0): v\r\n" }.joined() + "Content-Length: 0\r\n\r\n"
        let manyOutcome = try await Self.outcome(answering: Array(many.utf8))
        #expect(Self.isPlainRetry(manyOutcome), "\(manyOutcome)")
    }

    @Test("an endless body is not buffered: the answer is taken from the status and the connection dropped", arguments: [
        ("200 OK", "Content-Length: 100000000000"), ("200 OK", "Transfer-Encoding: chunked"), ("503 Unavailable", "Content-Length: 100000000000"),
    ])
    func endlessBody(status: String, framing: String) async throws {
        let peer = try ScriptedPeer { connection in
            guard connection.readHTTPRequest() != nil, connection.send("HTTP/1.1 \(status)\r\n\(framing)\r\n\r\n") else { return }
            let chunked = framing.contains("chunked")
            let block = [UInt8](repeating: UInt8(ascii: "b"), count: 64 * 1024)
            let framed = chunked ? Array("10000\r\n".utf8) + block + [13, 10] : block
            while connection.send(framed) {}
        }
        defer { peer.stop() }
        let channel = try Self.channel(peer)
        let outcome = await channel.deliver(Self.delivery)
        await channel.close()
        if status.hasPrefix("200") {
            #expect(outcome == .delivered, "a 2xx status is the CRM's acceptance, whatever follows")
        } else {
            #expect(Self.isPlainRetry(outcome), "\(outcome)")
        }
        // The peer's writes fail once the client hangs up: it stopped reading long before 100 GB.
        try await waitUntil("the client dropped the endless body") { peer.finishedCount == 1 }
    }

    @Test("a body trickled a byte at a time can't hold the delivery beyond the request timeout")
    func trickledBody() async throws {
        let peer = try ScriptedPeer { connection in
            guard connection.readHTTPRequest() != nil, connection.send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n") else { return }
            while connection.send([UInt8(ascii: "t")]) { usleep(50_000) }
        }
        defer { peer.stop() }
        let channel = try Self.channel(peer, requestTimeout: .seconds(1))
        let delivering = Task { await channel.deliver(Self.delivery) }
        let done = Task { _ = await delivering.value }
        // Generous: the timeout is 1 s; a drain without a bound would take 50 s (1,000 bytes at 20 a second),
        // and a CRM could make it take forever. (A body declared longer than 64 KiB is refused at once.)
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await done.value; return true }
            group.addTask { try? await Task.sleep(for: .seconds(15)); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(finished, "the delivery was still draining the body after 15 s")
        if finished {
            #expect(await delivering.value == .delivered)
            try await waitUntil("the abandoned connection was closed") { peer.finishedCount == 1 }
        }
        await channel.close()
    }

    @Test("a response that never comes is a timeout, retried")
    func silentPeer() async throws {
        let peer = try ScriptedPeer { connection in
            _ = connection.readHTTPRequest()
            _ = connection.waitForClose(seconds: 30)
        }
        defer { peer.stop() }
        let channel = try Self.channel(peer, requestTimeout: .milliseconds(500))
        let outcome = await channel.deliver(Self.delivery)
        await channel.close()
        #expect(outcome == .retry(after: nil, reason: "timeout"))
    }

    @Test("Retry-After that is negative, huge, garbage, not UTF-8 or a malformed date: the normal backoff", arguments: [
        "-5", "-0.5", "1.5", "1e3", "", "soon", "0x10", "99999999999999999999", "5 seconds", "Wed, 32 Foo 2025 99:99:99 GMT",
        "Wed, 21 Oct 2015 07:28:00 PST", "2026-01-01T00:00:00Z", "Sun, 06 Nov 1994 08:49:37", "\u{0}",
    ])
    func invalidRetryAfterOverTheWire(_ value: String) async throws {
        let response = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: \(value)\r\nContent-Length: 0\r\n\r\n"
        let outcome = try await Self.outcome(answering: Array(response.utf8))
        #expect(Self.isPlainRetry(outcome), "\(value.debugDescription): \(outcome)")
    }

    @Test("Retry-After with bytes that aren't UTF-8: the normal backoff")
    func nonUTF8RetryAfter() async throws {
        let response = Array("HTTP/1.1 429 Too Many\r\nRetry-After: 1".utf8) + [0xFF, 0xC3, 0x28] + Array("\r\nContent-Length: 0\r\n\r\n".utf8)
        let outcome = try await Self.outcome(answering: response)
        #expect(Self.isPlainRetry(outcome), "\(outcome)")
    }

    @Test("a valid Retry-After still counts over the wire")
    func validRetryAfterOverTheWire() async throws {
        let outcome = try await Self.outcome(answering: Array("HTTP/1.1 503 No\r\nRetry-After:  7 \r\nContent-Length: 0\r\n\r\n".utf8))
        #expect(outcome == .retry(after: .seconds(7), reason: "HTTP 503"))
    }

    @Test("RetryAfter.parse: only whole non-negative seconds or an IMF-fixdate, never a trap")
    func parseUnit() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(RetryAfter.parse("0", now: now) == .zero)
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(String(Int64.max), now: now) == .seconds(Int64.max))
        for invalid in [
            "-1", "-9223372036854775808", "9223372036854775808", "1.0", "١٢", "12abc", "abc", "", " ", "\u{FFFD}", "\u{0}5",
            "Mon, 99 Jan 2027 00:00:00 GMT", "Mon, 01 Jan 2027 25:00:00 GMT", "Mon, 01 Jan 2027 00:00:00", "01 Jan 2027 00:00:00 GMT",
            String(repeating: "9", count: 10_000),
        ] {
            #expect(RetryAfter.parse(invalid, now: now) == nil, "\(invalid.prefix(30).debugDescription)")
        }
        // Dates: the past means now; the far future is a long wait (the policy caps it), not an overflow.
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .zero)
        let far = ["Fri, 31 Dec 9999 23:59:59 GMT", "Sat, 01 Jan 99999 00:00:00 GMT", "Mon, 01 Jan 999999999 00:00:00 GMT"]
        for date in far {
            if let wait = RetryAfter.parse(date, now: now) { #expect(wait > .seconds(86_400 * 365), "\(date)") }
        }
        var generator = SystemRandomNumberGenerator()
        let policy = RetryPolicy()
        for date in far {
            let wait = policy.delay(afterAttempt: 1, retryAfter: RetryAfter.parse(date, now: now), using: &generator)
            #expect(wait <= policy.maxRetryAfter)
        }
    }
}
