import BookingDomain
import BookingEngine
import BookingProjections
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// One admitted notifier socket: replay after the cursor, then live notifications, while reading the
/// client's acknowledgements.
///
/// Three tasks share the socket: the writer (the only one that closes it), the reader, and a timer
/// that ends the socket when the token expires. The reader and the timer ask the writer to close
/// through the hub's connection object, so the close code is always sent by one place.
///
/// Inbound: text frames with a JSON object. `{"type":"ack","position":N}` records the cursor (an
/// event) and is answered `{"type":"acknowledged","position":N}`; anything else is answered with
/// `{"type":"error","error":"..."}` and the socket stays open (the rate limit bounds abuse). Binary
/// frames close the socket with 1003.
struct NotifierSocket: Sendable {
    let hub: NotificationHub
    let acknowledgements: NotificationAcknowledger
    let projection: BookingProjection
    let configuration: NotifierConfiguration

    /// Replay chunk: the backlog is rendered a chunk at a time so a long one doesn't sit in memory as text.
    private static let replayChunk = 256

    private enum Role: Sendable { case writer, reader, timer, watchdog }

    /// How long the writer may take to send its close frame before the connection is torn down
    /// (a client that stopped reading leaves the writer blocked on a full TCP window).
    static let closeGrace = Duration.seconds(2)

    func serve(
        _ admission: NotifierGate.Admission, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel,
        logger: Logger
    ) async throws {
        let cursor = admission.after ?? projection.read { $0.acknowledgedPosition(of: admission.facilitatorID) }
        let (connection, backlog) = hub.connect(facilitatorID: admission.facilitatorID, tokenIssuedAt: admission.tokenIssuedAt, after: cursor)
        defer { hub.disconnect(connection) }
        let inboundError = ErrorBox()

        try await withGracefulShutdownHandler {
            await withTaskGroup(of: Role.self) { group in
                group.addTask {
                    do {
                        try await write(backlog, then: connection, to: outbound)
                    } catch {
                        logger.debug("notifier write failed", metadata: ["error.type": "\(type(of: error))"])
                    }
                    return .writer
                }
                group.addTask {
                    do {
                        try await read(inbound, connection: connection, admission: admission, outbound: outbound)
                    } catch {
                        inboundError.value.withLock { $0 = error }
                    }
                    // The server ends inbound streams when it shuts down: then the client is told why (1001).
                    connection.close(Task.isShuttingDownGracefully ? .shutdown : .clientGone)
                    return .reader
                }
                group.addTask {
                    let remaining = admission.tokenExpiresAt.timeIntervalSinceNow
                    if remaining > 0 { try? await Task.sleep(for: .milliseconds(Int64(remaining * 1000))) }
                    if !Task.isCancelled { connection.close(.tokenExpired) }
                    return .timer
                }
                group.addTask {
                    // Watchdog: once a close is requested, the writer has `closeGrace` to finish.
                    await connection.closeRequested()
                    try? await Task.sleep(for: Self.closeGrace)
                    if !Task.isCancelled {
                        logger.debug("notifier socket torn down: close frame not sent in time")
                        channel.close(promise: nil)
                    }
                    return .watchdog
                }
                // The writer decides when the socket is done; the others are then ended.
                while let role = await group.next() {
                    if role == .writer {
                        group.cancelAll()
                        // The watchdog waits for a close reason and ignores cancellation: give it one.
                        connection.close(.clientGone)
                        break
                    }
                }
            }
        } onGracefulShutdown: {
            connection.close(.shutdown)
        }
        // An inbound protocol error (e.g. a fragmented message over the size limit) is rethrown so the
        // WebSocket layer closes with its code.
        if let error = inboundError.value.withLock({ $0 }) { throw error }
    }

    private func write(_ backlog: [NotificationRecord], then connection: NotifierConnection, to outbound: WebSocketOutboundWriter) async throws {
        var start = 0
        while start < backlog.count {
            let end = min(backlog.count, start + Self.replayChunk)
            for json in NotificationMessage.render(backlog[start..<end], from: projection) { try await outbound.write(.text(json)) }
            start = end
        }
        while let next = await connection.next() {
            switch next {
            case .messages(let batch):
                for json in batch { try await outbound.write(.text(json)) }
            case .close(.clientGone):
                return
            case .close(let reason):
                try await outbound.close(reason.code, reason: reason.text)
                return
            }
        }
    }

    private func read(
        _ inbound: WebSocketInboundStream, connection: NotifierConnection, admission: NotifierGate.Admission, outbound: WebSocketOutboundWriter
    ) async throws {
        var bucket = TokenBucket(ratePerSecond: configuration.inboundMessagesPerSecond, burst: configuration.inboundBurst)
        var messages = inbound.messages(maxSize: configuration.maxInboundFrameBytes).makeAsyncIterator()
        while let message = try await messages.next() {
            guard bucket.take() else {
                connection.close(.inboundRateExceeded)
                return
            }
            guard case .text(let text) = message else {
                connection.close(.unsupportedData)
                return
            }
            try await outbound.write(.text(await reply(to: text, facilitatorID: admission.facilitatorID)))
        }
    }

    private func reply(to text: String, facilitatorID: UserID) async -> String {
        let leniency = firstLeniency(in: text.utf8)
        // The WebSocket layer has checked the UTF-8; NULs (UTF-16 or UTF-32 that is also valid UTF-8) and a BOM remain.
        guard isUTF8JSONText(text.utf8), let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
            case .object(let object) = value,
            case .string(let type)? = object["type"], leniency != .trailingComma
        else {
            return Self.error(#"Messages must be JSON objects like {"type":"ack","position":N}"#)
        }
        if case .duplicateName(let name) = leniency { return Self.error("\(name) is given more than once") }
        guard type == "ack" else { return Self.error("Unknown message type; the server accepts only \"ack\"") }
        do {
            let position = try JSONFields(object).integer("position", in: 0...Int64.max)
            let cursor = try await acknowledgements.acknowledge(facilitatorID: facilitatorID, position: position)
            return #"{"position":\#(cursor),"type":"acknowledged"}"#
        } catch let error as APIError {
            return Self.error(error.message)
        } catch {
            return Self.error("Internal error")
        }
    }

    private static func error(_ message: String) -> String {
        let data = (try? JSONBody.encoder.encode(["type": "error", "error": message])) ?? Data(#"{"type":"error"}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Where the reader leaves the error that ended it.
private final class ErrorBox: Sendable {
    let value = Mutex<(any Error)?>(nil)
}

/// Inbound messages per socket: `burst` at once, refilled at `ratePerSecond`.
struct TokenBucket {
    let ratePerSecond: Double
    let burst: Double
    private var tokens: Double
    private var last = ContinuousClock.now

    init(ratePerSecond: Double, burst: Double) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        tokens = burst
    }

    mutating func take() -> Bool {
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * ratePerSecond)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
