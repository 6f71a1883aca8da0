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

/// Client frames the notifier can't use: malformed JSON gets an error message and the socket stays
/// open; bytes that aren't UTF-8 or frames that break the protocol close it with their code. Either
/// way the acknowledgement cursor stays where it was and the server goes on serving.
@Suite(.timeLimit(.minutes(3))) struct MalformedFrameTests {
    /// Generous inbound limits: these tests send many bad messages on purpose, and the flood limit has its own test.
    static let configuration = notifierConfiguration {
        $0.notifier.inboundMessagesPerSecond = 10_000
        $0.notifier.inboundBurst = 10_000
    }

    /// A facilitator with one booking notification waiting; returns its token and that position.
    static func scene(_ api: APIClient) async throws -> (host: String, position: Int) {
        let scene = Scene(api: api)
        let host = try await api.register("host@example.com", role: "facilitator")
        let session = try await scene.session(token: host, title: "Yoga")
        _ = try await scene.book(try await api.register("ada@example.com"), session)
        return (host, try await head(api))
    }

    static func head(_ api: APIClient) async throws -> Int {
        let health = try await api.call(.get, "/health")
        return try #require((health["store"] as? [String: Any])?["last_position"] as? Int, "\(health.text)")
    }

    /// The cursor, read without moving it (an ack of 0 never moves it back).
    static func cursor(_ api: APIClient, _ host: String) async throws -> Int {
        let reply = try await api.call(.post, "/api/notifications/ack", token: host, json: #"{"position":0}"#)
        return try #require(reply["acknowledged_position"] as? Int, "\(reply.text)")
    }

    static func text(_ bytes: [UInt8], fin: Bool = true, opcode: WebSocketOpcode = .text) -> WebSocketOutboundWriter.OutboundFrame {
        .custom(WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes)))
    }

    @Test func malformedJSONGetsAnErrorMessageAndMovesNothing() async throws {
        try await withLiveApplication(Self.configuration) { client in
            let api = APIClient(client: client)
            let (host, position) = try await Self.scene(api)
            let deep = String(repeating: "[", count: 1_500) + String(repeating: "]", count: 1_500)
            let deepObject = String(repeating: #"{"a":"#, count: 600) + "1" + String(repeating: "}", count: 600)
            let messages: [(String, String?)] = [
                // Truncated.
                ("", nil), ("{", nil), (#"{"type":"ack","position":"#, nil), (#"{"type":"ack","position":\#(position)"#, nil),
                (#"{"type":"ack""#, nil), (#"{"type":"a"#, nil),
                // Not an object, or no string type.
                ("[]", nil), (#"["ack",\#(position)]"#, nil), (#""ack""#, nil), ("42", nil), ("null", nil), (#"{"type":5}"#, nil),
                (#"{"type":null,"position":\#(position)}"#, nil), (#"{"type":["ack"],"position":\#(position)}"#, nil),
                (#"{"position":\#(position)}"#, nil),
                // Unknown types.
                (#"{"type":"ACK","position":\#(position)}"#, "Unknown"), (#"{"type":"ack ","position":\#(position)}"#, "Unknown"),
                (#"{"type":"subscribe","position":\#(position)}"#, "Unknown"), (#"{"type":"","position":\#(position)}"#, "Unknown"),
                // Wrong position types and values.
                (#"{"type":"ack","position":"\#(position)"}"#, "position"), (#"{"type":"ack","position":-1}"#, "position"),
                (#"{"type":"ack","position":\#(position).5}"#, "position"), (#"{"type":"ack","position":1e400}"#, "position"),
                (#"{"type":"ack","position":9\#(String(repeating: "9", count: 399))}"#, "position"),
                (#"{"type":"ack","position":9223372036854775808}"#, "position"), (#"{"type":"ack","position":\#(position + 1)}"#, "beyond"),
                (#"{"type":"ack","position":true}"#, "position"), (#"{"type":"ack","position":null}"#, "position"),
                (#"{"type":"ack","position":[\#(position)]}"#, "position"), (#"{"type":"ack","position":{"n":\#(position)}}"#, "position"),
                (#"{"type":"ack"}"#, "position"),
                // Deeply nested, within the frame size limit.
                (deep, nil), (String(repeating: "[", count: 3_000), nil), (#"{"type":"ack","position":\#(deep)}"#, nil),
                (#"{"type":"ack","position":\#(position),"x":\#(deepObject)}"#, nil),
                // Ambiguous: which position counts would depend on the parser.
                (#"{"type":"ack","position":0,"position":\#(position)}"#, "position"),
                (#"{"type":"ack","position":\#(position),}"#, nil), (#"{"type":"ack","position":\#(position),"x":[1,]}"#, nil),
                // A NUL and other control bytes are valid UTF-8 but not valid JSON outside an escape.
                ("{\"type\":\"ack\u{0}\",\"position\":\(position)}", nil), ("{\"type\":\"ack\",\"position\":\(position)}\u{0}", nil),
                // A byte-order mark, and UTF-16 and UTF-32 (valid UTF-8 too: ASCII and NULs), which Foundation would read.
                ("\u{FEFF}{\"type\":\"ack\",\"position\":\(position)}", nil),
                (String(decoding: #"{"type":"ack","position":\#(position)}"#.utf16.flatMap { [UInt8($0 & 0xFF), 0] }, as: UTF8.self), nil),
                (String(decoding: #"{"type":"ack","position":\#(position)}"#.utf8.flatMap { [0, 0, 0, $0] }, as: UTF8.self), nil),
            ]
            try await notifierSocket(client, token: host) { inbound, outbound in
                let replayed = try object(await inbound.next(), "the booking notification")
                #expect(replayed["position"] as? Int != nil)
                for (text, fragment) in messages {
                    try await outbound.write(.text(text))
                    let reply = try object(await inbound.next(), "an answer to \(text.prefix(60))")
                    #expect(reply["type"] as? String == "error", "\(text.prefix(60)): \(reply)")
                    let error = reply["error"] as? String ?? ""
                    #expect(!error.isEmpty && error != "Internal error", "\(text.prefix(60)): \(reply)")
                    if let fragment { #expect(error.contains(fragment), "\(text.prefix(60)): \(error)") }
                }
                // Still open and working: a valid ack is answered.
                try await outbound.write(.text(#"{"type":"ack","position":0}"#))
                let answer = try object(await inbound.next())
                #expect(answer["type"] as? String == "acknowledged")
                #expect(answer["position"] as? Int == 0, "no malformed message moved the cursor")
            }
            #expect(try await Self.cursor(api, host) == 0)
            #expect(try await Self.head(api) == position, "nothing was written")
        }
    }

    @Test func textThatIsNotUTF8ClosesWith1007AndMovesNothing() async throws {
        try await withLiveApplication(Self.configuration) { client in
            let api = APIClient(client: client)
            let (host, position) = try await Self.scene(api)
            let ack = Array(#"{"type":"ack","position":\#(position),"note":""#.utf8)
            let end = Array(#""}"#.utf8)
            let invalid: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]
            for bad in invalid {
                // An otherwise valid ack with a stray byte in an ignored field: unvalidated, it would count.
                let close = try await notifierSocket(client, token: host) { inbound, outbound in
                    _ = try object(await inbound.next(), "the booking notification")
                    try await outbound.write(Self.text(ack + bad + end))
                    while try await inbound.next() != nil {}
                }
                #expect(close?.closeCode == .dataInconsistentWithMessage, "\(bad): \(String(describing: close))")
            }
            // Split over two fragments, the second one not UTF-8: the same.
            let fragmented = try await notifierSocket(client, token: host) { inbound, outbound in
                _ = try object(await inbound.next())
                try await outbound.write(Self.text(ack, fin: false))
                try await outbound.write(Self.text([0xFF] + end, opcode: .continuation))
                while try await inbound.next() != nil {}
            }
            #expect(fragmented?.closeCode == .dataInconsistentWithMessage)
            // A valid two-byte character split across fragments is fine, and is answered.
            try await notifierSocket(client, token: host) { inbound, outbound in
                _ = try object(await inbound.next())
                let accented = Array(#"{"type":"ack","position":0,"note":"é"}"#.utf8)
                let split = accented.firstIndex(of: 0xC3)! + 1
                try await outbound.write(Self.text(Array(accented[..<split]), fin: false))
                try await outbound.write(Self.text(Array(accented[split...]), opcode: .continuation))
                let answer = try object(await inbound.next())
                #expect(answer["type"] as? String == "acknowledged")
            }
            #expect(try await Self.cursor(api, host) == 0, "no invalid frame moved the cursor")
            #expect(try await Self.head(api) == position)
        }
    }

    @Test func frameLevelViolationsCloseWithTheirCodes() async throws {
        try await withLiveApplication(Self.configuration) { client in
            let api = APIClient(client: client)
            let (host, position) = try await Self.scene(api)
            let limit = 4 * 1024
            // Fragments each under the limit, together over it: 1009, like one big frame.
            let fragmented = try await notifierSocket(client, token: host) { inbound, outbound in
                _ = try object(await inbound.next())
                try await outbound.write(Self.text(Array(#"{"type":"ack","position":0,"pad":""#.utf8), fin: false))
                let half = [UInt8](repeating: UInt8(ascii: "x"), count: limit / 2)
                for _ in 0..<3 { try await outbound.write(Self.text(half, fin: false, opcode: .continuation)) }
                try await outbound.write(Self.text(Array(#""}"#.utf8), opcode: .continuation))
                while try await inbound.next() != nil {}
            }
            #expect(fragmented?.closeCode == .messageTooLarge)
            // A continuation with nothing to continue, and a new message inside a fragmented one: 1002.
            let orphan = try await notifierSocket(client, token: host) { inbound, outbound in
                _ = try object(await inbound.next())
                try await outbound.write(Self.text(Array(#"{"type":"ack","position":0}"#.utf8), opcode: .continuation))
                while try await inbound.next() != nil {}
            }
            #expect(orphan?.closeCode == .protocolError)
            let interleaved = try await notifierSocket(client, token: host) { inbound, outbound in
                _ = try object(await inbound.next())
                try await outbound.write(Self.text(Array(#"{"type":"ack","#.utf8), fin: false))
                try await outbound.write(Self.text(Array(#"{"type":"ack","position":0}"#.utf8)))
                while try await inbound.next() != nil {}
            }
            #expect(interleaved?.closeCode == .protocolError)
            // Binary, also fragmented: 1003.
            let binary = try await notifierSocket(client, token: host) { inbound, outbound in
                _ = try object(await inbound.next())
                try await outbound.write(Self.text(Array(#"{"type":"ack","position":\#(position)}"#.utf8), opcode: .binary))
                while try await inbound.next() != nil {}
            }
            #expect(binary?.closeCode == .unacceptableData)

            // After all that the server is healthy, the cursor unmoved, and a new socket works.
            #expect(try await Self.cursor(api, host) == 0)
            #expect(try await Self.head(api) == position)
            try await notifierSocket(client, token: host) { inbound, outbound in
                _ = try object(await inbound.next())
                try await outbound.write(.text(#"{"type":"ack","position":\#(position)}"#))
                let answer = try object(await inbound.next())
                #expect(answer["position"] as? Int == position)
            }
            #expect(try await Self.cursor(api, host) == position, "the valid ack moved it")
        }
    }
}
