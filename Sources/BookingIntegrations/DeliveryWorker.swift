import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A side-effect subscriber: follows the event log from its checkpoint, asks its channel which
/// deliveries each event causes, performs each with retries, and moves the checkpoint only once every
/// delivery of the event got a 2xx (or was parked as a dead letter).
///
/// At-least-once: a crash between a delivery and its checkpoint sends it again after a restart, with
/// the same event id, which receivers use to de-duplicate. Deliveries run one at a time in log order,
/// so a receiver sees a booking's confirmation before its cancellation; a receiver that is down holds
/// the subscriber at that event (backing off) until it answers or the budget is spent.
public final class DeliveryWorker<Channel: DeliveryChannel>: Service, Sendable {
    /// The channel deliveries go through.
    public let channel: Channel
    private let log: any EventLog
    private let projection: BookingProjection
    private let store: DeliveryStore
    private let policy: RetryPolicy
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let codec = BookingEventCodec()
    private let handledPosition = Atomic<Int64>(-1)
    private let closed = Mutex(false)

    /// A worker for `channel` over `log`, rendering from `projection`, keeping its state in `store`.
    public init(
        channel: Channel, log: any EventLog, projection: BookingProjection, store: DeliveryStore, policy: RetryPolicy = RetryPolicy(),
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.channel = channel
        self.log = log
        self.projection = projection
        self.store = store
        self.policy = policy
        self.logger = logger
        self.now = now
    }

    /// The subscriber's name (its channel's).
    public var name: String { channel.name }

    /// The last position fully handled, as this process knows it (`nil` before the worker started).
    public var checkpoint: Int64? {
        let value = handledPosition.load(ordering: .acquiring)
        return value < 0 ? nil : value
    }

    /// Runs until cancelled or graceful shutdown; an interrupted delivery is retried on the next start.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.follow() }
        } catch is CancellationError {
            // Stopping is not a failure: the next start resumes from the checkpoint.
        } catch {
            await closeChannel()
            throw error
        }
        await closeChannel()
    }

    private func closeChannel() async {
        guard closed.withLock({ wasClosed in defer { wasClosed = true }; return !wasClosed }) else { return }
        await channel.close()
    }

    private func follow() async throws {
        var position = try store.checkpoint(of: name)
        handledPosition.store(position, ordering: .releasing)
        logger.info("delivery subscriber started", metadata: ["subscriber": "\(name)", "log.position": "\(position)"])
        while !Task.isCancelled {
            let batch = try await log.read(after: position, limit: 256)
            if batch.isEmpty {
                do {
                    try await log.waitForAppend(after: position)
                } catch is CancellationError {
                    return
                }
                continue
            }
            var unsaved = false
            for record in batch {
                let hadDeliveries: Bool
                do {
                    hadDeliveries = try await handle(record)
                } catch is CancellationError {
                    // Whatever was half done is sent again on the next start: at-least-once.
                    if unsaved { try? store.setCheckpoint(position, of: name) }
                    return
                }
                position = record.position
                if hadDeliveries {
                    try store.setCheckpoint(position, of: name)
                    unsaved = false
                } else {
                    // Events without side effects (most of them) share one checkpoint write per batch.
                    unsaved = true
                }
                handledPosition.store(position, ordering: .releasing)
            }
            if unsaved { try store.setCheckpoint(position, of: name) }
        }
    }

    /// Performs every delivery `record` causes; returns whether it caused any.
    private func handle(_ record: RecordedEvent) async throws -> Bool {
        let event: BookingEvent
        do {
            event = try codec.decode(record)
        } catch {
            // The log verifies its hash chain; a payload this build can't decode is a newer schema.
            // Skipping it is logged loudly rather than stalling every later delivery.
            logger.error(
                "undecodable event skipped by delivery subscriber",
                metadata: ["subscriber": "\(name)", "log.position": "\(record.position)", "error": "\(error)"])
            return false
        }
        let subscribed = SubscribedEvent(
            position: record.position, eventID: record.eventID, recordedAt: Timestamp(rawValue: record.recordedAt), event: event)
        try await projection.waitUntil(position: record.position)
        let channel = self.channel
        let deliveries = projection.read { model in channel.deliveries(for: subscribed, in: model) }
        for delivery in deliveries {
            try await deliverWithRetries(delivery)
        }
        return !deliveries.isEmpty
    }

    /// Attempts `delivery` until it is delivered, fails for good, or the budget is spent (then parks it).
    func deliverWithRetries(_ delivery: Delivery<Channel.Payload>) async throws {
        var generator = SystemRandomNumberGenerator()
        let firstAttemptAt = milliseconds(now())
        var attempt = 0
        while true {
            attempt += 1
            let outcome = await channel.deliver(delivery)
            try Task.checkCancellation()
            switch outcome {
            case .delivered:
                // A letter parked before a crash (its checkpoint not yet written) is no longer dead.
                try store.removeDeadLetter(subscriber: name, position: delivery.position, deliveryKey: delivery.key)
                logger.debug(
                    "delivered", metadata: ["subscriber": "\(name)", "log.position": "\(delivery.position)", "attempts": "\(attempt)"])
                return
            case .failed(let reason):
                try park(delivery, attempts: attempt, reason: reason, firstAttemptAt: firstAttemptAt)
                return
            case .retry(let retryAfter, let reason):
                guard attempt < policy.maxAttempts else {
                    try park(delivery, attempts: attempt, reason: reason, firstAttemptAt: firstAttemptAt)
                    return
                }
                let wait = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, using: &generator)
                logger.info(
                    "delivery failed, will retry",
                    metadata: [
                        "subscriber": "\(name)", "log.position": "\(delivery.position)", "attempt": "\(attempt)",
                        "retry_in_ms": "\(wait.milliseconds)", "reason": "\(reason)",
                    ])
                try await Task.sleep(for: wait)
            }
        }
    }

    private func park(_ delivery: Delivery<Channel.Payload>, attempts: Int, reason: String, firstAttemptAt: Int64) throws {
        try store.park(
            DeadLetter(
                subscriber: name, position: delivery.position, eventID: delivery.eventID, deliveryKey: delivery.key, attempts: attempts,
                lastError: reason, firstAttemptAt: firstAttemptAt, lastAttemptAt: milliseconds(now())))
        logger.warning(
            "delivery parked as a dead letter",
            metadata: ["subscriber": "\(name)", "log.position": "\(delivery.position)", "attempts": "\(attempts)", "reason": "\(reason)"])
    }
}

func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
