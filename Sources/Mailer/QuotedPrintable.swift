import Foundation

/// Quoted-printable body encoding (RFC 2045 §6.7) over UTF-8, with CRLF hard line breaks.
enum QuotedPrintable {
    /// Encoded lines are at most this long, including a soft break's trailing `=`.
    static let maximumLineLength = 76

    /// The text's lines, whatever line endings it used (CRLF, LF or CR).
    static func lines(of text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The encoded body: every line break becomes CRLF; long lines get soft breaks (`=` CRLF).
    static func encode(_ text: String) -> String {
        lines(of: text).map(encodeLine).joined(separator: "\r\n")
    }

    private static func encodeLine(_ line: String) -> String {
        let bytes = Array(line.utf8)
        var output: [String] = []
        var current = ""
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let token: String
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                // Trailing whitespace would be stripped in transit, so it is encoded.
                token = isLast ? hex(byte) : String(UnicodeScalar(byte))
            case UInt8(ascii: "."):
                // A leading dot is encoded so the line can never read as SMTP's end of data, whatever
                // the transport does about dot-stuffing.
                token = current.isEmpty ? hex(byte) : "."
            case 33...126 where byte != UInt8(ascii: "="):
                token = String(UnicodeScalar(byte))
            default:
                token = hex(byte)
            }
            // Room for the token plus a soft break's `=`, unless this is the line's last token.
            let limit = isLast ? maximumLineLength : maximumLineLength - 1
            if current.utf8.count + token.utf8.count > limit {
                output.append(current + "=")
                current = ""
                // A token moved to a fresh line may now be that line's leading dot.
                current = byte == UInt8(ascii: ".") ? hex(byte) : token
            } else {
                current += token
            }
        }
        output.append(current)
        return output.joined(separator: "\r\n")
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "=" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0f)])
    }
}
