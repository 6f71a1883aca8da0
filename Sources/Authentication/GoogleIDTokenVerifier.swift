import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Verifies Google ID tokens (Sign in with Google) against Google's published keys.
///
/// Checks, per Google's "Verify the Google ID token on your server side" and OpenID Connect Core §3.1.3.7:
/// RS256 only (pinned here; the token's `alg` never selects anything), a `kid` present in the
/// fetched key set (checked here, because JWTKit falls back to a default key for an unknown `kid`),
/// `iss` "accounts.google.com" or "https://accounts.google.com", every `aud` equal to the configured
/// client id, `exp`/`nbf`/`iat` within a leeway of at most 60 s, `email_verified` true (JSON `true` or
/// the string "true"). The result is keyed by (`iss`, `sub`); see ``GoogleIdentityClaims``.
///
/// Keys are fetched from ``Configuration/jwksURL`` with AsyncHTTPClient (connect and total timeouts,
/// no redirects, bounded body), cached for the response's `Cache-Control: max-age` (else a fixed
/// lifetime), and refreshed when a token names an unknown `kid`. Fetches are rate-limited: none starts
/// within ``Configuration/minimumRefreshInterval`` of the previous one, so a flood of tokens with
/// invented `kid`s costs Google's endpoint at most one request per interval, and concurrent callers
/// share one in-flight fetch. Keys past their lifetime are never used.
///
/// Errors are one ``GoogleTokenError``: ``GoogleTokenError/invalidToken(_:)`` (answer 401) or
/// ``GoogleTokenError/keysUnavailable(_:)`` (answer 503: we could not check, the token may be fine).
///
/// Call ``shutdown()`` when done if the verifier created its own HTTP client (the default).
public actor GoogleIDTokenVerifier {
    /// Settings; validated by ``GoogleIDTokenVerifier/init(configuration:httpClient:logger:now:)``.
    public struct Configuration: Sendable, Equatable {
        /// Google's JWKS endpoint.
        public static let googleJWKSURL = "https://www.googleapis.com/oauth2/v3/certs"

        /// The OAuth client id (`GOOGLE_CLIENT_ID`) every token's `aud` must equal.
        public var clientID: String
        /// Where keys come from (`GOOGLE_JWKS_URL`): https, or http to a loopback host for tests.
        public var jwksURL: String
        /// Allowed clock skew for `exp`, `nbf`, `iat`: 0 to 60 s.
        public var leewaySeconds: Int
        /// Bound on establishing the connection to the JWKS endpoint.
        public var connectTimeout: Duration
        /// Bound on a whole JWKS request, connection included.
        public var requestTimeout: Duration
        /// How long keys are kept when the response has no simple `max-age`.
        public var fallbackKeyLifetime: Duration
        /// Upper bound on any key lifetime, whatever `max-age` says.
        public var maximumKeyLifetime: Duration
        /// No fetch starts within this interval of the previous one; also the shortest key lifetime.
        public var minimumRefreshInterval: Duration
        /// Larger JWKS bodies are refused (Google's is about 1.5 KiB).
        public var maximumJWKSBytes: Int

        /// Creates a configuration with defaults suited to Google's endpoint.
        public init(
            clientID: String,
            jwksURL: String = Configuration.googleJWKSURL,
            leewaySeconds: Int = 30,
            connectTimeout: Duration = .seconds(5),
            requestTimeout: Duration = .seconds(10),
            fallbackKeyLifetime: Duration = .seconds(3600),
            maximumKeyLifetime: Duration = .seconds(86_400),
            minimumRefreshInterval: Duration = .seconds(30),
            maximumJWKSBytes: Int = 256 * 1024
        ) {
            self.clientID = clientID
            self.jwksURL = jwksURL
            self.leewaySeconds = leewaySeconds
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.fallbackKeyLifetime = fallbackKeyLifetime
            self.maximumKeyLifetime = maximumKeyLifetime
            self.minimumRefreshInterval = minimumRefreshInterval
            self.maximumJWKSBytes = maximumJWKSBytes
        }
    }

    /// The only algorithm accepted; Google signs ID tokens with RS256.
    public static let algorithm = "RS256"
    /// The `iss` values Google uses.
    public static let acceptedIssuers: Set<String> = ["accounts.google.com", "https://accounts.google.com"]
    /// Tokens longer than this are refused before parsing; Google's are about 1 KiB.
    public static let maximumTokenBytes = 8 * 1024

    /// The validated configuration.
    public let configuration: Configuration
    /// How many JWKS fetches have been started (for metrics and tests).
    public private(set) var fetchCount = 0

    private let http: ManagedHTTPClient
    private let logger: Logger
    private let now: @Sendable () -> Date
    private var keySet: KeySet?
    private var lastFetchStarted: Date?
    private var inFlight: Task<KeySet, any Error>?

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - configuration: Client id, JWKS URL, timeouts and cache settings.
    ///   - httpClient: A client to use (not shut down by ``shutdown()``). `nil` (the default) creates one
    ///     with the configured connect timeout and no redirects, owned and shut down by this verifier.
    ///   - logger: Receives fetch failures and key counts; never tokens or e-mail addresses.
    ///   - now: The clock, injected so tests can move time instead of sleeping.
    /// - Throws: ``AuthenticationConfigurationError`` for an empty client id, a non-https URL or bad timings.
    public init(
        configuration: Configuration,
        httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "Authentication.GoogleIDTokenVerifier"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws(AuthenticationConfigurationError) {
        try Self.validate(configuration)
        self.configuration = configuration
        self.logger = logger
        self.now = now
        if let httpClient {
            self.http = ManagedHTTPClient(client: httpClient, owned: false)
        } else {
            let clientConfiguration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(
                    connect: configuration.connectTimeout.timeAmount,
                    read: configuration.requestTimeout.timeAmount
                )
            )
            self.http = ManagedHTTPClient(
                client: HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration),
                owned: true
            )
        }
    }

    /// Shuts down the HTTP client if this verifier created it. Verifications after this fail with
    /// ``GoogleTokenError/keysUnavailable(_:)`` once cached keys expire.
    public func shutdown() async {
        await http.shutdown()
    }

    /// Fetches keys now (e.g. at start-up), subject to the same rate limit as any other fetch.
    public func refreshKeys() async throws(GoogleTokenError) {
        guard inFlight != nil || refreshAllowed(at: now()) else {
            throw .keysUnavailable("JWKS refresh rate-limited")
        }
        _ = try await refresh()
    }

    /// Verifies a Google ID token and returns its identity claims.
    ///
    /// - Throws: ``GoogleTokenError/invalidToken(_:)`` for any token problem (401);
    ///   ``GoogleTokenError/keysUnavailable(_:)`` when keys could not be fetched (503).
    public func verify(_ idToken: String) async throws(GoogleTokenError) -> GoogleIdentityClaims {
        let jws: CompactJWS
        do {
            jws = try CompactJWS(parsing: idToken, maximumBytes: Self.maximumTokenBytes)
        } catch {
            switch error {
            case .empty: throw .invalidToken(.empty)
            case .tooLarge: throw .invalidToken(.tooLarge)
            case .malformed: throw .invalidToken(.malformed)
            case .tooDeeplyNested: throw .invalidToken(.tooDeeplyNested)
            }
        }
        let header = jws.header
        guard header.alg == Self.algorithm else {
            throw .invalidToken(CompactJWS.isUnsecuredAlgorithm(header.alg) ? .unsecuredAlgorithm : .algorithmNotAllowed)
        }
        // Google sets typ "JWT"; absent is tolerated (RFC 7515 makes it optional), anything else is not.
        if let typ = header.typ, typ.uppercased() != "JWT" { throw .invalidToken(.wrongType) }
        guard !header.hasCritical else { throw .invalidToken(.criticalHeader) }
        guard let kid = header.kid, !kid.isEmpty, kid.utf8.count <= 256 else { throw .invalidToken(.missingKeyID) }

        let keys = try await keySet(containing: kid)

        let payload: GoogleIDTokenPayload
        do {
            // `kid` is known to be in `keys`, so JWTKit picks exactly that RS256 key.
            payload = try await keys.collection.verify(idToken, as: GoogleIDTokenPayload.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .invalidToken(.badSignature)
        } catch {
            throw .invalidToken(.malformed)
        }
        return try check(payload)
    }

    // MARK: - Claims

    private func check(_ payload: GoogleIDTokenPayload) throws(GoogleTokenError) -> GoogleIdentityClaims {
        guard let issuer = payload.iss else { throw .invalidToken(.missingClaim("iss")) }
        guard Self.acceptedIssuers.contains(issuer) else { throw .invalidToken(.wrongIssuer) }
        guard let audience = payload.aud else { throw .invalidToken(.missingClaim("aud")) }
        // OIDC Core §3.1.3.7: refuse a token that also names audiences we don't trust.
        let audiences = audience.values
        guard !audiences.isEmpty, audiences.allSatisfy({ $0 == configuration.clientID }) else {
            throw .invalidToken(.wrongAudience)
        }
        guard let exp = payload.exp else { throw .invalidToken(.missingClaim("exp")) }
        guard let iat = payload.iat else { throw .invalidToken(.missingClaim("iat")) }
        guard let expiresAt = NumericDate.milliseconds(fromSeconds: exp) else { throw .invalidToken(.invalidClaim("exp")) }
        guard let issuedAt = NumericDate.milliseconds(fromSeconds: iat) else { throw .invalidToken(.invalidClaim("iat")) }

        let now = NumericDate.milliseconds(of: self.now())
        let leeway = Int64(configuration.leewaySeconds) * 1000
        guard now < expiresAt + leeway else { throw .invalidToken(.expired) }
        if let nbf = payload.nbf {
            guard let notBefore = NumericDate.milliseconds(fromSeconds: nbf) else { throw .invalidToken(.invalidClaim("nbf")) }
            guard now + leeway >= notBefore else { throw .invalidToken(.notYetValid) }
        }
        guard issuedAt <= now + leeway else { throw .invalidToken(.issuedInFuture) }

        guard let subject = payload.sub else { throw .invalidToken(.missingClaim("sub")) }
        // Google: "up to 255 ASCII characters".
        guard !subject.isEmpty, subject.utf8.count <= 255 else { throw .invalidToken(.invalidClaim("sub")) }

        guard let rawEmail = payload.email else { throw .invalidToken(.missingClaim("email")) }
        let email = rawEmail.lowercased()
        guard email.utf8.count <= 320, let at = email.lastIndex(of: "@"),
            at != email.startIndex, email.index(after: at) != email.endIndex
        else { throw .invalidToken(.invalidClaim("email")) }

        switch payload.emailVerified {
        case .some(.bool(true)): break
        case .some(.bool(false)), .none: throw .invalidToken(.emailNotVerified)
        case .some(.other): throw .invalidToken(.invalidClaim("email_verified"))
        }

        if let hd = payload.hd, hd.isEmpty { throw .invalidToken(.invalidClaim("hd")) }

        return GoogleIdentityClaims(
            issuer: issuer,
            subject: subject,
            email: email,
            name: payload.name,
            emailVerified: true,
            hostedDomain: payload.hd
        )
    }

    // MARK: - Keys

    /// A fetched key set: one RS256 signer per `kid`, in a JWTKit collection holding nothing else.
    private struct KeySet: Sendable {
        let collection: JWTKeyCollection
        let keyIDs: Set<String>
        let fetchedAt: Date
        let expiresAt: Date
    }

    private func refreshAllowed(at now: Date) -> Bool {
        guard let lastFetchStarted else { return true }
        return now.timeIntervalSince(lastFetchStarted) >= configuration.minimumRefreshInterval.seconds
    }

    private func keySet(containing kid: String) async throws(GoogleTokenError) -> KeySet {
        let now = self.now()
        if let current = keySet, now < current.expiresAt {
            if current.keyIDs.contains(kid) { return current }
            // Google may have rotated keys; but an invented kid must not buy a fetch each time.
            guard inFlight != nil || refreshAllowed(at: now) else { throw .invalidToken(.unknownKeyID) }
        } else {
            // No usable keys: the last fetch failed within the interval. Don't retry yet.
            guard inFlight != nil || refreshAllowed(at: now) else {
                throw .keysUnavailable("no current keys; last JWKS fetch failed, retry after the refresh interval")
            }
        }
        let fresh = try await refresh()
        guard fresh.keyIDs.contains(kid) else { throw .invalidToken(.unknownKeyID) }
        return fresh
    }

    /// Starts a fetch, or joins the one in flight, and installs its result.
    private func refresh() async throws(GoogleTokenError) -> KeySet {
        let task: Task<KeySet, any Error>
        if let inFlight {
            task = inFlight
        } else {
            lastFetchStarted = now()
            fetchCount += 1
            let client = http.client
            let configuration = configuration
            let logger = logger
            let now = now
            task = Task {
                try await Self.fetchKeySet(client: client, configuration: configuration, logger: logger, now: now)
            }
            inFlight = task
        }
        do {
            let fresh = try await task.value
            if inFlight == task { inFlight = nil }
            // A caller resuming late must not replace keys from a newer fetch.
            if keySet.map({ $0.fetchedAt <= fresh.fetchedAt }) ?? true { keySet = fresh }
            return fresh
        } catch {
            if inFlight == task { inFlight = nil }
            let failure = (error as? GoogleTokenError) ?? .keysUnavailable("JWKS fetch failed")
            logger.warning("Google JWKS fetch failed", metadata: ["reason": "\(failure)"])
            throw failure
        }
    }

    private static func fetchKeySet(
        client: HTTPClient,
        configuration: Configuration,
        logger: Logger,
        now: @Sendable () -> Date
    ) async throws(GoogleTokenError) -> KeySet {
        var request = HTTPClientRequest(url: configuration.jwksURL)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")

        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: configuration.requestTimeout.timeAmount, logger: logger)
        } catch {
            throw .keysUnavailable("JWKS request failed: \(error)")
        }
        guard response.status == .ok else {
            throw .keysUnavailable("JWKS endpoint answered HTTP \(response.status.code)")
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: configuration.maximumJWKSBytes)
        } catch {
            throw .keysUnavailable("JWKS body unreadable or over \(configuration.maximumJWKSBytes) bytes: \(error)")
        }

        let keys = try parseJWKS(Data(body.readableBytesView), logger: logger)
        let collection = JWTKeyCollection()
        for (kid, key) in keys {
            // Registered as RS256 explicitly: a JWK without `alg` would otherwise take the algorithm
            // from the first token that names it (and JWTKit caches that choice).
            await collection.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        }

        let lifetime = keyLifetime(
            maxAge: CacheControl.maxAge(response.headers["Cache-Control"]),
            configuration: configuration
        )
        let fetchedAt = now()
        logger.debug("Google JWKS fetched", metadata: ["keys": "\(keys.count)", "lifetime_s": "\(Int(lifetime))"])
        return KeySet(
            collection: collection,
            keyIDs: Set(keys.map { $0.kid }),
            fetchedAt: fetchedAt,
            expiresAt: fetchedAt.addingTimeInterval(lifetime)
        )
    }

    /// `max-age` if given, else the fallback; never below the refresh interval (a key set that
    /// expires before we may fetch again would leave us with none) nor above the maximum.
    static func keyLifetime(maxAge: Int?, configuration: Configuration) -> TimeInterval {
        let wanted = maxAge.map(TimeInterval.init) ?? configuration.fallbackKeyLifetime.seconds
        let lower = max(configuration.minimumRefreshInterval.seconds, 1)
        return min(max(wanted, lower), configuration.maximumKeyLifetime.seconds)
    }

    /// Keeps RSA signing keys usable as RS256 (`kty` RSA, `alg` absent or RS256, `use` absent or `sig`,
    /// at least 2048 bits); skips others. Throws when none is left: then we cannot verify anything.
    static func parseJWKS(_ data: Data, logger: Logger) throws(GoogleTokenError) -> [(kid: String, key: JWTKit.Insecure.RSA.PublicKey)] {
        guard CompactJWS.nestingDepthIsWithin(6, data) else { throw .keysUnavailable("JWKS nested too deeply") }
        let document: JWKSDocument
        do {
            document = try JSONDecoder().decode(JWKSDocument.self, from: data)
        } catch {
            throw .keysUnavailable("JWKS is not a JSON key set")
        }
        var result: [(kid: String, key: JWTKit.Insecure.RSA.PublicKey)] = []
        var seen = Set<String>()
        var skipped = 0
        for jwk in document.keys {
            guard !jwk.isMalformed, jwk.kty == "RSA", jwk.alg == nil || jwk.alg == Self.algorithm, jwk.use == nil || jwk.use == "sig",
                let kid = jwk.kid, !kid.isEmpty, !seen.contains(kid), let n = jwk.n, let e = jwk.e,
                let key = try? JWTKit.Insecure.RSA.PublicKey(modulus: n, exponent: e)
            else {
                skipped += 1
                continue
            }
            seen.insert(kid)
            result.append((kid, key))
        }
        if skipped > 0 { logger.notice("Google JWKS: skipped unusable keys", metadata: ["skipped": "\(skipped)"]) }
        guard !result.isEmpty else { throw .keysUnavailable("JWKS has no usable RS256 key") }
        return result
    }

    private static func validate(_ configuration: Configuration) throws(AuthenticationConfigurationError) {
        guard !configuration.clientID.isEmpty else { throw .emptyClientID }
        guard let url = URL(string: configuration.jwksURL), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else { throw .invalidJWKSURL }
        let loopback: Set<String> = ["127.0.0.1", "localhost", "::1", "[::1]"]
        guard scheme == "https" || (scheme == "http" && loopback.contains(host.lowercased())) else {
            throw .invalidJWKSURL
        }
        guard (0...AccessTokens.maximumLeewaySeconds).contains(configuration.leewaySeconds) else {
            throw .invalidLeeway(seconds: configuration.leewaySeconds)
        }
        let fiveMinutes = Duration.seconds(300)
        let week = Duration.seconds(7 * 86_400)
        guard configuration.connectTimeout > .zero, configuration.connectTimeout <= fiveMinutes else {
            throw .invalidTiming("connect timeout must be in (0, 300] s")
        }
        guard configuration.requestTimeout > .zero, configuration.requestTimeout <= fiveMinutes else {
            throw .invalidTiming("request timeout must be in (0, 300] s")
        }
        guard configuration.minimumRefreshInterval >= .zero, configuration.minimumRefreshInterval <= .seconds(86_400) else {
            throw .invalidTiming("minimum refresh interval must be in [0, 86400] s")
        }
        guard configuration.fallbackKeyLifetime > .zero,
            configuration.fallbackKeyLifetime <= configuration.maximumKeyLifetime,
            configuration.maximumKeyLifetime <= week,
            configuration.minimumRefreshInterval <= configuration.maximumKeyLifetime
        else {
            throw .invalidTiming("need 0 < fallback lifetime <= maximum lifetime <= 7 days, refresh interval <= maximum lifetime")
        }
        guard configuration.maximumJWKSBytes >= 1024, configuration.maximumJWKSBytes <= 16 * 1024 * 1024 else {
            throw .invalidTiming("maximum JWKS size must be 1 KiB to 16 MiB")
        }
    }
}

/// The identity a verified Google ID token asserts.
///
/// Key accounts on (``issuer``, ``subject``), never on the e-mail: e-mails can change hands.
public struct GoogleIdentityClaims: Sendable, Equatable {
    /// The one spelling of Google's issuer we hand out, whichever of the two the token used.
    public static let canonicalIssuer = "https://accounts.google.com"

    /// Always ``canonicalIssuer``, so (`issuer`, `subject`) is a stable account key.
    public let issuer: String
    /// `sub`: Google's stable, unique user id.
    public let subject: String
    /// `email`, lower-cased.
    public let email: String
    /// `name`, if the token carries it (display only; user-controlled).
    public let name: String?
    /// `email_verified`.
    public let emailVerified: Bool
    /// `hd`: the Google Workspace domain of the account, lower-cased, if any.
    public let hostedDomain: String?

    /// Creates claims, normalising the issuer and lower-casing `email` and `hd`.
    public init(issuer: String, subject: String, email: String, name: String?, emailVerified: Bool, hostedDomain: String?) {
        self.issuer = GoogleIDTokenVerifier.acceptedIssuers.contains(issuer) ? Self.canonicalIssuer : issuer
        self.subject = subject
        self.email = email.lowercased()
        self.name = name
        self.emailVerified = emailVerified
        self.hostedDomain = hostedDomain?.lowercased()
    }

    /// Whether Google is authoritative for ``email``, so the identity may be linked to an existing
    /// password account with that e-mail (issue 3): the e-mail is verified and is either a gmail.com
    /// address or in the account's Workspace domain (`hd`). Otherwise a verified e-mail only proves
    /// the address received a mail once, not that this Google account still owns it.
    public var isAuthoritativeForEmail: Bool {
        guard emailVerified, let at = email.lastIndex(of: "@") else { return false }
        let domain = email[email.index(after: at)...]
        if domain == "gmail.com" { return true }
        if let hostedDomain, !hostedDomain.isEmpty, domain == hostedDomain { return true }
        return false
    }
}

/// Why a Google ID token was not accepted.
public enum GoogleTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The token is not a valid Google ID token for this client: answer 401.
    case invalidToken(Reason)
    /// Google's keys could not be obtained (network, HTTP status, bad key set, or a recent failure
    /// within the refresh interval): answer 503; the token itself may be fine.
    case keysUnavailable(String)

    /// The failed check (for logs and tests; never contains token content).
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// Empty string.
        case empty
        /// Longer than ``GoogleIDTokenVerifier/maximumTokenBytes``.
        case tooLarge
        /// Not a compact JWS of JSON objects, or a claim of the wrong JSON type.
        case malformed
        /// JSON nested deeper than a flat claims object.
        case tooDeeplyNested
        /// `alg: none` in any spelling.
        case unsecuredAlgorithm
        /// Any `alg` other than RS256 (HS256 with Google's public key as the secret included).
        case algorithmNotAllowed
        /// A `typ` other than "JWT".
        case wrongType
        /// A `crit` header parameter.
        case criticalHeader
        /// No `kid` header (Google always sends one).
        case missingKeyID
        /// A `kid` not in Google's current key set (after the allowed refresh).
        case unknownKeyID
        /// The RSA signature does not verify with the key named by `kid`.
        case badSignature
        /// `iss` is not Google.
        case wrongIssuer
        /// `aud` is not (only) our client id.
        case wrongAudience
        /// `exp` plus leeway has passed.
        case expired
        /// `nbf` minus leeway is in the future.
        case notYetValid
        /// `iat` is further in the future than the leeway.
        case issuedInFuture
        /// `email_verified` is false or absent.
        case emailNotVerified
        /// A required claim is absent.
        case missingClaim(String)
        /// A claim has an impossible value.
        case invalidClaim(String)

        /// A short fixed label.
        public var description: String { label }
    }

    /// True when the failure is on our side or Google's (503), not the token's (401).
    public var isTemporary: Bool {
        if case .keysUnavailable = self { return true }
        return false
    }

    /// Safe to log.
    public var description: String {
        switch self {
        case .invalidToken(let reason): "Google ID token rejected: \(reason)"
        case .keysUnavailable(let why): "Google keys unavailable: \(why)"
        }
    }
}

extension GoogleTokenError.Reason {
    fileprivate var label: String {
        switch self {
        case .empty: "empty"
        case .tooLarge: "tooLarge"
        case .malformed: "malformed"
        case .tooDeeplyNested: "tooDeeplyNested"
        case .unsecuredAlgorithm: "unsecuredAlgorithm"
        case .algorithmNotAllowed: "algorithmNotAllowed"
        case .wrongType: "wrongType"
        case .criticalHeader: "criticalHeader"
        case .missingKeyID: "missingKeyID"
        case .unknownKeyID: "unknownKeyID"
        case .badSignature: "badSignature"
        case .wrongIssuer: "wrongIssuer"
        case .wrongAudience: "wrongAudience"
        case .expired: "expired"
        case .notYetValid: "notYetValid"
        case .issuedInFuture: "issuedInFuture"
        case .emailNotVerified: "emailNotVerified"
        case .missingClaim(let claim): "missingClaim (\(claim))"
        case .invalidClaim(let claim): "invalidClaim (\(claim))"
        }
    }
}

// MARK: - Wire types

/// Google ID token claims as sent; all optional so absence is reported by name.
struct GoogleIDTokenPayload: JWTPayload {
    var iss: String?
    var aud: AudienceValue?
    var sub: String?
    var exp: Double?
    var iat: Double?
    var nbf: Double?
    var email: String?
    var emailVerified: LenientBool?
    var name: String?
    var hd: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        iss = try container.decodeIfPresent(String.self, forKey: JSONKey("iss"))
        aud = try container.decodeIfPresent(AudienceValue.self, forKey: JSONKey("aud"))
        sub = try container.decodeIfPresent(String.self, forKey: JSONKey("sub"))
        exp = try container.decodeIfPresent(Double.self, forKey: JSONKey("exp"))
        iat = try container.decodeIfPresent(Double.self, forKey: JSONKey("iat"))
        nbf = try container.decodeIfPresent(Double.self, forKey: JSONKey("nbf"))
        email = try container.decodeIfPresent(String.self, forKey: JSONKey("email"))
        emailVerified = try container.decodeIfPresent(LenientBool.self, forKey: JSONKey("email_verified"))
        name = try container.decodeIfPresent(String.self, forKey: JSONKey("name"))
        hd = try container.decodeIfPresent(String.self, forKey: JSONKey("hd"))
    }

    /// Never used: we only verify Google tokens, and JWTPayload requires Encodable.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSONKey.self)
        try container.encodeIfPresent(iss, forKey: JSONKey("iss"))
        try container.encodeIfPresent(sub, forKey: JSONKey("sub"))
    }

    /// Claims are checked by the verifier with its injected clock (JWTKit's own Google payload
    /// checks `exp` against the wall clock with no leeway).
    func verify(using _: some JWTAlgorithm) async throws {}
}

/// `email_verified` is a JSON boolean, but Google has sent the string "true"; accept both.
enum LenientBool: Decodable, Equatable {
    case bool(Bool)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let text = try? container.decode(String.self), text == "true" || text == "false" {
            self = .bool(text == "true")
        } else {
            self = .other
        }
    }
}

private struct JWKSDocument: Decodable {
    let keys: [LenientJWK]
}

/// One JWK with every member optional, decoded without throwing, so one odd key does not make the
/// whole set unreadable. A member of the wrong type marks the key malformed (and it is skipped):
/// treated as absent, an `"alg": ["RS512"]` or `"use": 1` would pass the "absent or RS256/sig" check.
private struct LenientJWK: Decodable {
    let kty: String?
    let kid: String?
    let alg: String?
    let use: String?
    let n: String?
    let e: String?
    let isMalformed: Bool

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        var isMalformed = false
        func string(_ name: String) -> String? {
            do {
                return try container.decodeIfPresent(String.self, forKey: JSONKey(name))
            } catch {
                isMalformed = true
                return nil
            }
        }
        kty = string("kty")
        kid = string("kid")
        alg = string("alg")
        use = string("use")
        n = string("n")
        e = string("e")
        self.isMalformed = isMalformed
    }
}

/// The simple subset of Cache-Control we honour: `max-age=<seconds>`, unless `no-store`/`no-cache`.
enum CacheControl {
    static func maxAge(_ values: [String]) -> Int? {
        var maxAge: Int?
        for value in values {
            for directive in value.split(separator: ",") {
                let parts = directive.split(separator: "=", maxSplits: 1).map {
                    $0.trimmingCharacters(in: .whitespaces).lowercased()
                }
                guard let name = parts.first else { continue }
                switch name {
                case "no-store", "no-cache": return nil
                case "max-age":
                    guard parts.count == 2, let seconds = Int(parts[1]), seconds >= 0 else { return nil }
                    maxAge = seconds
                default: continue
                }
            }
        }
        return maxAge
    }
}

/// Owns (or borrows) the HTTP client. An owned client left running at deinit is shut down there,
/// asynchronously, instead of hitting AsyncHTTPClient's debug-build precondition.
final class ManagedHTTPClient: Sendable {
    let client: HTTPClient
    private let owned: Bool
    private let isShutDown = Mutex(false)

    init(client: HTTPClient, owned: Bool) {
        self.client = client
        self.owned = owned
    }

    func shutdown() async {
        guard owned, isShutDown.withLock({ shutDown in defer { shutDown = true }; return !shutDown }) else { return }
        try? await client.shutdown()
    }

    deinit {
        if owned, !isShutDown.withLock({ $0 }) {
            client.shutdown { _ in }
        }
    }
}

extension Duration {
    fileprivate var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    fileprivate var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
