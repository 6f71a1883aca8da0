import BookingDomain
import BookingEngine
import BookingProjections
import Foundation

/// The body the predecessor's CRM receiver accepts at `POST /api/booking-notification`.
///
/// The issue names the session object `event`; the predecessor CRM's own validation
/// (`required_fields = ['booking_id', 'user', 'session', 'facilitator_id']`) names it `session`.
/// Both keys carry the same object so either receiver accepts it.
struct CRMNotification: Encodable {
    struct User: Encodable {
        var id: Int64
        var email: String
        var name: String
    }
    struct Session: Encodable {
        var id: Int64
        var title: String
        var startTime: String
        enum CodingKeys: String, CodingKey {
            case id, title
            case startTime = "start_time"
        }
    }
    var type: String
    var bookingID: Int64
    var user: User
    var session: Session
    var facilitatorID: Int64
    /// `by_user` or `session_cancelled` for cancellations; absent for confirmations.
    var cancellationCause: String?

    enum CodingKeys: String, CodingKey {
        case type, user, session, event
        case bookingID = "booking_id"
        case facilitatorID = "facilitator_id"
        case cancellationCause = "cancellation_cause"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(bookingID, forKey: .bookingID)
        try container.encode(user, forKey: .user)
        try container.encode(session, forKey: .event)
        try container.encode(session, forKey: .session)
        try container.encode(facilitatorID, forKey: .facilitatorID)
        try container.encodeIfPresent(cancellationCause, forKey: .cancellationCause)
    }

    /// The notification for a booking event, rendered from the read model; `nil` for other events.
    /// A failure (parked as a dead letter) when the model lacks the user or session.
    static func render(_ event: BookingEvent, in model: borrowing BookingReadModel) -> Result<CRMNotification, RenderingError>? {
        let fields: (type: String, booking: BookingID, user: UserID, session: SessionID, facilitator: UserID, cause: String?)
        switch event {
        case .bookingConfirmed(let e):
            fields = ("booking_confirmed", e.bookingID, e.userID, e.sessionID, e.facilitatorID, nil)
        case .bookingCancelled(let e):
            fields = ("booking_cancelled", e.bookingID, e.userID, e.sessionID, e.facilitatorID, e.cause.rawValue)
        default:
            return nil
        }
        let (type, bookingID, userID, sessionID, facilitatorID, cause) = fields
        guard let user = model.user(userID) else { return .failure(RenderingError(reason: "\(userID) is not in the read model")) }
        guard let session = model.session(sessionID) else { return .failure(RenderingError(reason: "\(sessionID) is not in the read model")) }
        return .success(
            CRMNotification(
                type: type, bookingID: bookingID.rawValue, user: User(id: user.id.rawValue, email: user.email, name: user.name),
                session: Session(
                    id: session.id.rawValue, title: session.details.title,
                    startTime: ExportedEvent.exportedTime(session.details.startTime.rawValue)),
                facilitatorID: facilitatorID.rawValue, cancellationCause: cause))
    }

    /// Compact JSON with sorted keys: the same notification always has the same bytes.
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

/// Why a delivery could not be rendered.
struct RenderingError: Error, Sendable {
    var reason: String
}
