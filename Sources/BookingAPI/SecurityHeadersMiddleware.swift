import HTTPTypes
import Hummingbird

/// The headers nginx added for the predecessor, corrected for a JSON API (OWASP HTTP Headers and REST
/// Security cheat sheets): no sniffing, no framing, no referrer, a CSP that allows nothing, HSTS,
/// same-origin resources, no caching of authenticated answers, and no server version.
/// `X-XSS-Protection` is deliberately absent: it is obsolete and can introduce leaks.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        Self.apply(to: &response.headers, authenticated: request.headers[.authorization] != nil)
        return response
    }

    static func apply(to headers: inout HTTPFields, authenticated: Bool) {
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        headers[.referrerPolicy] = "no-referrer"
        headers[.strictTransportSecurity] = "max-age=63072000; includeSubDomains"
        headers[.crossOriginResourcePolicy] = "same-origin"
        headers[.server] = nil
        if authenticated { headers[.cacheControl] = "no-store" }
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
