import BookingAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import NIOCore
import NIOWebSocket
import Synchronization
import Testing

/// How the notifier socket ends: oversized frames, binary frames, floods, logout, slow consumers and
/// server shutdown each close it with their documented code; malformed JSON gets an error frame.
@Suite(.timeLimit(.minutes(2))) struct NotifierLimitsTests {
    @Test func oversizedFrameClosesWith1009() async throws {
        try await withLiveApplication(notifierConfiguration()) { client in
            let host = try await APIClient(client: client).register("host@example.com", role: "facilitator")
            let close = try await notifierSocket(client, token: host, maxFrameSize: 1 << 16) { messages, outbound in
                try await outbound.write(.text(#"{"type":"ack","position":0,"pad":""# + String(repeating: "x", count: 5_000) + #""}"#))
                while try await messages.next() != nil {}
            }
            #expect(close?.closeCode == .messageTooLarge)
        }
    }

    @Test func binaryFramesCloseWith1003AndMalformedJSONGetsAnErrorFrame() async throws {
        try await withLiveApplication(notifierConfiguration()) { client in
            let host = try await APIClient(client: client).register("host@example.com", role: "facilitator")
            let close = try await notifierSocket(client, token: host) { messages, outbound in
                try await outbound.write(.text("not json"))
                let error = try object(await messages.next())
                #expect(error["type"] as? String == "error")
                try await outbound.write(.text(#"{"type":"subscribe"}"#))
                let received = try object(await messages.next())
                #expect(received["type"] as? String == "error")
                try await outbound.write(.text(#"{"type":"ack","position":-4}"#))
                let refused = try object(await messages.next())
                #expect((refused["error"] as? String)?.contains("position") == true)
                try await outbound.write(.binary(ByteBuffer(bytes: [1, 2, 3])))
                while try await messages.next() != nil {}
            }
            #expect(close?.closeCode == .unacceptableData)
        }
    }

    @Test func floodingClosesWith1008() async throws {
        let configuration = notifierConfiguration {
            $0.notifier.inboundMessagesPerSecond = 0.001
            $0.notifier.inboundBurst = 3
        }
        try await withLiveApplication(configuration) { client in
            let host = try await APIClient(client: client).register("host@example.com", role: "facilitator")
            let close = try await notifierSocket(client, token: host) { messages, outbound in
                for _ in 0..<4 { try await outbound.write(.text(#"{"type":"ack","position":0}"#)) }
                while try await messages.next() != nil {}
            }
            #expect(close?.closeCode == .policyViolation)
            #expect(close?.reason == "Too many messages")
        }
    }

    @Test func logoutClosesOpenSocketsWith1008() async throws {
        try await withLiveApplication(notifierConfiguration()) { client in
            let api = APIClient(client: client)
            let host = try await api.register("host@example.com", role: "facilitator")
            let close = try await notifierSocket(client, token: host) { messages, _ in
                #expect(try await api.call(.post, "/api/auth/logout", token: host).status == .ok)
                while try await messages.next() != nil {}
            }
            #expect(close?.closeCode == .policyViolation)
            #expect(close?.reason == "Token revoked")
        }
    }

    @Test func aSocketTooFarBehindIsClosedWith4000AndResumesFromItsCursor() async throws {
        // A buffer of zero makes the first live notification overflow it, deterministically; the
        // queue's bound itself is checked below without sockets.
        let configuration = notifierConfiguration { $0.notifier.outboundBufferLimit = 0 }
        try await withLiveApplication(configuration) { client in
            let api = APIClient(client: client)
            let scene = Scene(api: api)
            let host = try await api.register("host@example.com", role: "facilitator")
            let yoga = try await scene.session(token: host, title: "Yoga")
            let booking = BookingBox()
            let close = try await notifierSocket(client, token: host) { messages, _ in
                let id = try await scene.book(try await api.register("ada@example.com"), yoga)
                booking.value.withLock { $0 = id }
                while try await messages.next() != nil {}
            }
            #expect(close?.closeCode == .unknown(4000))
            // Reconnecting replays what was missed, from the (unmoved) cursor.
            try await notifierSocket(client, token: host) { messages, _ in
                let received = try object(await messages.next())
                #expect(received["booking_id"] as? Int == booking.value.withLock { $0 })
            }
        }
    }

    @Test func serverShutdownClosesTheSocketCleanly() async throws {
        let connected = AsyncStream<Void>.makeStream()
        let socket = try await withLiveApplication(notifierConfiguration()) { client -> Task<WebSocketCloseFrame?, any Error> in
            let host = try await APIClient(client: client).register("host@example.com", role: "facilitator")
            let task = Task {
                try await notifierSocket(client, token: host) { messages, outbound in
                    try await outbound.write(.text(#"{"type":"ack","position":0}"#))
                    _ = try object(await messages.next())  // the socket is up and served
                    connected.continuation.yield()
                    while try await messages.next() != nil {}
                }
            }
            for await _ in connected.stream { break }
            return task  // leaving the closure shuts the application down gracefully
        }
        let close = try await socket.value
        // A clean close handshake (a close frame, not a dropped connection). The code is 1000:
        // hummingbird-websocket's own shutdown handler sends it before the notifier's 1001 (see
        // docs/ARCHITECTURE.md); either tells the client to reconnect and resume from its cursor.
        let code = try #require(close?.closeCode, "the socket was dropped without a close frame")
        #expect(code == .normalClosure || code == .goingAway)
    }
}

/// A booking id handed from a socket handler back to the test.
final class BookingBox: Sendable {
    let value = Mutex<Int?>(nil)
}
