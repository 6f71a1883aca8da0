/// The write model: exactly what ``BookingDecider`` needs to check every invariant, folded from the log.
///
/// Entities live in ``DenseTable``s indexed by their writer-allocated ids, so folding a million events
/// at start-up costs array indexing rather than hashing.
public struct BookingState: Sendable, Equatable {
    /// An account as far as invariants care.
    public struct Account: Sendable, Equatable {
        public var email: String
        public var role: Role
        public var googleIdentity: GoogleIdentity?
        /// The account's confirmed bookings with their sessions: one per session at most. A user holds
        /// few at a time, so a short list beats a table keyed by (user, session).
        var confirmedSeats: [(sessionID: SessionID, bookingID: BookingID)] = []

        public static func == (lhs: Account, rhs: Account) -> Bool {
            lhs.email == rhs.email && lhs.role == rhs.role && lhs.googleIdentity == rhs.googleIdentity
                && lhs.confirmedSeats.elementsEqual(rhs.confirmedSeats) { $0 == $1 }
        }
    }

    /// A session as far as invariants care.
    public struct Session: Sendable, Equatable {
        public var facilitatorID: UserID
        public var details: SessionDetails
        public var status: SessionStatus
        /// Bookings currently holding a seat, ascending (ids grow, so confirming appends).
        public var confirmedBookings: [BookingID]
        public var availableSpots: Int { max(0, details.capacity - confirmedBookings.count) }
    }

    /// A booking as far as invariants care.
    public struct Booking: Sendable, Equatable {
        public var sessionID: SessionID
        public var userID: UserID
        public var status: BookingStatus
    }

    public private(set) var accounts = DenseTable<UserID, Account>()
    public private(set) var sessions = DenseTable<SessionID, Session>()
    public private(set) var bookings = DenseTable<BookingID, Booking>()
    /// Facilitators' notification cursors.
    public private(set) var acknowledgedPositions = DenseTable<UserID, Int64>()
    private(set) var userIDsByEmail: [EmailKey: UserID] = [:]
    private(set) var userIDsByGoogleIdentity: [GoogleIdentity: UserID] = [:]
    /// Highest ids handed out so far; the next is one more (ids are never reused).
    public private(set) var lastUserID: Int64 = 0
    public private(set) var lastSessionID: Int64 = 0
    public private(set) var lastBookingID: Int64 = 0

    /// The state before any event.
    public init() {}

    /// The account registered with an e-mail address, compared case-insensitively.
    public func userID(forEmail email: String) -> UserID? { userIDsByEmail[EmailKey(email)] }

    /// The account a Google identity signs in to.
    public func userID(for identity: GoogleIdentity) -> UserID? { userIDsByGoogleIdentity[identity] }

    /// The user's confirmed booking on a session, if any.
    public func confirmedBooking(of userID: UserID, on sessionID: SessionID) -> BookingID? {
        accounts[userID]?.confirmedSeats.first { $0.sessionID == sessionID }?.bookingID
    }

    /// Applies one event. Never fails: the log is history, and history already happened.
    public mutating func evolve(_ event: BookingEvent) {
        switch event {
        case .userRegistered(let e):
            let key = EmailKey(e.email)
            accounts[e.userID] = Account(email: key.email, role: e.role, googleIdentity: e.googleIdentity)
            userIDsByEmail[key] = e.userID
            if let identity = e.googleIdentity { userIDsByGoogleIdentity[identity] = e.userID }
            lastUserID = max(lastUserID, e.userID.rawValue)
        case .googleAccountLinked(let e):
            accounts.update(e.userID) { $0.googleIdentity = e.identity }
            userIDsByGoogleIdentity[e.identity] = e.userID
        case .loginSucceeded, .loginFailed, .tokensRevoked:
            break
        case .sessionCreated(let e):
            sessions[e.sessionID] = Session(facilitatorID: e.facilitatorID, details: e.details, status: .active, confirmedBookings: [])
            lastSessionID = max(lastSessionID, e.sessionID.rawValue)
        case .sessionUpdated(let e):
            sessions.update(e.sessionID) { $0.details = e.changes.applied(to: $0.details) }
        case .sessionCancelled(let e):
            sessions.update(e.sessionID) { $0.status = .cancelled }
        case .bookingConfirmed(let e):
            bookings[e.bookingID] = Booking(sessionID: e.sessionID, userID: e.userID, status: .confirmed)
            sessions.update(e.sessionID) { session in
                // Ids grow, so appending keeps the list sorted; an out-of-order id (never written by
                // the writer) is inserted in place.
                if let last = session.confirmedBookings.last, last > e.bookingID {
                    let index = session.confirmedBookings.firstIndex { $0 > e.bookingID } ?? session.confirmedBookings.endIndex
                    session.confirmedBookings.insert(e.bookingID, at: index)
                } else {
                    session.confirmedBookings.append(e.bookingID)
                }
            }
            accounts.update(e.userID) { account in
                account.confirmedSeats.removeAll { $0.sessionID == e.sessionID }
                account.confirmedSeats.append((e.sessionID, e.bookingID))
            }
            lastBookingID = max(lastBookingID, e.bookingID.rawValue)
        case .bookingCancelled(let e):
            bookings.update(e.bookingID) { $0.status = .cancelled }
            sessions.update(e.sessionID) { session in
                if let index = session.confirmedBookings.firstIndex(of: e.bookingID) { session.confirmedBookings.remove(at: index) }
            }
            accounts.update(e.userID) { account in account.confirmedSeats.removeAll { $0.bookingID == e.bookingID } }
        case .notificationsAcknowledged(let e):
            acknowledgedPositions[e.facilitatorID] = max(acknowledgedPositions[e.facilitatorID] ?? 0, e.position)
        }
    }

    /// Applies events in order.
    public mutating func evolve(_ events: some Sequence<BookingEvent>) {
        for event in events { evolve(event) }
    }
}
