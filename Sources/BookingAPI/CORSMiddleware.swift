import HTTPTypes
import Hummingbird

/// CORS for an allow-list of origins (`CORS_ALLOWED_ORIGINS`), replacing the predecessor's `CORS(app)`
/// that allowed every origin. An allowed origin is echoed with `Vary: Origin`; any other origin gets
/// no CORS headers at all (so browsers refuse to share the response) and its preflights are refused.
/// Origins are compared exactly (scheme, host and port), never by prefix or pattern.
struct AllowListCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>
    static var allowedMethods: String { "GET, POST, PUT, DELETE, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, Idempotency-Key" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let isAllowed = allowedOrigins.contains(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard isAllowed else { throw APIError(.forbidden, "Origin not allowed") }
            return Response(
                status: .noContent,
                headers: [
                    .accessControlAllowOrigin: origin, .vary: "Origin", .accessControlAllowMethods: Self.allowedMethods,
                    .accessControlAllowHeaders: Self.allowedHeaders, .accessControlMaxAge: "600",
                ])
        }
        var response = try await next(request, context)
        if isAllowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
            response.headers[.accessControlExposeHeaders] = "Link, Retry-After, X-Request-ID"
        }
        return response
    }
}
