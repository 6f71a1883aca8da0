import BookingAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Testing

/// Who may open `/api/notifications/ws`: refused before the upgrade with 401/403 and a JSON body,
/// by bearer token or single-use ticket, Origin checked.
@Suite(.timeLimit(.minutes(2))) struct NotifierAuthTests {
    @Test func refusalsComeBeforeTheUpgradeWithStatusAndJSON() async throws {
        let configuration = notifierConfiguration { $0.corsAllowedOrigins = ["https://app.example.com", testClientOrigin] }
        try await withLiveApplication(configuration) { client in
            let api = APIClient(client: client)
            let host = try await api.register("host@example.com", role: "facilitator")
            let guest = try await api.register("guest@example.com")
            let port = try #require(client.port)

            let none = try await rawUpgrade(port: port)
            #expect(none.status == 401)
            #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            #expect(none.body == #"{"error":"Authentication required"}"#)

            let forged = try await rawUpgrade(port: port, headers: ["Authorization": "Bearer \(host.dropLast(2))xx"])
            #expect(forged.status == 401)
            #expect(forged.headers["www-authenticate"]?.contains("invalid_token") == true)

            let user = try await rawUpgrade(port: port, headers: ["Authorization": "Bearer \(guest)"])
            #expect(user.status == 403)
            #expect(user.body == #"{"error":"Facilitator access required"}"#)

            let foreign = try await rawUpgrade(port: port, headers: ["Authorization": "Bearer \(host)", "Origin": "https://evil.example.net"])
            #expect(foreign.status == 403)
            #expect(foreign.body == #"{"error":"Origin not allowed"}"#)

            let badCursor = try await rawUpgrade(port: port, path: "/api/notifications/ws?after=-1", headers: ["Authorization": "Bearer \(host)"])
            #expect(badCursor.status == 400)

            let elsewhere = try await rawUpgrade(port: port, path: "/api/sessions", headers: ["Authorization": "Bearer \(host)"])
            #expect(elsewhere.status == 404)

            let allowed = try await rawUpgrade(port: port, headers: ["Authorization": "Bearer \(host)", "Origin": "https://app.example.com"])
            #expect(allowed.status == 101)
            #expect(allowed.headers["sec-websocket-protocol"] == nil, "no subprotocol offered, none echoed")

            // Without an upgrade the path answers 426 after the same checks.
            #expect(try await api.call(.get, "/api/notifications/ws").status == .unauthorized)
            #expect(try await api.call(.get, "/api/notifications/ws", token: guest).status == .forbidden)
            #expect(try await api.call(.get, "/api/notifications/ws", token: host).status.code == 426)

            // The WebSocket client sees the refusal as a failed upgrade, never a connection.
            await #expect(throws: WebSocketClientError.self) {
                try await notifierSocket(client, token: guest) { _, _ in Issue.record("a user's token was upgraded") }
            }
        }
    }

    @Test func aLoggedOutTokenIsRefused() async throws {
        try await withLiveApplication(notifierConfiguration()) { client in
            let api = APIClient(client: client)
            let host = try await api.register("host@example.com", role: "facilitator")
            #expect(try await api.call(.post, "/api/auth/logout", token: host).status == .ok)
            let revoked = try await rawUpgrade(port: try #require(client.port), headers: ["Authorization": "Bearer \(host)"])
            #expect(revoked.status == 401)
        }
    }

    @Test func ticketsAreForFacilitatorsSingleUseAndShortLived() async throws {
        let clock = ManualClock()
        let configuration = notifierConfiguration { $0.clock = { clock.read() } }
        try await withLiveApplication(configuration) { client in
            let api = APIClient(client: client)
            let host = try await api.register("host@example.com", role: "facilitator")
            let guest = try await api.register("guest@example.com")
            let port = try #require(client.port)

            #expect(try await api.call(.post, "/api/notifications/ticket").status == .unauthorized)
            #expect(try await api.call(.post, "/api/notifications/ticket", token: guest).status == .forbidden)
            let issued = try await api.call(.post, "/api/notifications/ticket", token: host)
            #expect(issued.status == .created)
            #expect(issued.headers[.cacheControl] == "no-store")
            #expect(issued["expires_in"] as? Int == 60)
            let ticket = try #require(issued["ticket"] as? String)
            #expect(ticket.count >= 43)

            // A ticket without the booking.v1 subprotocol is refused and not used up.
            #expect(try await rawUpgrade(port: port, headers: ["Sec-WebSocket-Protocol": "ticket.\(ticket)"]).status == 400)
            let opened = try await rawUpgrade(port: port, headers: ["Sec-WebSocket-Protocol": "booking.v1, ticket.\(ticket)"])
            #expect(opened.status == 101)
            #expect(opened.headers["sec-websocket-protocol"] == "booking.v1", "only booking.v1 is echoed, never the ticket")
            let reused = try await rawUpgrade(port: port, headers: ["Sec-WebSocket-Protocol": "booking.v1, ticket.\(ticket)"])
            #expect(reused.status == 401)
            #expect(reused.body == #"{"error":"Invalid or expired ticket"}"#)
            #expect(try await rawUpgrade(port: port, headers: ["Sec-WebSocket-Protocol": "booking.v1, ticket.made-up"]).status == 401)

            // 60 s later a fresh ticket no longer works; 59.9 s later it still does.
            let late = try #require(try await api.call(.post, "/api/notifications/ticket", token: host)["ticket"] as? String)
            let inTime = try #require(try await api.call(.post, "/api/notifications/ticket", token: host)["ticket"] as? String)
            clock.advance(milliseconds: 59_900)
            #expect(try await rawUpgrade(port: port, headers: ["Sec-WebSocket-Protocol": "booking.v1, ticket.\(inTime)"]).status == 101)
            clock.advance(milliseconds: 100)
            #expect(try await rawUpgrade(port: port, headers: ["Sec-WebSocket-Protocol": "booking.v1, ticket.\(late)"]).status == 401)

            // A real WebSocket client opens the socket with a ticket and gets its notifications.
            let scene = Scene(api: api)
            let session = try await scene.session(token: host, title: "Yoga")
            let booking = try await scene.book(guest, session)
            let browserTicket = try #require(try await api.call(.post, "/api/notifications/ticket", token: host)["ticket"] as? String)
            try await notifierSocket(client, headers: [.secWebSocketProtocol: "booking.v1, ticket.\(browserTicket)"]) { messages, _ in
                let first = try object(try await messages.next())
                #expect(first["booking_id"] as? Int == booking)
            }
        }
    }
}
