import BookingDomain
import Foundation

/// Someone a booking e-mail is addressed to or about.
public struct EmailPerson: Hashable, Sendable {
    /// As the person typed it; escaped wherever it is shown.
    public var name: String
    /// Their address.
    public var email: String

    /// A named address.
    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }
}

/// Everything the booking e-mails say, as plain values the mail subscriber looks up for one event.
///
/// Keeping the messages a pure function of these facts means a resend of the same event renders the
/// same bytes, and the tests need no store.
public struct BookingEmailFacts: Hashable, Sendable {
    /// The event's id: the idempotency key, and the root of every Message-ID.
    public var eventID: UUID
    /// The event's log position, shown in a header so an operator can match a message to the log.
    public var position: Int64
    /// When the event was recorded; the messages' `Date:`.
    public var occurredAt: Date
    /// The booking.
    public var bookingID: BookingID
    /// Who booked.
    public var user: EmailPerson
    /// Whose session it is.
    public var facilitator: EmailPerson
    /// The session's title.
    public var sessionTitle: String
    /// When the session starts.
    public var sessionStart: Date
    /// When the session ends.
    public var sessionEnd: Date
    /// Where it takes place, when given.
    public var sessionLocation: String?

    /// The facts of one booking event.
    public init(
        eventID: UUID, position: Int64, occurredAt: Date, bookingID: BookingID, user: EmailPerson, facilitator: EmailPerson,
        sessionTitle: String, sessionStart: Date, sessionEnd: Date, sessionLocation: String? = nil
    ) {
        self.eventID = eventID
        self.position = position
        self.occurredAt = occurredAt
        self.bookingID = bookingID
        self.user = user
        self.facilitator = facilitator
        self.sessionTitle = sessionTitle
        self.sessionStart = sessionStart
        self.sessionEnd = sessionEnd
        self.sessionLocation = sessionLocation
    }
}

/// Which of the four booking e-mails; part of the Message-ID, so the two messages of one event differ.
public enum BookingEmailKind: String, CaseIterable, Hashable, Sendable {
    /// To the user: their booking is confirmed.
    case bookingConfirmation = "booking-confirmation"
    /// To the facilitator: someone booked their session.
    case newBookingNotice = "new-booking"
    /// To the user: their booking is cancelled.
    case cancellationToUser = "cancellation-user"
    /// To the facilitator: a booking of their session is cancelled.
    case cancellationToFacilitator = "cancellation-facilitator"
}
