import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Applies the auth and API limits per client address, as nginx's `location /api/auth` and
/// `location /api` blocks did for the predecessor; 429 with `Retry-After` when over.
final class RateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    private let auth: SharedRateLimiter?
    private let api: SharedRateLimiter?
    private let trustedProxies: Set<String>
    private let clock: @Sendable () -> Int64
    private let clientAddress: @Sendable (Request, Context) -> String?

    init(configuration: APIConfiguration, clientAddress: @escaping @Sendable (Request, Context) -> String?) {
        auth = configuration.authRateLimit.map { SharedRateLimiter(RateLimiter(rule: $0)) }
        api = configuration.apiRateLimit.map { SharedRateLimiter(RateLimiter(rule: $0)) }
        trustedProxies = configuration.trustedProxies
        clock = configuration.clock
        self.clientAddress = clientAddress
    }

    /// Client addresses both limiters remember now (bounded by their capacity).
    var trackedClients: Int {
        (auth?.state.withLock { $0.trackedKeys } ?? 0) + (api?.state.withLock { $0.trackedKeys } ?? 0)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let limiter = path == "/api/auth" || path.hasPrefix("/api/auth/") ? auth : (path == "/api" || path.hasPrefix("/api/") ? api : nil)
        guard let limiter else { return try await next(request, context) }
        let key = client(of: request, context: context)
        let now = clock()
        switch limiter.state.withLock({ $0.admit(key, nowMilliseconds: now) }) {
        case .allowed:
            return try await next(request, context)
        case .limited(let retryAfter):
            throw APIError(.tooManyRequests, "Too many requests; retry after \(retryAfter) s", headers: [.retryAfter: "\(retryAfter)"])
        }
    }

    /// The peer's address, or the right-most address in `X-Forwarded-For` that isn't a trusted proxy
    /// when the peer is one (the left-most entries are whatever the client chose to send).
    private func client(of request: Request, context: Context) -> String {
        let peer = clientAddress(request, context) ?? "unknown"
        guard trustedProxies.contains(peer), let forwarded = request.headers[.xForwardedFor] else { return peer }
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) } ?? peer
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}

/// One limiter shared by every request.
final class SharedRateLimiter: Sendable {
    let state: Mutex<RateLimiter>
    init(_ limiter: RateLimiter) { state = Mutex(limiter) }
}
