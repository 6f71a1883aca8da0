import Foundation

/// A delivery that used up its retry budget (or failed for good) and was parked so its subscriber
/// could move on. Operators list and re-send these with `booking-engine deliveries`.
public struct DeadLetter: Sendable, Hashable, Codable {
    /// The subscriber that gave up (`crm`).
    public var subscriber: String
    /// The causing event's log position.
    public var position: Int64
    /// The causing event's id (the delivery's idempotency key).
    public var eventID: UUID
    /// Which of the event's deliveries this is (see ``Delivery/key``).
    public var deliveryKey: String
    /// Attempts made so far, manual retries included.
    public var attempts: Int
    /// The last failure, as the channel described it (a status code, a timeout). Never a secret.
    public var lastError: String
    /// When the first attempt was made, milliseconds since 1970 (UTC).
    public var firstAttemptAt: Int64
    /// When the last attempt was made, milliseconds since 1970 (UTC).
    public var lastAttemptAt: Int64

    /// Creates a dead letter.
    public init(
        subscriber: String, position: Int64, eventID: UUID, deliveryKey: String, attempts: Int, lastError: String,
        firstAttemptAt: Int64, lastAttemptAt: Int64
    ) {
        self.subscriber = subscriber
        self.position = position
        self.eventID = eventID
        self.deliveryKey = deliveryKey
        self.attempts = attempts
        self.lastError = lastError
        self.firstAttemptAt = firstAttemptAt
        self.lastAttemptAt = lastAttemptAt
    }

    enum CodingKeys: String, CodingKey {
        case subscriber, position, attempts
        case eventID = "event_id"
        case deliveryKey = "delivery_key"
        case lastError = "last_error"
        case firstAttemptAt = "first_attempt_at"
        case lastAttemptAt = "last_attempt_at"
    }
}
