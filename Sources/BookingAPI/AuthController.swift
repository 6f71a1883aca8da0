import Authentication
import BookingDomain
import BookingEngine
import BookingProjections
import Foundation
import HTTPTypes
import Hummingbird
import PasswordHashing

/// `/api/auth/*`: register, login, Google sign-in, logout, me.
struct AuthController: Sendable {
    let commands: CommandRunner
    let projection: BookingProjection
    let authenticator: Authenticator
    let passwords: PasswordWorkers
    let policy: PasswordPolicy
    let google: GoogleIDTokenVerifier?
    let facilitatorSignupEnabled: Bool

    struct TokenResponse: Encodable {
        var accessToken: String
        var tokenType = "Bearer"
        var expiresIn: Int
        var user: ResponseBodies.User
        enum CodingKeys: String, CodingKey {
            case user
            case accessToken = "access_token"
            case tokenType = "token_type"
            case expiresIn = "expires_in"
        }
    }

    func register(on router: Router<BookingRequestContext>, table: inout RouteTable) {
        table.add(.post, "/api/auth/register")
        router.post("/api/auth/register") { request, context in try await register(request, context) }
        table.add(.post, "/api/auth/login")
        router.post("/api/auth/login") { request, context in try await login(request, context) }
        table.add(.post, "/api/auth/google")
        router.post("/api/auth/google") { request, context in try await googleSignIn(request, context) }
        table.add(.post, "/api/auth/logout")
        router.post("/api/auth/logout") { request, context in try await logout(request, context) }
        table.add(.get, "/api/auth/me")
        router.get("/api/auth/me") { request, context in
            let caller = try await authenticator.caller(of: request, context: context)
            return JSONBody.response(ResponseBodies.User(caller.user), headers: [.cacheControl: "no-store"])
        }
    }

    static func email(_ fields: JSONFields) throws -> String {
        let email = try fields.string("email", length: 3...254).lowercased()
        // Deliberately simple: one @, something on both sides, a dot in the domain, no spaces.
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !email.contains(where: \.isWhitespace)
        else { throw APIError.badRequest("email is not a valid e-mail address") }
        return email
    }

    private func register(_ request: Request, _ context: BookingRequestContext) async throws -> Response {
        let fields = try await jsonObject(from: request, context: context)
        let email = try Self.email(fields)
        let name = try fields.string("name", length: 1...200)
        let role = try fields.optionalEnum("role", Role.self) ?? .user
        if role == .facilitator && !facilitatorSignupEnabled {
            throw APIError(.forbidden, "Facilitator sign-up is disabled; ask an operator")
        }
        guard case .string(let password) = fields.fields["password"] ?? .null else {
            throw APIError.badRequest(fields.has("password") ? "password must be a string" : "password is required")
        }
        if let rejection = policy.rejection(for: password) { throw APIError.badRequest(rejection.description) }
        let profile = FacilitatorProfile(
            bio: try fields.optionalString("bio", length: 0...2_000), specialization: try fields.optionalString("specialization", length: 0...200))
        // Hash before looking at the e-mail: a taken address costs the same time as a free one.
        let hash = try await passwords.hash(password)
        let (events, _) = try await commands.run(
            .registerUser(RegisterUser(email: email, name: name, role: role, passwordHash: hash, profile: profile)), actor: "anonymous")
        guard case .userRegistered(let registered) = events.first else { throw APIError(.internalServerError, "Internal error") }
        return try await tokenResponse(for: registered.userID, status: .created)
    }

    private func login(_ request: Request, _ context: BookingRequestContext) async throws -> Response {
        let fields = try await jsonObject(from: request, context: context)
        let email = try fields.string("email", length: 1...254).lowercased()
        guard case .string(let password) = fields.fields["password"] ?? .null else { throw APIError.badRequest("password is required") }
        let user = projection.read { $0.user(forEmail: email) }
        // Unknown e-mail or an account without a password: verify against a dummy hash all the same.
        let matches = await passwords.verify(password, against: user?.passwordHash)
        guard let user, matches else {
            if let user {
                _ = try? await commands.run(
                    .recordFailedLogin(userID: user.id, reason: user.passwordHash == nil ? .noPassword : .wrongPassword), actor: "anonymous")
            }
            throw APIError(.unauthorized, "Invalid credentials", headers: [.wwwAuthenticate: "Bearer"])
        }
        _ = try await commands.run(.recordLogin(userID: user.id, method: .password), actor: "\(user.id)")
        return try await tokenResponse(for: user.id, status: .ok)
    }

    private func googleSignIn(_ request: Request, _ context: BookingRequestContext) async throws -> Response {
        let fields = try await jsonObject(from: request, context: context)
        if fields.has("google_id") && !fields.has("id_token") {
            throw APIError.badRequest("id_token is required: send the Google ID token, not google_id/email")
        }
        let idToken = try fields.string("id_token", length: 1...8_192)
        // Off unless configured: the route then behaves as absent rather than as a server fault.
        guard let google else { throw APIError(.notFound, "Google sign-in is not enabled on this server (GOOGLE_CLIENT_ID is not set)") }
        let claims: GoogleIdentityClaims
        do {
            claims = try await google.verify(idToken)
        } catch {
            if case .keysUnavailable = error { throw APIError(.serviceUnavailable, "Google's keys are unavailable; try again") }
            throw APIError(.unauthorized, "Invalid Google ID token", headers: [.wwwAuthenticate: "Bearer"])
        }
        let signIn = GoogleSignIn(
            identity: GoogleIdentity(issuer: claims.issuer, subject: claims.subject), email: claims.email,
            name: claims.name ?? claims.email, isAuthoritativeForEmail: claims.isAuthoritativeForEmail)
        let (events, _) = try await commands.run(.signInWithGoogle(signIn), actor: "anonymous")
        guard let userID = events.compactMap({ event -> UserID? in
            if case .loginSucceeded(let login) = event { return login.userID }
            return nil
        }).first else { throw APIError(.internalServerError, "Internal error") }
        return try await tokenResponse(for: userID, status: .ok)
    }

    private func logout(_ request: Request, _ context: BookingRequestContext) async throws -> Response {
        let caller = try await authenticator.caller(of: request, context: context)
        _ = try await commands.run(.revokeTokens(userID: caller.id, now: .now), actor: "\(caller.id)")
        return JSONBody.response(["message": "Logged out"], headers: [.cacheControl: "no-store"])
    }

    private func tokenResponse(for userID: UserID, status: HTTPResponse.Status) async throws -> Response {
        guard let user = projection.read({ $0.user(userID) }) else { throw APIError(.internalServerError, "Internal error") }
        // A token must postdate any revocation; the clock's millisecond could equal the logout's.
        if let revoked = user.tokensRevokedBefore, revoked >= Timestamp.now {
            try await Task.sleep(for: .milliseconds(2))
        }
        let issued = try await authenticator.tokens.issue(subject: String(userID.rawValue), role: user.role.rawValue)
        return JSONBody.response(
            TokenResponse(
                accessToken: issued.token, expiresIn: authenticator.tokens.configuration.lifetimeHours * 3600, user: ResponseBodies.User(user)),
            status: status, headers: [.cacheControl: "no-store"])
    }
}
