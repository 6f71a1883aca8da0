import AuthTestSupport
import Authentication
import Crypto
import Foundation
import JWTKit
import Testing

/// Access tokens: issuing, the round trip, and every rejection RFC 8725 and issue 3 list.
@Suite struct AccessTokensTests {
    static let secret = Array("test-only-secret-0123456789-abcdefghij".utf8)  // 37 bytes
    static let otherSecret = Array("another-test-secret-0123456789-abcdefgh".utf8)
    static let configuration = AccessTokens.Configuration(issuer: "booking-engine", audience: "booking-engine-api")
    /// 2026-01-01T00:00:00.250Z: a fraction on purpose, to see milliseconds survive.
    static let t0: Int64 = 1_767_225_600_250

    let clock = TestClock(secondsSince1970: Double(AccessTokensTests.t0) / 1000)

    func makeTokens(_ configuration: AccessTokens.Configuration = AccessTokensTests.configuration) async throws -> AccessTokens {
        try await AccessTokens(secret: Self.secret, configuration: configuration, now: clock.now)
    }

    /// Claims as our issuer writes them, at `t0`, for tokens the tests forge and alter.
    static func validClaims(at milliseconds: Int64 = t0) -> [String: JSONValue] {
        [
            "sub": "42", "role": "user", "iss": "booking-engine", "aud": "booking-engine-api",
            "iat": .seconds(milliseconds: milliseconds), "nbf": .seconds(milliseconds: milliseconds),
            "exp": .seconds(milliseconds: milliseconds + 3_600_000),
            "jti": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        ]
    }

    static let validHeader: [String: JSONValue] = ["alg": "HS256", "typ": "JWT"]

    static func forged(
        header: [String: JSONValue] = validHeader,
        claims: [String: JSONValue] = validClaims(),
        signature: TokenForge.Signature = .hmacSHA256(secret)
    ) -> String {
        TokenForge.token(header: header, payload: claims, signature: signature)
    }

    /// Asserts that verification throws exactly `reason` (and `claim`, if given).
    func expectRejected(
        _ token: String,
        _ reason: AccessTokenError.Reason,
        claim: String? = nil,
        tokens: AccessTokens? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let verifier: AccessTokens
        if let tokens { verifier = tokens } else { verifier = try await makeTokens() }
        do {
            let verified = try await verifier.verify(token)
            Issue.record("accepted a token that should fail with \(reason): \(verified)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.reason == reason, sourceLocation: sourceLocation)
            if let claim { #expect(error.claim == claim, sourceLocation: sourceLocation) }
        }
    }

    // MARK: - Round trip and format

    @Test func roundTrip() async throws {
        let tokens = try await makeTokens()
        let issued = try await tokens.issue(subject: "42", role: "facilitator")
        let verified = try await tokens.verify(issued.token)
        #expect(verified.subject == "42")
        #expect(verified.role == "facilitator")
        #expect(verified.issuedAtMilliseconds == Self.t0)
        #expect(verified.tokenID == issued.tokenID)
        #expect(verified.expiresAt == issued.expiresAt)
        #expect(issued.issuedAtMilliseconds == Self.t0)
    }

    @Test func issuedTokenHasPinnedHeaderAndAllClaims() async throws {
        let tokens = try await makeTokens()
        let issued = try await tokens.issue(subject: "42", role: "user")
        let header = try #require(TokenForge.decodeSegment(issued.token, index: 0))
        #expect(header == ["alg": "HS256", "typ": "JWT"])  // and no "kid": null
        let claims = try #require(TokenForge.decodeSegment(issued.token, index: 1))
        #expect(Set(claims.keys) == ["sub", "role", "iss", "aud", "iat", "nbf", "exp", "jti"])
        #expect(claims["sub"] == "42")
        #expect(claims["role"] == "user")
        #expect(claims["iss"] == "booking-engine")
        #expect(claims["aud"] == "booking-engine-api")
        // Sub-second precision on the wire: 1767225600.25, not 1767225600.
        #expect(claims["iat"] == .number(1_767_225_600.25))
        #expect(claims["nbf"] == claims["iat"])
        #expect(claims["exp"] == .number(1_767_225_600.25 + 24 * 3600))
        if case .string(let jti) = claims["jti"] { #expect(UUID(uuidString: jti) == issued.tokenID) } else { Issue.record("jti") }
    }

    @Test func everyTokenGetsItsOwnID() async throws {
        let tokens = try await makeTokens()
        let a = try await tokens.issue(subject: "1", role: "user")
        let b = try await tokens.issue(subject: "1", role: "user")
        #expect(a.tokenID != b.tokenID)
        #expect(a.token != b.token)
    }

    @Test func configuredKeyIDIsWrittenAndRequired() async throws {
        var configuration = Self.configuration
        configuration.keyID = "2026-01"
        let tokens = try await makeTokens(configuration)
        let issued = try await tokens.issue(subject: "42", role: "user")
        #expect(TokenForge.decodeSegment(issued.token, index: 0)?["kid"] == "2026-01")
        _ = try await tokens.verify(issued.token)

        try await expectRejected(Self.forged(), .unknownKeyID, tokens: tokens)  // no kid
        try await expectRejected(Self.forged(header: ["alg": "HS256", "typ": "JWT", "kid": "2025-12"]), .unknownKeyID, tokens: tokens)
    }

    // MARK: - Lifetime, leeway, revocation (injected clock, no sleeping)

    @Test func lifetimeIsConfigurableInHours() async throws {
        var configuration = Self.configuration
        configuration.lifetimeHours = 2
        configuration.leewaySeconds = 0
        let tokens = try await makeTokens(configuration)
        let issued = try await tokens.issue(subject: "42", role: "user")
        #expect(issued.expiresAt == Date(timeIntervalSince1970: Double(Self.t0 + 7_200_000) / 1000))

        clock.set(milliseconds: Self.t0 + 7_200_000 - 1)
        _ = try await tokens.verify(issued.token)
        clock.set(milliseconds: Self.t0 + 7_200_000)
        try await expectRejected(issued.token, .expired, tokens: tokens)
    }

    @Test func defaultLifetimeIs24Hours() async throws {
        let tokens = try await makeTokens()
        let issued = try await tokens.issue(subject: "42", role: "user")
        #expect(Int64((issued.expiresAt.timeIntervalSince1970 * 1000).rounded()) == Self.t0 + 86_400_000)
        #expect(Self.configuration.lifetimeHours == 24)
    }

    @Test func expiryLeewayEdges() async throws {
        var configuration = Self.configuration
        configuration.leewaySeconds = 60
        let tokens = try await makeTokens(configuration)
        let issued = try await tokens.issue(subject: "42", role: "user")
        let exp = Self.t0 + 86_400_000

        clock.set(milliseconds: exp + 60_000 - 1)  // last accepted millisecond
        _ = try await tokens.verify(issued.token)
        clock.set(milliseconds: exp + 60_000)
        try await expectRejected(issued.token, .expired, tokens: tokens)
        clock.set(milliseconds: exp + 3_600_000)
        try await expectRejected(issued.token, .expired, tokens: tokens)
    }

    @Test func notBeforeLeewayEdges() async throws {
        var configuration = Self.configuration
        configuration.leewaySeconds = 30
        let tokens = try await makeTokens(configuration)
        let issued = try await tokens.issue(subject: "42", role: "user")  // nbf = iat = t0

        clock.set(milliseconds: Self.t0 - 30_000)  // a verifier whose clock is 30 s behind
        _ = try await tokens.verify(issued.token)
        clock.set(milliseconds: Self.t0 - 30_001)
        try await expectRejected(issued.token, .notYetValid, tokens: tokens)
    }

    @Test func notYetValidBeyondLeewayIsRejected() async throws {
        var claims = Self.validClaims()
        claims["nbf"] = .seconds(milliseconds: Self.t0 + 61_000)
        try await expectRejected(Self.forged(claims: claims), .notYetValid)
    }

    @Test func issuedInTheFutureBeyondLeewayIsRejected() async throws {
        var claims = Self.validClaims()
        claims["iat"] = .seconds(milliseconds: Self.t0 + 31_000)
        try await expectRejected(Self.forged(claims: claims), .issuedInFuture)
    }

    @Test func zeroLeewayIsExact() async throws {
        var configuration = Self.configuration
        configuration.leewaySeconds = 0
        let tokens = try await makeTokens(configuration)
        let issued = try await tokens.issue(subject: "42", role: "user")
        clock.set(milliseconds: Self.t0 - 1)
        try await expectRejected(issued.token, .notYetValid, tokens: tokens)
        clock.set(milliseconds: Self.t0)
        _ = try await tokens.verify(issued.token)
    }

    /// Revocation compares `iat` in ms with the logout time in ms. A token issued 100 ms before a
    /// logout is revoked, one issued 100 ms after it is not, although both carry the same whole second.
    @Test func revocationWithinTheSameSecondUsesMilliseconds() async throws {
        let tokens = try await makeTokens()
        let second: Int64 = 1_767_225_700_000
        clock.set(milliseconds: second + 100)
        let before = try await tokens.issue(subject: "42", role: "user")
        let logoutAt = second + 200
        clock.set(milliseconds: second + 300)
        let after = try await tokens.issue(subject: "42", role: "user")

        let verifiedBefore = try await tokens.verify(before.token)
        let verifiedAfter = try await tokens.verify(after.token)
        #expect(verifiedBefore.issuedAtMilliseconds / 1000 == verifiedAfter.issuedAtMilliseconds / 1000)
        #expect(verifiedBefore.issuedAtMilliseconds == second + 100)
        #expect(verifiedAfter.issuedAtMilliseconds == second + 300)
        #expect(verifiedBefore.isRevoked(byRevocationAtMilliseconds: logoutAt))
        #expect(!verifiedAfter.isRevoked(byRevocationAtMilliseconds: logoutAt))
        // Same millisecond: order unknown, so fail closed.
        #expect(verifiedBefore.isRevoked(byRevocationAtMilliseconds: second + 100))
    }

    @Test func millisecondsSurviveAwkwardFractions() async throws {
        let tokens = try await makeTokens()
        // Values whose seconds are not exact binary fractions.
        for milliseconds: Int64 in [1_767_225_600_001, 1_767_225_600_123, 1_767_225_600_999, 1_800_000_000_007] {
            clock.set(milliseconds: milliseconds)
            let issued = try await tokens.issue(subject: "42", role: "user")
            let verified = try await tokens.verify(issued.token)
            #expect(verified.issuedAtMilliseconds == milliseconds)
        }
    }

    // MARK: - Configuration and issuing

    @Test func secretShorterThan32BytesIsRefused() async throws {
        await #expect(throws: AuthenticationConfigurationError.secretTooShort(byteCount: 31, minimum: 32)) {
            _ = try await AccessTokens(secret: [UInt8](repeating: 7, count: 31), configuration: Self.configuration)
        }
        await #expect(throws: AuthenticationConfigurationError.secretTooShort(byteCount: 0, minimum: 32)) {
            _ = try await AccessTokens(secret: "", configuration: Self.configuration)
        }
        _ = try await AccessTokens(secret: [UInt8](repeating: 7, count: 32), configuration: Self.configuration)
    }

    @Test func invalidSettingsAreRefused() async throws {
        func attempt(_ change: (inout AccessTokens.Configuration) -> Void) async -> AuthenticationConfigurationError? {
            var configuration = Self.configuration
            change(&configuration)
            do {
                _ = try await AccessTokens(secret: Self.secret, configuration: configuration)
                return nil
            } catch {
                return error
            }
        }
        #expect(await attempt { $0.leewaySeconds = 61 } == .invalidLeeway(seconds: 61))
        #expect(await attempt { $0.leewaySeconds = -1 } == .invalidLeeway(seconds: -1))
        #expect(await attempt { $0.lifetimeHours = 0 } == .invalidLifetime(hours: 0))
        #expect(await attempt { $0.issuer = "" } == .emptyIssuer)
        #expect(await attempt { $0.audience = "" } == .emptyAudience)
        #expect(await attempt { $0.keyID = "" } == .invalidKeyID)
        #expect(await attempt { $0.leewaySeconds = 60 } == nil)
    }

    @Test func issuingRefusesUnknownRolesAndEmptySubjects() async throws {
        let tokens = try await makeTokens()
        await #expect(throws: AccessTokenIssueError.invalidRole) { _ = try await tokens.issue(subject: "42", role: "admin") }
        await #expect(throws: AccessTokenIssueError.invalidRole) { _ = try await tokens.issue(subject: "42", role: "User") }
        await #expect(throws: AccessTokenIssueError.invalidSubject) { _ = try await tokens.issue(subject: "", role: "user") }
    }

    // MARK: - Algorithm attacks

    @Test(arguments: ["none", "NONE", "None", "nOnE"])
    func unsecuredNoneIsRejectedInAnySpelling(_ alg: String) async throws {
        let header: [String: JSONValue] = ["alg": .string(alg), "typ": "JWT"]
        try await expectRejected(Self.forged(header: header, signature: .none), .unsecuredAlgorithm)
        // ...also when a signature is attached anyway.
        try await expectRejected(Self.forged(header: header), .unsecuredAlgorithm)
    }

    @Test func otherHMACAlgorithmsAreRejectedEvenWithTheRightSecret() async throws {
        try await expectRejected(
            Self.forged(header: ["alg": "HS384", "typ": "JWT"], signature: .hmacSHA384(Self.secret)), .algorithmNotAllowed)
        try await expectRejected(
            Self.forged(header: ["alg": "HS512", "typ": "JWT"], signature: .hmacSHA512(Self.secret)), .algorithmNotAllowed)
        // Mislabelled: an HS256 MAC under an HS512 label. JWTKit alone ignores `alg` for an HMAC key.
        try await expectRejected(
            Self.forged(header: ["alg": "HS512", "typ": "JWT"], signature: .hmacSHA256(Self.secret)), .algorithmNotAllowed)
        try await expectRejected(Self.forged(header: ["alg": "hs256", "typ": "JWT"]), .algorithmNotAllowed)
        try await expectRejected(Self.forged(header: ["typ": "JWT"]), .algorithmNotAllowed)  // no alg
        try await expectRejected(Self.forged(header: ["alg": 256, "typ": "JWT"]), .malformed)
    }

    @Test func rs256TokenIsRejected() async throws {
        let keys = JWTKeyCollection()
        await keys.add(rsa: try TestKeys.privateKey("attacker-key"), digestAlgorithm: .sha256)
        let token = try await keys.sign(ClaimsPayload(Self.validClaims()), header: ["typ": "JWT"])
        try await expectRejected(token, .algorithmNotAllowed)
    }

    /// The classic confusion attack: take a published RSA public key and use its PEM as an HMAC secret.
    @Test func hs256SignedWithAnRSAPublicKeyAsSecretIsRejected() async throws {
        let publicPEM = try TestKeys.privateKey("google-test-key-1").publicKey.pemRepresentation
        try await expectRejected(Self.forged(signature: .hmacSHA256(Array(publicPEM.utf8))), .badSignature)
        // And under an RS256 label with that HMAC as "signature".
        try await expectRejected(
            Self.forged(header: ["alg": "RS256", "typ": "JWT"], signature: .hmacSHA256(Array(publicPEM.utf8))), .algorithmNotAllowed)
    }

    @Test func googleIDTokenIsRejected() async throws {
        let keys = JWTKeyCollection()
        await keys.add(rsa: try TestKeys.privateKey("google-test-key-1"), digestAlgorithm: .sha256, kid: "google-1")
        let claims: [String: JSONValue] = [
            "iss": "https://accounts.google.com", "aud": "booking-engine-api", "sub": "1234567890",
            "email": "alice@gmail.com", "email_verified": true,
            "iat": .seconds(milliseconds: Self.t0), "exp": .seconds(milliseconds: Self.t0 + 3_600_000),
        ]
        let token = try await keys.sign(ClaimsPayload(claims), kid: "google-1", header: ["typ": "JWT"])
        try await expectRejected(token, .algorithmNotAllowed)
    }

    // MARK: - Signatures and keys

    @Test func badSignaturesAreRejected() async throws {
        try await expectRejected(Self.forged(signature: .hmacSHA256(Self.otherSecret)), .badSignature)
        try await expectRejected(Self.forged(signature: .none), .badSignature)
        try await expectRejected(Self.forged(signature: .raw(Array(repeating: 0, count: 32))), .badSignature)

        // A valid token with one claim changed after signing.
        let tokens = try await makeTokens()
        let issued = try await tokens.issue(subject: "42", role: "user")
        let parts = issued.token.split(separator: ".")
        var claims = try #require(TokenForge.decodeSegment(issued.token, index: 1))
        claims["role"] = "facilitator"
        let tampered = "\(parts[0]).\(TokenForge.base64URL(TokenForge.json(claims))).\(parts[2])"
        try await expectRejected(tampered, .badSignature, tokens: tokens)

        // The last signature character changed: every other value of it is refused, whether it changes
        // the signature's bytes or only the encoding's unused bits (non-canonical base64url).
        var stem = issued.token
        let last = stem.removeLast()
        for other in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" where other != last {
            let flipped = stem + String(other)
            do {
                _ = try await tokens.verify(flipped)
                Issue.record("accepted with the last character \(last) changed to \(other)")
            } catch {}
        }
    }

    @Test func unknownKeyIDIsRejected() async throws {
        try await expectRejected(Self.forged(header: ["alg": "HS256", "typ": "JWT", "kid": "other"]), .unknownKeyID)
        try await expectRejected(Self.forged(header: ["alg": "HS256", "typ": "JWT", "kid": ""]), .unknownKeyID)
    }

    /// `jwk`, `jku`, `x5u` never choose the key: an attacker's embedded key does not verify its token,
    /// and on a genuine token they are ignored (the unreachable URLs are never fetched).
    @Test func embeddedKeyHeadersAreNeverConsulted() async throws {
        let attackerSecret = Array("attacker-controlled-secret-0123456789abcdef".utf8)
        let header: [String: JSONValue] = [
            "alg": "HS256", "typ": "JWT",
            "jwk": ["kty": "oct", "k": .string(TokenForge.base64URL(attackerSecret))],
            "jku": "http://127.0.0.1:9/keys.json",
            "x5u": "http://127.0.0.1:9/cert.pem",
        ]
        try await expectRejected(Self.forged(header: header, signature: .hmacSHA256(attackerSecret)), .badSignature)

        let tokens = try await makeTokens()
        let genuine = try await tokens.verify(Self.forged(header: header, signature: .hmacSHA256(Self.secret)))
        #expect(genuine.subject == "42")
    }

    @Test func criticalHeaderIsRejected() async throws {
        try await expectRejected(
            Self.forged(header: ["alg": "HS256", "typ": "JWT", "crit": ["exp"], "exp": 1]), .criticalHeader)
    }

    @Test func wrongOrMissingTypeIsRejected() async throws {
        try await expectRejected(Self.forged(header: ["alg": "HS256"]), .wrongType)
        try await expectRejected(Self.forged(header: ["alg": "HS256", "typ": "at+jwt"]), .wrongType)
        try await expectRejected(Self.forged(header: ["alg": "HS256", "typ": "jwt"]), .wrongType)
        try await expectRejected(Self.forged(header: ["alg": "HS256", "typ": "JWS"]), .wrongType)
    }

    // MARK: - Claims

    @Test func wrongOrMissingIssuerIsRejected() async throws {
        var claims = Self.validClaims()
        claims["iss"] = "someone-else"
        try await expectRejected(Self.forged(claims: claims), .wrongIssuer)
        claims["iss"] = "Booking-Engine"
        try await expectRejected(Self.forged(claims: claims), .wrongIssuer)
        claims["iss"] = nil
        try await expectRejected(Self.forged(claims: claims), .missingClaim, claim: "iss")
    }

    @Test func wrongOrMissingAudienceIsRejected() async throws {
        var claims = Self.validClaims()
        claims["aud"] = "another-api"
        try await expectRejected(Self.forged(claims: claims), .wrongAudience)
        claims["aud"] = ["booking-engine-api", "another-api"]
        try await expectRejected(Self.forged(claims: claims), .wrongAudience)
        claims["aud"] = []
        try await expectRejected(Self.forged(claims: claims), .wrongAudience)
        claims["aud"] = nil
        try await expectRejected(Self.forged(claims: claims), .missingClaim, claim: "aud")

        claims["aud"] = ["booking-engine-api"]  // the array form of our own audience is fine
        let tokens = try await makeTokens()
        _ = try await tokens.verify(Self.forged(claims: claims))
    }

    @Test(arguments: ["sub", "role", "iss", "aud", "iat", "nbf", "exp", "jti"])
    func everyClaimIsRequired(_ name: String) async throws {
        var claims = Self.validClaims()
        claims[name] = nil
        try await expectRejected(Self.forged(claims: claims), .missingClaim, claim: name)
        claims[name] = .null
        try await expectRejected(Self.forged(claims: claims), .missingClaim, claim: name)
    }

    @Test func impossibleClaimValuesAreRejected() async throws {
        let cases: [(String, JSONValue, AccessTokenError.Reason, String?)] = [
            ("role", "admin", .invalidClaim, "role"),
            ("sub", "", .invalidClaim, "sub"),
            ("jti", "not-a-uuid", .invalidClaim, "jti"),
            ("exp", .number(1e300), .invalidClaim, "exp"),
            ("exp", .number(-5), .invalidClaim, "exp"),
            ("iat", .number(9.3e18), .invalidClaim, "iat"),
            ("sub", 42, .malformed, nil),
            ("exp", "tomorrow", .malformed, nil),
            ("aud", ["a": "b"], .malformed, nil),
        ]
        for (name, value, reason, claim) in cases {
            var claims = Self.validClaims()
            claims[name] = value
            try await expectRejected(Self.forged(claims: claims), reason, claim: claim)
        }
    }

    @Test func expiredTokenIsRejected() async throws {
        var claims = Self.validClaims(at: Self.t0 - 7_200_000)  // issued 2 h ago, expired 1 h ago
        try await expectRejected(Self.forged(claims: claims), .expired)
        claims["exp"] = .seconds(milliseconds: Self.t0 - 30_000)  // exactly at the default 30 s leeway
        try await expectRejected(Self.forged(claims: claims), .expired)
    }

    // MARK: - Garbage

    @Test(arguments: [
        "garbage", "a.b", "a.b.c.d", "..", "...", ".payload.sig", "header..sig",
        "not base64!.eyJzdWIiOiIxIn0.c2ln", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0=.c2ln",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln+/", " eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        "🙂.🙂.🙂", "A.A.A", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
    ])
    func garbageIsMalformed(_ token: String) async throws {
        try await expectRejected(token, .malformed)
    }

    @Test func emptyTokenIsRejected() async throws {
        try await expectRejected("", .empty)
    }

    @Test func nonJSONSegmentsAreMalformed() async throws {
        let payload = TokenForge.json(Self.validClaims())
        let header = TokenForge.json(Self.validHeader)
        for (h, p) in [
            (Array("[]".utf8), payload), (Array("\"HS256\"".utf8), payload), (Array("{".utf8), payload),
            ([0xFF, 0xFE, 0x00], payload), (header, Array("[]".utf8)), (header, Array("not json".utf8)),
            (header, [0xC3, 0x28]),
        ] {
            try await expectRejected(TokenForge.token(headerJSON: h, payloadJSON: p, signature: .hmacSHA256(Self.secret)), .malformed)
        }
    }

    @Test func hugeTokensAreRejectedBeforeParsing() async throws {
        try await expectRejected(String(repeating: "A", count: AccessTokens.maximumTokenBytes + 1), .tooLarge)
        try await expectRejected(String(repeating: "x.", count: 500_000), .tooLarge)
        // A validly signed token padded with a huge claim is still refused for size.
        var claims = Self.validClaims()
        claims["padding"] = .string(String(repeating: "p", count: 9_000))
        try await expectRejected(Self.forged(claims: claims), .tooLarge)
        // Just under the limit, junk is merely malformed.
        try await expectRejected(String(repeating: "A", count: AccessTokens.maximumTokenBytes), .malformed)
    }

    @Test func deeplyNestedJSONIsRejected() async throws {
        // 1,000 levels: small enough to pass the size limit, far beyond any real claims object.
        let deep = String(repeating: "[", count: 1_000) + String(repeating: "]", count: 1_000)
        let payload = Array("{\"sub\":\(deep)}".utf8)
        let header = TokenForge.json(Self.validHeader)
        try await expectRejected(
            TokenForge.token(headerJSON: header, payloadJSON: payload, signature: .hmacSHA256(Self.secret)), .tooDeeplyNested)
        let deepHeader = Array("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"x\":\(deep)}".utf8)
        try await expectRejected(
            TokenForge.token(headerJSON: deepHeader, payloadJSON: TokenForge.json(Self.validClaims()), signature: .hmacSHA256(Self.secret)),
            .tooDeeplyNested)
        // Brackets inside strings don't count.
        var claims = Self.validClaims()
        claims["note"] = .string(String(repeating: "[{", count: 100))
        let tokens = try await makeTokens()
        _ = try await tokens.verify(Self.forged(claims: claims))
    }

    @Test func errorDescriptionsAreSafeToLog() {
        #expect(AccessTokenError(.missingClaim, claim: "jti").description == "access token rejected: missingClaim (jti)")
        #expect(AccessTokenError(.expired).description == "access token rejected: expired")
    }
}

/// The constant-time comparison helper for secrets the API compares itself.
@Suite struct ConstantTimeTests {
    @Test func comparesBytesAndStrings() {
        #expect(ConstantTime.equals("crm-bearer-token-0123456789", "crm-bearer-token-0123456789"))
        #expect(!ConstantTime.equals("crm-bearer-token-0123456789", "crm-bearer-token-0123456788"))
        #expect(!ConstantTime.equals("short", "shorter"))
        #expect(!ConstantTime.equals("", "x"))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
    }
}
