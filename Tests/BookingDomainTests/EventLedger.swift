import BookingDomain
import Testing

/// The domain's invariants recomputed from events alone, independently of ``BookingState``.
///
/// Events are applied in appends (batches): most checks hold after every event, and "a cancelled
/// session holds no confirmed booking" holds at the end of each append (the session's bookings are
/// cancelled in the same append as the session).
struct EventLedger {
    struct User {
        var email: String
        var role: Role
        var googleIdentity: GoogleIdentity?
    }

    struct Session {
        var owner: UserID
        var details: SessionDetails
        var isCancelled: Bool
        var confirmed: Set<BookingID>
    }

    struct Booking {
        var sessionID: SessionID
        var userID: UserID
        var isConfirmed: Bool
    }

    struct Seat: Hashable {
        var userID: UserID
        var sessionID: SessionID
    }

    private(set) var users: [UserID: User] = [:]
    private(set) var userByEmail: [String: UserID] = [:]
    private(set) var userByIdentity: [GoogleIdentity: UserID] = [:]
    private(set) var sessions: [SessionID: Session] = [:]
    private(set) var bookings: [BookingID: Booking] = [:]
    private(set) var confirmedBySeat: [Seat: BookingID] = [:]
    private(set) var acknowledged: [UserID: Int64] = [:]
    /// Every broken invariant, with the index of the event that broke it.
    private(set) var violations: [String] = []
    private(set) var eventCount = 0

    init() {}

    /// A ledger of `appends`, each applied as one batch.
    init(appends: [[BookingEvent]]) {
        for events in appends { apply(append: events) }
    }

    private mutating func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { violations.append("event #\(eventCount): \(message())") }
    }

    private static func isValid(_ details: SessionDetails) -> Bool {
        details.endTime > details.startTime && details.capacity >= 1 && details.priceMinor >= 0
    }

    /// Applies one append and checks the end-of-append invariants.
    mutating func apply(append events: [BookingEvent]) {
        for event in events { apply(event) }
        for (id, session) in sessions where session.isCancelled {
            check(session.confirmed.isEmpty, "cancelled \(id) still holds bookings \(session.confirmed.sorted())")
        }
    }

    /// Applies one event and checks the invariants that hold after every event.
    mutating func apply(_ event: BookingEvent) {
        eventCount += 1
        switch event {
        case .userRegistered(let e):
            check(e.userID > (users.keys.max() ?? UserID(0)), "\(e.userID) is not above every earlier user id")
            check(e.email == e.email.lowercased(), "e-mail \(e.email) is not lower-cased")
            check(userByEmail[e.email.lowercased()] == nil, "e-mail \(e.email) registered twice")
            check(e.role == .facilitator || e.profile == nil, "\(e.userID) is a user with a facilitator profile")
            check(e.passwordHash != nil || e.googleIdentity != nil, "\(e.userID) has no way to sign in")
            if let identity = e.googleIdentity {
                check(userByIdentity[identity] == nil, "\(identity) registered twice")
                userByIdentity[identity] = e.userID
            }
            users[e.userID] = User(email: e.email.lowercased(), role: e.role, googleIdentity: e.googleIdentity)
            userByEmail[e.email.lowercased()] = e.userID
        case .googleAccountLinked(let e):
            check(users[e.userID] != nil, "linked unknown \(e.userID)")
            check(users[e.userID]?.googleIdentity == nil, "\(e.userID) linked to a second Google identity")
            check(userByIdentity[e.identity] == nil, "\(e.identity) linked to a second account")
            users[e.userID]?.googleIdentity = e.identity
            userByIdentity[e.identity] = e.userID
        case .loginSucceeded(let e):
            check(users[e.userID] != nil, "login of unknown \(e.userID)")
        case .loginFailed(let e):
            check(users[e.userID] != nil, "failed login of unknown \(e.userID)")
        case .tokensRevoked(let e):
            check(users[e.userID] != nil, "logout of unknown \(e.userID)")
        case .sessionCreated(let e):
            check(e.sessionID > (sessions.keys.max() ?? SessionID(0)), "\(e.sessionID) is not above every earlier id")
            check(users[e.facilitatorID]?.role == .facilitator, "\(e.sessionID) created by non-facilitator")
            check(Self.isValid(e.details), "\(e.sessionID) created with invalid details \(e.details)")
            sessions[e.sessionID] = Session(owner: e.facilitatorID, details: e.details, isCancelled: false, confirmed: [])
        case .sessionUpdated(let e):
            guard let session = sessions[e.sessionID] else {
                return check(false, "update of unknown \(e.sessionID)")
            }
            let details = e.changes.applied(to: session.details)
            check(!session.isCancelled, "update of cancelled \(e.sessionID)")
            check(details != session.details, "update of \(e.sessionID) changed nothing")
            check(Self.isValid(details), "\(e.sessionID) updated to invalid details \(details)")
            check(
                details.capacity >= session.confirmed.count,
                "\(e.sessionID) capacity \(details.capacity) below \(session.confirmed.count) confirmed")
            sessions[e.sessionID]?.details = details
        case .sessionCancelled(let e):
            check(sessions[e.sessionID] != nil, "cancel of unknown \(e.sessionID)")
            check(sessions[e.sessionID]?.isCancelled == false, "\(e.sessionID) cancelled twice")
            check(sessions[e.sessionID]?.owner == e.facilitatorID, "\(e.sessionID) cancelled by non-owner")
            sessions[e.sessionID]?.isCancelled = true
        case .bookingConfirmed(let e):
            check(e.bookingID > (bookings.keys.max() ?? BookingID(0)), "\(e.bookingID) is not above every earlier id")
            check(users[e.userID] != nil, "\(e.bookingID) by unknown \(e.userID)")
            guard let session = sessions[e.sessionID] else {
                return check(false, "\(e.bookingID) on unknown \(e.sessionID)")
            }
            let seat = Seat(userID: e.userID, sessionID: e.sessionID)
            check(!session.isCancelled, "\(e.bookingID) on cancelled \(e.sessionID)")
            check(session.owner == e.facilitatorID, "\(e.bookingID) names the wrong facilitator")
            check(session.details.priceMinor == e.priceMinor, "\(e.bookingID) not at the session's current price")
            check(confirmedBySeat[seat] == nil, "\(e.userID) holds two confirmed bookings on \(e.sessionID)")
            check(
                session.confirmed.count < session.details.capacity,
                "\(e.bookingID) overbooks \(e.sessionID) (capacity \(session.details.capacity))")
            bookings[e.bookingID] = Booking(sessionID: e.sessionID, userID: e.userID, isConfirmed: true)
            sessions[e.sessionID]?.confirmed.insert(e.bookingID)
            confirmedBySeat[seat] = e.bookingID
        case .bookingCancelled(let e):
            guard let booking = bookings[e.bookingID] else {
                return check(false, "cancel of unknown \(e.bookingID)")
            }
            check(booking.isConfirmed, "\(e.bookingID) cancelled twice")
            check(booking.sessionID == e.sessionID && booking.userID == e.userID, "\(e.bookingID) cancelled with wrong ids")
            check(sessions[e.sessionID]?.owner == e.facilitatorID, "\(e.bookingID) cancel names the wrong facilitator")
            let sessionIsCancelled = sessions[e.sessionID]?.isCancelled == true
            check(
                (e.cause == .sessionCancelled) == sessionIsCancelled,
                "\(e.bookingID) cancelled with cause \(e.cause) while its session is cancelled: \(sessionIsCancelled)")
            bookings[e.bookingID]?.isConfirmed = false
            sessions[e.sessionID]?.confirmed.remove(e.bookingID)
            let seat = Seat(userID: e.userID, sessionID: e.sessionID)
            if confirmedBySeat[seat] == e.bookingID { confirmedBySeat[seat] = nil }
        case .notificationsAcknowledged(let e):
            check(users[e.facilitatorID]?.role == .facilitator, "acknowledgement by non-facilitator \(e.facilitatorID)")
            check(e.position > acknowledged[e.facilitatorID] ?? 0, "acknowledgement by \(e.facilitatorID) does not move forward")
            acknowledged[e.facilitatorID] = e.position
        }
    }
}

/// Checks the invariants on `state` itself, and that it agrees with what `ledger` recomputed from
/// the same events.
func expectInvariants(
    _ state: BookingState, matching ledger: EventLedger, sourceLocation: SourceLocation = #_sourceLocation
) {
    // On the state alone.
    var confirmedPerSeat: [EventLedger.Seat: Int] = [:]
    for (bookingID, booking) in state.bookings where booking.status == .confirmed {
        confirmedPerSeat[EventLedger.Seat(userID: booking.userID, sessionID: booking.sessionID), default: 0] += 1
        #expect(
            state.sessions[booking.sessionID]?.confirmedBookings.contains(bookingID) == true,
            "confirmed \(bookingID) missing from its session", sourceLocation: sourceLocation)
        #expect(
            state.confirmedBooking(of: booking.userID, on: booking.sessionID) == bookingID,
            "confirmed \(bookingID) missing from the seat index", sourceLocation: sourceLocation)
    }
    #expect(confirmedPerSeat.values.allSatisfy { $0 == 1 }, "a user holds two seats", sourceLocation: sourceLocation)
    for (sessionID, session) in state.sessions {
        #expect(
            session.confirmedBookings.count <= session.details.capacity, "\(sessionID) overbooked",
            sourceLocation: sourceLocation)
        #expect(
            session.status == .active || session.confirmedBookings.isEmpty, "cancelled \(sessionID) holds bookings",
            sourceLocation: sourceLocation)
        #expect(
            session.confirmedBookings.allSatisfy {
                state.bookings[$0]?.status == .confirmed && state.bookings[$0]?.sessionID == sessionID
            }, "\(sessionID) counts a booking that isn't a confirmed booking of it", sourceLocation: sourceLocation)
    }

    // Against the events.
    #expect(Set(state.accounts.keys) == Set(ledger.users.keys), sourceLocation: sourceLocation)
    for (userID, user) in ledger.users {
        #expect(state.accounts[userID]?.email == user.email, sourceLocation: sourceLocation)
        #expect(state.accounts[userID]?.role == user.role, sourceLocation: sourceLocation)
        #expect(state.accounts[userID]?.googleIdentity == user.googleIdentity, sourceLocation: sourceLocation)
        #expect(state.userID(forEmail: user.email.uppercased()) == userID, sourceLocation: sourceLocation)
        if let identity = user.googleIdentity {
            #expect(state.userID(for: identity) == userID, sourceLocation: sourceLocation)
        }
    }
    #expect(Set(state.sessions.keys) == Set(ledger.sessions.keys), sourceLocation: sourceLocation)
    for (sessionID, session) in ledger.sessions {
        #expect(state.sessions[sessionID]?.details == session.details, sourceLocation: sourceLocation)
        #expect(state.sessions[sessionID].map { Set($0.confirmedBookings) } == session.confirmed, sourceLocation: sourceLocation)
        #expect(
            state.sessions[sessionID]?.status == (session.isCancelled ? .cancelled : .active),
            sourceLocation: sourceLocation)
    }
    #expect(Set(state.bookings.keys) == Set(ledger.bookings.keys), sourceLocation: sourceLocation)
    for (bookingID, booking) in ledger.bookings {
        #expect(
            state.bookings[bookingID]?.status == (booking.isConfirmed ? .confirmed : .cancelled),
            sourceLocation: sourceLocation)
        let seat = EventLedger.Seat(userID: booking.userID, sessionID: booking.sessionID)
        #expect(
            state.confirmedBooking(of: booking.userID, on: booking.sessionID) == ledger.confirmedBySeat[seat],
            "the seat index disagrees for \(booking.userID) on \(booking.sessionID)", sourceLocation: sourceLocation)
    }
    #expect(state.acknowledgedPositions.dictionary == ledger.acknowledged, sourceLocation: sourceLocation)
    #expect(state.lastUserID == ledger.users.keys.map(\.rawValue).max() ?? 0, sourceLocation: sourceLocation)
    #expect(state.lastSessionID == ledger.sessions.keys.map(\.rawValue).max() ?? 0, sourceLocation: sourceLocation)
    #expect(state.lastBookingID == ledger.bookings.keys.map(\.rawValue).max() ?? 0, sourceLocation: sourceLocation)
}
