import AuthTestSupport
import BookingAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
import Testing

/// `POST /api/auth/google` end to end: real RS256 ID tokens signed with the committed test keys,
/// verified by the running API against a JWKS served by a real local HTTP server.
@Suite struct GoogleSignInTests {
    static let clientID = "1234567890-test.apps.googleusercontent.com"

    /// Claims as Google issues them, valid now (the API verifies against the wall clock).
    static func claims(
        subject: String = "110169484474386276334", email: String = "Alice.Example@Gmail.com", verified: Bool = true,
        hostedDomain: String? = nil
    ) -> [String: AuthTestSupport.JSONValue] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var claims: [String: AuthTestSupport.JSONValue] = [
            "iss": "https://accounts.google.com", "azp": .string(clientID), "aud": .string(clientID),
            "sub": .string(subject), "email": .string(email), "email_verified": .bool(verified), "name": "Alice Example",
            "iat": .seconds(milliseconds: now - 1_000), "exp": .seconds(milliseconds: now + 3_600_000),
        ]
        if let hostedDomain { claims["hd"] = .string(hostedDomain) }
        return claims
    }

    static func sign(_ claims: [String: AuthTestSupport.JSONValue], key: String = "google-test-key-1", kid: String = "key-1") async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(rsa: try TestKeys.privateKey(key), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        var header = JWTHeader()
        header.typ = "JWT"
        return try await keys.sign(ClaimsPayload(claims), kid: JWKIdentifier(string: kid), header: header)
    }

    /// Runs `body` against the API configured for Google sign-in with the local JWKS server.
    func withGoogleAPI(_ body: @Sendable @escaping (APIClient) async throws -> Void) async throws {
        let jwks = TestKeys.jwks([try TestKeys.jwk("google-test-key-1", kid: "key-1")])
        try await JWKSEndpoint(jwks: jwks).run { url in
            var configuration = APIConfiguration(port: 0)
            configuration.authRateLimit = nil
            configuration.apiRateLimit = nil
            let secrets = SecretsConfiguration(
                jwtSecret: String(repeating: "s", count: 40), googleClientID: Self.clientID, googleJWKSURL: url)
            try await withLiveApplication(configuration, secrets: secrets) { client in try await body(APIClient(client: client)) }
        }
    }

    func signIn(_ api: APIClient, _ idToken: String) async throws -> APIClient.Reply {
        try await api.call(.post, "/api/auth/google", json: #"{"id_token":"\#(idToken)"}"#)
    }

    @Test func firstSignInCreatesAnAccountAndLaterSignInsFindIt() async throws {
        try await withGoogleAPI { api in
            let first = try await signIn(api, try await Self.sign(Self.claims()))
            #expect(first.status == .ok, "\(first.text)")
            let user = try #require(first["user"] as? [String: Any])
            #expect(user["email"] as? String == "alice.example@gmail.com")
            #expect(user["role"] as? String == "user")
            let token = try #require(first["access_token"] as? String)
            let me = try await api.call(.get, "/api/auth/me", token: token)
            #expect(me.status == .ok)
            #expect(me["email"] as? String == "alice.example@gmail.com")

            // Same (iss, sub), even with another e-mail in the token: the same account.
            let again = try await signIn(api, try await Self.sign(Self.claims(email: "renamed@gmail.com")))
            #expect(again.status == .ok)
            #expect((again["user"] as? [String: Any])?["id"] as? Int == user["id"] as? Int)
        }
    }

    @Test func linksToAPasswordAccountOnlyWhenGoogleIsAuthoritativeForTheEmail() async throws {
        try await withGoogleAPI { api in
            _ = try await api.register("alice.example@gmail.com")
            _ = try await api.register("bob@example.com")
            _ = try await api.register("carol@example.org")
            let me = try await api.call(.post, "/api/auth/login", json: #"{"email":"alice.example@gmail.com","password":"a long enough passphrase"}"#)
            let aliceID = try #require((me["user"] as? [String: Any])?["id"] as? Int)

            // gmail.com with a verified e-mail: Google is the authority, so the accounts link.
            let linked = try await signIn(api, try await Self.sign(Self.claims()))
            #expect(linked.status == .ok, "\(linked.text)")
            #expect((linked["user"] as? [String: Any])?["id"] as? Int == aliceID)

            // Another domain without `hd`: Google can't vouch for the address, so no takeover.
            let foreign = try await signIn(api, try await Self.sign(Self.claims(subject: "2", email: "bob@example.com")))
            #expect(foreign.status == .conflict, "\(foreign.text)")
            #expect(foreign["error"] is String)

            // A Workspace account (`hd` set) is authoritative for its domain.
            let workspace = try await signIn(api, try await Self.sign(Self.claims(subject: "3", email: "carol@example.org", hostedDomain: "example.org")))
            #expect(workspace.status == .ok, "\(workspace.text)")

            // A second Google identity can't take over an account already linked to another.
            let other = try await signIn(api, try await Self.sign(Self.claims(subject: "4", email: "alice.example@gmail.com")))
            #expect(other.status == .conflict)
        }
    }

    @Test func refusesForgedExpiredAndMisaddressedTokensWith401() async throws {
        try await withGoogleAPI { api in
            var wrongAudience = Self.claims()
            wrongAudience["aud"] = "someone-else.apps.googleusercontent.com"
            var wrongIssuer = Self.claims()
            wrongIssuer["iss"] = "https://evil.example"
            var expired = Self.claims()
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            expired["iat"] = .seconds(milliseconds: now - 7_200_000)
            expired["exp"] = .seconds(milliseconds: now - 3_600_000)
            let forged: [(String, String)] = [
                ("attacker key under Google's kid", try await Self.sign(Self.claims(), key: "attacker-key")),
                ("wrong audience", try await Self.sign(wrongAudience)),
                ("wrong issuer", try await Self.sign(wrongIssuer)),
                ("expired", try await Self.sign(expired)),
                ("unverified e-mail", try await Self.sign(Self.claims(verified: false))),
                ("alg none", TokenForge.token(header: ["alg": "none", "typ": "JWT", "kid": "key-1"], payload: Self.claims(), signature: .none)),
                ("HS256 with the public key's bytes", TokenForge.token(
                    header: ["alg": "HS256", "typ": "JWT", "kid": "key-1"], payload: Self.claims(),
                    signature: .hmacSHA256(Array(try TestKeys.pem("google-test-key-1").utf8)))),
                ("garbage", "not.a.token"),
            ]
            for (label, token) in forged {
                let reply = try await signIn(api, token)
                #expect(reply.status == .unauthorized, "\(label): \(reply.status) \(reply.text)")
                #expect(reply.headers[.wwwAuthenticate] == "Bearer", "\(label)")
                #expect(reply["error"] is String, "\(label)")
            }
            // Nothing was registered by any of them.
            let valid = try await signIn(api, try await Self.sign(Self.claims()))
            #expect((valid["user"] as? [String: Any])?["id"] as? Int == 1)
        }
    }

    @Test func aGoogleIDTokenIsNotAnAccessToken() async throws {
        try await withGoogleAPI { api in
            let idToken = try await Self.sign(Self.claims())
            let reply = try await api.call(.get, "/api/auth/me", token: idToken)
            #expect(reply.status == .unauthorized)
            #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
        }
    }
}
