import BookingDomain
import BookingProjections
import Foundation

/// The JSON shapes clients see. Field names are the predecessor's (`session_id`, `available_spots`,
/// `booking_status`, `facilitator`, ...) so its clients keep working; ids are integers, times ISO 8601
/// UTC, prices decimal numbers with two places (stored as integer minor units).
enum ResponseBodies {
    struct User: Encodable, JSONWritable {
        var id: Int64
        var email: String
        var name: String
        var role: String
        var bio: String?
        var specialization: String?
        var createdAt: String

        enum CodingKeys: String, CodingKey {
            case id, email, name, role, bio, specialization
            case createdAt = "created_at"
        }
    }

    /// A facilitator as shown on a session: public profile, no e-mail.
    struct Facilitator: Encodable, JSONWritable {
        var id: Int64
        var name: String
        var bio: String?
        var specialization: String?

    }

    struct Session: Encodable, JSONWritable {
        var id: Int64
        var title: String
        var description: String?
        var sessionType: String
        var startTime: String
        var endTime: String
        var capacity: Int
        var price: Money
        var location: String?
        var status: String
        var facilitatorID: Int64
        var facilitator: Facilitator?
        var availableSpots: Int
        var bookedCount: Int
        var createdAt: String

        enum CodingKeys: String, CodingKey {
            case id, title, description, capacity, price, location, status, facilitator
            case sessionType = "session_type"
            case startTime = "start_time"
            case endTime = "end_time"
            case facilitatorID = "facilitator_id"
            case availableSpots = "available_spots"
            case bookedCount = "booked_count"
            case createdAt = "created_at"
        }
    }

    /// A booker as a facilitator sees them on its own sessions' bookings.
    struct Booker: Encodable, JSONWritable {
        var id: Int64
        var name: String
        var email: String
    }

    struct Booking: Encodable, JSONWritable {
        var id: Int64
        var bookingID: Int64
        var sessionID: Int64
        var userID: Int64
        var bookingStatus: String
        var notes: String?
        var price: Money
        var createdAt: String
        var cancelledAt: String?
        var session: Session?
        var user: Booker?

        enum CodingKeys: String, CodingKey {
            case id, notes, price, session, user
            case bookingID = "booking_id"
            case sessionID = "session_id"
            case userID = "user_id"
            case bookingStatus = "booking_status"
            case createdAt = "created_at"
            case cancelledAt = "cancelled_at"
        }
    }
}

// Built from the read model's views (kept out of the structs so they keep their memberwise initialisers).

extension ResponseBodies.User {
    init(_ view: UserView) {
        id = view.id.rawValue
        email = view.email
        name = view.name
        role = view.role.rawValue
        bio = view.profile?.bio
        specialization = view.profile?.specialization
        createdAt = ISO8601Time.string(view.createdAt.rawValue)
    }
}

extension ResponseBodies.Facilitator {
    init?(_ view: UserView?) {
        guard let view else { return nil }
        id = view.id.rawValue
        name = view.name
        bio = view.profile?.bio
        specialization = view.profile?.specialization
    }
}

extension ResponseBodies.Session {
    init(_ view: SessionView, facilitator: UserView?) {
        id = view.id.rawValue
        title = view.details.title
        description = view.details.description
        sessionType = view.details.sessionType.rawValue
        startTime = ISO8601Time.string(view.details.startTime.rawValue)
        endTime = ISO8601Time.string(view.details.endTime.rawValue)
        capacity = view.details.capacity
        price = Money(minorUnits: view.details.priceMinor)
        location = view.details.location
        status = view.status.rawValue
        facilitatorID = view.facilitatorID.rawValue
        self.facilitator = ResponseBodies.Facilitator(facilitator)
        availableSpots = view.availableSpots
        bookedCount = view.confirmedCount
        createdAt = ISO8601Time.string(view.createdAt.rawValue)
    }
}

extension ResponseBodies.Booking {
    init(_ view: BookingView, session: ResponseBodies.Session?, user: ResponseBodies.Booker?) {
        id = view.id.rawValue
        bookingID = view.id.rawValue
        sessionID = view.sessionID.rawValue
        userID = view.userID.rawValue
        bookingStatus = view.status.rawValue
        notes = view.notes
        price = Money(minorUnits: view.priceMinor)
        createdAt = ISO8601Time.string(view.createdAt.rawValue)
        cancelledAt = view.cancelledAt.map { ISO8601Time.string($0.rawValue) }
        self.session = session
        self.user = user
    }
}

/// An amount kept in minor units (cents), written as a JSON number with at most two decimals
/// (`2550` → `25.5`).
///
/// Encoded through `Double`: for any amount below 2^53 cents, the shortest decimal that round-trips
/// the nearest double to `minor / 100` is that two-decimal value itself. `Decimal` would give the same
/// text at many times the cost (its division and formatting were a third of a sessions page).
struct Money: Encodable, Equatable {
    var minorUnits: Int64

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Double(minorUnits) / 100)
    }
}

// The direct writers: fields in sorted-key order, as `JSONBody.encoder` (`.sortedKeys`) writes them.
// `ResponseEncodingTests` compares each with `JSONEncoder` byte for byte.

extension ResponseBodies.User {
    func write(to writer: inout JSONWriter) {
        writer.writeObject { json in
            json.field("bio", bio)
            json.field("created_at", createdAt)
            json.field("email", email)
            json.field("id", id)
            json.field("name", name)
            json.field("role", role)
            json.field("specialization", specialization)
        }
    }
}

extension ResponseBodies.Facilitator {
    func write(to writer: inout JSONWriter) {
        writer.writeObject { json in
            json.field("bio", bio)
            json.field("id", id)
            json.field("name", name)
            json.field("specialization", specialization)
        }
    }
}

extension ResponseBodies.Session {
    func write(to writer: inout JSONWriter) {
        writer.writeObject { json in
            json.field("available_spots", availableSpots)
            json.field("booked_count", bookedCount)
            json.field("capacity", capacity)
            json.field("created_at", createdAt)
            json.field("description", description)
            json.field("end_time", endTime)
            json.field("facilitator", facilitator)
            json.field("facilitator_id", facilitatorID)
            json.field("id", id)
            json.field("location", location)
            json.field("price", price)
            json.field("session_type", sessionType)
            json.field("start_time", startTime)
            json.field("status", status)
            json.field("title", title)
        }
    }
}

extension ResponseBodies.Booker {
    func write(to writer: inout JSONWriter) {
        writer.writeObject { json in
            json.field("email", email)
            json.field("id", id)
            json.field("name", name)
        }
    }
}

extension ResponseBodies.Booking {
    func write(to writer: inout JSONWriter) {
        writer.writeObject { json in
            json.field("booking_id", bookingID)
            json.field("booking_status", bookingStatus)
            json.field("cancelled_at", cancelledAt)
            json.field("created_at", createdAt)
            json.field("id", id)
            json.field("notes", notes)
            json.field("price", price)
            json.field("session", session)
            json.field("session_id", sessionID)
            json.field("user", user)
            json.field("user_id", userID)
        }
    }
}
