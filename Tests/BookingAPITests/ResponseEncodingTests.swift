import BookingDomain
import BookingProjections
import Foundation
import Testing

@testable import BookingAPI

/// The hand-written output formats agree with what Foundation would have written.
@Suite struct ResponseEncodingTests {
    @Test func timesMatchFoundationsISO8601Format() {
        var generator = SystemRandomNumberGenerator()
        // The epoch, 1 March 2000 (after a leap day), 1 March 2100 (no leap day), the last second of
        // 9999, plus random instants across the range the API accepts.
        var samples: [Int64] = [0, 999, 951_868_800_000, 4_107_542_400_000, 253_402_300_799_999]
        for _ in 0..<20_000 { samples.append(Int64.random(in: ISO8601Time.supportedRange, using: &generator)) }
        for milliseconds in samples {
            let expected = Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
            #expect(ISO8601Time.string(milliseconds) == expected, "\(milliseconds)")
        }
    }

    @Test func moneyIsWrittenWithAtMostTwoDecimals() throws {
        let encoder = JSONEncoder()
        for (minor, text) in [(0, "0"), (5, "0.05"), (10, "0.1"), (1999, "19.99"), (2550, "25.5"), (10_000_000_000, "100000000")] {
            let json = String(decoding: try encoder.encode([Money(minorUnits: Int64(minor))]), as: UTF8.self)
            #expect(json == "[\(text)]", "\(minor)")
        }
        // Every cent value round-trips through the JSON text exactly.
        for minor in stride(from: Int64(0), through: 10_000_000_000, by: 7_919_993) {
            let json = try encoder.encode([Money(minorUnits: minor)])
            let decoded = try JSONDecoder().decode([Decimal].self, from: json)[0]
            #expect(decoded * 100 == Decimal(minor), "\(minor)")
        }
    }
}

/// The direct JSON writers of the list bodies produce exactly `JSONEncoder`'s bytes.
@Suite struct JSONWriterTests {
    /// Every ASCII control character, quotes, backslashes, slashes, non-ASCII and emoji.
    static let awkward: [String] = [
        "", "plain", "quote \" backslash \\ slash / </script>", String((0..<0x20).map { Character(UnicodeScalar($0)!) }),
        "\u{7F} del", "Zoë · 東京 · 🧘‍♀️", "line\u{2028}separator\u{2029}", "tab\tnew\nline\r",
    ]

    static func encoderBytes(_ value: some Encodable) throws -> [UInt8] { Array(try JSONBody.encoder.encode(value)) }

    static func writerBytes(_ items: [some JSONWritable]) -> [UInt8] {
        var writer = JSONWriter()
        writer.writeArray(items)
        return writer.bytes
    }

    static func session(_ text: String, optionals: Bool, price: Int64) -> ResponseBodies.Session {
        var session = ResponseBodies.Session.sample
        session.title = text
        session.description = optionals ? text : nil
        session.location = optionals ? text : nil
        session.price = Money(minorUnits: price)
        session.facilitator = optionals ? ResponseBodies.Facilitator(id: 7, name: text, bio: text, specialization: nil) : nil
        return session
    }

    @Test func sessionsMatchJSONEncoder() throws {
        var sessions: [ResponseBodies.Session] = []
        for (index, text) in Self.awkward.enumerated() {
            for price: Int64 in [0, 5, 10, 99, 100, 1999, 2550, 10_000_000_000] {
                sessions.append(Self.session(text, optionals: index % 2 == 0, price: price))
                sessions.append(Self.session(text, optionals: index % 2 == 1, price: price))
            }
        }
        #expect(Self.writerBytes(sessions) == (try Self.encoderBytes(sessions)))
        #expect(Self.writerBytes([ResponseBodies.Session]()) == (try Self.encoderBytes([ResponseBodies.Session]())))
    }

    @Test func usersBookingsAndBookersMatchJSONEncoder() throws {
        let users = Self.awkward.enumerated().map { index, text in
            ResponseBodies.User(
                id: Int64(index), email: text, name: text, role: "user", bio: index % 2 == 0 ? text : nil,
                specialization: index % 3 == 0 ? text : nil, createdAt: "2027-03-01T18:00:00Z")
        }
        #expect(Self.writerBytes(users) == (try Self.encoderBytes(users)))

        let bookings = Self.awkward.enumerated().map { index, text in
            ResponseBodies.Booking(
                id: Int64(index), bookingID: Int64(index), sessionID: 3, userID: -4, bookingStatus: "confirmed",
                notes: index % 2 == 0 ? text : nil, price: Money(minorUnits: Int64(index * 37)), createdAt: "2027-03-01T18:00:00Z",
                cancelledAt: index % 3 == 0 ? "2027-03-02T18:00:00Z" : nil,
                session: index % 2 == 1 ? Self.session(text, optionals: true, price: 250) : nil,
                user: index % 2 == 0 ? ResponseBodies.Booker(id: 9, name: text, email: text) : nil)
        }
        #expect(Self.writerBytes(bookings) == (try Self.encoderBytes(bookings)))
    }
}

extension ResponseBodies.Session {
    static let sample = ResponseBodies.Session(
        id: 1, title: "t", description: nil, sessionType: "retreat", startTime: "2027-03-01T18:00:00Z",
        endTime: "2027-03-01T20:00:00Z", capacity: 12, price: Money(minorUnits: 0), location: nil, status: "active",
        facilitatorID: 7, facilitator: nil, availableSpots: 11, bookedCount: 1, createdAt: "2026-01-01T00:00:00Z")
}

/// Cached session renders are exactly fresh renders, and stop being used once anything shown changes.
@Suite struct SessionRenderCacheTests {
    static let facilitator = UserView(
        id: UserID(rawValue: 7), email: "f@example.com", name: "Fay", role: .facilitator,
        profile: FacilitatorProfile(bio: "Yoga", specialization: "Breath"), createdAt: Timestamp(rawValue: 0))

    static func session(id: Int64 = 1, title: String = "Morning flow", booked: Int = 0) -> SessionView {
        SessionView(
            id: SessionID(rawValue: id), facilitatorID: facilitator.id,
            details: SessionDetails(
                title: title, description: "Gentle", sessionType: .session, startTime: Timestamp(rawValue: 1_900_000_000_000),
                endTime: Timestamp(rawValue: 1_900_003_600_000), capacity: 10, priceMinor: 2550, location: "Studio"),
            confirmedCount: booked, createdAt: Timestamp(rawValue: 1_800_000_000_000), updatedAt: Timestamp(rawValue: 1_800_000_000_000))
    }

    static func fresh(_ session: SessionView, _ facilitator: UserView?) -> [UInt8] {
        var writer = JSONWriter()
        ResponseBodies.Session(session, facilitator: facilitator).write(to: &writer)
        return writer.bytes
    }

    @Test func rendersLikeAFreshRenderAndFollowsChanges() {
        let cache = SessionRenderCache()
        var owner = Self.facilitator
        let lookup: (UserID) -> UserView? = { _ in owner }
        let original = Self.session()
        #expect(cache.render([original], facilitator: lookup).map(\.bytes) == [Self.fresh(original, owner)])
        #expect(cache.render([original], facilitator: lookup).map(\.bytes) == [Self.fresh(original, owner)])

        let booked = Self.session(booked: 1)
        let afterBooking = cache.render([booked], facilitator: lookup)[0].bytes
        #expect(afterBooking == Self.fresh(booked, owner))
        #expect(String(decoding: afterBooking, as: UTF8.self).contains(#""available_spots":9"#))

        let renamed = Self.session(title: "Evening flow", booked: 1)
        #expect(cache.render([renamed], facilitator: lookup)[0].bytes == Self.fresh(renamed, owner))

        owner.name = "Fay R."
        let afterProfile = cache.render([renamed], facilitator: lookup)[0].bytes
        #expect(afterProfile == Self.fresh(renamed, owner))
        #expect(String(decoding: afterProfile, as: UTF8.self).contains("Fay R."))
    }

    @Test func staysWithinItsCapacity() {
        let cache = SessionRenderCache(capacity: 3)
        let sessions = (1...10).map { Self.session(id: Int64($0)) }
        let rendered = cache.render(sessions, facilitator: { _ in Self.facilitator })
        #expect(rendered.map(\.bytes) == sessions.map { Self.fresh($0, Self.facilitator) })
        #expect(cache.count <= 3)
    }
}
