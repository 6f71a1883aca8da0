import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP server acting as the CRM: it checks the bearer token and the Standard Webhooks
/// signature itself (HMAC-SHA256 computed here, independently of the code under test), records every
/// request, and answers as the test scripts it (500s, hangs, `Retry-After`), then 200 by default.
final class CRMReceiver: Sendable {
    /// How to answer one request.
    enum Reply: Sendable {
        case accept
        case status(Int, retryAfter: String? = nil)
        /// Waits this long before answering 200 (longer than the client's timeout, in the tests).
        case hang(Duration)
        /// Waits until ``release()`` before answering 200.
        case holdUntilReleased
    }

    /// One request as it arrived.
    struct Request: Sendable {
        var webhookID: String
        var timestamp: String
        var signature: String
        var authorization: String
        var body: [UInt8]
        var arrivedAt: ContinuousClock.Instant
        /// Whether the token and signature checked out.
        var isAuthentic: Bool
        /// What this receiver answered (0 for a hang the client gave up on).
        var answered: Int
    }

    private struct State {
        var script: [Reply] = []
        var fallback: Reply = .accept
        var requests: [Request] = []
    }

    let token: String
    let secret: String
    private let state = Mutex(State())
    private let released = Mutex<[CheckedContinuation<Void, Never>]?>([])

    init(token: String = "crm-test-token-0123456789abcdefghijklmnop", secret: String = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()) {
        self.token = token
        self.secret = secret
    }

    /// Answers the next requests with `replies`, in order, then with `fallback`.
    func script(_ replies: [Reply], then fallback: Reply = .accept) {
        state.withLock {
            $0.script = replies
            $0.fallback = fallback
        }
    }

    /// Every request so far.
    var requests: [Request] { state.withLock { $0.requests } }

    /// The ids of requests answered 2xx, in arrival order.
    var acceptedIDs: [String] { requests.filter { (200..<300).contains($0.answered) }.map(\.webhookID) }

    /// Lets every held request (and any later `.holdUntilReleased`) answer.
    func release() {
        let waiting = released.withLock { waiting in
            defer { waiting = nil }
            return waiting ?? []
        }
        for continuation in waiting { continuation.resume() }
    }

    private func nextReply() -> Reply {
        state.withLock { $0.script.isEmpty ? $0.fallback : $0.script.removeFirst() }
    }

    /// Standard Webhooks verification, written out here rather than calling the engine's signer.
    func verify(id: String, timestamp: String, body: [UInt8], signature: String) -> Bool {
        guard let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(id).\(timestamp).".utf8) + body, using: SymmetricKey(data: key))
        let expected = "v1," + Data(mac).base64EncodedString()
        return signature.split(separator: " ").contains { $0 == expected }
    }

    private func handle(_ request: Hummingbird.Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let body = Array(buffer.readableBytesView)
        let header = { (name: String) in request.headers[HTTPField.Name(name)!] ?? "" }
        let authorization = header("Authorization")
        let id = header("webhook-id"), timestamp = header("webhook-timestamp"), signature = header("webhook-signature")
        let authentic = authorization == "Bearer \(token)" && verify(id: id, timestamp: timestamp, body: body, signature: signature)
        var record = Request(
            webhookID: id, timestamp: timestamp, signature: signature, authorization: authorization, body: body,
            arrivedAt: .now, isAuthentic: authentic, answered: 0)
        let reply = authentic ? nextReply() : .status(401)
        let index = state.withLock { state in
            state.requests.append(record)
            return state.requests.count - 1
        }
        var status = 200
        var headers = HTTPFields()
        switch reply {
        case .accept: break
        case .status(let code, let retryAfter):
            status = code
            if let retryAfter { headers[.retryAfter] = retryAfter }
        case .hang(let duration):
            try? await Task.sleep(for: duration)
        case .holdUntilReleased:
            await withCheckedContinuation { continuation in
                let resumeNow = released.withLock { waiting -> Bool in
                    guard waiting != nil else { return true }
                    waiting!.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        record.answered = status
        if case .hang = reply {
            // The client gave up long ago; the answer is recorded as 0 so it never counts as accepted.
            record.answered = 0
        }
        state.withLock { $0.requests[index].answered = record.answered }
        return Response(status: .init(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
    }

    /// Serves on `port` (0 for any free one) while `body` runs, handing it the port.
    func run<T: Sendable>(port: Int = 0, _ body: @Sendable (_ port: Int) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/api/booking-notification") { request, _ in try await self.handle(request) }
        var logger = Logger(label: "crm-test-receiver")
        logger.logLevel = .critical
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let bound = await iterator.next(), bound > 0 else {
                await group.triggerGracefulShutdown()
                throw TestFailure("the test CRM did not start")
            }
            do {
                let result = try await body(bound)
                release()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                release()
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

/// A port that nothing listens on right now (bound, read, closed).
func unusedPort() throws -> Int {
    let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TestFailure("socket() failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw TestFailure("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
