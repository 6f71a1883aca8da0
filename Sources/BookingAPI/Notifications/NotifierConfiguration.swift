/// Limits of the facilitators' WebSocket notifier. The defaults suit a public deployment; tests
/// tighten them to reach each limit quickly and deterministically.
public struct NotifierConfiguration: Sendable {
    /// Largest inbound WebSocket frame; a bigger one closes the socket with 1009 (message too big).
    public var maxInboundFrameBytes: Int = 4 * 1024
    /// Inbound messages per second a socket may send on average (token bucket)...
    public var inboundMessagesPerSecond: Double = 10
    /// ...and in a burst; beyond it the socket is closed with 1008 (policy violation).
    public var inboundBurst: Double = 20
    /// Notifications waiting for a slow socket; one more closes it with 4000 and the client resumes
    /// from its cursor.
    public var outboundBufferLimit: Int = 1_024
    /// How long a ticket from `POST /api/notifications/ticket` stays valid (at most 60 s).
    public var ticketLifetimeMilliseconds: Int64 = 60_000
    /// Outstanding tickets per facilitator; issuing more forgets the oldest.
    public var ticketsPerFacilitator: Int = 16
    /// Interval of the server's pings; a socket that doesn't answer within one interval is closed (1001).
    public var pingIntervalSeconds: Int = 30

    public init() {}
}
