import BookingDomain
import BookingProjections
import Foundation

/// What the hub remembers of one booking event for its facilitator: enough to render the message
/// from the read model at any time, without reading the log again (about 60 bytes per booking event).
struct NotificationRecord: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case newBooking
        case bookingCancelled(BookingCancellationCause)
    }

    var kind: Kind
    var position: Int64
    var bookingID: BookingID
    var sessionID: SessionID
    var userID: UserID
    var facilitatorID: UserID
    var recordedAt: Timestamp

    /// The record for a booking event, `nil` for every other event.
    init?(_ event: BookingEvent, position: Int64, recordedAt: Timestamp) {
        switch event {
        case .bookingConfirmed(let e):
            self.init(
                kind: .newBooking, position: position, bookingID: e.bookingID, sessionID: e.sessionID, userID: e.userID,
                facilitatorID: e.facilitatorID, recordedAt: recordedAt)
        case .bookingCancelled(let e):
            self.init(
                kind: .bookingCancelled(e.cause), position: position, bookingID: e.bookingID, sessionID: e.sessionID, userID: e.userID,
                facilitatorID: e.facilitatorID, recordedAt: recordedAt)
        default:
            return nil
        }
    }

    init(
        kind: Kind, position: Int64, bookingID: BookingID, sessionID: SessionID, userID: UserID, facilitatorID: UserID, recordedAt: Timestamp
    ) {
        self.kind = kind
        self.position = position
        self.bookingID = bookingID
        self.sessionID = sessionID
        self.userID = userID
        self.facilitatorID = facilitatorID
        self.recordedAt = recordedAt
    }
}

/// One notification as facilitators receive it, over the WebSocket (a text frame) and from
/// `GET /api/notifications`: the predecessor's fields plus the log position, which is the cursor a
/// client acknowledges.
///
/// Names and titles are rendered from the read model as it is when the message is rendered, so a
/// replayed notification shows a session's current title.
struct NotificationMessage: Encodable, Sendable {
    struct Person: Encodable, Sendable {
        var id: Int64
        var name: String
        var email: String
    }

    struct Session: Encodable, Sendable {
        var id: Int64
        var title: String
        var startTime: String

        enum CodingKeys: String, CodingKey {
            case id, title
            case startTime = "start_time"
        }
    }

    var type: String
    var position: Int64
    var bookingID: Int64
    var user: Person
    var session: Session
    var timestamp: String
    var message: String

    enum CodingKeys: String, CodingKey {
        case type, position, user, session, timestamp, message
        case bookingID = "booking_id"
    }

    /// Renders `record` from `model`; `nil` only if the model lacks the user or session, which the
    /// log's invariants rule out once the model has reached the record's position.
    init?(_ record: NotificationRecord, model: borrowing BookingReadModel) {
        guard let user = model.user(record.userID), let session = model.session(record.sessionID) else { return nil }
        position = record.position
        bookingID = record.bookingID.rawValue
        self.user = Person(id: user.id.rawValue, name: user.name, email: user.email)
        self.session = Session(id: session.id.rawValue, title: session.details.title, startTime: ISO8601Time.string(session.details.startTime.rawValue))
        timestamp = ISO8601Time.string(record.recordedAt.rawValue)
        switch record.kind {
        case .newBooking:
            type = "new_booking"
            message = "New booking from \(user.name) for \(session.details.title)"
        case .bookingCancelled(.byUser):
            type = "booking_cancelled"
            message = "\(user.name) cancelled their booking for \(session.details.title)"
        case .bookingCancelled(.sessionCancelled):
            type = "booking_cancelled"
            message = "Booking from \(user.name) for \(session.details.title) cancelled with the session"
        }
    }

    /// The JSON text of each record that renders, in order.
    static func render(_ records: some Sequence<NotificationRecord>, from projection: BookingProjection) -> [String] {
        let messages: [NotificationMessage] = projection.read { model in records.compactMap { NotificationMessage($0, model: model) } }
        return messages.map(\.json)
    }

    /// Compact JSON with sorted keys.
    var json: String {
        // Encoding these plain values can't fail.
        let data = (try? JSONBody.encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
