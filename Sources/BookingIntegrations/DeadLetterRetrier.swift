import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import Foundation

/// Re-sends dead letters once, now: what `booking-engine deliveries retry` does.
///
/// Each letter's event is read back from the log and rendered again from the read model (so the
/// payload is what the subscriber would send today, with the same event id, which lets the receiver
/// de-duplicate). A success removes the letter; a failure updates its attempt count and error and
/// leaves it parked. Safe beside a running `serve`: LMDB serialises writers across processes, and
/// `serve` never touches a letter once parked (its checkpoint is past it).
public struct DeadLetterRetrier<Channel: DeliveryChannel>: Sendable {
    let channel: Channel
    let log: any EventLog
    let projection: BookingProjection
    let store: DeliveryStore
    let now: @Sendable () -> Date

    /// A retrier for `channel`'s letters in `store`, reading events from `log` and rendering from `projection`.
    public init(
        channel: Channel, log: any EventLog, projection: BookingProjection, store: DeliveryStore, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.channel = channel
        self.log = log
        self.projection = projection
        self.store = store
        self.now = now
    }

    /// What became of one re-sent letter.
    public struct Result: Sendable {
        /// The letter as it was before this attempt.
        public var letter: DeadLetter
        /// `nil` when delivered (and removed); otherwise why it is still parked.
        public var failure: String?
    }

    /// Re-sends `letters` (those of this channel's subscriber) one by one, in log order.
    public func retry(_ letters: [DeadLetter]) async throws -> [Result] {
        var results: [Result] = []
        let codec = BookingEventCodec()
        for letter in letters.filter({ $0.subscriber == channel.name }).sorted(by: { $0.position < $1.position }) {
            guard let record = try await log.read(after: letter.position - 1, limit: 1).first, record.position == letter.position else {
                results.append(try keepParked(letter, reason: "event \(letter.position) is not in the log"))
                continue
            }
            let subscribed = SubscribedEvent(
                position: record.position, eventID: record.eventID, recordedAt: Timestamp(rawValue: record.recordedAt),
                event: try codec.decode(record))
            let channel = self.channel
            let deliveries = projection.read { model in channel.deliveries(for: subscribed, in: model) }
            guard let delivery = deliveries.first(where: { $0.key == letter.deliveryKey }) else {
                results.append(try keepParked(letter, reason: "the event no longer causes delivery \(letter.deliveryKey)"))
                continue
            }
            switch await channel.deliver(delivery) {
            case .delivered:
                try store.removeDeadLetter(subscriber: letter.subscriber, position: letter.position, deliveryKey: letter.deliveryKey)
                results.append(Result(letter: letter, failure: nil))
            case .retry(_, let reason), .failed(let reason):
                results.append(try keepParked(letter, reason: reason))
            }
        }
        return results
    }

    private func keepParked(_ letter: DeadLetter, reason: String) throws -> Result {
        var updated = letter
        updated.attempts += 1
        updated.lastError = reason
        updated.lastAttemptAt = milliseconds(now())
        try store.park(updated)
        return Result(letter: letter, failure: reason)
    }
}
