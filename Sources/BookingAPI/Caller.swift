import Authentication
import BookingDomain
import BookingProjections
import HTTPTypes
import Hummingbird
import Logging

/// The authenticated caller of a request, as the read model knows it now: the role and the account's
/// existence come from the projection on every request, never from the token, so a changed or
/// revoked account loses access at once.
struct Caller: Sendable {
    var user: UserView
    var id: UserID { user.id }
    var isFacilitator: Bool { user.role == .facilitator }
}

/// Checks `Authorization: Bearer` tokens against the secret and the read model.
struct Authenticator: Sendable {
    let tokens: AccessTokens
    let projection: BookingProjection

    /// The caller, or 401 with `WWW-Authenticate: Bearer` for a missing, malformed, forged, expired,
    /// revoked or orphaned token. The reason goes to the log, never the token.
    func caller(of request: Request, context: some RequestContext) async throws -> Caller {
        try await authenticate(request, context: context).caller
    }

    /// The caller and the verified claims of its token (the notifier needs `iat` and `exp`).
    func authenticate(_ request: Request, context: some RequestContext) async throws -> (caller: Caller, token: VerifiedAccessToken) {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError(.unauthorized, "Authorization must be a Bearer token", headers: [.wwwAuthenticate: "Bearer"])
        }
        let verified: VerifiedAccessToken
        do {
            verified = try await tokens.verify(String(parts[1]))
        } catch {
            context.logger.info("token refused", metadata: ["reason": "\(error.reason)"])
            throw APIError(.unauthorized, "Invalid or expired token", headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        }
        guard let rawID = Int64(verified.subject), let user = projection.read({ $0.user(UserID(rawID)) }) else {
            throw APIError(.unauthorized, "Invalid or expired token", headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        }
        if let revoked = user.tokensRevokedBefore, verified.isRevoked(byRevocationAtMilliseconds: revoked.rawValue) {
            throw APIError(.unauthorized, "Token has been revoked", headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        }
        return (Caller(user: user), verified)
    }

    /// The caller, who must be a facilitator (403 otherwise).
    func facilitator(of request: Request, context: some RequestContext) async throws -> Caller {
        let caller = try await caller(of: request, context: context)
        guard caller.isFacilitator else { throw APIError(.forbidden, "Facilitator access required") }
        return caller
    }
}
