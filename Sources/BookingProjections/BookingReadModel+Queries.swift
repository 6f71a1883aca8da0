import BookingDomain

// What the REST façade, the authenticator and the notifier ask of the read model. Lists page by id
// (keyset): pass the last id of one page as `after` to get the next.

extension BookingReadModel {
    /// Registered accounts, for metrics.
    public var userCount: Int { users.count }
    /// Sessions ever published, for metrics.
    public var sessionCount: Int { sessionIDs.count }
    /// Bookings ever made, cancelled ones included, for metrics.
    public var bookingCount: Int { bookings.count }

    // MARK: Users

    /// The account with this id, e.g. the subject of a verified token.
    public func user(_ id: UserID) -> UserView? { users[id] }

    /// The account registered with `email`, compared case-insensitively, as login and the uniqueness
    /// check expect.
    public func user(forEmail email: String) -> UserView? {
        userIDsByEmail[EmailKey(email)].flatMap { users[$0] }
    }

    /// The account a verified Google identity signs in to.
    public func user(for identity: GoogleIdentity) -> UserView? {
        userIDsByGoogleIdentity[identity].flatMap { users[$0] }
    }

    // MARK: Sessions

    /// The session with this id, whatever its status, so owners can still see cancelled ones.
    public func session(_ id: SessionID) -> SessionView? { sessions[id] }

    /// Every session in id order, cancelled ones included.
    public func sessions(after: SessionID? = nil, limit: Int) -> Page<SessionView> {
        sessionIDs.page(after: after, limit: limit) { sessions[$0] }
    }

    /// Active sessions in id order: the public catalogue. With `notStartedAt`, only those that have not
    /// started by then, i.e. the ones a client could still book.
    public func activeSessions(after: SessionID? = nil, limit: Int, notStartedAt now: Timestamp? = nil) -> Page<SessionView> {
        sessionIDs.page(after: after, limit: limit) { id in
            guard let session = sessions[id], session.status == .active else { return nil }
            if let now, session.hasStarted(at: now) { return nil }
            return session
        }
    }

    /// A facilitator's sessions in id order, cancelled ones included (its own management view).
    public func sessions(ofFacilitator facilitatorID: UserID, after: SessionID? = nil, limit: Int) -> Page<SessionView> {
        guard let ids = sessionIDsByFacilitator[facilitatorID] else { return Page(items: [], hasMore: false) }
        return ids.page(after: after, limit: limit) { sessions[$0] }
    }

    // MARK: Bookings

    /// The booking with this id. Callers check ownership: a booking's existence is private to its
    /// owner and its session's facilitator.
    public func booking(_ id: BookingID) -> BookingView? { bookings[id] }

    /// A user's bookings in id order; `status` narrows to confirmed or cancelled ones.
    public func bookings(
        ofUser userID: UserID, after: BookingID? = nil, limit: Int, status: BookingStatus? = nil
    ) -> Page<BookingView> {
        page(of: bookingIDsByUser[userID], after: after, limit: limit, status: status)
    }

    /// The bookings on one session in id order; `status` narrows to confirmed or cancelled ones.
    public func bookings(
        onSession sessionID: SessionID, after: BookingID? = nil, limit: Int, status: BookingStatus? = nil
    ) -> Page<BookingView> {
        page(of: bookingIDsBySession[sessionID], after: after, limit: limit, status: status)
    }

    /// The bookings on all of a facilitator's sessions in id order; `status` narrows to confirmed or
    /// cancelled ones.
    public func bookings(
        ofFacilitator facilitatorID: UserID, after: BookingID? = nil, limit: Int, status: BookingStatus? = nil
    ) -> Page<BookingView> {
        page(of: bookingIDsByFacilitator[facilitatorID], after: after, limit: limit, status: status)
    }

    private func page(of ids: SortedIDs<BookingID>?, after: BookingID?, limit: Int, status: BookingStatus?) -> Page<BookingView> {
        guard let ids else { return Page(items: [], hasMore: false) }
        return ids.page(after: after, limit: limit) { id in
            guard let booking = bookings[id] else { return nil }
            if let status, booking.status != status { return nil }
            return booking
        }
    }

    // MARK: Facilitators

    /// A facilitator's dashboard at `now`; `nil` when the account is unknown or not a facilitator, so
    /// the caller can answer 403/404 without a second lookup.
    ///
    /// Everything but `upcomingSessions` was kept current as events arrived; that one depends on
    /// `now` and costs one pass over the facilitator's own sessions.
    public func dashboard(for facilitatorID: UserID, now: Timestamp) -> DashboardFigures? {
        guard let user = users[facilitatorID], user.role == .facilitator else { return nil }
        let totals = facilitatorTotals[facilitatorID] ?? FacilitatorTotals()
        var upcoming = 0
        for id in sessionIDsByFacilitator[facilitatorID]?.ids ?? [] {
            if let session = sessions[id], session.status == .active, !session.hasStarted(at: now) { upcoming += 1 }
        }
        return DashboardFigures(
            totalSessions: totals.totalSessions, activeSessions: totals.activeSessions, upcomingSessions: upcoming,
            confirmedBookings: totals.confirmedBookings, revenueMinor: totals.revenueMinor,
            recentBookings: totals.recentBookingIDs.compactMap { bookings[$0] })
    }

    /// The last position a facilitator acknowledged (0 when never): its notification stream replays
    /// the bookings after it on reconnect.
    public func acknowledgedPosition(of facilitatorID: UserID) -> Int64 {
        acknowledgedPositions[facilitatorID] ?? 0
    }
}
