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

        mutating func recordSessionCreated() {
            totalSessions += 1
            activeSessions += 1
        }

        /// Mutated in place through the table's `update`, so the recent list is never copied.
        mutating func recordConfirmation(of bookingID: BookingID, priceMinor: Int64) {
            confirmedBookings += 1
            revenueMinor += priceMinor
            if recentBookingIDs.count == BookingReadModel.recentBookingsLimit { recentBookingIDs.removeLast() }
            recentBookingIDs.insert(bookingID, at: 0)
        }

        /// The booking stays in the recent list: the feed shows it as cancelled rather than jumping.
        mutating func recordCancellation(priceMinor: Int64) {
            confirmedBookings -= 1
            revenueMinor -= priceMinor
        }
    }

    /// The last log position applied: the checkpoint. Events at or below it are ignored, so replaying
    /// the log from any earlier point is a no-op.
    public private(set) var position: Int64 = 0

    // Everything keyed by a user, session or booking id is a `DenseTable`: those ids are allocated
    // densely from 1, so each lookup is an array index rather than a hash, the cost that dominated a
    // rebuild. Only the string-keyed login indexes, touched on registration and login, stay hashed.

    var users = DenseTable<UserID, UserView>()
    var userIDsByEmail: [EmailKey: UserID] = [:]
    var userIDsByGoogleIdentity: [GoogleIdentity: UserID] = [:]

    var sessions = DenseTable<SessionID, SessionView>()
    var sessionIDs = SortedIDs<SessionID>()
    var sessionIDsByFacilitator = DenseTable<UserID, SortedIDs<SessionID>>()

    var bookings = DenseTable<BookingID, BookingView>()
    var bookingIDsByUser = DenseTable<UserID, SortedIDs<BookingID>>()
    var bookingIDsBySession = DenseTable<SessionID, SortedIDs<BookingID>>()
    var bookingIDsByFacilitator = DenseTable<UserID, SortedIDs<BookingID>>()

    var facilitatorTotals = DenseTable<UserID, FacilitatorTotals>()
    var acknowledgedPositions = DenseTable<UserID, Int64>()

    /// An empty model, at position 0: the start of a full rebuild.
    public init() {}

    /// Folds one event into the views.
    ///
    /// Never fails, because the log is history: an event that refers to something unknown (which the
    /// writer never produces) changes what it can and leaves the rest alone rather than trapping.
    public mutating func apply(_ event: BookingEvent, position: Int64, recordedAt: Timestamp) {
        guard position > self.position else { return }
        self.position = position
        // Updates change the stored view in place (`update`): nothing is copied out and written back,
        // and an unknown id is a no-op.
        switch event {
        case .userRegistered(let e): apply(e, at: recordedAt)
        case .loginSucceeded(let e):
            users.update(e.userID) { $0.recordSuccessfulLogin(at: recordedAt) }
        case .loginFailed(let e):
            users.update(e.userID) { $0.failedLoginsSinceLastSuccess += 1 }
        case .tokensRevoked(let e):
            users.update(e.userID) { $0.revokeTokens(issuedNotAfter: e.issuedNotAfter) }
        case .googleAccountLinked(let e): apply(e)
        case .sessionCreated(let e): apply(e, at: recordedAt)
        case .sessionUpdated(let e):
            sessions.update(e.sessionID) { $0.update(e.changes, at: recordedAt) }
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
        // Callers in other modules reach this unspecialised, where each element would be copied
        // through value witnesses: arrays and slices (every batch the log delivers) are folded from
        // their buffer instead, with one dynamic call per batch rather than several per event.
        let folded: Void? = events.withContiguousStorageIfAvailable { buffer in
            for index in buffer.indices {
                apply(buffer[index].event, position: buffer[index].position, recordedAt: buffer[index].recordedAt)
            }
        }
        if folded == nil {
            for event in events { apply(event) }
        }
    }

    private mutating func apply(_ e: UserRegistered, at recordedAt: Timestamp) {
        // Ids are never reused; a second registration under one id can't come from the writer, and
        // taking it would orphan the first account's e-mail index entry.
        guard !users.contains(e.userID) else { return }
        let key = EmailKey(e.email)
        users[e.userID] = UserView(
            id: e.userID, email: key.email, name: e.name, role: e.role, profile: e.profile, passwordHash: e.passwordHash,
            googleIdentity: e.googleIdentity, createdAt: recordedAt)
        userIDsByEmail[key] = e.userID
        if let identity = e.googleIdentity { userIDsByGoogleIdentity[identity] = e.userID }
        extendUserKeyedTables()
        if e.role == .facilitator, !facilitatorTotals.contains(e.userID) { facilitatorTotals[e.userID] = FacilitatorTotals() }
    }

    /// Lets every table keyed by user id give a slot to any registered account, so a facilitator's
    /// lists and totals are indexed even though few accounts are facilitators.
    private mutating func extendUserKeyedTables() {
        let reach = users.extent
        guard reach > bookingIDsByUser.reach else { return }
        bookingIDsByUser.reach = reach
        sessionIDsByFacilitator.reach = reach
        bookingIDsByFacilitator.reach = reach
        facilitatorTotals.reach = reach
        acknowledgedPositions.reach = reach
    }

    private mutating func apply(_ e: GoogleAccountLinked) {
        guard users.contains(e.userID) else { return }
        if let previous = users[e.userID]?.googleIdentity, previous != e.identity,
            userIDsByGoogleIdentity[previous] == e.userID
        {
            userIDsByGoogleIdentity[previous] = nil
        }
        users[e.userID]?.googleIdentity = e.identity
        userIDsByGoogleIdentity[e.identity] = e.userID
    }

    private mutating func apply(_ e: SessionCreated, at recordedAt: Timestamp) {
        guard !sessions.contains(e.sessionID) else { return }
        sessions[e.sessionID] = SessionView(
            id: e.sessionID, facilitatorID: e.facilitatorID, details: e.details, createdAt: recordedAt, updatedAt: recordedAt)
        sessionIDs.insert(e.sessionID)
        bookingIDsBySession.reach = sessions.extent
        sessionIDsByFacilitator.update(e.facilitatorID, default: SortedIDs()) { $0.insert(e.sessionID) }
        facilitatorTotals.update(e.facilitatorID, default: FacilitatorTotals()) { $0.recordSessionCreated() }
    }

    private mutating func apply(_ e: SessionCancelled, at recordedAt: Timestamp) {
        // `nil` for an unknown session (the outer optional) and for one already cancelled (the inner).
        guard let facilitatorID = sessions.update(e.sessionID, { $0.cancel(at: recordedAt) }) ?? nil else { return }
        // The bookings follow as their own `bookingCancelled` events, which release seats and revenue.
        facilitatorTotals.update(facilitatorID, default: FacilitatorTotals()) { $0.activeSessions -= 1 }
    }

    private mutating func apply(_ e: BookingConfirmed, at recordedAt: Timestamp) {
        guard !bookings.contains(e.bookingID) else { return }
        bookings[e.bookingID] = BookingView(
            id: e.bookingID, sessionID: e.sessionID, userID: e.userID, facilitatorID: e.facilitatorID,
            notes: e.notes, priceMinor: e.priceMinor, createdAt: recordedAt)
        bookingIDsByUser.update(e.userID, default: SortedIDs()) { $0.insert(e.bookingID) }
        bookingIDsBySession.update(e.sessionID, default: SortedIDs()) { $0.insert(e.bookingID) }
        bookingIDsByFacilitator.update(e.facilitatorID, default: SortedIDs()) { $0.insert(e.bookingID) }
        sessions.update(e.sessionID) { $0.confirmedCount += 1 }
        facilitatorTotals.update(e.facilitatorID, default: FacilitatorTotals()) {
            $0.recordConfirmation(of: e.bookingID, priceMinor: e.priceMinor)
        }
    }

    private mutating func apply(_ e: BookingCancelled, at recordedAt: Timestamp) {
        // `nil` for an unknown booking and for one already cancelled, as for sessions above.
        guard let booking = bookings.update(e.bookingID, { $0.cancel(at: recordedAt, cause: e.cause) }) ?? nil else { return }
        // The booking's own session and owner, not the event's copies: they are what the counts were
        // added to.
        sessions.update(booking.sessionID) { $0.confirmedCount -= 1 }
        facilitatorTotals.update(booking.facilitatorID, default: FacilitatorTotals()) {
            $0.recordCancellation(priceMinor: booking.priceMinor)
        }
    }
}

// The changes each event makes to one view, as mutating methods so the model can apply them in place
// through `DenseTable.update`.

extension UserView {
    fileprivate mutating func recordSuccessfulLogin(at recordedAt: Timestamp) {
        lastLoginAt = recordedAt
        failedLoginsSinceLastSuccess = 0
    }

    /// A later revocation never moves the cutoff back: replaying an old logout can't revive tokens.
    fileprivate mutating func revokeTokens(issuedNotAfter: Timestamp) {
        tokensRevokedBefore = max(tokensRevokedBefore ?? issuedNotAfter, issuedNotAfter)
    }
}

extension SessionView {
    fileprivate mutating func update(_ changes: SessionChanges, at recordedAt: Timestamp) {
        details = changes.applied(to: details)
        updatedAt = recordedAt
    }

    /// Returns the facilitator whose active count drops, or `nil` when it was already cancelled and
    /// nothing changed.
    fileprivate mutating func cancel(at recordedAt: Timestamp) -> UserID? {
        guard status == .active else { return nil }
        status = .cancelled
        cancelledAt = recordedAt
        updatedAt = recordedAt
        return facilitatorID
    }
}

extension BookingView {
    /// Returns what the booking's confirmation was counted against, or `nil` when it was already
    /// cancelled and nothing changed. Only those fields, so the notes aren't copied out.
    fileprivate mutating func cancel(
        at recordedAt: Timestamp, cause: BookingCancellationCause
    ) -> (sessionID: SessionID, facilitatorID: UserID, priceMinor: Int64)? {
        guard status == .confirmed else { return nil }
        status = .cancelled
        cancelledAt = recordedAt
        cancellationCause = cause
        return (sessionID, facilitatorID, priceMinor)
    }
}
