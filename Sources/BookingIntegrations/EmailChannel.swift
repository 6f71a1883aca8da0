import BookingDomain
import BookingProjections
import Foundation
import Mailer

/// The booking e-mails as a delivery channel: for a confirmed booking, the user's confirmation and
/// the facilitator's notice; for a cancelled one, a notice to each (``BookingEmails``).
///
/// Each message is its own delivery (`mail-user`, `mail-facilitator`), so a refused facilitator
/// address parks only that message. Messages go through the configured ``Mailer``: SMTP, or the
/// `.eml` outbox when no `SMTP_SERVER` is set. Transient mail errors (4xx replies, a server down,
/// timeouts) are retried; permanent ones (5xx, failed AUTH, an untrusted certificate) are parked.
public struct EmailChannel: DeliveryChannel {
    /// A rendered message, or why it could not be rendered.
    public struct Payload: Sendable {
        let message: Result<MailMessage, RenderingError>
    }

    /// The subscriber's stable name.
    public let name = "email"
    private let mailer: any Mailer
    private let sender: MailAddress

    /// A channel sending through `mailer` as `sender`.
    public init(mailer: any Mailer, sender: MailAddress) {
        self.mailer = mailer
        self.sender = sender
    }

    /// Two messages for each booking confirmed or cancelled; nothing for other events.
    public func deliveries(for event: SubscribedEvent, in model: borrowing BookingReadModel) -> [Delivery<Payload>] {
        let ids: (booking: BookingID, user: UserID, session: SessionID, facilitator: UserID)
        let cause: BookingCancellationCause?
        switch event.event {
        case .bookingConfirmed(let e):
            ids = (e.bookingID, e.userID, e.sessionID, e.facilitatorID)
            cause = nil
        case .bookingCancelled(let e):
            ids = (e.bookingID, e.userID, e.sessionID, e.facilitatorID)
            cause = e.cause
        default:
            return []
        }
        func delivery(_ key: String, _ message: Result<MailMessage, RenderingError>) -> Delivery<Payload> {
            Delivery(key: key, position: event.position, eventID: event.eventID, payload: Payload(message: message))
        }
        guard let user = model.user(ids.user), let facilitator = model.user(ids.facilitator), let session = model.session(ids.session)
        else {
            let failure = RenderingError(reason: "booking \(ids.booking.rawValue): its user, facilitator or session is not in the read model")
            return [delivery("mail-user", .failure(failure)), delivery("mail-facilitator", .failure(failure))]
        }
        let facts = BookingEmailFacts(
            eventID: event.eventID, position: event.position, occurredAt: Self.date(event.recordedAt), bookingID: ids.booking,
            user: EmailPerson(name: user.name, email: user.email),
            facilitator: EmailPerson(name: facilitator.name, email: facilitator.email),
            sessionTitle: session.details.title, sessionStart: Self.date(session.details.startTime),
            sessionEnd: Self.date(session.details.endTime), sessionLocation: session.details.location)
        let (toUser, toFacilitator) =
            if let cause {
                (BookingEmails.cancellationToUser(facts, cause: cause, from: sender),
                 BookingEmails.cancellationToFacilitator(facts, cause: cause, from: sender))
            } else {
                (BookingEmails.bookingConfirmation(facts, from: sender), BookingEmails.newBookingNotice(facts, from: sender))
            }
        return [delivery("mail-user", .success(toUser)), delivery("mail-facilitator", .success(toFacilitator))]
    }

    /// One message through the mailer.
    public func deliver(_ delivery: Delivery<Payload>) async -> DeliveryOutcome {
        let message: MailMessage
        switch delivery.payload.message {
        case .success(let rendered): message = rendered
        case .failure(let error): return .failed(reason: "not renderable: \(error.reason)")
        }
        do {
            try await mailer.send(message)
            return .delivered
        } catch {
            // The error's description names the reply code and reason, never an address or a password.
            return error.isTransient ? .retry(after: nil, reason: error.description) : .failed(reason: error.description)
        }
    }

    private static func date(_ timestamp: Timestamp) -> Date { Date(timeIntervalSince1970: Double(timestamp.rawValue) / 1000) }
}
