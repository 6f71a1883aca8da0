import Foundation

/// Header values as RFC 5322 allows them: plain ASCII folded at spaces, anything else as RFC 2047
/// `=?UTF-8?B?…?=` encoded words of at most 75 characters, split only between whole characters.
enum HeaderEncoding {
    /// Raw bytes per encoded word: 39 bytes are 52 base64 characters, so `Subject: ` plus one word
    /// stays under the recommended 78 characters per line.
    static let bytesPerEncodedWord = 39

    /// `Name: value` for an unstructured field, folded or encoded as needed.
    static func unstructured(name: String, value: String) -> String {
        if isPlainASCII(value) && !value.contains("=?") {
            return fold(name + ": " + value)
        }
        return name + ": " + encodedWords(value).joined(separator: "\r\n ")
    }

    /// `Display Name <local@domain>`, quoting or encoding the name as needed.
    static func mailbox(_ mailbox: MailAddress) -> String {
        guard let name = mailbox.displayName, !name.isEmpty else { return "<\(mailbox.address)>" }
        return phrase(name) + " <\(mailbox.address)>"
    }

    /// A display name: bare atoms when it is only letters, digits and spaces; a quoted string when it
    /// is other printable ASCII; encoded words otherwise.
    static func phrase(_ name: String) -> String {
        if isPlainASCII(name) && !name.contains("=?") {
            if name.utf8.allSatisfy({ MIMERenderer.isAtext($0) || $0 == UInt8(ascii: " ") }) && name.first != " " && name.last != " " {
                return name
            }
            return "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return encodedWords(name).joined(separator: "\r\n ")
    }

    /// Printable ASCII and tabs only.
    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x20...0x7e).contains($0) || $0 == 0x09 }
    }

    /// Base64 encoded words, each holding whole UTF-8 characters.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty && chunk.count + bytes.count > bytesPerEncodedWord {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words
    }

    /// Folds a long ASCII header line at spaces so lines stay near 78 characters (998 is the hard limit;
    /// a single unbroken word longer than that is left whole rather than corrupted).
    static func fold(_ line: String) -> String {
        guard line.utf8.count > 78 else { return line }
        var lines: [String] = []
        var current = ""
        for (index, word) in line.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if index == 0 {
                current = String(word)
            } else if current.utf8.count + 1 + word.utf8.count > 78 && !current.trimmingCharacters(in: .whitespaces).isEmpty {
                lines.append(current)
                current = " " + word
            } else {
                current += " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }
}
