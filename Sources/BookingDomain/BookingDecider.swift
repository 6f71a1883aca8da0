/// The booking domain's decider: `decide` turns a command into events or a typed rejection, and
/// ``BookingState/evolve(_:)`` folds events into state. Pure: no I/O, no clock, no randomness.
public enum BookingDecider {
    /// The state before any event.
    public static var initialState: BookingState { BookingState() }

    /// Decides what happens when `command` meets `state`. An empty result means nothing needed to happen.
    public static func decide(_ command: BookingCommand, _ state: BookingState) throws(DomainError) -> [BookingEvent] {
        switch command {
        case .registerUser(let registration):
            return try register(registration, state)
        case .recordLogin(let userID, let method):
            try requireAccount(userID, state)
            return [.loginSucceeded(LoginSucceeded(userID: userID, method: method))]
        case .recordFailedLogin(let userID, let reason):
            try requireAccount(userID, state)
            return [.loginFailed(LoginFailed(userID: userID, reason: reason))]
        case .revokeTokens(let userID, let now):
            try requireAccount(userID, state)
            return [.tokensRevoked(TokensRevoked(userID: userID, issuedNotAfter: now))]
        case .signInWithGoogle(let signIn):
            return try signInWithGoogle(signIn, state)
        case .createSession(let facilitatorID, let details, let now):
            return try createSession(facilitatorID, details, now, state)
        case .updateSession(let sessionID, let actorID, let changes, let now):
            return try updateSession(sessionID, actorID, changes, now, state)
        case .cancelSession(let sessionID, let actorID, let now):
            return try cancelSession(sessionID, actorID, now, state)
        case .bookSeat(let sessionID, let userID, let notes, let now):
            return try bookSeat(sessionID, userID, notes, now, state)
        case .cancelBooking(let bookingID, let userID, let now):
            return try cancelBooking(bookingID, userID, now, state)
        case .acknowledgeNotifications(let facilitatorID, let position):
            let account = try requireAccount(facilitatorID, state)
            guard account.role == .facilitator else { throw .notAFacilitator }
            // Acknowledging an older position is a no-op, so a late or repeated ack can't move the cursor back.
            guard position > state.acknowledgedPositions[facilitatorID] ?? 0 else { return [] }
            return [.notificationsAcknowledged(NotificationsAcknowledged(facilitatorID: facilitatorID, position: position))]
        }
    }

    @discardableResult
    private static func requireAccount(_ userID: UserID, _ state: BookingState) throws(DomainError) -> BookingState.Account {
        guard let account = state.accounts[userID] else { throw .userNotFound }
        return account
    }

    private static func register(_ registration: RegisterUser, _ state: BookingState) throws(DomainError) -> [BookingEvent] {
        guard state.userID(forEmail: registration.email) == nil else { throw .emailAlreadyRegistered }
        let registered = UserRegistered(
            userID: UserID(state.lastUserID + 1), email: registration.email.lowercased(), name: registration.name,
            role: registration.role, passwordHash: registration.passwordHash,
            profile: registration.role == .facilitator ? registration.profile : nil)
        return [.userRegistered(registered)]
    }

    private static func signInWithGoogle(_ signIn: GoogleSignIn, _ state: BookingState) throws(DomainError) -> [BookingEvent] {
        if let userID = state.userID(for: signIn.identity) {
            return [.loginSucceeded(LoginSucceeded(userID: userID, method: .google))]
        }
        if let userID = state.userID(forEmail: signIn.email) {
            // Linking by e-mail hands the account to whoever controls the Google identity, so only
            // when Google is the authority for that address.
            guard signIn.isAuthoritativeForEmail else { throw .googleNotAuthoritativeForEmail }
            guard state.accounts[userID]?.googleIdentity == nil else { throw .accountLinkedToAnotherGoogleIdentity }
            return [
                .googleAccountLinked(GoogleAccountLinked(userID: userID, identity: signIn.identity)),
                .loginSucceeded(LoginSucceeded(userID: userID, method: .google)),
            ]
        }
        let userID = UserID(state.lastUserID + 1)
        return [
            .userRegistered(
                UserRegistered(
                    userID: userID, email: signIn.email.lowercased(), name: signIn.name, role: .user, passwordHash: nil,
                    googleIdentity: signIn.identity)),
            .loginSucceeded(LoginSucceeded(userID: userID, method: .google)),
        ]
    }

    private static func validate(_ details: SessionDetails) throws(DomainError) {
        guard details.endTime > details.startTime else { throw .endNotAfterStart }
        guard details.capacity >= 1 else { throw .invalidCapacity }
        guard details.priceMinor >= 0 else { throw .negativePrice }
    }

    private static func createSession(
        _ facilitatorID: UserID, _ details: SessionDetails, _ now: Timestamp, _ state: BookingState
    ) throws(DomainError) -> [BookingEvent] {
        let account = try requireAccount(facilitatorID, state)
        guard account.role == .facilitator else { throw .notAFacilitator }
        try validate(details)
        guard details.startTime > now else { throw .startInPast }
        let created = SessionCreated(sessionID: SessionID(state.lastSessionID + 1), facilitatorID: facilitatorID, details: details)
        return [.sessionCreated(created)]
    }

    /// A session its owner may still change: active and not yet started (changing or cancelling a
    /// session that already ran would rewrite what attendees and revenue figures say happened).
    private static func ownedSession(
        _ sessionID: SessionID, by actorID: UserID, at now: Timestamp, _ state: BookingState
    ) throws(DomainError) -> BookingState.Session {
        guard let session = state.sessions[sessionID] else { throw .sessionNotFound }
        guard session.facilitatorID == actorID else { throw .notSessionOwner }
        guard session.status == .active else { throw .sessionCancelled }
        guard session.details.startTime > now else { throw .sessionAlreadyStarted }
        return session
    }

    private static func updateSession(
        _ sessionID: SessionID, _ actorID: UserID, _ changes: SessionChanges, _ now: Timestamp, _ state: BookingState
    ) throws(DomainError) -> [BookingEvent] {
        let session = try ownedSession(sessionID, by: actorID, at: now, state)
        let updated = changes.applied(to: session.details)
        guard updated != session.details else { return [] }
        try validate(updated)
        if let startTime = changes.startTime, startTime != session.details.startTime, startTime <= now {
            throw .startInPast
        }
        guard updated.capacity >= session.confirmedBookings.count else {
            throw .capacityBelowConfirmedBookings(confirmed: session.confirmedBookings.count)
        }
        return [.sessionUpdated(SessionUpdated(sessionID: sessionID, changes: changes))]
    }

    private static func cancelSession(
        _ sessionID: SessionID, _ actorID: UserID, _ now: Timestamp, _ state: BookingState
    ) throws(DomainError) -> [BookingEvent] {
        let session = try ownedSession(sessionID, by: actorID, at: now, state)
        var events: [BookingEvent] = [.sessionCancelled(SessionCancelled(sessionID: sessionID, facilitatorID: actorID))]
        for bookingID in session.confirmedBookings {
            guard let booking = state.bookings[bookingID] else { continue }
            events.append(
                .bookingCancelled(
                    BookingCancelled(
                        bookingID: bookingID, sessionID: sessionID, userID: booking.userID, facilitatorID: actorID,
                        cause: .sessionCancelled)))
        }
        return events
    }

    private static func bookSeat(
        _ sessionID: SessionID, _ userID: UserID, _ notes: String?, _ now: Timestamp, _ state: BookingState
    ) throws(DomainError) -> [BookingEvent] {
        try requireAccount(userID, state)
        guard let session = state.sessions[sessionID] else { throw .sessionNotFound }
        guard session.status == .active else { throw .sessionCancelled }
        guard session.details.startTime > now else { throw .sessionAlreadyStarted }
        guard state.confirmedBooking(of: userID, on: sessionID) == nil else { throw .alreadyBooked }
        guard session.availableSpots > 0 else { throw .sessionFull }
        let confirmed = BookingConfirmed(
            bookingID: BookingID(state.lastBookingID + 1), sessionID: sessionID, userID: userID,
            facilitatorID: session.facilitatorID, priceMinor: session.details.priceMinor, notes: notes)
        return [.bookingConfirmed(confirmed)]
    }

    private static func cancelBooking(
        _ bookingID: BookingID, _ userID: UserID, _ now: Timestamp, _ state: BookingState
    ) throws(DomainError) -> [BookingEvent] {
        // Someone else's booking is reported as missing: its existence is private.
        guard let booking = state.bookings[bookingID], booking.userID == userID else { throw .bookingNotFound }
        guard booking.status == .confirmed else { throw .bookingAlreadyCancelled }
        guard let session = state.sessions[booking.sessionID] else { throw .sessionNotFound }
        guard session.details.startTime > now else { throw .sessionAlreadyStarted }
        return [
            .bookingCancelled(
                BookingCancelled(
                    bookingID: bookingID, sessionID: booking.sessionID, userID: userID, facilitatorID: session.facilitatorID,
                    cause: .byUser))
        ]
    }
}
