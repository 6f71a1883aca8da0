import BookingDomain
import NIOWebSocket
import Synchronization

/// Why the server closes a notifier socket, and the close code the client sees.
///
/// | code | when |
/// |---|---|
/// | 1000 normal | server graceful shutdown: hummingbird-websocket 2.8.1's own shutdown handler sends it
/// |  | before this code's 1001 can be written (the library registers first); the client resumes from its cursor |
/// | 1001 going away | no pong within the ping interval; shutdown when the library's handler did not win |
/// | 1002 protocol error | a continuation frame with nothing to continue, a new message inside a fragmented one (the WebSocket layer) |
/// | 1003 unsupported data | a binary frame |
/// | 1007 invalid payload data | a text message that is not valid UTF-8 (closed by the WebSocket layer) |
/// | 1008 policy violation | logout (tokens revoked), token expiry, too many inbound messages |
/// | 1009 message too big | an inbound frame over the size limit (closed by the frame decoder) |
/// | 4000 | the socket fell more than the buffer limit behind: reconnect, the replay resumes from the cursor |
enum NotifierCloseReason: Sendable, Equatable {
    case shutdown
    case unsupportedData
    case tokenRevoked
    case tokenExpired
    case inboundRateExceeded
    case slowConsumer
    /// The client went away or broke the protocol: nothing more to send.
    case clientGone

    var code: WebSocketErrorCode {
        switch self {
        case .shutdown: .goingAway
        case .unsupportedData: .unacceptableData
        case .tokenRevoked, .tokenExpired, .inboundRateExceeded: .policyViolation
        case .slowConsumer: .unknown(4000)
        case .clientGone: .normalClosure
        }
    }

    var text: String {
        switch self {
        case .shutdown: "Server shutting down"
        case .unsupportedData: "Only JSON text frames are accepted"
        case .tokenRevoked: "Token revoked"
        case .tokenExpired: "Token expired"
        case .inboundRateExceeded: "Too many messages"
        case .slowConsumer: "Too far behind; reconnect to resume from your cursor"
        case .clientGone: "Closed"
        }
    }
}

/// One open notifier socket as the hub sees it: a bounded queue of rendered notifications that the
/// socket's writer drains, and the reason it must close, once there is one.
///
/// The hub pushes without waiting, so one slow client never holds up the others; when the queue is
/// full the connection is marked slow and closed instead of growing without bound.
final class NotifierConnection: Sendable {
    /// What the writer gets next.
    enum Next: Sendable {
        case messages([String])
        case close(NotifierCloseReason)
    }

    private struct State {
        var pending: [String] = []
        var closeReason: NotifierCloseReason?
        var waiter: CheckedContinuation<Void, Never>?
        /// Tasks waiting for a close reason (the watchdog).
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let id: UInt64
    let facilitatorID: UserID
    /// `iat` of the credential the socket was opened with (ms), compared with logouts.
    let tokenIssuedAt: Int64
    private let limit: Int
    private let state = Mutex(State())

    init(id: UInt64, facilitatorID: UserID, tokenIssuedAt: Int64, limit: Int) {
        self.id = id
        self.facilitatorID = facilitatorID
        self.tokenIssuedAt = tokenIssuedAt
        self.limit = limit
    }

    /// Queues one rendered notification; past the limit the connection closes as too slow.
    func push(_ json: String) {
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.closeReason == nil else { return nil }
            if state.pending.count >= limit {
                state.pending = []
                state.closeReason = .slowConsumer
                closeWaiters = state.closeWaiters
                state.closeWaiters = []
            } else {
                state.pending.append(json)
            }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
        for continuation in closeWaiters { continuation.resume() }
    }

    /// Asks the writer to close the socket; the first reason wins.
    func close(_ reason: NotifierCloseReason) {
        let (waiter, closeWaiters) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            if state.closeReason == nil { state.closeReason = reason }
            defer {
                state.waiter = nil
                state.closeWaiters = []
            }
            return (state.waiter, state.closeWaiters)
        }
        waiter?.resume()
        for continuation in closeWaiters { continuation.resume() }
    }

    /// Returns once a close reason is set (at once if it is). Not cancellable: the caller's task
    /// group ends it by closing the connection when it is done.
    func closeRequested() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.closeReason != nil { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// The queued notifications (all of them, in order) or the close reason; waits while there is
    /// neither. Returns `nil` when the waiting task is cancelled.
    func next() async -> Next? {
        while true {
            if let next = take() { return next }
            if Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.pending.isEmpty || state.closeReason != nil || Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
            }
        }
    }

    private func take() -> Next? {
        state.withLock { state -> Next? in
            if let reason = state.closeReason { return .close(reason) }
            guard !state.pending.isEmpty else { return nil }
            defer { state.pending = [] }
            return .messages(state.pending)
        }
    }
}
