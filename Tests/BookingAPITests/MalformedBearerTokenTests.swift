import BookingAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Malformed access tokens at the HTTP layer: every one is a 401 with `WWW-Authenticate: Bearer` and
/// a JSON error, never a 500 or a dropped connection.
@Suite struct MalformedBearerTokenTests {
    @Test func malformedBearerTokensAre401() async throws {
        try await withLiveApplication(APIFlowTests.noLimits) { client in
            let api = APIClient(client: client)
            let token = try await api.register("ada@example.com")
            #expect(try await api.call(.get, "/api/auth/me", token: token).status == .ok)
            let segments = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            var values = [
                "Bearer", "Bearer ", "bearer\(token)", "Basic \(token)", "Bearer \(token) extra",
                "Bearer \(token).", "Bearer .\(token)", "Bearer \(String(repeating: "A", count: 9_000))",
                "Bearer \(segments[0]).\(segments[1])", "Bearer \(segments[0])..\(segments[2])", "Bearer é.é.é",
                "Bearer \(segments[0]).\(String(repeating: "[", count: 4_000)).\(segments[2])",
            ]
            for index in 0..<3 {
                var cut = segments
                cut[index] = String(cut[index].dropLast(3))
                values.append("Bearer " + cut.joined(separator: "."))
            }
            for length in stride(from: 1, to: token.count, by: 17) { values.append("Bearer " + token.prefix(length)) }
            for value in values {
                let reply = try await api.call(.get, "/api/auth/me", headers: [.authorization: value])
                #expect(reply.status == .unauthorized, "\(value.prefix(60)): \(reply.text)")
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(reply["error"] is String, "\(value.prefix(60)): \(reply.text)")
            }
            // A body-taking route refuses the token before reading the body.
            let booking = try await api.call(.post, "/api/bookings", json: "{", headers: [.authorization: "Bearer \(segments[0])"])
            #expect(booking.status == .unauthorized)
            #expect(try await api.call(.get, "/api/auth/me", token: token).status == .ok, "the real token still works")
        }
    }
}
