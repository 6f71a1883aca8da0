import EventSourcing
import Foundation
import Testing

@Suite struct RecordViewTests {
    static func record(payload: [UInt8] = Array("payload".utf8), key: String? = "key-1") -> [UInt8] {
        let event = ProposedEvent(eventID: UUID.random(), stream: "booking-901", type: "booking.confirmed", schemaVersion: 1, payload: payload)
        let body = EventRecordFormat.encodeBody(
            position: 42, eventID: event.eventID, recordedAt: 1_800_000_000_000, version: 3, event: event,
            metadata: EventMetadata(actor: "user-7", correlationID: UUID.random(), causationID: nil, idempotencyKey: key))
        return EventRecordFormat.seal(body: body, previousHash: [UInt8](repeating: 9, count: 32)).record
    }

    @Test func roundTripsEveryEnvelopeField() throws {
        let bytes = Self.record()
        let recorded = try bytes.withUnsafeBytes { try RecordView(parsing: $0).materialize() }
        #expect(recorded.position == 42)
        #expect(recorded.stream == "booking-901")
        #expect(recorded.version == 3)
        #expect(recorded.type == "booking.confirmed")
        #expect(recorded.recordedAt == 1_800_000_000_000)
        #expect(recorded.metadata.actor == "user-7")
        #expect(recorded.metadata.idempotencyKey == "key-1")
        #expect(recorded.metadata.correlationID != nil)
        #expect(recorded.metadata.causationID == nil)
        #expect(recorded.payload == Array("payload".utf8))
        #expect(recorded.previousHash == [UInt8](repeating: 9, count: 32))
        #expect(bytes.withUnsafeBytes { (try? RecordView(parsing: $0))?.hashMatches } == true)
    }

    /// Every truncation of a record is refused with an error, never a trap or a silent success.
    @Test func everyTruncationThrows() {
        let bytes = Self.record()
        for length in 0..<(bytes.count - 64) {
            let body = Array(bytes[0..<length]) + bytes.suffix(64)
            #expect(throws: BinaryDecodingError.self) { try body.withUnsafeBytes { _ = try RecordView(parsing: $0) } }
        }
    }

    /// Random damage either parses (then the hash no longer matches) or throws; it never traps.
    @Test func randomDamageNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        let original = Self.record()
        for _ in 0..<5_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<(bytes.count - 64), using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            guard bytes != original else { continue }
            let matches = bytes.withUnsafeBytes { (try? RecordView(parsing: $0))?.hashMatches }
            #expect(matches != true)
        }
    }

    @Test func invalidUTF8InAStringFieldIsRefused() throws {
        var bytes = Self.record()
        // The stream name starts after format(1) position(8) id(16) time(8) version(1) schema(1) length(1).
        bytes[36] = 0xFF
        #expect(throws: Never.self) { try bytes.withUnsafeBytes { _ = try RecordView(parsing: $0) } }
        #expect(throws: BinaryDecodingError.self) { try bytes.withUnsafeBytes { _ = try RecordView(parsing: $0).materialize() } }
    }

    @Test func oversizedLengthsAndOverlongVarintsAreRefused() {
        let overlong: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: BinaryDecodingError.self) {
            try overlong.withUnsafeBytes { buffer in
                var reader = BinaryReader(buffer)
                _ = try reader.readVarint("n")
            }
        }
        let hugeLength: [UInt8] = [0xFF, 0xFF, 0xFF, 0x7F, 0x61]
        #expect(throws: BinaryDecodingError.self) {
            try hugeLength.withUnsafeBytes { buffer in
                var reader = BinaryReader(buffer)
                _ = try reader.readString("s")
            }
        }
    }
}
