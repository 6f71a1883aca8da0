import Foundation

/// Turning user-supplied text into something safe for each place it goes.
enum EmailText {
    /// For HTML text and attribute values: `&`, `<`, `>`, `"` and `'` become entities.
    static func html(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// For a header (subject, display name): control characters, line breaks included, become spaces,
    /// so a title typed with a newline still sends instead of failing the renderer's injection check.
    static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) ? " " : scalar
        }))
    }

    /// `Tuesday, 1 December 2026, 18:00 – 20:00 UTC`, or both dates in full when the session spans days.
    static func timeRange(from start: Date, to end: Date) -> String {
        let day = formatter("EEEE, d MMMM yyyy")
        let time = formatter("HH:mm")
        if day.string(from: start) == day.string(from: end) {
            return "\(day.string(from: start)), \(time.string(from: start)) – \(time.string(from: end)) UTC"
        }
        return "\(day.string(from: start)), \(time.string(from: start)) UTC – \(day.string(from: end)), \(time.string(from: end)) UTC"
    }

    /// A fresh formatter per call: DateFormatter isn't safe to share between threads.
    private static func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }
}
