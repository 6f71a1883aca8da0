import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// What the local JWKS endpoint serves; tests change it between requests and count the requests.
public final class JWKSEndpoint: Sendable {
    public struct Reply: Sendable {
        public var status: Int = 200
        public var body: String
        /// Sent instead of `body` when set: for replies that are not valid UTF-8.
        public var rawBody: [UInt8]?
        public var cacheControl: String? = "public, max-age=3600"

        public init(status: Int = 200, body: String, rawBody: [UInt8]? = nil, cacheControl: String? = "public, max-age=3600") {
            self.status = status
            self.body = body
            self.rawBody = rawBody
            self.cacheControl = cacheControl
        }
    }

    private let reply: Mutex<Reply>
    private let requests = Atomic<Int>(0)

    public init(_ reply: Reply) { self.reply = Mutex(reply) }
    public convenience init(jwks: String, cacheControl: String? = "public, max-age=3600") {
        self.init(Reply(body: jwks, cacheControl: cacheControl))
    }

    /// How many times the endpoint has been asked for keys.
    public var requestCount: Int { requests.load(ordering: .relaxed) }

    public func serve(_ change: (inout Reply) -> Void) { reply.withLock { change(&$0) } }

    fileprivate func respond() -> Response {
        requests.add(1, ordering: .relaxed)
        let current = reply.withLock { $0 }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let cacheControl = current.cacheControl { headers[.cacheControl] = cacheControl }
        return Response(
            status: .init(code: current.status),
            headers: headers,
            body: ResponseBody(byteBuffer: current.rawBody.map { ByteBuffer(bytes: $0) } ?? ByteBuffer(string: current.body))
        )
    }

    public static let path = "/oauth2/v3/certs"

    /// Runs `body` with a real Hummingbird 2 server on a free loopback port serving this endpoint,
    /// passing the JWKS URL. The server stops when `body` returns or throws.
    public func run<T: Sendable>(_ body: @Sendable (_ jwksURL: String) async throws -> T) async throws -> T {
        let router = Router()
        router.get(RouterPath(Self.path)) { _, _ in self.respond() }
        var logger = Logger(label: "jwks-test-server")
        logger.logLevel = .critical  // shutdown with open keep-alive connections logs noise
        let app = Application(router: router, logger: logger)
        return try await app.test(.live) { client in
            let port = try #require(client.port)
            return try await body("http://localhost:\(port)\(Self.path)")
        }
    }
}
