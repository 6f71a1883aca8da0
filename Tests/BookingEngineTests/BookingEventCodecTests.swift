import BookingDomain
import BookingEngine
import EventSourcing
import Foundation
import Testing

@Suite struct BookingEventCodecTests {
    static let identity = GoogleIdentity(issuer: "https://accounts.google.com", subject: "1098")
    static let details = SessionDetails(
        title: "Sound bath — ünïcödé ✓", description: "Bring a mat", sessionType: .retreat, startTime: Timestamp(rawValue: 1_900_000_000_000),
        endTime: Timestamp(rawValue: 1_900_003_600_000), capacity: 12, priceMinor: 4_550, location: "Lisbon")

    /// One of every event, with optional fields both set and unset.
    static let samples: [BookingEvent] = [
        .userRegistered(UserRegistered(userID: UserID(1), email: "a@example.com", name: "A", role: .user, passwordHash: "$argon2id$v=19$x")),
        .userRegistered(
            UserRegistered(
                userID: UserID(2), email: "f@example.com", name: "F", role: .facilitator, passwordHash: nil, googleIdentity: identity,
                profile: FacilitatorProfile(bio: "Teaches", specialization: nil))),
        .loginSucceeded(LoginSucceeded(userID: UserID(1), method: .google)),
        .loginFailed(LoginFailed(userID: UserID(1), reason: .noPassword)),
        .tokensRevoked(TokensRevoked(userID: UserID(1), issuedNotAfter: Timestamp(rawValue: 1_800_000_000_123))),
        .googleAccountLinked(GoogleAccountLinked(userID: UserID(1), identity: identity)),
        .sessionCreated(SessionCreated(sessionID: SessionID(3), facilitatorID: UserID(2), details: details)),
        .sessionCreated(
            SessionCreated(
                sessionID: SessionID(4), facilitatorID: UserID(2),
                details: SessionDetails(title: "T", startTime: Timestamp(rawValue: 5), endTime: Timestamp(rawValue: 6), capacity: 1))),
        .sessionUpdated(SessionUpdated(sessionID: SessionID(3), changes: SessionChanges(title: "New", capacity: 20, location: ""))),
        .sessionUpdated(
            SessionUpdated(
                sessionID: SessionID(3),
                changes: SessionChanges(
                    title: "x", description: "y", sessionType: .session, startTime: Timestamp(rawValue: 7), endTime: Timestamp(rawValue: 8),
                    capacity: 2, priceMinor: 0, location: "z"))),
        .sessionCancelled(SessionCancelled(sessionID: SessionID(3), facilitatorID: UserID(2))),
        .bookingConfirmed(
            BookingConfirmed(bookingID: BookingID(9), sessionID: SessionID(3), userID: UserID(1), facilitatorID: UserID(2), priceMinor: 4_550, notes: "vegan")),
        .bookingCancelled(
            BookingCancelled(bookingID: BookingID(9), sessionID: SessionID(3), userID: UserID(1), facilitatorID: UserID(2), cause: .sessionCancelled)),
        .notificationsAcknowledged(NotificationsAcknowledged(facilitatorID: UserID(2), position: 1_234_567)),
    ]

    @Test func everyEventRoundTripsThroughTheBinaryCodec() throws {
        let codec = BookingEventCodec()
        #expect(Set(Self.samples.map(\.kind)) == Set(BookingEvent.Kind.allCases))
        for event in Self.samples {
            let encoded = codec.encode(event)
            #expect(encoded.type == event.kind.rawValue)
            #expect(encoded.stream == event.streamName)
            let decoded = try encoded.payload.withUnsafeBytes {
                try codec.decode(kind: event.kind, schemaVersion: encoded.schemaVersion, payload: $0)
            }
            #expect(decoded == event)
            // Deterministic: the same event always has the same bytes (import relies on it).
            #expect(codec.encode(event).payload == encoded.payload)
        }
    }

    @Test func everyEventRoundTripsThroughTheExportJSON() throws {
        let codec = BookingEventCodec()
        for (index, event) in Self.samples.enumerated() {
            let encoded = codec.encode(event)
            let record = RecordedEvent(
                position: Int64(index + 1), eventID: UUID.random(), stream: encoded.stream, version: 1, type: encoded.type,
                schemaVersion: encoded.schemaVersion, recordedAt: 1_800_000_000_007, metadata: EventMetadata(actor: "system"),
                payload: encoded.payload, previousHash: [UInt8](repeating: 0, count: 32), hash: [UInt8](repeating: 1, count: 32))
            let line = try ExportedEvent.makeEncoder().encode(ExportedEvent(record, event: event))
            let back = try ExportedEvent.makeDecoder().decode(ExportedEvent.self, from: line)
            #expect(back.payload == event)
            #expect(back.recordedAtMilliseconds == 1_800_000_000_007)
            #expect(!String(decoding: line, as: UTF8.self).contains("userID"), "keys are snake_case")
        }
    }

    /// Truncated, extended or garbage payloads throw; none traps.
    @Test func malformedPayloadsThrow() {
        let codec = BookingEventCodec()
        var generator = SystemRandomNumberGenerator()
        for event in Self.samples {
            let payload = codec.encode(event).payload
            for length in 0..<payload.count {
                #expect(throws: (any Error).self) {
                    try Array(payload[0..<length]).withUnsafeBytes { try codec.decode(kind: event.kind, schemaVersion: 1, payload: $0) }
                }
            }
            #expect(throws: (any Error).self) {
                try (payload + [0]).withUnsafeBytes { try codec.decode(kind: event.kind, schemaVersion: 1, payload: $0) }
            }
            for _ in 0..<200 {
                let garbage = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                _ = try? garbage.withUnsafeBytes { try codec.decode(kind: event.kind, schemaVersion: 1, payload: $0) }
            }
            #expect(throws: BookingEventDecodingError.self) {
                try payload.withUnsafeBytes { try codec.decode(kind: event.kind, schemaVersion: 2, payload: $0) }
            }
        }
    }
}

@Suite struct ExportTimeTests {
    @Test(arguments: [Int64(0), 7, 999, 1_000, 1_800_000_000_007, 1_800_000_000_999, -1, -1_001, 253_402_300_799_999])
    func millisecondsSurviveTheRoundTrip(milliseconds: Int64) {
        let text = ExportedEvent.exportedTime(milliseconds)
        #expect(text.hasSuffix("Z"))
        #expect(ExportedEvent.parsedTime(text) == milliseconds, "\(text)")
    }

    @Test func malformedTimesAreRefused() {
        for text in ["", "2026-11-29", "2026-11-29T08:00:00.1234Z", "2026-11-29T08:00:00.12+01:00", "2026-11-29T08:00:00.-1Z", "garbage"] {
            #expect(ExportedEvent.parsedTime(text) == nil, "\(text)")
        }
        #expect(ExportedEvent.parsedTime("2026-11-29T08:00:00Z") != nil)
        #expect(ExportedEvent.parsedTime("2026-11-29T08:00:00.5Z").map { $0 % 1000 } == 500)
    }
}
