import Foundation
import JWTKit

/// Issues and verifies the API's own access tokens: JWTs per RFC 8725 with one pinned algorithm.
///
/// - Algorithm: HS256 only, with a secret of at least ``minimumSecretBytes`` bytes. The algorithm is
///   chosen here, never by the token: `alg: none` in any spelling, HS384/HS512, RS256 and everything
///   else is refused before a key is touched (JWTKit itself would verify an `HS512`-labelled token
///   with an HS256 key, because it ignores `alg` for a registered non-JWK key).
/// - Header: `typ: "JWT"` is written explicitly and required on verification. `kid` must equal
///   ``Configuration/keyID`` exactly (both absent by default); JWTKit would fall back to its default
///   key for an unknown `kid`, so the check is ours. `jku`, `jwk`, `x5u`, `x5c` are never read.
///   A `crit` header is refused (we implement no extensions).
/// - Claims: `sub`, `role`, `iss`, `aud`, `iat`, `nbf`, `exp`, `jti`, all required on verification.
///   Times carry milliseconds (`1735689600.123`): RFC 7519 NumericDate allows fractions, and
///   revocation compares ``VerifiedAccessToken/issuedAtMilliseconds`` with a logout time in ms, so a
///   token issued in the same second as a logout, but after it, must stay valid.
/// - Every rejection is one ``AccessTokenError`` (typed throws) whose ``AccessTokenError/reason`` is
///   for logs only: answer 401 without it. Nothing from the token itself is put in the error, so it
///   can be logged without forging log lines or leaking a token.
///
/// Verification goes through JWTKit's `JWTKeyCollection`, an actor: every verification hops onto it
/// (about 21 µs per HS256 token on the reference machine).
public struct AccessTokens: Sendable {
    /// What the API stamps into and expects from its tokens.
    public struct Configuration: Sendable, Equatable {
        /// `iss`: who issues the token (e.g. "booking-engine").
        public var issuer: String
        /// `aud`: who the token is for (e.g. "booking-engine-api"); a token for another audience is refused.
        public var audience: String
        /// Token lifetime in hours (`JWT_EXPIRES_HOURS`); 1 to ``AccessTokens/maximumLifetimeHours``.
        public var lifetimeHours: Int
        /// Allowed clock skew for `exp`, `nbf` and `iat`, 0 to ``AccessTokens/maximumLeewaySeconds``.
        public var leewaySeconds: Int
        /// Optional `kid` written into issued tokens and required, exactly, on verification. `nil`
        /// (the default) means issued tokens carry no `kid` and any token that has one is refused.
        public var keyID: String?

        /// Creates a configuration; values are validated by ``AccessTokens/init(secret:configuration:now:)``.
        public init(issuer: String, audience: String, lifetimeHours: Int = 24, leewaySeconds: Int = 30, keyID: String? = nil) {
            self.issuer = issuer
            self.audience = audience
            self.lifetimeHours = lifetimeHours
            self.leewaySeconds = leewaySeconds
            self.keyID = keyID
        }
    }

    /// The only algorithm issued and accepted.
    public static let algorithm = "HS256"
    /// The only `typ` issued and accepted.
    public static let tokenType = "JWT"
    /// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (32 bytes).
    public static let minimumSecretBytes = 32
    /// Tokens longer than this are refused before any parsing; ours are about 400 bytes.
    public static let maximumTokenBytes = 8 * 1024
    /// Upper bound for ``Configuration/leewaySeconds`` (issue 3: "a leeway of at most 60 s").
    public static let maximumLeewaySeconds = 60
    /// Upper bound for ``Configuration/lifetimeHours`` (one year), to catch a misconfiguration.
    public static let maximumLifetimeHours = 24 * 366
    /// The roles a token may carry; anything else is refused at issue and at verification.
    public static let allowedRoles: Set<String> = ["user", "facilitator"]
    /// Longest accepted `sub` in UTF-8 bytes (user ids are integers; the bound only stops abuse).
    public static let maximumSubjectBytes = 256

    /// The validated configuration.
    public let configuration: Configuration
    private let keys: JWTKeyCollection
    private let now: @Sendable () -> Date

    /// Creates an issuer/verifier for one secret.
    ///
    /// - Parameters:
    ///   - secret: The HMAC key (`JWT_SECRET_KEY` as bytes), at least ``minimumSecretBytes`` long.
    ///   - configuration: Issuer, audience, lifetime, leeway, key id.
    ///   - now: The clock; injected so tests can check lifetime and leeway edges without sleeping.
    /// - Throws: ``AuthenticationConfigurationError`` for a short secret or an invalid setting.
    public init(
        secret: some Collection<UInt8>,
        configuration: Configuration,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws(AuthenticationConfigurationError) {
        guard secret.count >= Self.minimumSecretBytes else {
            throw .secretTooShort(byteCount: secret.count, minimum: Self.minimumSecretBytes)
        }
        guard !configuration.issuer.isEmpty else { throw .emptyIssuer }
        guard !configuration.audience.isEmpty else { throw .emptyAudience }
        guard (1...Self.maximumLifetimeHours).contains(configuration.lifetimeHours) else {
            throw .invalidLifetime(hours: configuration.lifetimeHours)
        }
        guard (0...Self.maximumLeewaySeconds).contains(configuration.leewaySeconds) else {
            throw .invalidLeeway(seconds: configuration.leewaySeconds)
        }
        if let keyID = configuration.keyID, keyID.isEmpty || keyID.utf8.count > 128 {
            throw .invalidKeyID
        }
        self.configuration = configuration
        self.now = now
        // Never `addUnsecuredNone()`: the collection holds this one HMAC key and nothing else.
        let keys = JWTKeyCollection()
        await keys.add(
            hmac: HMACKey(from: Array(secret)),
            digestAlgorithm: .sha256,
            kid: configuration.keyID.map { JWKIdentifier(string: $0) }
        )
        self.keys = keys
    }

    /// Convenience for a secret held as text (an environment variable): its UTF-8 bytes are the key.
    public init(
        secret: String,
        configuration: Configuration,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws(AuthenticationConfigurationError) {
        try await self.init(secret: Array(secret.utf8), configuration: configuration, now: now)
    }

    /// Signs a new token for `subject` with `role`, valid from now for the configured lifetime.
    ///
    /// - Throws: ``AccessTokenIssueError`` for an empty or oversized subject or a role outside
    ///   ``allowedRoles`` (the API checks roles first; this is the last line of defence).
    public func issue(subject: String, role: String) async throws(AccessTokenIssueError) -> IssuedAccessToken {
        guard !subject.isEmpty, subject.utf8.count <= Self.maximumSubjectBytes else { throw .invalidSubject }
        guard Self.allowedRoles.contains(role) else { throw .invalidRole }

        let issuedAt = NumericDate.milliseconds(of: now())
        let expiresAt = issuedAt + Int64(configuration.lifetimeHours) * 3_600_000
        let tokenID = UUID()
        let claims = AccessTokenClaims(
            sub: subject,
            role: role,
            iss: configuration.issuer,
            aud: configuration.audience,
            iatMilliseconds: issuedAt,
            nbfMilliseconds: issuedAt,
            expMilliseconds: expiresAt,
            jti: tokenID.uuidString.lowercased()
        )
        var header = JWTHeader()
        header.alg = Self.algorithm
        header.typ = Self.tokenType
        // Only set when configured: JWTHeader's setter turns nil into an explicit `"kid": null`.
        if let keyID = configuration.keyID { header.kid = keyID }

        let token: String
        do {
            token = try await keys.sign(claims, header: header)
        } catch {
            throw .signingFailed
        }
        return IssuedAccessToken(
            token: token,
            tokenID: tokenID,
            issuedAtMilliseconds: issuedAt,
            expiresAt: NumericDate.date(milliseconds: expiresAt)
        )
    }

    /// Verifies a bearer token and returns its claims, or throws one ``AccessTokenError``.
    ///
    /// Never traps, whatever the input: size, structure, header, signature and then claims are
    /// checked in that order, each failure mapped to a ``AccessTokenError/Reason``. Revocation is not
    /// checked here: compare ``VerifiedAccessToken/issuedAtMilliseconds`` with the account's last
    /// tokens-revoked event (``VerifiedAccessToken/isRevoked(byRevocationAtMilliseconds:)``).
    public func verify(_ token: String) async throws(AccessTokenError) -> VerifiedAccessToken {
        let jws: CompactJWS
        do {
            jws = try CompactJWS(parsing: token, maximumBytes: Self.maximumTokenBytes)
        } catch {
            switch error {
            case .empty: throw AccessTokenError(.empty)
            case .tooLarge: throw AccessTokenError(.tooLarge)
            case .malformed: throw AccessTokenError(.malformed)
            case .tooDeeplyNested: throw AccessTokenError(.tooDeeplyNested)
            }
        }

        let header = jws.header
        guard header.alg == Self.algorithm else {
            throw AccessTokenError(CompactJWS.isUnsecuredAlgorithm(header.alg) ? .unsecuredAlgorithm : .algorithmNotAllowed)
        }
        guard header.typ == Self.tokenType else { throw AccessTokenError(.wrongType) }
        guard !header.hasCritical else { throw AccessTokenError(.criticalHeader) }
        // Exact match, including "both absent": JWTKit would otherwise use its default key for any kid.
        guard header.kid == configuration.keyID else { throw AccessTokenError(.unknownKeyID) }

        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw AccessTokenError(.badSignature)
        } catch {
            // After our header checks only payload decoding can fail here (a wrongly typed claim).
            throw AccessTokenError(.malformed)
        }
        return try check(claims)
    }

    private func check(_ claims: AccessTokenClaims) throws(AccessTokenError) -> VerifiedAccessToken {
        guard let subject = claims.sub else { throw AccessTokenError(.missingClaim, claim: "sub") }
        guard let role = claims.role else { throw AccessTokenError(.missingClaim, claim: "role") }
        guard let issuer = claims.iss else { throw AccessTokenError(.missingClaim, claim: "iss") }
        guard let audience = claims.aud else { throw AccessTokenError(.missingClaim, claim: "aud") }
        guard let iat = claims.iat else { throw AccessTokenError(.missingClaim, claim: "iat") }
        guard let nbf = claims.nbf else { throw AccessTokenError(.missingClaim, claim: "nbf") }
        guard let exp = claims.exp else { throw AccessTokenError(.missingClaim, claim: "exp") }
        guard let jti = claims.jti else { throw AccessTokenError(.missingClaim, claim: "jti") }

        guard issuer == configuration.issuer else { throw AccessTokenError(.wrongIssuer) }
        let audiences = audience.values
        guard !audiences.isEmpty, audiences.allSatisfy({ $0 == configuration.audience }) else {
            throw AccessTokenError(.wrongAudience)
        }

        guard let issuedAt = NumericDate.milliseconds(fromSeconds: iat) else { throw AccessTokenError(.invalidClaim, claim: "iat") }
        guard let notBefore = NumericDate.milliseconds(fromSeconds: nbf) else { throw AccessTokenError(.invalidClaim, claim: "nbf") }
        guard let expiresAt = NumericDate.milliseconds(fromSeconds: exp) else { throw AccessTokenError(.invalidClaim, claim: "exp") }

        let now = NumericDate.milliseconds(of: self.now())
        let leeway = Int64(configuration.leewaySeconds) * 1000
        // exp: "on or after which the JWT MUST NOT be accepted" (RFC 7519 §4.1.4), plus leeway.
        guard now < expiresAt + leeway else { throw AccessTokenError(.expired) }
        guard now + leeway >= notBefore else { throw AccessTokenError(.notYetValid) }
        // We stamp iat = nbf = now, so a future iat is as suspicious as a future nbf.
        guard issuedAt <= now + leeway else { throw AccessTokenError(.issuedInFuture) }

        guard !subject.isEmpty, subject.utf8.count <= Self.maximumSubjectBytes else {
            throw AccessTokenError(.invalidClaim, claim: "sub")
        }
        guard Self.allowedRoles.contains(role) else { throw AccessTokenError(.invalidClaim, claim: "role") }
        guard let tokenID = UUID(uuidString: jti) else { throw AccessTokenError(.invalidClaim, claim: "jti") }

        return VerifiedAccessToken(
            subject: subject,
            role: role,
            issuedAtMilliseconds: issuedAt,
            expiresAt: NumericDate.date(milliseconds: expiresAt),
            tokenID: tokenID
        )
    }
}

/// A freshly signed token and what the API may want to record about it.
public struct IssuedAccessToken: Sendable, Equatable {
    /// The compact JWS to hand to the client as `access_token`.
    public let token: String
    /// The `jti` claim.
    public let tokenID: UUID
    /// The `iat` claim in milliseconds since 1970 (the token carries it with this precision).
    public let issuedAtMilliseconds: Int64
    /// The `exp` claim.
    public let expiresAt: Date
}

/// The claims of a token that passed every check.
public struct VerifiedAccessToken: Sendable, Equatable {
    /// `sub`: the user id as a string.
    public let subject: String
    /// `role`: one of ``AccessTokens/allowedRoles``. Authorization should still read the current role
    /// from the projection; this is what the account had when the token was issued.
    public let role: String
    /// `iat` in milliseconds since 1970, kept exact so it can be compared with a logout time in ms.
    public let issuedAtMilliseconds: Int64
    /// `exp`.
    public let expiresAt: Date
    /// `jti`.
    public let tokenID: UUID

    /// Creates verified claims (for tests of code that consumes them).
    public init(subject: String, role: String, issuedAtMilliseconds: Int64, expiresAt: Date, tokenID: UUID) {
        self.subject = subject
        self.role = role
        self.issuedAtMilliseconds = issuedAtMilliseconds
        self.expiresAt = expiresAt
        self.tokenID = tokenID
    }

    /// Whether a tokens-revoked event (logout) at `revokedAtMilliseconds` invalidates this token.
    ///
    /// A token issued at or before the revocation is revoked; one issued later (even within the same
    /// second, which is why `iat` carries milliseconds) is not. Equal milliseconds count as revoked:
    /// the order is unknown, and failing closed only costs a second login. The comparison assumes the
    /// issuing clock does not step backwards across a logout; the API can guarantee it by issuing no
    /// earlier than the latest revocation plus 1 ms.
    public func isRevoked(byRevocationAtMilliseconds revokedAtMilliseconds: Int64) -> Bool {
        issuedAtMilliseconds <= revokedAtMilliseconds
    }
}

/// Why an access token was refused. One type for every failure, so the API maps it to a single
/// 401 `{"error": ...}` with `WWW-Authenticate: Bearer` and logs ``reason`` (never the token).
public struct AccessTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The failed check. For logs and tests; clients get a generic message.
    public enum Reason: String, Sendable, Equatable, CaseIterable {
        /// The token was an empty string.
        case empty
        /// Longer than ``AccessTokens/maximumTokenBytes``; refused before parsing.
        case tooLarge
        /// Not three base64url segments, not JSON objects, or a claim of the wrong JSON type.
        case malformed
        /// Header or payload JSON nested deeper than a flat claims object.
        case tooDeeplyNested
        /// `alg: none` in any spelling.
        case unsecuredAlgorithm
        /// Any `alg` other than HS256 (including a missing one).
        case algorithmNotAllowed
        /// `typ` missing or not "JWT".
        case wrongType
        /// A `crit` header parameter.
        case criticalHeader
        /// A `kid` other than the configured one (or one present when none is configured).
        case unknownKeyID
        /// The HMAC did not match.
        case badSignature
        /// A required claim is absent; ``AccessTokenError/claim`` names it.
        case missingClaim
        /// A claim has an impossible value; ``AccessTokenError/claim`` names it.
        case invalidClaim
        /// `iss` is not ours.
        case wrongIssuer
        /// `aud` is not (only) ours.
        case wrongAudience
        /// `exp` plus leeway has passed.
        case expired
        /// `nbf` minus leeway is still in the future.
        case notYetValid
        /// `iat` is further in the future than the leeway.
        case issuedInFuture
    }

    /// The failed check.
    public let reason: Reason
    /// The claim concerned, for ``Reason/missingClaim`` and ``Reason/invalidClaim``; a fixed name, never token content.
    public let claim: String?

    /// Creates an error.
    public init(_ reason: Reason, claim: String? = nil) {
        self.reason = reason
        self.claim = claim
    }

    /// "access token rejected: <reason>[ (<claim>)]": safe to log.
    public var description: String {
        if let claim { "access token rejected: \(reason.rawValue) (\(claim))" } else { "access token rejected: \(reason.rawValue)" }
    }
}

/// Why ``AccessTokens/issue(subject:role:)`` refused to sign.
public enum AccessTokenIssueError: Error, Sendable, Equatable {
    /// Empty or longer than ``AccessTokens/maximumSubjectBytes``.
    case invalidSubject
    /// Not in ``AccessTokens/allowedRoles``.
    case invalidRole
    /// JWTKit failed to encode or sign (not expected with a valid configuration).
    case signingFailed
}

/// A setting refused at start-up, so the server fails fast instead of running insecurely.
public enum AuthenticationConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HMAC secret is shorter than the minimum.
    case secretTooShort(byteCount: Int, minimum: Int)
    /// `iss` is empty.
    case emptyIssuer
    /// `aud` is empty.
    case emptyAudience
    /// Lifetime outside 1 hour ... one year.
    case invalidLifetime(hours: Int)
    /// Leeway outside 0 ... 60 s.
    case invalidLeeway(seconds: Int)
    /// An empty or over-long `kid`.
    case invalidKeyID
    /// The Google client id (`GOOGLE_CLIENT_ID`) is empty.
    case emptyClientID
    /// The JWKS URL is not an absolute https URL (plain http is allowed for loopback hosts only, for tests).
    case invalidJWKSURL
    /// A timeout, TTL or interval of the Google verifier is not positive or out of order.
    case invalidTiming(String)

    /// Says which setting is wrong, without echoing secrets.
    public var description: String {
        switch self {
        case .secretTooShort(let count, let minimum): "JWT secret is \(count) bytes; at least \(minimum) are required"
        case .emptyIssuer: "JWT issuer is empty"
        case .emptyAudience: "JWT audience is empty"
        case .invalidLifetime(let hours): "JWT lifetime of \(hours) h is outside 1...\(AccessTokens.maximumLifetimeHours)"
        case .invalidLeeway(let seconds): "JWT leeway of \(seconds) s is outside 0...\(AccessTokens.maximumLeewaySeconds)"
        case .invalidKeyID: "JWT key id must be 1 to 128 bytes"
        case .emptyClientID: "Google client id is empty"
        case .invalidJWKSURL: "Google JWKS URL must be https (http only for a loopback host)"
        case .invalidTiming(let what): "Google verifier timing: \(what)"
        }
    }
}

/// The wire form of our claims. Every field is optional when decoding so that a missing claim is
/// reported by name instead of as a generic decoding failure.
struct AccessTokenClaims: JWTPayload, Equatable {
    var sub: String?
    var role: String?
    var iss: String?
    var aud: AudienceValue?
    var iat: Double?
    var nbf: Double?
    var exp: Double?
    var jti: String?

    init(
        sub: String, role: String, iss: String, aud: String,
        iatMilliseconds: Int64, nbfMilliseconds: Int64, expMilliseconds: Int64, jti: String
    ) {
        self.sub = sub
        self.role = role
        self.iss = iss
        self.aud = .single(aud)
        // Seconds with a millisecond fraction: the shortest Double text for n/1000 has at most 3 decimals.
        self.iat = Double(iatMilliseconds) / 1000
        self.nbf = Double(nbfMilliseconds) / 1000
        self.exp = Double(expMilliseconds) / 1000
        self.jti = jti
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        sub = try container.decodeIfPresent(String.self, forKey: JSONKey("sub"))
        role = try container.decodeIfPresent(String.self, forKey: JSONKey("role"))
        iss = try container.decodeIfPresent(String.self, forKey: JSONKey("iss"))
        aud = try container.decodeIfPresent(AudienceValue.self, forKey: JSONKey("aud"))
        iat = try container.decodeIfPresent(Double.self, forKey: JSONKey("iat"))
        nbf = try container.decodeIfPresent(Double.self, forKey: JSONKey("nbf"))
        exp = try container.decodeIfPresent(Double.self, forKey: JSONKey("exp"))
        jti = try container.decodeIfPresent(String.self, forKey: JSONKey("jti"))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSONKey.self)
        try container.encodeIfPresent(sub, forKey: JSONKey("sub"))
        try container.encodeIfPresent(role, forKey: JSONKey("role"))
        try container.encodeIfPresent(iss, forKey: JSONKey("iss"))
        if let aud {
            switch aud {
            case .single(let value): try container.encode(value, forKey: JSONKey("aud"))
            case .multiple(let values): try container.encode(values, forKey: JSONKey("aud"))
            }
        }
        try container.encodeIfPresent(iat, forKey: JSONKey("iat"))
        try container.encodeIfPresent(nbf, forKey: JSONKey("nbf"))
        try container.encodeIfPresent(exp, forKey: JSONKey("exp"))
        try container.encodeIfPresent(jti, forKey: JSONKey("jti"))
    }

    /// Claims are checked by ``AccessTokens`` against its injected clock, not here: JWTKit calls this
    /// with no clock and no configuration.
    func verify(using _: some JWTAlgorithm) async throws {}
}
