import AsyncHTTPClient
import BookingDomain
import BookingProjections
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The CRM webhook: each booking confirmed or cancelled becomes a signed
/// `POST {CRM_SERVICE_URL}/api/booking-notification` (see ``CRMNotification`` for the body).
///
/// Headers: `Authorization: Bearer`, and Standard Webhooks' `webhook-id` (the event id, stable
/// across retries so the receiver can de-duplicate), `webhook-timestamp` (unix seconds of this
/// attempt) and `webhook-signature` (signed per attempt, so a late retry doesn't carry a stale
/// timestamp). A 2xx is delivered; 408, 425, 429, 5xx, timeouts and connection failures are retried
/// (with `Retry-After` honoured); any other status is a permanent failure, parked at once.
public final class CRMChannel: DeliveryChannel {
    /// A rendered notification, or why it could not be rendered.
    public struct Payload: Sendable {
        let body: Result<[UInt8], RenderingError>
    }

    /// The subscriber's stable name.
    public let name = "crm"
    private let configuration: CRMConfiguration
    private let signer: WebhookSigner
    private let client: HTTPClient
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let isClosed = Mutex(false)

    /// A channel with its own HTTP client (redirects off, the configured connect timeout).
    public init(configuration: CRMConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) throws(IntegrationConfigurationError) {
        guard let signer = WebhookSigner(secret: configuration.webhookSecret) else {
            throw IntegrationConfigurationError(variable: "CRM_WEBHOOK_SECRET", problem: "must be whsec_ followed by base64 of at least 24 bytes")
        }
        self.configuration = configuration
        self.signer = signer
        self.logger = logger
        self.now = now
        client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: configuration.connectTimeout.timeAmount, read: configuration.requestTimeout.timeAmount)))
    }

    /// Renders the notification for booking confirmations and cancellations; nothing for other events.
    public func deliveries(for event: SubscribedEvent, in model: borrowing BookingReadModel) -> [Delivery<Payload>] {
        guard let rendered = CRMNotification.render(event.event, in: model) else { return [] }
        let body: Result<[UInt8], RenderingError> = rendered.flatMap { notification in
            do { return .success(try notification.encoded()) } catch { return .failure(RenderingError(reason: "\(error)")) }
        }
        return [Delivery(key: "webhook", position: event.position, eventID: event.eventID, payload: Payload(body: body))]
    }

    /// One signed POST.
    public func deliver(_ delivery: Delivery<Payload>) async -> DeliveryOutcome {
        let body: [UInt8]
        switch delivery.payload.body {
        case .success(let bytes): body = bytes
        case .failure(let error): return .failed(reason: "not renderable: \(error.reason)")
        }
        let id = delivery.eventID.uuidString.lowercased()
        let timestamp = Int64(now().timeIntervalSince1970)
        var request = HTTPClientRequest(url: configuration.notificationURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.bearerToken)")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: signer.signature(id: id, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = ContinuousClock.now + configuration.requestTimeout
        do {
            let response = try await client.execute(request, timeout: configuration.requestTimeout.timeAmount, logger: logger)
            let outcome = Self.outcome(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), now: now())
            await Self.drain(response.body, before: deadline)
            return outcome
        } catch {
            return .retry(after: nil, reason: Self.describe(error))
        }
    }

    /// Reads and drops up to 64 KiB of the CRM's body, so the connection can be reused; the answer itself
    /// is not used. Bounded by the request's deadline too: the client's timeout covers only the response
    /// head, and a body trickled a byte at a time would otherwise hold the worker for as long as the CRM
    /// liked. Giving up cancels the read, which closes that connection.
    private static func drain(_ body: HTTPClientResponse.Body, before deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = try? await body.collect(upTo: 64 << 10) }
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Shuts the HTTP client down (once; later calls do nothing).
    public func close() async {
        guard isClosed.withLock({ closed in defer { closed = true }; return !closed }) else { return }
        try? await client.shutdown()
    }

    deinit {
        // A channel dropped without `close()` (a failed start-up) must not trip AsyncHTTPClient's
        // debug-build precondition; shut the client down asynchronously instead.
        if !isClosed.withLock({ $0 }) { client.shutdown { _ in } }
    }

    /// How a status code is handled.
    static func outcome(status: Int, retryAfter: String?, now: Date) -> DeliveryOutcome {
        switch status {
        case 200..<300:
            return .delivered
        case 408, 425, 429, 500..<600:
            return .retry(after: retryAfter.flatMap { RetryAfter.parse($0, now: now) }, reason: "HTTP \(status)")
        default:
            return .failed(reason: "HTTP \(status)")
        }
    }

    /// A short description of a transport failure, without the URL's credentials or the request.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connect timeout"
            case .deadlineExceeded, .readTimeout: return "timeout"
            case .remoteConnectionClosed: return "connection closed by the CRM"
            default: return "HTTP client error: \(error)"
            }
        }
        if error is CancellationError { return "cancelled" }
        return "connection failed: \(type(of: error))"
    }
}

extension Duration {
    var timeAmount: TimeAmount { .nanoseconds(nanoseconds) }
}
