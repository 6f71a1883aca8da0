import BookingAPI
import BookingEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` against the real application on a real socket over the store in `directory`, which
/// outlives the application, so a test can reopen the same data.
func withLiveApplication<Value: Sendable>(
    directory: TemporaryDirectory, _ configuration: APIConfiguration, _ body: @Sendable (any TestClientProtocol) async throws -> Value
) async throws -> Value {
    let service = try BookingService.open(dataDirectory: directory.path)
    let secrets = SecretsConfiguration(jwtSecret: String(repeating: "s", count: 40))
    let application = try await buildApplication(configuration: configuration, secrets: secrets, service: service)
    return try await application.test(.live) { client in try await body(client) }
}

/// The notifier's test configuration: no rate limits on the HTTP side.
func notifierConfiguration(_ adjust: (inout APIConfiguration) -> Void = { _ in }) -> APIConfiguration {
    var configuration = APIConfiguration(port: 0)
    configuration.authRateLimit = nil
    configuration.apiRateLimit = nil
    // The WebSocket client (swift-websocket's WSClient) always sends `Origin: ws://HOST`; the
    // notifier checks every Origin it gets, so the tests allow that one explicitly.
    configuration.corsAllowedOrigins = [testClientOrigin]
    adjust(&configuration)
    return configuration
}

/// The Origin the WebSocket client sends.
let testClientOrigin = "ws://127.0.0.1"

/// A clock the test moves by hand (milliseconds since 1970).
final class ManualClock: Sendable {
    private let now = Mutex<Int64>(1_900_000_000_000)
    func read() -> Int64 { now.withLock { $0 } }
    func advance(milliseconds: Int64) { now.withLock { $0 += milliseconds } }
}

/// What the facilitator's socket said: the parsed JSON object of a text message.
func object(_ message: WebSocketMessage?, _ comment: Comment? = nil) throws -> [String: Any] {
    guard case .text(let text) = try #require(message, comment ?? "the socket ended before the expected message") else {
        throw APIError(.badRequest, "expected a text message")
    }
    return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}

/// A facilitator and a session it owns, plus helpers to book on it.
struct Scene {
    let api: APIClient

    func session(token: String, title: String, capacity: Int = 50) async throws -> Int {
        let body = #"{"title":"\#(title)","start_time":"2099-05-01T07:00:00Z","end_time":"2099-05-01T08:00:00Z","capacity":\#(capacity)}"#
        let created = try await api.call(.post, "/api/sessions", token: token, json: body)
        return try #require(created["session_id"] as? Int, "session not created: \(created.text)")
    }

    func book(_ token: String, _ sessionID: Int) async throws -> Int {
        let booked = try await api.call(.post, "/api/bookings", token: token, json: #"{"session_id":\#(sessionID)}"#)
        return try #require(booked["booking_id"] as? Int, "booking failed: \(booked.text)")
    }
}

/// Opens the notifier socket with a bearer token (or other headers) and runs `handler` on it.
@discardableResult
func notifierSocket(
    _ client: any TestClientProtocol, path: String = "/api/notifications/ws", token: String? = nil, headers: HTTPFields = [:],
    maxFrameSize: Int = 1 << 14,
    _ handler: @escaping @Sendable (inout WebSocketInboundMessageStream.AsyncIterator, WebSocketOutboundWriter) async throws -> Void
) async throws -> WebSocketCloseFrame? {
    var fields = headers
    if let token { fields[.authorization] = "Bearer \(token)" }
    let port = try #require(client.port)
    return try await WebSocketClient.connect(
        url: "ws://127.0.0.1:\(port)\(path)", configuration: .init(maxFrameSize: maxFrameSize, additionalHeaders: fields),
        logger: .init(label: "notifier-test")
    ) { inbound, outbound, _ in
        var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
        try await handler(&messages, outbound)
    }
}

/// One HTTP/1.1 exchange over a plain TCP socket, to see exactly what the server answers to an
/// upgrade request (status, headers, body), including refusals the WebSocket client only reports as
/// "upgrade failed".
struct RawHTTPResponse {
    var status: Int
    var headers: [String: String]
    var body: String
}

/// Runs on its own thread: the socket calls block, and a blocked thread of the cooperative pool (two
/// on this box) could starve the very server the test is talking to.
func rawUpgrade(port: Int, path: String = "/api/notifications/ws", headers: [String: String] = [:]) async throws -> RawHTTPResponse {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try blockingUpgrade(port: port, path: path, headers: headers) })
        }
    }
}

private func blockingUpgrade(port: Int, path: String, headers: [String: String]) throws -> RawHTTPResponse {
    var lines = [
        "GET \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Upgrade: websocket", "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
    ]
    for (name, value) in headers { lines.append("\(name): \(value)") }
    let request = lines.joined(separator: "\r\n") + "\r\n\r\n"

    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw APIError(.internalServerError, "socket() failed") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw APIError(.internalServerError, "connect() failed") }
    let bytes = Array(request.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }

    // Read the head, then the body by Content-Length (a 101 has none).
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    func headEnd() -> Int? {
        guard received.count >= 4 else { return nil }
        for index in 0...(received.count - 4) where received[index..<index + 4].elementsEqual([13, 10, 13, 10]) { return index }
        return nil
    }
    while headEnd() == nil {
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { throw APIError(.internalServerError, "connection closed before a response head: \(String(decoding: received, as: UTF8.self))") }
        received.append(contentsOf: buffer[0..<count])
    }
    let end = headEnd()!
    let headLines = String(decoding: received[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
    let status = Int(headLines[0].split(separator: " ")[1]) ?? 0
    var fields: [String: String] = [:]
    for line in headLines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Array(received[(end + 4)...])
    let length = Int(fields["content-length"] ?? "0") ?? 0
    while body.count < length {
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { break }
        body.append(contentsOf: buffer[0..<count])
    }
    return RawHTTPResponse(status: status, headers: fields, body: String(decoding: body, as: UTF8.self))
}
