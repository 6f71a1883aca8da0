/// The write model: exactly what ``BookingDecider`` needs to check every invariant, folded from the log.
public struct BookingState: Sendable, Equatable {
    /// An account as far as invariants care.
    public struct Account: Sendable, Equatable {
        public var email: String
        public var role: Role
        public var googleIdentity: GoogleIdentity?
    }

    /// A session as far as invariants care.
    public struct Session: Sendable, Equatable {
        public var facilitatorID: UserID
        public var details: SessionDetails
        public var status: SessionStatus
        /// Bookings currently holding a seat.
        public var confirmedBookings: Set<BookingID>
        public var availableSpots: Int { max(0, details.capacity - confirmedBookings.count) }
    }

    /// A booking as far as invariants care.
    public struct Booking: Sendable, Equatable {
        public var sessionID: SessionID
        public var userID: UserID
        public var status: BookingStatus
    }

    /// One user on one session: at most one confirmed booking each.
    struct Seat: Hashable, Sendable {
        var userID: UserID
        var sessionID: SessionID
    }

    public private(set) var accounts: [UserID: Account] = [:]
    public private(set) var sessions: [SessionID: Session] = [:]
    public private(set) var bookings: [BookingID: Booking] = [:]
    /// Facilitators' notification cursors.
    public private(set) var acknowledgedPositions: [UserID: Int64] = [:]
    private(set) var userIDsByEmail: [String: UserID] = [:]
    private(set) var userIDsByGoogleIdentity: [GoogleIdentity: UserID] = [:]
    private(set) var confirmedBookingBySeat: [Seat: BookingID] = [:]
    /// Highest ids handed out so far; the next is one more (ids are never reused).
    public private(set) var lastUserID: Int64 = 0
    public private(set) var lastSessionID: Int64 = 0
    public private(set) var lastBookingID: Int64 = 0

    /// The state before any event.
    public init() {}

    /// The account registered with an e-mail address, compared case-insensitively.
    public func userID(forEmail email: String) -> UserID? { userIDsByEmail[email.lowercased()] }

    /// The account a Google identity signs in to.
    public func userID(for identity: GoogleIdentity) -> UserID? { userIDsByGoogleIdentity[identity] }

    /// The user's confirmed booking on a session, if any.
    public func confirmedBooking(of userID: UserID, on sessionID: SessionID) -> BookingID? {
        confirmedBookingBySeat[Seat(userID: userID, sessionID: sessionID)]
    }

    /// Applies one event. Never fails: the log is history, and history already happened.
    public mutating func evolve(_ event: BookingEvent) {
        switch event {
        case .userRegistered(let e):
            accounts[e.userID] = Account(email: e.email.lowercased(), role: e.role, googleIdentity: e.googleIdentity)
            userIDsByEmail[e.email.lowercased()] = e.userID
            if let identity = e.googleIdentity { userIDsByGoogleIdentity[identity] = e.userID }
            lastUserID = max(lastUserID, e.userID.rawValue)
        case .googleAccountLinked(let e):
            accounts[e.userID]?.googleIdentity = e.identity
            userIDsByGoogleIdentity[e.identity] = e.userID
        case .loginSucceeded, .loginFailed, .tokensRevoked:
            break
        case .sessionCreated(let e):
            sessions[e.sessionID] = Session(
                facilitatorID: e.facilitatorID, details: e.details, status: .active, confirmedBookings: [])
            lastSessionID = max(lastSessionID, e.sessionID.rawValue)
        case .sessionUpdated(let e):
            if let details = sessions[e.sessionID]?.details {
                sessions[e.sessionID]?.details = e.changes.applied(to: details)
            }
        case .sessionCancelled(let e):
            sessions[e.sessionID]?.status = .cancelled
        case .bookingConfirmed(let e):
            bookings[e.bookingID] = Booking(sessionID: e.sessionID, userID: e.userID, status: .confirmed)
            sessions[e.sessionID]?.confirmedBookings.insert(e.bookingID)
            confirmedBookingBySeat[Seat(userID: e.userID, sessionID: e.sessionID)] = e.bookingID
            lastBookingID = max(lastBookingID, e.bookingID.rawValue)
        case .bookingCancelled(let e):
            bookings[e.bookingID]?.status = .cancelled
            sessions[e.sessionID]?.confirmedBookings.remove(e.bookingID)
            let seat = Seat(userID: e.userID, sessionID: e.sessionID)
            if confirmedBookingBySeat[seat] == e.bookingID { confirmedBookingBySeat[seat] = nil }
        case .notificationsAcknowledged(let e):
            acknowledgedPositions[e.facilitatorID] = max(acknowledgedPositions[e.facilitatorID] ?? 0, e.position)
        }
    }

    /// Applies events in order.
    public mutating func evolve(_ events: some Sequence<BookingEvent>) {
        for event in events { evolve(event) }
    }
}
