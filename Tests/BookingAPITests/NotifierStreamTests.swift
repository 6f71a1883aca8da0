import BookingAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Synchronization
import Testing

/// What a facilitator's socket carries: its own sessions' bookings only, the offline backlog in
/// order then live, from its acknowledged cursor (an event that survives restarts) or `?after=N`.
@Suite(.timeLimit(.minutes(2))) struct NotifierStreamTests {
    @Test func replaysOfflineBookingsInOrderThenStreamsLiveOnlyOwnSessions() async throws {
        try await withLiveApplication(notifierConfiguration()) { client in
            let api = APIClient(client: client)
            let scene = Scene(api: api)
            let host = try await api.register("host@example.com", role: "facilitator")
            let rival = try await api.register("rival@example.com", role: "facilitator")
            let ada = try await api.register("ada@example.com")
            let bo = try await api.register("bo@example.com")
            let yoga = try await scene.session(token: host, title: "Yoga")
            let other = try await scene.session(token: rival, title: "Rival's retreat")

            // Offline: two bookings on the host's session, one on the rival's, one cancellation.
            let first = try await scene.book(ada, yoga)
            _ = try await scene.book(ada, other)
            let second = try await scene.book(bo, yoga)
            #expect(try await api.call(.post, "/api/bookings/\(first)/cancel", token: ada).status == .ok)

            try await notifierSocket(client, token: host) { messages, _ in
                let replayed = [try object(await messages.next()), try object(await messages.next()), try object(await messages.next())]
                #expect(replayed.map { $0["type"] as? String } == ["new_booking", "new_booking", "booking_cancelled"])
                #expect(replayed.map { $0["booking_id"] as? Int } == [first, second, first])
                let positions = replayed.compactMap { $0["position"] as? Int }
                #expect(positions == positions.sorted() && Set(positions).count == 3)
                let message = replayed[0]
                #expect(Set(message.keys) == ["type", "position", "booking_id", "user", "session", "timestamp", "message"])
                let user = try #require(message["user"] as? [String: Any])
                #expect(user["email"] as? String == "ada@example.com")
                #expect(user["name"] as? String == "ada@example.com")
                let session = try #require(message["session"] as? [String: Any])
                #expect(session["id"] as? Int == yoga)
                #expect(session["title"] as? String == "Yoga")
                #expect(session["start_time"] as? String == "2099-05-01T07:00:00Z")
                #expect(message["message"] as? String == "New booking from ada@example.com for Yoga")

                // Live: the rival's booking first, then the host's; only the host's arrives.
                _ = try await scene.book(bo, other)
                let third = try await scene.book(ada, yoga)
                let live = try object(await messages.next())
                #expect(live["booking_id"] as? Int == third)
                #expect(try #require(live["position"] as? Int) > positions.last!)
            }

            // The rival sees only its own two bookings.
            try await notifierSocket(client, token: rival) { messages, _ in
                let one = try object(await messages.next())
                let two = try object(await messages.next())
                #expect((one["session"] as? [String: Any])?["id"] as? Int == other)
                #expect((two["session"] as? [String: Any])?["id"] as? Int == other)
                // A marker booking on the rival's session proves nothing of the host's came in between.
                _ = try await scene.book(try await api.register("dee@example.com"), yoga)
                let marker = try await scene.book(try await api.register("cy@example.com"), other)
                let received = try object(await messages.next())
                #expect(received["booking_id"] as? Int == marker)
            }
        }
    }

    @Test func severalSocketsPerFacilitatorEachGetEveryNotification() async throws {
        try await withLiveApplication(notifierConfiguration()) { client in
            let api = APIClient(client: client)
            let scene = Scene(api: api)
            let host = try await api.register("host@example.com", role: "facilitator")
            let ada = try await api.register("ada@example.com")
            let yoga = try await scene.session(token: host, title: "Yoga")
            let booked = Mutex<Int?>(nil)
            try await notifierSocket(client, token: host) { first, _ in
                try await notifierSocket(client, token: host) { second, _ in
                    // Both sockets are registered with the hub (it registers just after the 101), so
                    // the booking below reaches them live, not by replay; /health counts them.
                    var sockets: Int?
                    for _ in 0..<200 {
                        sockets = ((try await api.call(.get, "/health").json as? [String: Any])?["notifier"] as? [String: Any])?["sockets"] as? Int
                        if sockets == 2 { break }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    #expect(sockets == 2, "/health counts both sockets")
                    let booking = try await scene.book(ada, yoga)
                    booked.withLock { $0 = booking }
                    #expect(try object(await second.next())["booking_id"] as? Int == booking)
                }
                let booking = try #require(booked.withLock { $0 })
                #expect(try object(await first.next())["booking_id"] as? Int == booking)
            }
        }
    }

    @Test func acknowledgementsPersistAcrossSocketsAndRestarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = notifierConfiguration()
        let (host, ada, yoga, acknowledged) = try await withLiveApplication(directory: directory, configuration) { client in
            let api = APIClient(client: client)
            let scene = Scene(api: api)
            let host = try await api.register("host@example.com", role: "facilitator")
            let ada = try await api.register("ada@example.com")
            let bo = try await api.register("bo@example.com")
            let yoga = try await scene.session(token: host, title: "Yoga")
            _ = try await scene.book(ada, yoga)
            let last = try await scene.book(bo, yoga)

            let acknowledged = try await notifierSocket(client, token: host) { messages, outbound in
                _ = try object(await messages.next())
                let second = try object(await messages.next())
                #expect(second["booking_id"] as? Int == last)
                let position = try #require(second["position"] as? Int)
                try await outbound.write(.text(#"{"type":"ack","position":\#(position)}"#))
                let reply = try object(await messages.next())
                #expect(reply["type"] as? String == "acknowledged")
                #expect(reply["position"] as? Int == position)
            }
            _ = acknowledged
            let pending = try await api.call(.get, "/api/notifications", token: host)
            #expect(pending.json as? [Any] != nil && (pending.json as? [Any])?.isEmpty == true, "nothing pending after the ack: \(pending.text)")
            let all = try await api.call(.get, "/api/notifications?after=0", token: host)
            let positions = try #require(all.json as? [[String: Any]]).compactMap { $0["position"] as? Int }
            #expect(positions.count == 2)
            return (host, ada, yoga, positions[1])
        }

        // A fresh service on the same data directory: the cursor is an event, so it is still there.
        try await withLiveApplication(directory: directory, configuration) { client in
            let api = APIClient(client: client)
            let scene = Scene(api: api)
            try await notifierSocket(client, token: host) { messages, _ in
                // Nothing old is replayed: the first message is the booking made now.
                let cy = try await api.register("cy@example.com")
                let fresh = try await scene.book(cy, yoga)
                let first = try object(await messages.next())
                #expect(first["booking_id"] as? Int == fresh)
                #expect(try #require(first["position"] as? Int) > acknowledged)
            }
            // `?after=0` replays everything regardless of the cursor, in order.
            try await notifierSocket(client, path: "/api/notifications/ws?after=0", token: host) { messages, _ in
                let positions = [
                    try object(await messages.next())["position"] as? Int, try object(await messages.next())["position"] as? Int,
                    try object(await messages.next())["position"] as? Int,
                ].compactMap { $0 }
                #expect(positions.count == 3 && positions == positions.sorted())
                #expect(positions[1] == acknowledged)
            }
            // `?after=N` replays after N.
            try await notifierSocket(client, path: "/api/notifications/ws?after=\(acknowledged - 1)", token: host) { messages, _ in
                let received = try object(await messages.next())
                #expect(received["position"] as? Int == acknowledged)
            }
            _ = ada
        }
    }

    @Test func restEquivalentsListAndAcknowledge() async throws {
        try await withLiveApplication(notifierConfiguration()) { client in
            let api = APIClient(client: client)
            let scene = Scene(api: api)
            let host = try await api.register("host@example.com", role: "facilitator")
            let guest = try await api.register("guest@example.com")
            let yoga = try await scene.session(token: host, title: "Yoga")
            var bookings: [Int] = []
            for index in 0..<3 { bookings.append(try await scene.book(try await api.register("u\(index)@example.com"), yoga)) }

            #expect(try await api.call(.get, "/api/notifications").status == .unauthorized)
            #expect(try await api.call(.get, "/api/notifications", token: guest).status == .forbidden)
            let listed = try await api.call(.get, "/api/notifications", token: host)
            #expect(listed.status == .ok)
            let items = try #require(listed.json as? [[String: Any]])
            #expect(items.compactMap { $0["booking_id"] as? Int } == bookings)
            let positions = items.compactMap { $0["position"] as? Int }

            let page = try #require(try await api.call(.get, "/api/notifications?limit=1&after=\(positions[0])", token: host).json as? [[String: Any]])
            #expect(page.compactMap { $0["position"] as? Int } == [positions[1]])
            #expect(try await api.call(.get, "/api/notifications?after=x", token: host).status == .badRequest)
            #expect(try await api.call(.get, "/api/notifications?limit=0", token: host).status == .badRequest)

            #expect(try await api.call(.post, "/api/notifications/ack", token: guest, json: #"{"position":1}"#).status == .forbidden)
            #expect(try await api.call(.post, "/api/notifications/ack", token: host, json: #"{"position":"1"}"#).status == .badRequest)
            #expect(try await api.call(.post, "/api/notifications/ack", token: host, json: #"{"position":99999}"#).status == .badRequest)
            let acked = try await api.call(.post, "/api/notifications/ack", token: host, json: #"{"position":\#(positions[1])}"#)
            #expect(acked.status == .ok)
            #expect(acked["acknowledged_position"] as? Int == positions[1])
            // An older position doesn't move the cursor back.
            let older = try await api.call(.post, "/api/notifications/ack", token: host, json: #"{"position":\#(positions[0])}"#)
            #expect(older["acknowledged_position"] as? Int == positions[1])
            let rest = try #require(try await api.call(.get, "/api/notifications", token: host).json as? [[String: Any]])
            #expect(rest.compactMap { $0["booking_id"] as? Int } == [bookings[2]])
        }
    }
}
