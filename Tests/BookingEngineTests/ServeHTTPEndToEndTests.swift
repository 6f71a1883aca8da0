import Foundation
import Testing

/// Starts the built `booking-engine serve` and drives it over HTTP as a client would: register a
/// facilitator and a guest, publish a session, book it, read it back, restart, and find it all there.
@Suite struct ServeHTTPEndToEndTests {
    @Test func aClientBooksASeatAndItSurvivesARestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let logs = try TemporaryDirectory("serve-logs")
        defer { logs.remove() }
        var server = try await ServeProcess.start(dataDirectory: directory.path, logPath: logs.path + "/serve.log")
        let (status, host, _, _) = try await server.call(
            "POST", "/api/auth/register", json: #"{"email":"host@example.com","password":"a long passphrase","name":"Host","role":"facilitator"}"#)
        #expect(status == 201)
        let hostToken = try #require(host?["access_token"] as? String)
        let (_, guest, _, _) = try await server.call(
            "POST", "/api/auth/register", json: #"{"email":"guest@example.com","password":"another passphrase","name":"Guest"}"#)
        let guestToken = try #require(guest?["access_token"] as? String)
        let (created, session, _, _) = try await server.call(
            "POST", "/api/sessions", token: hostToken,
            json: #"{"title":"Sound bath","start_time":"2099-06-01T18:00:00Z","end_time":"2099-06-01T19:30:00Z","capacity":8,"price":30}"#)
        #expect(created == 201)
        let sessionID = try #require(session?["session_id"] as? Int)
        let (booked, booking, _, _) = try await server.call("POST", "/api/bookings", token: guestToken, json: #"{"session_id":\#(sessionID)}"#)
        #expect(booked == 201)
        #expect(booking?["booking_id"] as? Int == 1)
        server.stop()

        // Everything acknowledged is still there after a restart, and the tokens still work.
        server = try await ServeProcess.start(dataDirectory: directory.path, logPath: logs.path + "/serve.log")
        defer { server.stop() }
        let (listed, _, mine, _) = try await server.call("GET", "/api/bookings/my", token: guestToken)
        #expect(listed == 200)
        let bookings = try #require(mine as? [[String: Any]])
        #expect(bookings.count == 1)
        #expect(bookings.first?["booking_status"] as? String == "confirmed")
        let (_, health, _, _) = try await server.call("GET", "/health")
        #expect((health?["store"] as? [String: Any])?["last_position"] as? Int == 4)
    }
}
