import Foundation

/// `Retry-After` (RFC 9110 §10.2.3): either whole seconds or an HTTP date.
enum RetryAfter {
    /// The wait the header asks for, or `nil` when it is neither form. A date in the past means now.
    static func parse(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int64(text), seconds >= 0 { return .seconds(seconds) }
        // IMF-fixdate is fixed-width ("Sun, 06 Nov 1994 08:49:37 GMT"). DateFormatter alone also takes the
        // date without its zone, and a malformed header would then mean "retry now" instead of the backoff.
        guard text.utf8.count == 29, text.hasSuffix(" GMT") else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: text) else { return nil }
        return .milliseconds(max(0, Int64((date.timeIntervalSince(now) * 1000).rounded(.up))))
    }
}
