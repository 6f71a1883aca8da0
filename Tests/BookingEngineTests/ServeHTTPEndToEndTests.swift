import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Starts the built `booking-engine serve` and drives it over HTTP as a client would: register a
/// facilitator and a guest, publish a session, book it, read it back, restart, and find it all there.
@Suite struct ServeHTTPEndToEndTests {
    final class Server {
        let process = Process()
        let port: Int
        private let output = Pipe()

        init(dataDirectory: String) throws {
            process.executableURL = URL(fileURLWithPath: EngineBinary.path)
            process.arguments = ["serve", "--data-dir", dataDirectory, "--port", "0"]
            process.environment = ["RATE_LIMIT_ENABLED": "false", "PATH": "/usr/bin:/bin"]
            process.standardOutput = output
            process.standardError = output
            try process.run()
            var seen = ""
            var found: Int?
            while found == nil {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
                if let range = seen.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    found = Int(seen[range].split(separator: ":").last!)
                }
            }
            guard let found else { throw TestFailure("serve did not start: \(seen)") }
            port = found
        }

        func stop() {
            kill(process.processIdentifier, SIGTERM)
            _ = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
        }

        func call(_ method: String, _ path: String, token: String? = nil, json: String? = nil) async throws -> (Int, [String: Any]?, Any?) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let json {
                request.httpBody = Data(json.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            let decoded = try? JSONSerialization.jsonObject(with: data)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, decoded as? [String: Any], decoded)
        }
    }

    @Test func aClientBooksASeatAndItSurvivesARestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var server = try Server(dataDirectory: directory.path)
        let (status, host, _) = try await server.call(
            "POST", "/api/auth/register", json: #"{"email":"host@example.com","password":"a long passphrase","name":"Host","role":"facilitator"}"#)
        #expect(status == 201)
        let hostToken = try #require(host?["access_token"] as? String)
        let (_, guest, _) = try await server.call(
            "POST", "/api/auth/register", json: #"{"email":"guest@example.com","password":"another passphrase","name":"Guest"}"#)
        let guestToken = try #require(guest?["access_token"] as? String)
        let (created, session, _) = try await server.call(
            "POST", "/api/sessions", token: hostToken,
            json: #"{"title":"Sound bath","start_time":"2099-06-01T18:00:00Z","end_time":"2099-06-01T19:30:00Z","capacity":8,"price":30}"#)
        #expect(created == 201)
        let sessionID = try #require(session?["session_id"] as? Int)
        let (booked, booking, _) = try await server.call("POST", "/api/bookings", token: guestToken, json: #"{"session_id":\#(sessionID)}"#)
        #expect(booked == 201)
        #expect(booking?["booking_id"] as? Int == 1)
        server.stop()

        // Everything acknowledged is still there after a restart, and the tokens still work.
        server = try Server(dataDirectory: directory.path)
        defer { server.stop() }
        let (listed, _, mine) = try await server.call("GET", "/api/bookings/my", token: guestToken)
        #expect(listed == 200)
        let bookings = try #require(mine as? [[String: Any]])
        #expect(bookings.count == 1)
        #expect(bookings.first?["booking_status"] as? String == "confirmed")
        let (_, health, _) = try await server.call("GET", "/health")
        #expect((health?["store"] as? [String: Any])?["last_position"] as? Int == 4)
    }
}
