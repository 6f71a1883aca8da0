@testable import Authentication
import AuthTestSupport
import Foundation
import JWTKit
import Testing

/// Access tokens and Google ID tokens that are cut short, wrongly typed, huge, deeply nested, not
/// UTF-8 or not base64url: each is one typed rejection, never a crash and never an acceptance.
@Suite struct MalformedAccessTokenTests {
    let suite = AccessTokensTests()

    func tokens() async throws -> AccessTokens { try await suite.makeTokens() }

    /// Verification must throw; returns the reason.
    func reason(_ token: String, _ tokens: AccessTokens, sourceLocation: SourceLocation = #_sourceLocation) async -> AccessTokenError.Reason? {
        do {
            let verified = try await tokens.verify(token)
            Issue.record("accepted \(token.prefix(60)): \(verified)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func everyPrefixOfAValidTokenIsRefused() async throws {
        let tokens = try await tokens()
        let token = AccessTokensTests.forged()
        _ = try await tokens.verify(token)  // the whole token is fine
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        for length in 0..<token.count {
            let prefix = String(token.prefix(length))
            let reason = await reason(prefix, tokens)
            // Cut in the header or payload: not three segments, or not JSON; cut in the signature: a wrong one.
            let expected: Set<AccessTokenError.Reason> =
                length == 0 ? [.empty] : length > segments[0].count + segments[1].count + 1 ? [.badSignature, .malformed] : [.malformed]
            #expect(reason.map { expected.contains($0) } == true, "prefix \(length): \(String(describing: reason))")
        }
    }

    @Test func eachSegmentCutShortIsRefused() async throws {
        let tokens = try await tokens()
        let segments = AccessTokensTests.forged().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for index in 0..<3 {
            for cut in [1, 2, 3, 4, 8, segments[index].count / 2, segments[index].count] where cut <= segments[index].count {
                var parts = segments
                parts[index] = String(parts[index].dropLast(cut))
                let reason = await reason(parts.joined(separator: "."), tokens)
                // The signature is checked before the claims are decoded: a payload that still decodes as
                // base64url fails there first.
                let expected: Set<AccessTokenError.Reason> = index == 0 ? [.malformed] : [.badSignature, .malformed]
                #expect(reason.map { expected.contains($0) } == true, "segment \(index) cut by \(cut): \(String(describing: reason))")
            }
        }
    }

    static let wronglyTypedHeaders: [(String, JSONValue)] = [
        ("alg", .number(256)), ("alg", ["HS256"]), ("alg", ["name": "HS256"]), ("alg", true),
        ("typ", ["JWT"]), ("typ", 1), ("typ", ["t": "JWT"]), ("kid", 7), ("kid", ["k"]), ("kid", ["id": "k"]),
    ]

    @Test(arguments: wronglyTypedHeaders)
    func wronglyTypedHeaderFieldsAreMalformed(_ name: String, _ value: JSONValue) async throws {
        var header = AccessTokensTests.validHeader
        header[name] = value
        #expect(await reason(AccessTokensTests.forged(header: header), try await tokens()) == .malformed)
    }

    static let wronglyTypedClaims: [(String, JSONValue)] = [
        ("exp", .string("1767229200")), ("exp", ["at": 1]), ("exp", [1_767_229_200]), ("exp", true),
        ("iat", "0"), ("nbf", ["n": 0]), ("aud", 42), ("aud", [42]), ("aud", ["booking-engine-api", 7]), ("aud", true),
        ("sub", ["id": "42"]), ("sub", ["42"]), ("sub", 42.5), ("sub", false), ("role", ["user"]), ("role", 1),
        ("iss", ["booking-engine"]), ("jti", 12345), ("jti", ["7c9e6679-7425-40de-944b-e07fc1f90ae7"]),
    ]

    @Test(arguments: wronglyTypedClaims)
    func wronglyTypedClaimsAreMalformed(_ name: String, _ value: JSONValue) async throws {
        var claims = AccessTokensTests.validClaims()
        claims[name] = value
        #expect(await reason(AccessTokensTests.forged(claims: claims), try await tokens()) == .malformed)
    }

    @Test func headerOrPayloadThatIsNotAnObjectIsMalformed() async throws {
        let tokens = try await tokens()
        let header = TokenForge.json(AccessTokensTests.validHeader)
        let payload = TokenForge.json(AccessTokensTests.validClaims())
        for junk in ["null", "true", "42", "\"x\"", "[{}]", "{} {}", "{\"alg\":\"HS256\"", "{'alg':'HS256'}"] {
            let asHeader = TokenForge.token(headerJSON: Array(junk.utf8), payloadJSON: payload, signature: .hmacSHA256(AccessTokensTests.secret))
            #expect(await reason(asHeader, tokens) == .malformed, "header \(junk)")
            let asPayload = TokenForge.token(headerJSON: header, payloadJSON: Array(junk.utf8), signature: .hmacSHA256(AccessTokensTests.secret))
            #expect(await reason(asPayload, tokens) == .malformed, "payload \(junk)")
        }
        // Foundation's decoder takes a trailing comma; the token is refused all the same (no alg, no claims).
        let comma = Array(#"{"a":1,}"#.utf8)
        let signature = TokenForge.Signature.hmacSHA256(AccessTokensTests.secret)
        #expect(await reason(TokenForge.token(headerJSON: comma, payloadJSON: payload, signature: signature), tokens) != nil)
        #expect(await reason(TokenForge.token(headerJSON: header, payloadJSON: comma, signature: signature), tokens) != nil)
    }

    @Test func hugeTokensAndClaimsAreRefused() async throws {
        let tokens = try await tokens()
        let header = TokenForge.base64URL(TokenForge.json(AccessTokensTests.validHeader))
        let megabyte = String(repeating: "A", count: 1 << 20)
        for token in ["\(megabyte).e30.c2ln", "\(header).\(megabyte).c2ln", "\(header).e30.\(megabyte)", megabyte + "." + megabyte] {
            #expect(await reason(token, tokens) == .tooLarge)
        }
        // Values that fit the size limit but no claim: refused by the claim checks, signature valid.
        var claims = AccessTokensTests.validClaims()
        claims["sub"] = .string(String(repeating: "4", count: 4_000))
        #expect(await reason(AccessTokensTests.forged(claims: claims), tokens) == .invalidClaim)
        claims = AccessTokensTests.validClaims()
        claims["jti"] = .string(String(repeating: "f", count: 4_000))
        #expect(await reason(AccessTokensTests.forged(claims: claims), tokens) == .invalidClaim)
        claims = AccessTokensTests.validClaims()
        claims["aud"] = .array(Array(repeating: "other", count: 500))
        #expect(await reason(AccessTokensTests.forged(claims: claims), tokens) == .wrongAudience)
        // Numbers beyond any Double or Int64: never a trap on conversion.
        let payload = String(decoding: TokenForge.json(AccessTokensTests.validClaims()), as: UTF8.self)
        let exp = try #require(payload.range(of: #""exp":[0-9.]+"#, options: .regularExpression))
        for number in ["1" + String(repeating: "0", count: 400), "1e400", "-1e400", "1e-400", "18446744073709551616"] {
            let json = payload.replacingCharacters(in: exp, with: "\"exp\":\(number)")
            let token = TokenForge.token(
                headerJSON: TokenForge.json(AccessTokensTests.validHeader), payloadJSON: Array(json.utf8),
                signature: .hmacSHA256(AccessTokensTests.secret))
            let reason = await reason(token, tokens)
            #expect(reason == .malformed || reason == .invalidClaim, "exp \(number.prefix(20)): \(String(describing: reason))")
        }
    }

    @Test func deeplyNestedObjectsAreRefusedInHeaderAndPayload() async throws {
        let tokens = try await tokens()
        let deepObject = String(repeating: #"{"a":"#, count: 500) + "1" + String(repeating: "}", count: 500)
        let payload = Array(#"{"sub":"42","x":\#(deepObject)}"#.utf8)
        let header = TokenForge.json(AccessTokensTests.validHeader)
        let signature = TokenForge.Signature.hmacSHA256(AccessTokensTests.secret)
        #expect(await reason(TokenForge.token(headerJSON: header, payloadJSON: payload, signature: signature), tokens) == .tooDeeplyNested)
        let deepHeader = Array(#"{"alg":"HS256","typ":"JWT","x":\#(deepObject)}"#.utf8)
        #expect(
            await reason(
                TokenForge.token(headerJSON: deepHeader, payloadJSON: TokenForge.json(AccessTokensTests.validClaims()), signature: signature), tokens)
                == .tooDeeplyNested)
        // Unbalanced: only openers, as deep as the size limit allows.
        let openers = Array(String(repeating: "[", count: 5_000).utf8)
        #expect(await reason(TokenForge.token(headerJSON: header, payloadJSON: openers, signature: signature), tokens) == .tooDeeplyNested)
        // The bound is exact: the claims object plus three levels passes, plus four does not.
        var claims = AccessTokensTests.validClaims()
        claims["x"] = [[[1]]]
        _ = try await tokens.verify(AccessTokensTests.forged(claims: claims))
        claims["x"] = [[[[1]]]]
        #expect(await reason(AccessTokensTests.forged(claims: claims), tokens) == .tooDeeplyNested)
    }

    @Test func invalidUTF8InsideDecodedSegmentsIsRefused() async throws {
        let tokens = try await tokens()
        let signature = TokenForge.Signature.hmacSHA256(AccessTokensTests.secret)
        let claimsJSON = TokenForge.json(AccessTokensTests.validClaims())
        for bad: [UInt8] in [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xE2, 0x82]] {
            // In the header's alg and typ, and as a bare byte.
            let header = Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)
            let inAlg = Array(#"{"alg":"HS256"#.utf8) + bad + Array(#"","typ":"JWT"}"#.utf8)
            let inTyp = Array(#"{"alg":"HS256","typ":"JWT"#.utf8) + bad + Array(#""}"#.utf8)
            for h in [inAlg, inTyp, bad + header] {
                let reason = await reason(TokenForge.token(headerJSON: h, payloadJSON: claimsJSON, signature: signature), tokens)
                #expect(reason == .malformed || reason == .algorithmNotAllowed || reason == .wrongType, "\(String(describing: reason))")
            }
            // In sub, role and iss (correctly signed), and as a bare byte in the payload.
            let claims = String(decoding: claimsJSON, as: UTF8.self)
            for claim in [#""sub":"4"#, #""role":"us"#, #""iss":"booking"#] {
                let range = try #require(claims.range(of: claim))
                let payload = Array(claims[..<range.upperBound].utf8) + bad + Array(claims[range.upperBound...].utf8)
                let reason = await reason(TokenForge.token(headerJSON: header, payloadJSON: payload, signature: signature), tokens)
                let allowed: Set<AccessTokenError.Reason> = [.malformed, .invalidClaim, .wrongIssuer]
                #expect(reason.map { allowed.contains($0) } == true, "\(claim): \(String(describing: reason))")
            }
            let bare = await reason(TokenForge.token(headerJSON: header, payloadJSON: bad + claimsJSON, signature: signature), tokens)
            #expect(bare == .malformed)
        }
    }

    @Test func nonBase64URLCharactersAnywhereAreMalformed() async throws {
        let tokens = try await tokens()
        let token = Array(AccessTokensTests.forged())
        let intruders: [Character] = ["+", "/", "=", " ", "!", "\u{0}", "\n", "é", "%", "\u{FEFF}"]
        // Every 7th position, each intruder: inserted, never silently skipped.
        for index in stride(from: 0, to: token.count, by: 7) where token[index] != "." {
            for intruder in intruders {
                var altered = token
                altered.insert(intruder, at: index)
                let reason = await reason(String(altered), tokens)
                #expect(reason == .malformed, "\(intruder.unicodeScalars.first!.value) at \(index): \(String(describing: reason))")
            }
        }
    }
}

/// Google ID tokens cut short or garbled, and JWKS documents that are not key sets: refused with the
/// token error or "keys unavailable", never a crash and never an acceptance.
@Suite struct MalformedGoogleTokenTests {
    let clock = TestClock(secondsSince1970: Double(GoogleIDTokenVerifierTests.t0) / 1000 + 5)

    func withVerifier(_ reply: JWKSEndpoint.Reply, _ body: @Sendable (GoogleIDTokenVerifier, JWKSEndpoint) async throws -> Void) async throws {
        let clock = self.clock
        try await GoogleIDTokenVerifierTests.withVerifier(
            on: JWKSEndpoint(reply),
            make: { url in
                try GoogleIDTokenVerifier(
                    configuration: .init(
                        clientID: GoogleIDTokenVerifierTests.clientID, jwksURL: url, connectTimeout: .seconds(2), requestTimeout: .seconds(5),
                        minimumRefreshInterval: .seconds(30)),
                    logger: GoogleIDTokenVerifierTests.quietLogger, now: clock.now)
            }, body)
    }

    @Test func truncatedAndGarbledIDTokensAreRefusedWithoutFetchingKeys() async throws {
        try await withVerifier(.init(body: try GoogleIDTokenVerifierTests.key1JWKS())) { verifier, endpoint in
            let token = try await GoogleIDTokenVerifierTests.sign()
            _ = try await verifier.verify(token)
            let fetches = endpoint.requestCount
            let signatureStart = token.lastIndex(of: ".")!
            for length in stride(from: 0, to: token.distance(from: token.startIndex, to: signatureStart), by: 3) {
                do throws(GoogleTokenError) {
                    _ = try await verifier.verify(String(token.prefix(length)))
                    Issue.record("accepted a prefix of \(length)")
                } catch {
                    #expect(!error.isTemporary && error != .invalidToken(.badSignature), "prefix \(length): \(error)")
                }
            }
            // Cut in the signature: a wrong signature, checked with the cached key.
            for cut in [1, 4, 100, 300] {
                await #expect(throws: GoogleTokenError.self) { _ = try await verifier.verify(String(token.dropLast(cut))) }
            }
            let junks = [
                String(repeating: "A", count: 1 << 20), "\u{0}", "é.é.é", token + "\u{FF}", token.replacingOccurrences(of: ".", with: ".."),
            ]
            for junk in junks {
                await #expect(throws: GoogleTokenError.self) { _ = try await verifier.verify(junk) }
            }
            #expect(endpoint.requestCount == fetches, "garbage never triggers a key fetch")
        }
    }

    /// Each reply is served in turn; a token signed with the real key must be refused with every one,
    /// as "keys unavailable" (a 503 at the HTTP layer) or, for a key the verifier could parse but that
    /// is not the signer's, a bad signature. Then the real key set is served and the token verifies.
    func expectEveryReplyRefused(_ replies: [JWKSEndpoint.Reply], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await withVerifier(.init(body: "{}")) { verifier, endpoint in
            for reply in replies {
                endpoint.serve { $0 = reply }
                // Signed now: the clock jumps a day per reply, past any cached key.
                let now = Int64(clock.date.timeIntervalSince1970 * 1000)
                let token = try await GoogleIDTokenVerifierTests.sign(GoogleIDTokenVerifierTests.claims(at: now))
                let preview = reply.rawBody.map { "\($0.count) raw bytes" } ?? String(reply.body.prefix(80))
                do throws(GoogleTokenError) {
                    let claims = try await verifier.verify(token)
                    Issue.record("verified with a malformed key set \(preview): \(claims.subject)", sourceLocation: sourceLocation)
                } catch {
                    switch error {
                    case .keysUnavailable, .invalidToken(.badSignature), .invalidToken(.unknownKeyID): break
                    default: Issue.record("\(preview): \(error)", sourceLocation: sourceLocation)
                    }
                }
                clock.advance(seconds: 86_401)
            }
            #expect(endpoint.requestCount == replies.count, "one fetch per reply", sourceLocation: sourceLocation)
            endpoint.serve { $0 = .init(body: try! GoogleIDTokenVerifierTests.key1JWKS()) }
            _ = try await verifier.verify(
                try await GoogleIDTokenVerifierTests.sign(GoogleIDTokenVerifierTests.claims(at: Int64(clock.date.timeIntervalSince1970 * 1000))))
        }
    }

    @Test func truncatedAndWronglyTypedKeySetsAreKeysUnavailable() async throws {
        let good = try GoogleIDTokenVerifierTests.key1JWKS()
        let key = try TestKeys.jwk("google-test-key-1", kid: "key-1")
        guard case .object(let fields) = key else { Issue.record("not an object"); return }
        func with(_ name: String, _ value: JSONValue) -> String {
            var altered = fields
            altered[name] = value
            return TestKeys.jwks([.object(altered)])
        }
        var replies: [JWKSEndpoint.Reply] = [1, 10, good.count / 2, good.count - 1].map { JWKSEndpoint.Reply(body: String(good.prefix($0))) }
        replies += [
            "", "null", "[]", "42", "\"keys\"", #"{"keys":null}"#, #"{"keys":{}}"#, #"{"keys":"key-1"}"#, #"{"keys":[1,2]}"#,
            #"{"keys":[[]]}"#, #"{"keys":[null]}"#, #"{"Keys":[]}"#,
        ].map { JWKSEndpoint.Reply(body: $0) }
        replies += [
            with("kid", 1), with("kid", ["key-1"]), with("kty", ["RSA"]), with("n", 12345), with("n", ["a"]), with("e", 65537),
            with("e", ["AQAB"]), with("alg", ["RS256"]), with("use", 1),
        ].map { JWKSEndpoint.Reply(body: $0) }
        try await expectEveryReplyRefused(replies)
    }

    @Test func garbageModulusAndExponentAreKeysUnavailable() async throws {
        let key = try TestKeys.jwk("google-test-key-1", kid: "key-1")
        guard case .object(let fields) = key, case .string(let n)? = fields["n"] else { Issue.record("no n"); return }
        func with(_ name: String, _ value: String) -> JWKSEndpoint.Reply {
            var altered = fields
            altered[name] = .string(value)
            return .init(body: TestKeys.jwks([.object(altered)]))
        }
        let replies: [JWKSEndpoint.Reply] = [
            with("n", ""), with("n", "!!!!"), with("n", "AA"), with("n", "é" + n), with("n", n + "!"), with("n", String(n.prefix(n.count / 2))),
            with("n", String(n.dropLast(1))), with("n", n + "AAAA"),  // another modulus: 24 more bits
            with("n", String(repeating: "_", count: 200_000)),  // a 1.2 Mbit modulus
            with("e", ""), with("e", "AA"), with("e", "AQ"), with("e", "Aw"), with("e", "!"),
            with("e", "AQAB" + String(repeating: "A", count: 40_000)),
            with("e", String(repeating: "_", count: 1_000)),
        ]
        try await expectEveryReplyRefused(replies)
    }

    @Test func hugeNestedAndNonUTF8KeySetsAreKeysUnavailable() async throws {
        let good = try GoogleIDTokenVerifierTests.key1JWKS()
        let deep = String(repeating: #"{"a":"#, count: 20_000) + "1" + String(repeating: "}", count: 20_000)
        let nested = #"{"keys":[{"kty":"RSA","kid":"key-1","x":"# + deep + "}]}"
        let garbageKey = #"{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}"#
        let garbageKeys = "{\"keys\":[" + Array(repeating: garbageKey, count: 4_000).joined(separator: ",") + "]}"
        let keyBytes = Array(good.utf8)
        let kid = try #require(good.range(of: #""kid":"key-"#))
        let kidEnd = good.distance(from: good.startIndex, to: kid.upperBound)
        let replies: [JWKSEndpoint.Reply] = [
            .init(body: nested),
            .init(body: String(repeating: "[", count: 200_000)),
            .init(body: #"{"keys":"# + String(repeating: "[", count: 1_000) + String(repeating: "]", count: 1_000) + "}"),
            .init(body: garbageKeys),  // 180 KB of keys the verifier can't use
            .init(body: String(repeating: " ", count: 300 * 1024) + good),  // over the size limit
            .init(body: "", rawBody: [0xFF] + keyBytes),
            .init(body: "", rawBody: Array(keyBytes[..<kidEnd]) + [0xC3, 0x28] + Array(keyBytes[(kidEnd + 1)...])),  // "key-\xC3(" for "key-1"
            .init(body: "", rawBody: Array(keyBytes[..<kidEnd]) + [0] + Array(keyBytes[(kidEnd + 1)...])),
            .init(body: "", rawBody: [0xEF, 0xBB, 0xBF, 0xFF, 0xFE]),
        ]
        try await expectEveryReplyRefused(replies)
    }
}
