import Foundation

/// Renders a ``MailMessage`` as RFC 5322 / MIME bytes with CRLF line endings.
///
/// Text is UTF-8 with quoted-printable bodies (readable, and base64 on request); non-ASCII header
/// values become RFC 2047 encoded words. Every header value is checked for CR, LF and other control
/// characters, so no input can add a header or end the header block early. The multipart boundary
/// is derived from the Message-ID and contains `=_`, which neither quoted-printable nor base64 output
/// can contain, so a body can never collide with it and the same message always renders the same bytes.
public struct MIMERenderer: Sendable {
    /// How the body parts are encoded.
    public enum BodyEncoding: Sendable {
        case quotedPrintable
        case base64
    }

    /// The body encoding for every part.
    public var bodyEncoding: BodyEncoding

    /// A renderer; quoted-printable bodies unless told otherwise.
    public init(bodyEncoding: BodyEncoding = .quotedPrintable) {
        self.bodyEncoding = bodyEncoding
    }

    /// Header fields the renderer writes itself; extra headers may not replace them.
    static let reservedHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding",
        "sender", "reply-to",
    ]

    /// The message's bytes, ready for SMTP DATA or an `.eml` file.
    public func render(_ message: MailMessage) throws(MailMessageError) -> [UInt8] {
        try Self.validate(message)
        var lines: [String] = []
        lines.append("Date: " + Self.rfc5322Date(message.date))
        lines.append("From: " + HeaderEncoding.mailbox(message.from))
        lines.append("To: " + message.to.map(HeaderEncoding.mailbox).joined(separator: ",\r\n "))
        lines.append(HeaderEncoding.unstructured(name: "Subject", value: message.subject))
        // A msg-id can't be folded inside, but may start on a continuation line when it is long.
        let messageIDLine = "Message-ID: <\(message.messageID)>"
        lines.append(messageIDLine.utf8.count > 78 ? "Message-ID:\r\n <\(message.messageID)>" : messageIDLine)
        for header in message.extraHeaders {
            lines.append(HeaderEncoding.unstructured(name: header.name, value: header.value))
        }
        lines.append("MIME-Version: 1.0")
        if let html = message.htmlBody {
            let boundary = Self.boundary(for: message.messageID)
            lines.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--" + boundary)
            lines.append(contentsOf: part(type: "text/plain", body: message.textBody))
            lines.append("--" + boundary)
            lines.append(contentsOf: part(type: "text/html", body: html))
            lines.append("--" + boundary + "--")
        } else {
            lines.append(contentsOf: part(type: "text/plain", body: message.textBody))
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// A part's headers, the blank line and its encoded body.
    private func part(type: String, body: String) -> [String] {
        switch bodyEncoding {
        case .quotedPrintable:
            return ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", QuotedPrintable.encode(body)]
        case .base64:
            return ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", "", Self.base64Lines(body)]
        }
    }

    private static func base64Lines(_ body: String) -> String {
        let normalized = QuotedPrintable.lines(of: body).joined(separator: "\r\n")
        let encoded = Data(normalized.utf8).base64EncodedString()
        var lines: [Substring] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(encoded[index..<end])
            index = end
        }
        return lines.joined(separator: "\r\n")
    }

    /// `=_` + a hash of the Message-ID: stable per message, impossible inside QP or base64 output.
    static func boundary(for messageID: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in messageID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "=_booking-engine_" + String(hash, radix: 16)
    }

    /// `Sun, 29 Nov 2026 07:39:38 +0000`, always UTC; computed without a shared formatter.
    static func rfc5322Date(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }
}
