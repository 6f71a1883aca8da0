import CCurl

/// One blocking SMTP transaction through libcurl's easy interface: connect, STARTTLS or TLS, AUTH,
/// MAIL FROM, RCPT TO, DATA. Runs on a ``BlockingPool`` thread, never on the cooperative pool.
///
/// libcurl does the SMTP details (dot-stuffing, the final `.`, picking PLAIN or LOGIN); this type sets
/// the options and classifies the outcome.
enum CurlSMTPTransfer {
    /// `curl_global_init` is not thread-safe and must run once before any handle exists; a static
    /// `let` is initialised exactly once, on first use, under a lock.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// Sends `payload` (the rendered message) from `sender` to `recipients`.
    static func send(
        configuration: SMTPConfiguration, sender: String, recipients: [String], payload: [UInt8]
    ) -> Result<Void, MailDeliveryError> {
        guard globalInit == CURLE_OK else { return .failure(MailDeliveryError(kind: .transient, reason: "libcurl failed to initialise")) }
        guard let handle = curl_easy_init() else { return .failure(MailDeliveryError(kind: .transient, reason: "libcurl handle unavailable")) }
        defer { curl_easy_cleanup(handle) }

        var recipientList: UnsafeMutablePointer<curl_slist>? = nil
        for recipient in recipients { recipientList = curl_slist_append(recipientList, "<\(recipient)>") }
        defer { curl_slist_free_all(recipientList) }

        let upload = UploadSource(payload)
        let uploadPointer = Unmanaged.passRetained(upload)
        defer { uploadPointer.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code = errorBuffer.withUnsafeMutableBufferPointer { errorPointer -> CURLcode in
            let options: [(CURLoption, Int)] = [
                (CURLOPT_NOSIGNAL, 1),  // libcurl must not use signals for timeouts in a threaded process.
                (CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)),  // STARTTLS or fail; no plaintext fallback.
                (CURLOPT_SSL_VERIFYPEER, 1),
                (CURLOPT_SSL_VERIFYHOST, 2),
                (CURLOPT_UPLOAD, 1),
                (CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout)),
                (CURLOPT_TIMEOUT_MS, Self.milliseconds(configuration.totalTimeout)),
            ]
            for (option, value) in options {
                let code = ccurl_setopt_long(handle, option, value)
                guard code == CURLE_OK else { return code }
            }
            var strings: [(CURLoption, String)] = [
                (CURLOPT_URL, configuration.url),
                (CURLOPT_PROTOCOLS_STR, "smtp,smtps"),
                (CURLOPT_MAIL_FROM, "<\(sender)>"),
            ]
            if let credentials = configuration.credentials {
                strings.append((CURLOPT_USERNAME, credentials.username))
                strings.append((CURLOPT_PASSWORD, credentials.password))
            }
            if let caFile = configuration.caFile { strings.append((CURLOPT_CAINFO, caFile)) }
            for (option, value) in strings {
                let code = ccurl_setopt_string(handle, option, value)
                guard code == CURLE_OK else { return code }
            }
            for (option, pointer) in [
                (CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorPointer.baseAddress!)),
                (CURLOPT_READDATA, uploadPointer.toOpaque()),
            ] {
                let code = ccurl_setopt_pointer(handle, option, pointer)
                guard code == CURLE_OK else { return code }
            }
            var code = ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipientList)
            guard code == CURLE_OK else { return code }
            code = ccurl_setopt_read_function(handle, uploadCallback)
            guard code == CURLE_OK else { return code }
            return curl_easy_perform(handle)
        }
        var reply: Int = 0
        if ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply) != CURLE_OK { reply = 0 }
        if code == CURLE_OK { return .success(()) }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let summary = String(cString: curl_easy_strerror(code))
        return .failure(classify(code: code, reply: reply, reason: detail.isEmpty ? summary : detail))
    }

    /// Transient when a later attempt can work (4xx replies, network and timeout errors); permanent
    /// for 5xx replies and for refusals that only a configuration change can fix.
    static func classify(code: CURLcode, reply: Int, reason: String) -> MailDeliveryError {
        let replyCode = (200...599).contains(reply) ? reply : nil
        switch reply {
        case 400...499: return MailDeliveryError(kind: .transient, reason: reason, replyCode: replyCode)
        case 500...599: return MailDeliveryError(kind: .permanent, reason: reason, replyCode: replyCode)
        default: break
        }
        let permanentCodes: Set<UInt32> = [
            CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN, CURLE_LOGIN_DENIED, CURLE_USE_SSL_FAILED,
            CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_BAD_FUNCTION_ARGUMENT,
            CURLE_UNKNOWN_OPTION, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
        ].reduce(into: []) { $0.insert($1.rawValue) }
        // Everything else (refused or reset connections, timeouts, DNS, TLS handshakes cut short,
        // out of memory) may well work later; the worker's retry budget bounds the attempts.
        return MailDeliveryError(kind: permanentCodes.contains(code.rawValue) ? .permanent : .transient, reason: reason, replyCode: replyCode)
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// The message bytes handed to libcurl piece by piece through CURLOPT_READFUNCTION.
private final class UploadSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// Copies the next chunk into libcurl's buffer; 0 means the message is complete.
private let uploadCallback: ccurl_read_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let source = Unmanaged<UploadSource>.fromOpaque(userdata).takeUnretainedValue()
    let length = min(size * count, source.bytes.count - source.offset)
    guard length > 0 else { return 0 }
    source.bytes.withUnsafeBytes { raw in
        UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + source.offset, byteCount: length)
    }
    source.offset += length
    return length
}
