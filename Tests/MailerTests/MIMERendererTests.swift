import MailTestSupport
import Foundation
import Mailer
import Testing

/// A message with the awkward parts: non-ASCII everywhere, a long line, trailing spaces, a lone dot,
/// `=` signs and markup.
func sampleMessage(messageID: String = "6f1c2d3e-0000-4000-8000-000000000001.booking-confirmation@booking-engine") -> MailMessage {
    MailMessage(
        from: MailAddress("bookings@example.com", displayName: "Zoë's Retreats"),
        to: [MailAddress("ada@example.org", displayName: "Ada Lovelace")],
        subject: "Réservation confirmée ✓ – 日本語のセッション with a long enough tail to need more than one encoded word",
        textBody: "Hello Zoë,\nyour seat is booked.   \n.\nPrice = 10 €\n" + String(repeating: "long line ", count: 30) + "\nBye",
        htmlBody: "<p>Hello <b>Zoë</b>,</p>\n<p>" + String(repeating: "long-line ", count: 30) + "</p>",
        messageID: messageID,
        date: Date(timeIntervalSince1970: 1_796_024_378),
        extraHeaders: [MailHeader("Auto-Submitted", "auto-generated"), MailHeader("X-Booking-Note", "café")]
    )
}

@Suite("MIME renderer")
struct MIMERendererTests {
    @Test("multipart/alternative with text and HTML, UTF-8, decoded exactly by an independent parser")
    func multipartRoundTrip() throws {
        let message = sampleMessage()
        let bytes = try MIMERenderer().render(message)
        let parsed = try inspect(bytes)
        #expect(parsed.defects.isEmpty)
        #expect(parsed.bare_line_feeds == 0 && parsed.bare_carriage_returns == 0, "every line ends in CRLF")
        #expect(parsed.longest_line <= 78)
        #expect(parsed.content_type == "multipart/alternative")
        #expect(parsed.subject == message.subject)
        #expect(parsed.from == "Zoë's Retreats <bookings@example.com>")
        #expect(parsed.to == "Ada Lovelace <ada@example.org>")
        #expect(parsed.message_id == "<\(message.messageID)>")
        #expect(parsed.date == "Mon, 30 Nov 2026 07:39:38 +0000")
        #expect(parsed.headers.contains(["X-Booking-Note", "café"]))
        #expect(parsed.headers.contains(["MIME-Version", "1.0"]))
        try #require(parsed.parts.count == 2)
        let (text, html) = (parsed.parts[0], parsed.parts[1])
        #expect(text.content_type == "text/plain" && html.content_type == "text/html")
        #expect(text.charset == "utf-8" && html.charset == "utf-8")
        #expect(text.transfer_encoding == "quoted-printable")
        #expect(text.defects.isEmpty && html.defects.isEmpty)
        // Python gives bodies with "\n" line ends and a final newline.
        #expect(text.body == message.textBody)
        #expect(html.body == message.htmlBody!)
        let raw = String(decoding: bytes, as: UTF8.self)
        #expect(raw.contains("\r\nSubject: =?UTF-8?B?"), "a non-ASCII subject is an RFC 2047 encoded word")
        #expect(!raw.split(separator: "\r\n", omittingEmptySubsequences: false).contains("."), "no line is a lone dot")
        #expect(raw.utf8.allSatisfy { $0 < 0x80 }, "the rendered message is 7-bit clean")
    }

    @Test("base64 bodies decode to the same text")
    func base64Bodies() throws {
        let message = sampleMessage()
        let parsed = try inspect(try MIMERenderer(bodyEncoding: .base64).render(message))
        try #require(parsed.parts.count == 2)
        #expect(parsed.parts[0].transfer_encoding == "base64")
        #expect(parsed.parts[0].body == message.textBody)
        #expect(parsed.parts[1].body == message.htmlBody!)
        #expect(parsed.longest_line <= 78)
    }

    @Test("text only: a single text/plain part; long ASCII subjects are folded, not cut")
    func textOnly() throws {
        var message = sampleMessage()
        message.htmlBody = nil
        message.subject = "Your booking " + String(repeating: "for a very long session title ", count: 5)
        let bytes = try MIMERenderer().render(message)
        let parsed = try inspect(bytes)
        #expect(parsed.content_type == "text/plain")
        #expect(parsed.parts.count == 1)
        #expect(parsed.subject == message.subject)
        #expect(parsed.longest_line <= 78)
    }

    @Test("the same message renders to the same bytes; another Message-ID gets another boundary")
    func deterministic() throws {
        let first = try MIMERenderer().render(sampleMessage())
        #expect(first == (try MIMERenderer().render(sampleMessage())))
        let other = try MIMERenderer().render(sampleMessage(messageID: "other@booking-engine"))
        func boundary(_ bytes: [UInt8]) -> String? {
            String(decoding: bytes, as: UTF8.self).split(separator: "\r\n").first { $0.hasPrefix(" boundary=") }.map(String.init)
        }
        #expect(boundary(first) != nil)
        #expect(boundary(first) != boundary(other))
    }

    @Test(
        "header injection is refused: CR or LF in any header value, bad addresses, bad Message-IDs, reserved extra headers",
        arguments: [
            InjectionCase("Subject") { message in message.subject = "Hello\r\nBcc: victim@example.com" },
            InjectionCase("Subject") { message in message.subject = "Hello\nBcc: victim@example.com" },
            InjectionCase("From") { message in message.from.displayName = "Evil\rBcc: victim@example.com" },
            InjectionCase("To") { message in message.to = [MailAddress("a@example.com>\r\nBcc: victim@example.com")] },
            InjectionCase("To") { message in message.to = [MailAddress("not an address")] },
            InjectionCase("To") { message in message.to = [] },
            InjectionCase("Message-ID") { message in message.messageID = "<abc@def>" },
            InjectionCase("Message-ID") { message in message.messageID = "abc@def\r\nBcc: x@y" },
            InjectionCase("X-Note") { message in message.extraHeaders = [MailHeader("X-Note", "a\r\nBcc: victim@example.com")] },
            InjectionCase("extra header") { message in message.extraHeaders = [MailHeader("X-Note: a\r\nBcc", "b")] },
            InjectionCase("Bcc") { message in message.extraHeaders = [MailHeader("Bcc", "victim@example.com")] },
            InjectionCase("Content-Type") { message in message.extraHeaders = [MailHeader("Content-Type", "text/html")] },
        ]
    )
    func headerInjectionRefused(injection: InjectionCase) throws {
        var message = sampleMessage()
        injection.change(&message)
        let error = try #require(throws: MailMessageError.self) { try MIMERenderer().render(message) }
        #expect(error.field == injection.field)
        #expect(!error.description.contains("victim"), "errors don't echo the values")
    }
}

/// One way of smuggling a header into a message, and the field the renderer should name.
struct InjectionCase: Sendable, CustomTestStringConvertible {
    let field: String
    let change: @Sendable (inout MailMessage) -> Void
    init(_ field: String, change: @escaping @Sendable (inout MailMessage) -> Void) {
        self.field = field
        self.change = change
    }
    var testDescription: String { field }
}
