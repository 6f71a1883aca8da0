import BookingDomain
import Foundation
import Testing

@Suite("Events and values")
struct EventTests {
    @Test func `persisted event names are stable, unique and versioned`() {
        let names = BookingEvent.Kind.allCases.map(\.rawValue)
        #expect(Set(names).count == names.count)
        #expect(BookingEvent.Kind.bookingCancelled.rawValue == "booking.cancelled")
        #expect(BookingEvent.Kind.allCases.allSatisfy { $0.currentSchemaVersion == 1 })
    }

    @Test func `events name their stream`() {
        #expect(BookingEvent.registered(UserID(7), "x@example.com").streamName == "user-7")
        #expect(BookingEvent.published(SessionID(42)).streamName == "session-42")
        #expect(BookingEvent.booked(BookingID(901), on: SessionID(42), by: alice).streamName == "booking-901")
        #expect(BookingEvent.released(BookingID(901), on: SessionID(42), by: alice).kind == .bookingCancelled)
        let ack = BookingEvent.notificationsAcknowledged(NotificationsAcknowledged(facilitatorID: fran, position: 3))
        #expect(ack.streamName == "notifications-1")
    }

    @Test func `ids and timestamps encode as bare integers`() throws {
        #expect(String(decoding: try JSONEncoder().encode([UserID(7), UserID(8)]), as: UTF8.self) == "[7,8]")
        #expect(String(decoding: try JSONEncoder().encode(BookingID(901)), as: UTF8.self) == "901")
        #expect(String(decoding: try JSONEncoder().encode(now), as: UTF8.self) == "1767225600000")
        #expect(try JSONDecoder().decode(SessionID.self, from: Data("42".utf8)) == SessionID(42))
    }

    @Test func `session changes apply only the fields they set`() {
        #expect(SessionChanges().isEmpty)
        #expect(!SessionChanges(location: "").isEmpty)
        let changed = SessionChanges(title: "New", capacity: 3, location: "").applied(to: .tomorrow())
        var expected = SessionDetails.tomorrow(capacity: 3)
        expected.title = "New"
        expected.location = ""
        #expect(changed == expected)
        #expect(SessionChanges().applied(to: .tomorrow()) == .tomorrow())
    }
}
