import BookingDomain

/// Every read model the API serves (users, sessions, bookings, dashboards, notification cursors),
/// folded from the event log one event at a time.
///
/// A plain value with no locks or I/O, so it can be rebuilt, compared and tested in isolation;
/// ``BookingProjection`` shares one between tasks. Each event costs O(1) amortised: indexes are kept
/// sorted by appending (ids are allocated in increasing order) and dashboard totals are maintained
/// incrementally. Only queries that depend on the caller's `now` (upcoming sessions) or filter a
/// list compute at query time.
public struct BookingReadModel: Sendable, Equatable {
    /// How many of a facilitator's latest bookings its dashboard shows.
    public static let recentBookingsLimit = 10

    /// The dashboard figures that don't depend on time, kept current per facilitator.
    struct FacilitatorTotals: Sendable, Equatable {
        var totalSessions = 0
        var activeSessions = 0
        var confirmedBookings = 0
        var revenueMinor: Int64 = 0
        /// Newest first, at most ``BookingReadModel/recentBookingsLimit``.
        var recentBookingIDs: [BookingID] = []

        /// Mutated in place through the dictionary's subscript, so the recent list is never copied.
        mutating func recordConfirmation(of bookingID: BookingID, priceMinor: Int64) {
            confirmedBookings += 1
            revenueMinor += priceMinor
            if recentBookingIDs.count == BookingReadModel.recentBookingsLimit { recentBookingIDs.removeLast() }
            recentBookingIDs.insert(bookingID, at: 0)
        }
    }

    /// The last log position applied: the checkpoint. Events at or below it are ignored, so replaying
    /// the log from any earlier point is a no-op.
    public private(set) var position: Int64 = 0

    var users: [UserID: UserView] = [:]
    var userIDsByEmail: [String: UserID] = [:]
    var userIDsByGoogleIdentity: [GoogleIdentity: UserID] = [:]

    var sessions: [SessionID: SessionView] = [:]
    var sessionIDs = SortedIDs<SessionID>()
    var sessionIDsByFacilitator: [UserID: SortedIDs<SessionID>] = [:]

    var bookings: [BookingID: BookingView] = [:]
    var bookingIDsByUser: [UserID: SortedIDs<BookingID>] = [:]
    var bookingIDsBySession: [SessionID: SortedIDs<BookingID>] = [:]
    var bookingIDsByFacilitator: [UserID: SortedIDs<BookingID>] = [:]

    var facilitatorTotals: [UserID: FacilitatorTotals] = [:]
    var acknowledgedPositions: [UserID: Int64] = [:]

    /// An empty model, at position 0: the start of a full rebuild.
    public init() {}

    /// Folds one event into the views.
    ///
    /// Never fails, because the log is history: an event that refers to something unknown (which the
    /// writer never produces) changes what it can and leaves the rest alone rather than trapping.
    public mutating func apply(_ event: BookingEvent, position: Int64, recordedAt: Timestamp) {
        guard position > self.position else { return }
        self.position = position
        switch event {
        case .userRegistered(let e): apply(e, at: recordedAt)
        case .loginSucceeded(let e):
            users[e.userID]?.lastLoginAt = recordedAt
            users[e.userID]?.failedLoginsSinceLastSuccess = 0
        case .loginFailed(let e):
            users[e.userID]?.failedLoginsSinceLastSuccess += 1
        case .tokensRevoked(let e):
            guard var user = users[e.userID] else { return }
            user.tokensRevokedBefore = max(user.tokensRevokedBefore ?? e.issuedNotAfter, e.issuedNotAfter)
            users[e.userID] = user
        case .googleAccountLinked(let e): apply(e)
        case .sessionCreated(let e): apply(e, at: recordedAt)
        case .sessionUpdated(let e):
            guard var session = sessions[e.sessionID] else { return }
            session.details = e.changes.applied(to: session.details)
            session.updatedAt = recordedAt
            sessions[e.sessionID] = session
        case .sessionCancelled(let e): apply(e, at: recordedAt)
        case .bookingConfirmed(let e): apply(e, at: recordedAt)
        case .bookingCancelled(let e): apply(e, at: recordedAt)
        case .notificationsAcknowledged(let e):
            acknowledgedPositions[e.facilitatorID] = max(acknowledgedPositions[e.facilitatorID] ?? 0, e.position)
        }
    }

    /// Folds one positioned event; see ``apply(_:position:recordedAt:)``.
    public mutating func apply(_ event: PositionedEvent) {
        apply(event.event, position: event.position, recordedAt: event.recordedAt)
    }

    /// Folds events in order, as read from the log in a batch.
    public mutating func apply(batch events: some Sequence<PositionedEvent>) {
        for event in events { apply(event) }
    }

    private mutating func apply(_ e: UserRegistered, at recordedAt: Timestamp) {
        // Ids are never reused; a second registration under one id can't come from the writer, and
        // taking it would orphan the first account's e-mail index entry.
        guard users[e.userID] == nil else { return }
        let email = e.email.lowercased()
        users[e.userID] = UserView(
            id: e.userID, email: email, name: e.name, role: e.role, profile: e.profile, passwordHash: e.passwordHash,
            googleIdentity: e.googleIdentity, createdAt: recordedAt)
        userIDsByEmail[email] = e.userID
        if let identity = e.googleIdentity { userIDsByGoogleIdentity[identity] = e.userID }
        if e.role == .facilitator, facilitatorTotals[e.userID] == nil { facilitatorTotals[e.userID] = FacilitatorTotals() }
    }

    private mutating func apply(_ e: GoogleAccountLinked) {
        guard var user = users[e.userID] else { return }
        if let previous = user.googleIdentity, previous != e.identity, userIDsByGoogleIdentity[previous] == e.userID {
            userIDsByGoogleIdentity[previous] = nil
        }
        user.googleIdentity = e.identity
        users[e.userID] = user
        userIDsByGoogleIdentity[e.identity] = e.userID
    }

    private mutating func apply(_ e: SessionCreated, at recordedAt: Timestamp) {
        guard sessions[e.sessionID] == nil else { return }
        sessions[e.sessionID] = SessionView(
            id: e.sessionID, facilitatorID: e.facilitatorID, details: e.details, createdAt: recordedAt, updatedAt: recordedAt)
        sessionIDs.insert(e.sessionID)
        sessionIDsByFacilitator[e.facilitatorID, default: SortedIDs()].insert(e.sessionID)
        facilitatorTotals[e.facilitatorID, default: FacilitatorTotals()].totalSessions += 1
        facilitatorTotals[e.facilitatorID, default: FacilitatorTotals()].activeSessions += 1
    }

    private mutating func apply(_ e: SessionCancelled, at recordedAt: Timestamp) {
        guard var session = sessions[e.sessionID], session.status == .active else { return }
        session.status = .cancelled
        session.cancelledAt = recordedAt
        session.updatedAt = recordedAt
        sessions[e.sessionID] = session
        // The bookings follow as their own `bookingCancelled` events, which release seats and revenue.
        facilitatorTotals[session.facilitatorID, default: FacilitatorTotals()].activeSessions -= 1
    }

    private mutating func apply(_ e: BookingConfirmed, at recordedAt: Timestamp) {
        guard bookings[e.bookingID] == nil else { return }
        bookings[e.bookingID] = BookingView(
            id: e.bookingID, sessionID: e.sessionID, userID: e.userID, facilitatorID: e.facilitatorID,
            notes: e.notes, priceMinor: e.priceMinor, createdAt: recordedAt)
        bookingIDsByUser[e.userID, default: SortedIDs()].insert(e.bookingID)
        bookingIDsBySession[e.sessionID, default: SortedIDs()].insert(e.bookingID)
        bookingIDsByFacilitator[e.facilitatorID, default: SortedIDs()].insert(e.bookingID)
        sessions[e.sessionID]?.confirmedCount += 1

        facilitatorTotals[e.facilitatorID, default: FacilitatorTotals()].recordConfirmation(of: e.bookingID, priceMinor: e.priceMinor)
    }

    private mutating func apply(_ e: BookingCancelled, at recordedAt: Timestamp) {
        guard var booking = bookings[e.bookingID], booking.status == .confirmed else { return }
        booking.status = .cancelled
        booking.cancelledAt = recordedAt
        booking.cancellationCause = e.cause
        bookings[e.bookingID] = booking
        // The booking's own session and owner, not the event's copies: they are what the counts were
        // added to.
        sessions[booking.sessionID]?.confirmedCount -= 1
        facilitatorTotals[booking.facilitatorID, default: FacilitatorTotals()].confirmedBookings -= 1
        facilitatorTotals[booking.facilitatorID, default: FacilitatorTotals()].revenueMinor -= booking.priceMinor
    }
}
