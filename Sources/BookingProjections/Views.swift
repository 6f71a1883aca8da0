import BookingDomain

/// A domain event with the two envelope fields a read model needs, so this module can be fed from the
/// log (or from tests) without depending on the log's record format.
public struct PositionedEvent: Hashable, Sendable {
    /// The decoded domain event.
    public var event: BookingEvent
    /// The event's global log position; the read model uses it as its checkpoint.
    public var position: Int64
    /// When the writer recorded the event: the read model's created/updated/cancelled times come from
    /// here because domain events carry no clock of their own.
    public var recordedAt: Timestamp

    /// Pairs an event with its place and time in the log.
    public init(_ event: BookingEvent, position: Int64, recordedAt: Timestamp) {
        self.event = event
        self.position = position
        self.recordedAt = recordedAt
    }
}

/// An account as the API and the authenticator see it.
public struct UserView: Hashable, Sendable {
    /// The id the API shows and tokens carry.
    public var id: UserID
    /// Lower-cased, so lookups and uniqueness ignore case the way users expect.
    public var email: String
    /// The display name given at registration.
    public var name: String
    /// Decides which endpoints the account may call.
    public var role: Role
    /// Shown on a facilitator's public page; `nil` for users.
    public var profile: FacilitatorProfile?
    /// Kept here so login can verify without reading the log; `nil` for Google-only accounts.
    public var passwordHash: String?
    /// Lets Google sign-in find the account by issuer and subject, never by a client-supplied e-mail.
    public var googleIdentity: GoogleIdentity?
    /// When the account was registered (the envelope's time).
    public var createdAt: Timestamp
    /// When the account last proved who it is; `nil` before its first login.
    public var lastLoginAt: Timestamp?
    /// Failed logins since the last successful one, for lockout or alerting policies at the edge.
    public var failedLoginsSinceLastSuccess: Int
    /// Tokens issued at or before this instant were revoked (logout); `nil` when none were.
    public var tokensRevokedBefore: Timestamp?

    /// Creates a view; the read model builds these from events.
    public init(
        id: UserID, email: String, name: String, role: Role, profile: FacilitatorProfile? = nil,
        passwordHash: String? = nil, googleIdentity: GoogleIdentity? = nil, createdAt: Timestamp,
        lastLoginAt: Timestamp? = nil, failedLoginsSinceLastSuccess: Int = 0, tokensRevokedBefore: Timestamp? = nil
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.role = role
        self.profile = profile
        self.passwordHash = passwordHash
        self.googleIdentity = googleIdentity
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
        self.failedLoginsSinceLastSuccess = failedLoginsSinceLastSuccess
        self.tokensRevokedBefore = tokensRevokedBefore
    }

    /// Whether a token issued at `issuedAt` was revoked by a logout; the authenticator must refuse it
    /// even though its signature and expiry are still good.
    public func isTokenRevoked(issuedAt: Timestamp) -> Bool {
        guard let tokensRevokedBefore else { return false }
        return issuedAt <= tokensRevokedBefore
    }
}

/// A session with the figures clients list and book against.
public struct SessionView: Hashable, Sendable {
    /// The id the API shows.
    public var id: SessionID
    /// The owner: the only account that may change or cancel it.
    public var facilitatorID: UserID
    /// The published details, with every update applied.
    public var details: SessionDetails
    /// Whether it can still be booked.
    public var status: SessionStatus
    /// Seats held by confirmed bookings right now.
    public var confirmedCount: Int
    /// When it was published (the envelope's time).
    public var createdAt: Timestamp
    /// When its details or status last changed; bookings don't count as changes to the session.
    public var updatedAt: Timestamp
    /// When its facilitator cancelled it; `nil` while active.
    public var cancelledAt: Timestamp?

    /// Creates a view; the read model builds these from events.
    public init(
        id: SessionID, facilitatorID: UserID, details: SessionDetails, status: SessionStatus = .active,
        confirmedCount: Int = 0, createdAt: Timestamp, updatedAt: Timestamp, cancelledAt: Timestamp? = nil
    ) {
        self.id = id
        self.facilitatorID = facilitatorID
        self.details = details
        self.status = status
        self.confirmedCount = confirmedCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.cancelledAt = cancelledAt
    }

    /// Free seats. Derived rather than stored so it can never disagree with capacity and count; never
    /// negative, even if a log held more bookings than seats.
    public var availableSpots: Int { max(0, details.capacity - confirmedCount) }

    /// Whether the session has begun at `now`; a session that has started can't be booked.
    public func hasStarted(at now: Timestamp) -> Bool { details.startTime <= now }

    /// Whether a booking could be accepted at `now`, as the domain judges it (active, not started, a
    /// free seat). The writer checks again; this is for listing, not for deciding.
    public func isBookable(at now: Timestamp) -> Bool {
        status == .active && !hasStarted(at: now) && availableSpots > 0
    }
}

/// A booking as its owner and the session's facilitator see it.
public struct BookingView: Hashable, Sendable {
    /// The id the API shows.
    public var id: BookingID
    /// The booked session.
    public var sessionID: SessionID
    /// The booking's owner.
    public var userID: UserID
    /// The session's owner, kept so facilitator queries need no join.
    public var facilitatorID: UserID
    /// Whether it still holds a seat.
    public var status: BookingStatus
    /// What the user wrote when booking.
    public var notes: String?
    /// The price at booking time, in minor units; later price changes don't rewrite it.
    public var priceMinor: Int64
    /// When the seat was booked (the envelope's time).
    public var createdAt: Timestamp
    /// When the seat was released; `nil` while confirmed.
    public var cancelledAt: Timestamp?
    /// Who released the seat; `nil` while confirmed.
    public var cancellationCause: BookingCancellationCause?

    /// Creates a view; the read model builds these from events.
    public init(
        id: BookingID, sessionID: SessionID, userID: UserID, facilitatorID: UserID, status: BookingStatus = .confirmed,
        notes: String? = nil, priceMinor: Int64, createdAt: Timestamp, cancelledAt: Timestamp? = nil,
        cancellationCause: BookingCancellationCause? = nil
    ) {
        self.id = id
        self.sessionID = sessionID
        self.userID = userID
        self.facilitatorID = facilitatorID
        self.status = status
        self.notes = notes
        self.priceMinor = priceMinor
        self.createdAt = createdAt
        self.cancelledAt = cancelledAt
        self.cancellationCause = cancellationCause
    }
}

/// The figures on a facilitator's dashboard.
public struct DashboardFigures: Hashable, Sendable {
    /// Every session it ever published, cancelled ones included.
    public var totalSessions: Int
    /// Sessions not cancelled, whether or not they have started.
    public var activeSessions: Int
    /// Active sessions that have not started at the query's `now`; the only figure that depends on time.
    public var upcomingSessions: Int
    /// Bookings currently holding a seat on its sessions.
    public var confirmedBookings: Int
    /// Sum of the booking-time prices of the currently confirmed bookings, in minor units: a
    /// cancellation takes its money back out.
    public var revenueMinor: Int64
    /// The most recent bookings made on its sessions, newest first, as they stand now (a booking that
    /// was cancelled afterwards stays in the list with status `cancelled`, so the feed doesn't jump).
    public var recentBookings: [BookingView]

    /// Creates figures; the read model computes these.
    public init(
        totalSessions: Int, activeSessions: Int, upcomingSessions: Int, confirmedBookings: Int, revenueMinor: Int64,
        recentBookings: [BookingView]
    ) {
        self.totalSessions = totalSessions
        self.activeSessions = activeSessions
        self.upcomingSessions = upcomingSessions
        self.confirmedBookings = confirmedBookings
        self.revenueMinor = revenueMinor
        self.recentBookings = recentBookings
    }
}

/// One page of a list ordered by id. Keyset pagination (pass the last item's id as `after`) stays
/// correct while items are added, unlike offsets.
public struct Page<Item> {
    /// At most `limit` items, in ascending id order.
    public var items: [Item]
    /// Whether at least one more item follows the last one on this page.
    public var hasMore: Bool

    /// Creates a page.
    public init(items: [Item], hasMore: Bool) {
        self.items = items
        self.hasMore = hasMore
    }
}

extension Page: Sendable where Item: Sendable {}
extension Page: Equatable where Item: Equatable {}
extension Page: Hashable where Item: Hashable {}
