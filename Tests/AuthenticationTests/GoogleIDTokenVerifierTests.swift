@testable import Authentication
import AuthTestSupport
import Foundation
import JWTKit
import Logging
import Testing

/// Google ID tokens: real RS256 tokens signed with the committed test keys, verified against a JWKS
/// served by a real local HTTP server (Hummingbird 2 on a loopback port).
@Suite struct GoogleIDTokenVerifierTests {
    static let clientID = "1234567890-test.apps.googleusercontent.com"
    /// 2026-01-01T00:00:00Z
    static let t0: Int64 = 1_767_225_600_000

    static func claims(at milliseconds: Int64 = t0) -> [String: JSONValue] {
        [
            "iss": "accounts.google.com",
            "azp": .string(clientID),
            "aud": .string(clientID),
            "sub": "110169484474386276334",
            "email": "Alice.Example@Gmail.com",
            "email_verified": true,
            "name": "Alice Example",
            "iat": .seconds(milliseconds: milliseconds),
            "exp": .seconds(milliseconds: milliseconds + 3_600_000),
        ]
    }

    /// Signs like Google does: RS256, `kid` and `typ: JWT` in the header.
    static func sign(
        _ claims: [String: JSONValue] = claims(),
        key: String = "google-test-key-1",
        kid: String = "key-1",
        extraHeader: [String: JWTHeaderField] = [:]
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(rsa: try TestKeys.privateKey(key), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        var header = JWTHeader(fields: extraHeader)
        header.typ = "JWT"
        return try await keys.sign(ClaimsPayload(claims), kid: JWKIdentifier(string: kid), header: header)
    }

    static func key1JWKS() throws -> String { TestKeys.jwks([try TestKeys.jwk("google-test-key-1", kid: "key-1")]) }
    static func bothKeysJWKS() throws -> String {
        TestKeys.jwks([
            try TestKeys.jwk("google-test-key-1", kid: "key-1"),
            try TestKeys.jwk("google-test-key-2", kid: "key-2", alg: nil),  // Google sometimes omits alg
        ])
    }

    let clock = TestClock(secondsSince1970: Double(GoogleIDTokenVerifierTests.t0) / 1000 + 5)

    func makeVerifier(
        url: String,
        leewaySeconds: Int = 30,
        minimumRefreshInterval: Duration = .seconds(30)
    ) throws -> GoogleIDTokenVerifier {
        try GoogleIDTokenVerifier(
            configuration: .init(
                clientID: Self.clientID,
                jwksURL: url,
                leewaySeconds: leewaySeconds,
                connectTimeout: .seconds(2),
                requestTimeout: .seconds(5),
                minimumRefreshInterval: minimumRefreshInterval
            ),
            logger: Self.quietLogger,
            now: clock.now
        )
    }

    /// Fetch failures are expected in these tests; keep them out of the output.
    static let quietLogger: Logger = {
        var logger = Logger(label: "google-verifier-test")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs `body` with a verifier pointed at a local JWKS server serving `jwks`; shuts everything down.
    func withVerifier(
        jwks: String,
        cacheControl: String? = "public, max-age=3600",
        _ body: @Sendable (GoogleIDTokenVerifier, JWKSEndpoint) async throws -> Void
    ) async throws {
        try await Self.withVerifier(on: JWKSEndpoint(jwks: jwks, cacheControl: cacheControl), make: { try makeVerifier(url: $0) }, body)
    }

    /// Serves `endpoint` and runs `body` with the verifier `make` builds for its URL, shutting the
    /// verifier down however `body` ends.
    static func withVerifier(
        on endpoint: JWKSEndpoint, make: @Sendable (_ jwksURL: String) throws -> GoogleIDTokenVerifier,
        _ body: @Sendable (GoogleIDTokenVerifier, JWKSEndpoint) async throws -> Void
    ) async throws {
        try await endpoint.run { url in
            let verifier = try make(url)
            do {
                try await body(verifier, endpoint)
            } catch {
                await verifier.shutdown()
                throw error
            }
            await verifier.shutdown()
        }
    }

    static func expectInvalid(
        _ verifier: GoogleIDTokenVerifier,
        _ token: String,
        _ reason: GoogleTokenError.Reason,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            let claims = try await verifier.verify(token)
            Issue.record("accepted a token that should fail with \(reason): \(claims.subject)", sourceLocation: sourceLocation)
        } catch {
            #expect(error == .invalidToken(reason), sourceLocation: sourceLocation)
            #expect(!error.isTemporary, sourceLocation: sourceLocation)
        }
    }

    // MARK: - Accepted

    @Test func validTokenIsAccepted() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, endpoint in
            let claims = try await verifier.verify(try await Self.sign())
            #expect(claims.issuer == "https://accounts.google.com")  // normalised
            #expect(claims.subject == "110169484474386276334")
            #expect(claims.email == "alice.example@gmail.com")  // lower-cased
            #expect(claims.name == "Alice Example")
            #expect(claims.emailVerified)
            #expect(claims.hostedDomain == nil)
            #expect(claims.isAuthoritativeForEmail)
            #expect(endpoint.requestCount == 1)

            // Cached: a second token costs no request.
            _ = try await verifier.verify(try await Self.sign())
            #expect(endpoint.requestCount == 1)
            #expect(await verifier.fetchCount == 1)
        }
    }

    @Test func bothIssuerSpellingsAreAccepted() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, _ in
            var claims = Self.claims()
            claims["iss"] = "https://accounts.google.com"
            let token = try await Self.sign(claims)
            let identity = try await verifier.verify(token)
            #expect(identity.issuer == GoogleIdentityClaims.canonicalIssuer)
        }
    }

    @Test func emailVerifiedMayBeTheStringTrue() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, _ in
            var claims = Self.claims()
            claims["email_verified"] = "true"
            let token = try await Self.sign(claims)
            let identity = try await verifier.verify(token)
            #expect(identity.emailVerified)
        }
    }

    @Test func workspaceAccountIsAuthoritativeForItsDomain() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, _ in
            var claims = Self.claims()
            claims["email"] = "Bob@Example.COM"
            claims["hd"] = "example.com"
            let identity = try await verifier.verify(try await Self.sign(claims))
            #expect(identity.hostedDomain == "example.com")
            #expect(identity.isAuthoritativeForEmail)

            claims["email"] = "bob@other.org"  // a Workspace account with an outside e-mail
            let outside = try await verifier.verify(try await Self.sign(claims))
            #expect(!outside.isAuthoritativeForEmail)

            claims["hd"] = nil  // a consumer account with a non-gmail e-mail
            let consumer = try await verifier.verify(try await Self.sign(claims))
            #expect(!consumer.isAuthoritativeForEmail)
        }
    }

    // MARK: - Claims

    @Test func claimFailuresAreRejected() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, _ in
            let cases: [(String, JSONValue?, GoogleTokenError.Reason)] = [
                ("iss", "https://evil.example", .wrongIssuer),
                ("iss", "accounts.google.com.evil.example", .wrongIssuer),
                ("iss", "http://accounts.google.com", .wrongIssuer),
                ("iss", nil, .missingClaim("iss")),
                ("aud", "someone-else.apps.googleusercontent.com", .wrongAudience),
                ("aud", [.string(Self.clientID), "someone-else.apps.googleusercontent.com"], .wrongAudience),
                ("aud", nil, .missingClaim("aud")),
                ("sub", nil, .missingClaim("sub")),
                ("sub", "", .invalidClaim("sub")),
                ("email", nil, .missingClaim("email")),
                ("email", "not-an-email", .invalidClaim("email")),
                ("email_verified", false, .emailNotVerified),
                ("email_verified", "false", .emailNotVerified),
                ("email_verified", nil, .emailNotVerified),
                ("email_verified", 1, .invalidClaim("email_verified")),
                ("exp", nil, .missingClaim("exp")),
                ("exp", "soon", .malformed),
                ("exp", .number(1e300), .invalidClaim("exp")),
                ("iat", nil, .missingClaim("iat")),
                ("hd", "", .invalidClaim("hd")),
            ]
            for (name, value, reason) in cases {
                var claims = Self.claims()
                claims[name] = value
                await Self.expectInvalid(verifier, try await Self.sign(claims), reason)
            }
            var claims = Self.claims()
            claims["aud"] = [.string(Self.clientID)]
            _ = try await verifier.verify(try await Self.sign(claims))
        }
    }

    @Test func timeChecksUseTheLeeway() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, _ in
            let token = try await Self.sign()
            let exp = Self.t0 + 3_600_000
            clock.set(milliseconds: exp + 30_000 - 1)
            _ = try await verifier.verify(token)
            clock.set(milliseconds: exp + 30_000)
            await Self.expectInvalid(verifier, token, .expired)

            var claims = Self.claims()
            claims["nbf"] = .seconds(milliseconds: Self.t0 + 60_000)
            let early = try await Self.sign(claims)
            clock.set(milliseconds: Self.t0 + 30_000)
            _ = try await verifier.verify(early)
            clock.set(milliseconds: Self.t0 + 29_999)
            await Self.expectInvalid(verifier, early, .notYetValid)

            let future = try await Self.sign(Self.claims(at: Self.t0 + 31_000))
            clock.set(milliseconds: Self.t0)
            await Self.expectInvalid(verifier, future, .issuedInFuture)
        }
    }

    // MARK: - Keys and algorithms

    @Test func attackerKeyWithGooglesKidIsRejected() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, _ in
            await Self.expectInvalid(verifier, try await Self.sign(key: "attacker-key", kid: "key-1"), .badSignature)
            // Embedding the attacker's key or pointing at its URL changes nothing.
            let attackerJWK = try TestKeys.jwk("attacker-key", kid: "key-1")
            guard case .object(let jwk) = attackerJWK else { return }
            let header: [String: JWTHeaderField] = [
                "jwk": .object(jwk.mapValues { value -> JWTHeaderField in if case .string(let s) = value { .string(s) } else { .null } }),
                "jku": "http://127.0.0.1:9/attacker-jwks.json",
                "x5u": "http://127.0.0.1:9/attacker.pem",
            ]
            await Self.expectInvalid(verifier, try await Self.sign(key: "attacker-key", kid: "key-1", extraHeader: header), .badSignature)
        }
    }

    @Test func otherAlgorithmsAreRejected() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, endpoint in
            let publicPEM = try TestKeys.privateKey("google-test-key-1").publicKey.pemRepresentation
            // HS256 with Google's public key as the HMAC secret (the RS256/HS256 confusion attack).
            let confused = TokenForge.token(
                header: ["alg": "HS256", "typ": "JWT", "kid": "key-1"], payload: Self.claims(),
                signature: .hmacSHA256(Array(publicPEM.utf8)))
            await Self.expectInvalid(verifier, confused, .algorithmNotAllowed)

            for alg in ["none", "NONE", "None"] {
                let unsigned = TokenForge.token(
                    header: ["alg": .string(alg), "typ": "JWT", "kid": "key-1"], payload: Self.claims(), signature: .none)
                await Self.expectInvalid(verifier, unsigned, .unsecuredAlgorithm)
            }

            // RS512 and PS256 with Google's own key are still not RS256.
            let keys = JWTKeyCollection()
            await keys.add(rsa: try TestKeys.privateKey("google-test-key-1"), digestAlgorithm: .sha512, kid: "key-1")
            await keys.add(pss: try TestKeys.privateKey("google-test-key-1"), digestAlgorithm: .sha256, kid: "pss")
            let rs512 = try await keys.sign(ClaimsPayload(Self.claims()), kid: "key-1")
            await Self.expectInvalid(verifier, rs512, .algorithmNotAllowed)
            let ps256 = try await keys.sign(ClaimsPayload(Self.claims()), kid: "pss")
            await Self.expectInvalid(verifier, ps256, .algorithmNotAllowed)

            // None of these was worth a key fetch.
            #expect(endpoint.requestCount == 0)
        }
    }

    @Test func headerProblemsAreRejected() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, _ in
            let signed = try await Self.sign()
            let parts = signed.split(separator: ".")
            func withHeader(_ header: [String: JSONValue]) -> String {
                "\(TokenForge.base64URL(TokenForge.json(header))).\(parts[1]).\(parts[2])"
            }
            await Self.expectInvalid(verifier, withHeader(["alg": "RS256", "typ": "JWT"]), .missingKeyID)
            await Self.expectInvalid(verifier, withHeader(["alg": "RS256", "typ": "JWT", "kid": ""]), .missingKeyID)
            await Self.expectInvalid(verifier, withHeader(["alg": "RS256", "typ": "at+jwt", "kid": "key-1"]), .wrongType)
            await Self.expectInvalid(verifier, withHeader(["alg": "RS256", "kid": "key-1", "crit": ["b64"], "b64": false]), .criticalHeader)
            // The header is part of the signed input: even an innocuous change breaks the signature.
            await Self.expectInvalid(verifier, withHeader(["alg": "RS256", "kid": "key-1"]), .badSignature)
        }
    }

    @Test func garbageIsRejectedWithoutFetchingKeys() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, endpoint in
            await Self.expectInvalid(verifier, "", .empty)
            await Self.expectInvalid(verifier, "garbage", .malformed)
            await Self.expectInvalid(verifier, "a.b.c", .malformed)
            await Self.expectInvalid(verifier, "🙂.🙂.🙂", .malformed)
            await Self.expectInvalid(verifier, String(repeating: "A", count: 9_000), .tooLarge)
            let deep = String(repeating: "[", count: 1_500) + String(repeating: "]", count: 1_500)
            await Self.expectInvalid(
                verifier,
                TokenForge.token(
                    headerJSON: TokenForge.json(["alg": "RS256", "kid": "key-1"]), payloadJSON: Array("{\"a\":\(deep)}".utf8),
                    signature: .raw([1, 2, 3])),
                .tooDeeplyNested)
            // One of our own access tokens is not a Google ID token.
            let accessTokens = try await AccessTokens(
                secret: Array(repeating: 1, count: 32), configuration: .init(issuer: "booking-engine", audience: Self.clientID))
            await Self.expectInvalid(verifier, try await accessTokens.issue(subject: "1", role: "user").token, .algorithmNotAllowed)
            #expect(endpoint.requestCount == 0)
        }
    }

    // MARK: - Key rotation, caching, rate limiting

    /// Google rotates: a token names a key the cache doesn't have. Exactly one refetch, then success.
    @Test func unknownKidTriggersExactlyOneRefetch() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, endpoint in
            _ = try await verifier.verify(try await Self.sign())
            #expect(endpoint.requestCount == 1)

            // Later (past the refresh interval, well within max-age) Google starts signing with a new key.
            clock.advance(seconds: 60)
            endpoint.serve { $0.body = try! Self.bothKeysJWKS() }
            let rotated = try await Self.sign(key: "google-test-key-2", kid: "key-2")
            let claims = try await verifier.verify(rotated)
            #expect(claims.subject == "110169484474386276334")
            #expect(endpoint.requestCount == 2)

            // Both keys are now cached.
            _ = try await verifier.verify(rotated)
            _ = try await verifier.verify(try await Self.sign())
            #expect(endpoint.requestCount == 2)
        }
    }

    /// Invented kids cost at most one fetch per refresh interval, sequentially or concurrently.
    @Test func bogusKidFloodIsRateLimited() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, endpoint in
            _ = try await verifier.verify(try await Self.sign())
            #expect(endpoint.requestCount == 1)

            // Within the interval since the last fetch: no fetch at all.
            for index in 0..<20 {
                await Self.expectInvalid(verifier, try await Self.sign(key: "attacker-key", kid: "bogus-\(index)"), .unknownKeyID)
            }
            #expect(endpoint.requestCount == 1)

            // After the interval: one fetch for the whole concurrent flood.
            clock.advance(seconds: 30)
            let tokens = try await (0..<50).asyncMap { try await Self.sign(key: "attacker-key", kid: "flood-\($0)") }
            await withTaskGroup(of: Void.self) { group in
                for token in tokens {
                    group.addTask { await Self.expectInvalid(verifier, token, .unknownKeyID) }
                }
            }
            #expect(endpoint.requestCount == 2)

            // Genuine tokens keep working throughout.
            _ = try await verifier.verify(try await Self.sign())
            #expect(endpoint.requestCount == 2)
        }
    }

    /// A rotated-in key that appears while refreshes are rate-limited is picked up once the interval passes.
    @Test func rotationDuringTheRateLimitIsPickedUpAfterIt() async throws {
        try await withVerifier(jwks: try Self.key1JWKS()) { verifier, endpoint in
            _ = try await verifier.verify(try await Self.sign())
            let rotated = try await Self.sign(key: "google-test-key-2", kid: "key-2")
            clock.advance(seconds: 30)
            await Self.expectInvalid(verifier, rotated, .unknownKeyID)  // refetched, not there yet
            #expect(endpoint.requestCount == 2)

            endpoint.serve { $0.body = try! Self.bothKeysJWKS() }
            await Self.expectInvalid(verifier, rotated, .unknownKeyID)  // rate-limited: no fetch
            #expect(endpoint.requestCount == 2)

            clock.advance(seconds: 30)
            _ = try await verifier.verify(rotated)
            #expect(endpoint.requestCount == 3)
        }
    }

    @Test func cacheHonoursMaxAge() async throws {
        try await withVerifier(jwks: try Self.key1JWKS(), cacheControl: "public, max-age=600, must-revalidate, no-transform") {
            verifier, endpoint in
            let token = try await Self.sign()
            _ = try await verifier.verify(token)
            clock.advance(seconds: 599)
            _ = try await verifier.verify(token)
            #expect(endpoint.requestCount == 1)
            clock.advance(seconds: 1)
            _ = try await verifier.verify(token)
            #expect(endpoint.requestCount == 2)
        }
    }

    @Test func cacheFallsBackToFixedLifetimeWithoutMaxAge() async throws {
        for cacheControl in [nil, "no-cache", "max-age=soon", "private"] as [String?] {
            clock.set(milliseconds: Self.t0 + 5_000)
            try await withVerifier(jwks: try Self.key1JWKS(), cacheControl: cacheControl) { verifier, endpoint in
                let token = try await Self.sign()
                _ = try await verifier.verify(token)
                clock.advance(seconds: 3_599)
                _ = try await verifier.verify(token)
                #expect(endpoint.requestCount == 1)
                clock.advance(seconds: 1)
                _ = try await verifier.verify(token)
                #expect(endpoint.requestCount == 2)
            }
        }
    }

    @Test func cacheLifetimeIsClamped() {
        let configuration = GoogleIDTokenVerifier.Configuration(clientID: "x")
        #expect(GoogleIDTokenVerifier.keyLifetime(maxAge: 0, configuration: configuration) == 30)
        #expect(GoogleIDTokenVerifier.keyLifetime(maxAge: 20_000, configuration: configuration) == 20_000)
        #expect(GoogleIDTokenVerifier.keyLifetime(maxAge: 10_000_000, configuration: configuration) == 86_400)
        #expect(GoogleIDTokenVerifier.keyLifetime(maxAge: nil, configuration: configuration) == 3_600)
        #expect(CacheControl.maxAge(["public, max-age=19258, must-revalidate, no-transform"]) == 19_258)
        #expect(CacheControl.maxAge(["Max-Age = 60"]) == 60)
        #expect(CacheControl.maxAge(["max-age=60, no-store"]) == nil)
        #expect(CacheControl.maxAge(["max-age=-1"]) == nil)
        #expect(CacheControl.maxAge([]) == nil)
    }

    // MARK: - Key endpoint failures (503, not 401)

    @Test func serverDownIsKeysUnavailable() async throws {
        // Nothing listens on port 1 (a just-closed ephemeral port could be reused by a parallel test).
        let verifier = try makeVerifier(url: "http://127.0.0.1:1/oauth2/v3/certs")
        let token = try await Self.sign()
        do {
            _ = try await verifier.verify(token)
            Issue.record("verified without keys")
        } catch {
            if case .keysUnavailable = error {} else { Issue.record("expected keysUnavailable, got \(error)") }
            #expect(error.isTemporary)
        }
        // Within the refresh interval it fails fast, without another attempt.
        await #expect(throws: GoogleTokenError.keysUnavailable("no current keys; last JWKS fetch failed, retry after the refresh interval")) {
            _ = try await verifier.verify(token)
        }
        #expect(await verifier.fetchCount == 1)
        await verifier.shutdown()
    }

    @Test func badEndpointRepliesAreKeysUnavailableAndRecover() async throws {
        let endpoint = JWKSEndpoint(JWKSEndpoint.Reply(status: 500, body: "oops"))
        try await endpoint.run { url in
            let verifier = try makeVerifier(url: url)
            let token = try await Self.sign()
            let weakKey = JSONValue.object([
                "kty": "RSA", "kid": "key-1", "alg": "RS256",
                "n": .string(TokenForge.base64URL([0xC5] + [UInt8](repeating: 0x11, count: 127))), "e": "AQAB",
            ])
            let replies: [(Int, String)] = [
                (500, "oops"),
                (200, "not json"),
                (200, "{\"keys\": []}"),
                (200, TestKeys.jwks([["kty": "EC", "kid": "key-1", "crv": "P-256", "x": "AA", "y": "AA"]])),
                (200, TestKeys.jwks([weakKey])),  // 1024-bit RSA is refused
                (200, TestKeys.jwks([try TestKeys.jwk("google-test-key-1", kid: "key-1", alg: "RS512")])),
                (200, String(repeating: "[", count: 100_000)),
                (200, "{\"keys\": " + String(repeating: " ", count: 300 * 1024) + "[]}"),  // over the size limit
            ]
            for (status, body) in replies {
                endpoint.serve {
                    $0.status = status
                    $0.body = body
                }
                do {
                    _ = try await verifier.verify(token)
                    Issue.record("verified with a bad key set (\(status))")
                } catch let error as GoogleTokenError {
                    #expect(error.isTemporary, "\(status) \(body.prefix(40)): \(error)")
                }
                clock.advance(seconds: 30)
            }
            #expect(endpoint.requestCount == replies.count)

            // The endpoint recovers, and so do we. A set mixing one bad key with a good one is usable.
            endpoint.serve {
                $0.status = 200
                $0.body = TestKeys.jwks([["kty": "EC", "kid": "ec"], weakKey, try! TestKeys.jwk("google-test-key-1", kid: "key-1")])
            }
            _ = try await verifier.verify(token)
            await verifier.shutdown()
        }
    }

    // MARK: - Configuration

    @Test func invalidConfigurationIsRefused() {
        func attempt(_ configuration: GoogleIDTokenVerifier.Configuration) -> AuthenticationConfigurationError? {
            do {
                let verifier = try GoogleIDTokenVerifier(configuration: configuration)
                Task { await verifier.shutdown() }
                return nil
            } catch {
                return error
            }
        }
        #expect(attempt(.init(clientID: "")) == .emptyClientID)
        #expect(attempt(.init(clientID: "x", jwksURL: "http://www.googleapis.com/oauth2/v3/certs")) == .invalidJWKSURL)
        #expect(attempt(.init(clientID: "x", jwksURL: "ftp://localhost/certs")) == .invalidJWKSURL)
        #expect(attempt(.init(clientID: "x", jwksURL: "not a url")) == .invalidJWKSURL)
        #expect(attempt(.init(clientID: "x", leewaySeconds: 61)) == .invalidLeeway(seconds: 61))
        if case .invalidTiming = attempt(.init(clientID: "x", connectTimeout: .zero)) {} else { Issue.record("zero connect timeout") }
        #expect(attempt(.init(clientID: "x")) == nil)
        #expect(attempt(.init(clientID: "x", jwksURL: "http://127.0.0.1:8080/certs")) == nil)
    }

    // MARK: - Authoritative e-mail rules

    @Test func authoritativeRules() {
        func claims(_ email: String, verified: Bool = true, hd: String? = nil) -> GoogleIdentityClaims {
            GoogleIdentityClaims(issuer: "accounts.google.com", subject: "1", email: email, name: nil, emailVerified: verified, hostedDomain: hd)
        }
        #expect(claims("alice@gmail.com").isAuthoritativeForEmail)
        #expect(claims("Alice@GMAIL.com").isAuthoritativeForEmail)
        #expect(claims("bob@example.com", hd: "example.com").isAuthoritativeForEmail)
        #expect(claims("bob@Example.com", hd: "EXAMPLE.COM").isAuthoritativeForEmail)
        #expect(!claims("bob@example.com").isAuthoritativeForEmail)  // no hd, not gmail
        #expect(!claims("bob@other.com", hd: "example.com").isAuthoritativeForEmail)  // hd mismatch
        #expect(!claims("bob@sub.example.com", hd: "example.com").isAuthoritativeForEmail)
        #expect(!claims("alice@gmail.com", verified: false).isAuthoritativeForEmail)  // unverified
        #expect(!claims("bob@example.com", verified: false, hd: "example.com").isAuthoritativeForEmail)
        #expect(!claims("alice@gmail.com.evil.example").isAuthoritativeForEmail)
        #expect(!claims("alice@evilgmail.com").isAuthoritativeForEmail)
        #expect(!claims("gmail.com").isAuthoritativeForEmail)
        #expect(claims("x", hd: nil).issuer == "https://accounts.google.com")
    }

    @Test func errorDescriptionsAreSafeToLog() {
        #expect(GoogleTokenError.invalidToken(.missingClaim("email")).description == "Google ID token rejected: missingClaim (email)")
        #expect(GoogleTokenError.invalidToken(.badSignature).description == "Google ID token rejected: badSignature")
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
