import BookingAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A small JSON client over the test client.
struct APIClient {
    let client: any TestClientProtocol

    struct Reply {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var json: Any?
        var text: String
        subscript(key: String) -> Any? { (json as? [String: Any])?[key] }
    }

    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        if json != nil, fields[.contentType] == nil { fields[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            return Reply(status: response.status, headers: response.headers, json: try? JSONSerialization.jsonObject(with: Data(text.utf8)), text: text)
        }
    }

    /// Registers and returns the access token.
    func register(_ email: String, role: String = "user", password: String = "a long enough passphrase") async throws -> String {
        let reply = try await call(.post, "/api/auth/register", json: #"{"email":"\#(email)","password":"\#(password)","name":"\#(email)","role":"\#(role)"}"#)
        guard reply.status == .created, let token = reply["access_token"] as? String else { throw APIError(reply.status, reply.text) }
        return token
    }
}

@Suite struct APIFlowTests {
    static var noLimits: APIConfiguration {
        var configuration = APIConfiguration(port: 0)
        configuration.authRateLimit = nil
        configuration.apiRateLimit = nil
        return configuration
    }

    @Test func registerLoginLogoutAndRevocation() async throws {
        try await withLiveApplication(Self.noLimits) { client in
            let api = APIClient(client: client)
            let registered = try await api.call(.post, "/api/auth/register", json: #"{"email":"Ada@Example.COM","password":"correct horse battery","name":"Ada"}"#)
            #expect(registered.status == .created)
            #expect((registered["user"] as? [String: Any])?["email"] as? String == "ada@example.com")
            #expect((registered["user"] as? [String: Any])?["role"] as? String == "user")
            #expect(registered.headers[.cacheControl] == "no-store")
            let duplicate = try await api.call(.post, "/api/auth/register", json: #"{"email":"ada@example.com","password":"another passphrase","name":"Ada"}"#)
            #expect(duplicate.status == .badRequest)
            let wrong = try await api.call(.post, "/api/auth/login", json: #"{"email":"ada@example.com","password":"wrong passphrase"}"#)
            let unknown = try await api.call(.post, "/api/auth/login", json: #"{"email":"nobody@example.com","password":"wrong passphrase"}"#)
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong.text == unknown.text)
            let login = try await api.call(.post, "/api/auth/login", json: #"{"email":"ADA@example.com","password":"correct horse battery"}"#)
            let token = try #require(login["access_token"] as? String)
            #expect(try await api.call(.get, "/api/auth/me", token: token).status == .ok)
            #expect(try await api.call(.post, "/api/auth/logout", token: token).status == .ok)
            let after = try await api.call(.get, "/api/auth/me", token: token)
            #expect(after.status == .unauthorized)
            #expect(after.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            // A fresh login after the logout works again.
            let again = try await api.call(.post, "/api/auth/login", json: #"{"email":"ada@example.com","password":"correct horse battery"}"#)
            #expect(try await api.call(.get, "/api/auth/me", token: again["access_token"] as? String).status == .ok)
        }
    }

    @Test func registrationRefusesBadInputNamingTheField() async throws {
        try await withLiveApplication(Self.noLimits) { client in
            let api = APIClient(client: client)
            let cases: [(String, String)] = [
                (#"{"email":"not-an-email","password":"a long enough passphrase","name":"X"}"#, "email"),
                (#"{"email":"x@example.com","password":"short","name":"X"}"#, "password"),
                (#"{"email":"x@example.com","password":"password123","name":"X"}"#, "common"),
                (#"{"email":"x@example.com","password":"a long enough passphrase","name":"X","role":"admin"}"#, "role"),
                (#"{"email":"x@example.com","password":"a long enough passphrase"}"#, "name"),
                (#"{"email":"x@example.com","password":12345678,"name":"X"}"#, "password"),
                (#"[1,2]"#, "object"),
                (#"{"#, "JSON"),
            ]
            for (body, mention) in cases {
                let reply = try await api.call(.post, "/api/auth/register", json: body)
                #expect(reply.status == .badRequest, "\(body)")
                #expect((reply["error"] as? String)?.contains(mention) == true, "\(body) → \(reply.text)")
            }
            let wrongType = try await api.call(.post, "/api/auth/register", json: "{}", headers: [.contentType: "text/plain"])
            #expect(wrongType.status == .unsupportedMediaType)
            let huge = try await api.call(.post, "/api/auth/register", json: #"{"name":""# + String(repeating: "x", count: 70_000) + #""}"#)
            #expect(huge.status == .contentTooLarge)
            let google = try await api.call(.post, "/api/auth/google", json: #"{"google_id":"123","email":"x@gmail.com","name":"X"}"#)
            #expect(google.status == .badRequest)
        }
    }

    @Test func forgedAndMalformedTokensGet401() async throws {
        try await withLiveApplication(Self.noLimits) { client in
            let api = APIClient(client: client)
            let token = try await api.register("eve@example.com")
            let parts = token.split(separator: ".").map(String.init)
            let noneHeader = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            let forged = [
                "", "garbage", "a.b.c", parts[0] + "." + parts[1] + ".", noneHeader + "." + parts[1] + ".",
                parts[0] + "." + parts[1] + "." + String(parts[2].reversed()), String(repeating: "A", count: 20_000),
            ]
            for candidate in forged {
                let reply = try await api.call(.get, "/api/auth/me", token: candidate)
                #expect(reply.status == .unauthorized, "\(candidate.prefix(40))")
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            #expect(try await api.call(.get, "/api/auth/me", headers: [.authorization: "Basic Zm9vOmJhcg=="]).status == .unauthorized)
            #expect(try await api.call(.get, "/api/sessions").status == .unauthorized)
        }
    }

    @Test func facilitatorPublishesUsersBookAndOwnershipHolds() async throws {
        try await withLiveApplication(Self.noLimits) { client in
            let api = APIClient(client: client)
            let host = try await api.register("host@example.com", role: "facilitator")
            let rival = try await api.register("rival@example.com", role: "facilitator")
            let guest = try await api.register("guest@example.com")
            let other = try await api.register("other@example.com")
            let session = #"{"title":"Breathwork","start_time":"2099-05-01T07:00:00+02:00","end_time":"2099-05-01T08:00:00+02:00","capacity":1,"price":12.5}"#
            #expect(try await api.call(.post, "/api/sessions", token: guest, json: session).status == .forbidden)
            let created = try await api.call(.post, "/api/sessions", token: host, json: session)
            #expect(created.status == .created)
            let sessionID = try #require(created["session_id"] as? Int)
            let badTimes = try await api.call(
                .post, "/api/sessions", token: host, json: #"{"title":"X","start_time":"2099-05-01T08:00:00Z","end_time":"2099-05-01T07:00:00Z","capacity":1}"#)
            #expect(badTimes.status == .badRequest)

            let listed = try await api.call(.get, "/api/sessions", token: guest)
            let first = try #require((listed.json as? [[String: Any]])?.first)
            #expect(first["available_spots"] as? Int == 1)
            #expect(first["price"] as? Double == 12.5)
            #expect((first["facilitator"] as? [String: Any])?["email"] == nil)

            let booked = try await api.call(.post, "/api/bookings", token: guest, json: #"{"session_id":\#(sessionID)}"#)
            #expect(booked.status == .created)
            let bookingID = try #require(booked["booking_id"] as? Int)
            let full = try await api.call(.post, "/api/bookings", token: other, json: #"{"session_id":\#(sessionID)}"#)
            #expect(full.status == .conflict)
            // Someone else's booking does not exist as far as they can tell.
            #expect(try await api.call(.post, "/api/bookings/\(bookingID)/cancel", token: other).status == .notFound)
            #expect(try await api.call(.put, "/api/sessions/\(sessionID)", token: rival, json: #"{"title":"Mine now"}"#).status == .forbidden)
            #expect(try await api.call(.get, "/api/facilitator/sessions/\(sessionID)/bookings", token: rival).status == .notFound)
            let hostView = try await api.call(.get, "/api/facilitator/sessions/\(sessionID)/bookings", token: host)
            #expect((hostView.json as? [[String: Any]])?.count == 1)
            // Capacity can't drop below confirmed bookings.
            #expect(try await api.call(.put, "/api/sessions/\(sessionID)", token: host, json: #"{"capacity":0}"#).status == .badRequest)
            #expect(try await api.call(.put, "/api/sessions/\(sessionID)", token: host, json: #"{"capacity":3}"#).status == .ok)
            #expect(try await api.call(.post, "/api/bookings", token: other, json: #"{"session_id":\#(sessionID)}"#).status == .created)
            let dashboard = try await api.call(.get, "/api/facilitator/dashboard", token: host)
            #expect(dashboard["total_bookings"] as? Int == 2)
            #expect(dashboard["total_revenue"] as? Double == 25)
            // Cancelling the session cancels its bookings.
            let cancelled = try await api.call(.delete, "/api/facilitator/sessions/\(sessionID)", token: host)
            #expect(cancelled["cancelled_bookings"] as? Int == 2)
            let mine = try await api.call(.get, "/api/bookings/my", token: guest)
            #expect((mine.json as? [[String: Any]])?.first?["booking_status"] as? String == "cancelled")
        }
    }

    @Test func listsPageWithLinkHeaders() async throws {
        try await withLiveApplication(Self.noLimits) { client in
            let api = APIClient(client: client)
            let host = try await api.register("host@example.com", role: "facilitator")
            for index in 0..<5 {
                let body = #"{"title":"S\#(index)","start_time":"2099-05-01T07:00:00Z","end_time":"2099-05-01T08:00:00Z","capacity":5}"#
                #expect(try await api.call(.post, "/api/sessions", token: host, json: body).status == .created)
            }
            let first = try await api.call(.get, "/api/sessions?limit=2", token: host)
            #expect((first.json as? [[String: Any]])?.map { $0["id"] as? Int } == [1, 2])
            let link = try #require(first.headers[HTTPField.Name("Link")!])
            #expect(link == #"</api/sessions?limit=2&cursor=2>; rel="next""#)
            let last = try await api.call(.get, "/api/sessions?limit=2&cursor=4", token: host)
            #expect((last.json as? [[String: Any]])?.map { $0["id"] as? Int } == [5])
            #expect(last.headers[HTTPField.Name("Link")!] == nil)
            #expect(try await api.call(.get, "/api/sessions?limit=0", token: host).status == .badRequest)
            #expect(try await api.call(.get, "/api/sessions?limit=1001", token: host).status == .badRequest)
        }
    }
}
