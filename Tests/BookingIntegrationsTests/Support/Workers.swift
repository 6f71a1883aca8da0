import BookingEngine
import BookingIntegrations
import BookingProjections
import Foundation
import Logging
import Synchronization

/// Wraps a real channel and records each attempt's outcome, so a test can wait for "the CRM was
/// tried and failed twice" without sleeping. Deliveries still go over real HTTP.
final class RecordingChannel<Inner: DeliveryChannel>: DeliveryChannel {
    typealias Payload = Inner.Payload
    let inner: Inner
    private let outcomes = Mutex<[(eventID: UUID, outcome: DeliveryOutcome)]>([])

    init(_ inner: Inner) { self.inner = inner }

    var name: String { inner.name }
    var attempts: [DeliveryOutcome] { outcomes.withLock { $0.map(\.outcome) } }
    /// The event ids of every attempt, in the order the attempts finished.
    var attemptedIDs: [UUID] { outcomes.withLock { $0.map(\.eventID) } }
    /// The event ids whose delivery this side saw succeed, in order.
    var deliveredIDs: [UUID] { outcomes.withLock { $0.filter { $0.outcome == .delivered }.map(\.eventID) } }
    var failedAttempts: Int { attempts.filter { $0 != .delivered }.count }

    func deliveries(for event: SubscribedEvent, in model: borrowing BookingReadModel) -> [Delivery<Payload>] {
        inner.deliveries(for: event, in: model)
    }

    func deliver(_ delivery: Delivery<Payload>) async -> DeliveryOutcome {
        let outcome = await inner.deliver(delivery)
        outcomes.withLock { $0.append((delivery.eventID, outcome)) }
        return outcome
    }

    func close() async { await inner.close() }
}

/// Quick retries for tests: the behaviour is the same, the waits are milliseconds.
func testPolicy(attempts: Int = 8) -> RetryPolicy {
    RetryPolicy(maxAttempts: attempts, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50))
}

func quietLogger() -> Logger {
    var logger = Logger(label: "deliveries-test")
    logger.logLevel = .critical
    return logger
}

/// A CRM configuration pointing at `port` on loopback, with the receiver's token and secret.
func crmConfiguration(
    port: Int, receiver: CRMReceiver, policy: RetryPolicy = testPolicy(), requestTimeout: Duration = .seconds(5)
) -> CRMConfiguration {
    CRMConfiguration(
        serviceURL: "http://127.0.0.1:\(port)", bearerToken: receiver.token, webhookSecret: receiver.secret, retry: policy,
        connectTimeout: .seconds(2), requestTimeout: requestTimeout)
}

/// Runs a worker for `channel` on `service`'s log while `body` runs, then stops it (as a graceful shutdown would).
func withWorker<Channel: DeliveryChannel, R>(
    _ channel: Channel, service: BookingService, store: DeliveryStore, policy: RetryPolicy = testPolicy(),
    _ body: (DeliveryWorker<Channel>) async throws -> R
) async throws -> R {
    let worker = DeliveryWorker(channel: channel, log: service.log, projection: service.projection, store: store, policy: policy, logger: quietLogger())
    let running = Task { try await worker.run() }
    do {
        let result = try await body(worker)
        running.cancel()
        try await running.value
        return result
    } catch {
        running.cancel()
        _ = try? await running.value
        throw error
    }
}
