import BookingDomain
import BookingProjections
import EventSourcing
import Foundation

/// Where a subscriber sends its side effects: the CRM webhook, e-mail, and whatever comes next.
///
/// A channel does two things and keeps no state between events: it says which deliveries an event
/// causes (none for most events), rendered from the read model, and it performs one delivery attempt.
/// The ``DeliveryWorker`` owns everything else (following the log, waiting for the read model,
/// retries, backoff, dead letters, checkpoints), so a new channel is only these two functions.
public protocol DeliveryChannel: Sendable {
    /// What one delivery carries, as the channel rendered it (a signed HTTP body, a mail message).
    associatedtype Payload: Sendable

    /// The subscriber's stable name: the key of its checkpoint and dead letters. Never change it
    /// between releases, or the subscriber starts again from position 0.
    var name: String { get }

    /// The deliveries `event` causes, rendered from `model` (which has applied at least the event's
    /// position). Each delivery's ``Delivery/key`` must be unique within the event and stable, so a
    /// dead letter can be rendered again and matched later.
    func deliveries(for event: SubscribedEvent, in model: borrowing BookingReadModel) -> [Delivery<Payload>]

    /// One attempt. Must not throw: every failure is an outcome the worker knows how to handle.
    func deliver(_ delivery: Delivery<Payload>) async -> DeliveryOutcome

    /// Releases what the channel holds (an HTTP client); called once when its worker stops.
    func close() async
}

extension DeliveryChannel {
    /// Nothing to release by default.
    public func close() async {}
}

/// A decoded event with the envelope fields a channel needs.
public struct SubscribedEvent: Sendable {
    /// The global log position.
    public var position: Int64
    /// The event's id: the idempotency key of every delivery it causes (`webhook-id`, `Message-ID`).
    public var eventID: UUID
    /// When the writer recorded the event.
    public var recordedAt: Timestamp
    /// The domain event.
    public var event: BookingEvent

    /// Pairs a domain event with its envelope fields.
    public init(position: Int64, eventID: UUID, recordedAt: Timestamp, event: BookingEvent) {
        self.position = position
        self.eventID = eventID
        self.recordedAt = recordedAt
        self.event = event
    }
}

/// One side effect to perform: a payload and what identifies it.
public struct Delivery<Payload: Sendable>: Sendable {
    /// Unique within the event and stable across renderings (`"webhook"`, `"mail-user"`).
    public var key: String
    /// The causing event's position.
    public var position: Int64
    /// The causing event's id, which receivers use to recognise a resend.
    public var eventID: UUID
    /// What the channel rendered.
    public var payload: Payload

    /// Creates a delivery for the event at `position`.
    public init(key: String, position: Int64, eventID: UUID, payload: Payload) {
        self.key = key
        self.position = position
        self.eventID = eventID
        self.payload = payload
    }
}

/// What became of one delivery attempt.
public enum DeliveryOutcome: Sendable, Equatable {
    /// The receiver accepted it (a 2xx, an SMTP 250).
    case delivered
    /// A transient failure: try again, not before `after` when the receiver said so (`Retry-After`).
    case retry(after: Duration?, reason: String)
    /// A failure another attempt won't fix (a 400, a refused recipient): park it as a dead letter now.
    case failed(reason: String)
}
