import BookingDomain
import Testing

@Suite("Sessions: create")
struct CreateSessionTests {
    @Test func `a facilitator publishes a session`() throws {
        try given(community)
            .when(.createSession(facilitatorID: fran, details: .tomorrow(), now: now))
            .then([.sessionCreated(SessionCreated(sessionID: SessionID(1), facilitatorID: fran, details: .tomorrow()))])
    }

    @Test func `session ids are sequential and independent of user and booking ids`() throws {
        let retreat = SessionDetails(
            title: "Silent retreat", sessionType: .retreat, startTime: now + 72 * hour, endTime: now + 144 * hour,
            capacity: 12, priceMinor: 45_000)
        try given(community + [.published(SessionID(1)), .booked(BookingID(1), on: SessionID(1), by: alice)])
            .when(.createSession(facilitatorID: oscar, details: retreat, now: now))
            .then([.published(SessionID(2), by: oscar, retreat)])
            .when(.createSession(facilitatorID: fran, details: .tomorrow(capacity: 3), now: now))
            .then([.published(SessionID(3), by: fran, .tomorrow(capacity: 3))])
    }

    @Test func `only a facilitator may create sessions`() {
        given(community).when(.createSession(facilitatorID: alice, details: .tomorrow(), now: now)).thenThrows(.notAFacilitator)
    }

    @Test func `an unknown account may not create sessions`() {
        given(community)
            .when(.createSession(facilitatorID: UserID(99), details: .tomorrow(), now: now))
            .thenThrows(.userNotFound)
    }

    @Test(arguments: [0, -1 * hour, -48 * hour])
    func `the end must be after the start`(lengthInMilliseconds: Int64) {
        let start = now + 24 * hour
        given(community)
            .when(.createSession(facilitatorID: fran, details: .tomorrow(start: start, end: start + lengthInMilliseconds), now: now))
            .thenThrows(.endNotAfterStart)
    }

    @Test func `a session one millisecond long is fine`() throws {
        let start = now + hour
        try given(community)
            .when(.createSession(facilitatorID: fran, details: .tomorrow(start: start, end: start + 1), now: now))
            .then([.published(SessionID(1), .tomorrow(start: start, end: start + 1))])
    }

    @Test(arguments: [0, -1, -10])
    func `capacity must be at least one`(capacity: Int) {
        given(community)
            .when(.createSession(facilitatorID: fran, details: .tomorrow(capacity: capacity), now: now))
            .thenThrows(.invalidCapacity)
    }

    @Test func `a free session is fine; a negative price is not`() throws {
        try given(community)
            .when(.createSession(facilitatorID: fran, details: .tomorrow(price: 0), now: now))
            .then([.published(SessionID(1), .tomorrow(price: 0))])
        given(community)
            .when(.createSession(facilitatorID: fran, details: .tomorrow(price: -1), now: now))
            .thenThrows(.negativePrice)
    }

    @Test(arguments: [0, -1, -24 * hour])
    func `the start must be in the future`(offsetFromNow: Int64) {
        given(community)
            .when(
                .createSession(
                    facilitatorID: fran, details: .tomorrow(start: now + offsetFromNow, end: now + 2 * hour), now: now))
            .thenThrows(.startInPast)
    }

    @Test func `a start one millisecond from now is in the future`() throws {
        let details = SessionDetails.tomorrow(start: now + 1, end: now + hour)
        try given(community)
            .when(.createSession(facilitatorID: fran, details: details, now: now))
            .then([.published(SessionID(1), details)])
    }
}

@Suite("Sessions: update")
struct UpdateSessionTests {
    /// Fran's session 1 tomorrow, 24 h to 26 h from now, 10 seats.
    let published = community + [.published(SessionID(1))]

    private func update(_ changes: SessionChanges, by actor: UserID = fran, at time: Timestamp = now) -> BookingCommand {
        .updateSession(sessionID: SessionID(1), actorID: actor, changes: changes, now: time)
    }

    @Test func `the owner changes some details`() throws {
        let changes = SessionChanges(title: "Evening breathwork", capacity: 4, priceMinor: 3_000, location: "")
        try given(published)
            .when(update(changes))
            .then([.sessionUpdated(SessionUpdated(sessionID: SessionID(1), changes: changes))])
    }

    @Test func `someone else may not change a session`() {
        given(published).when(update(SessionChanges(title: "Mine now"), by: oscar)).thenThrows(.notSessionOwner)
        given(published).when(update(SessionChanges(title: "Mine now"), by: alice)).thenThrows(.notSessionOwner)
    }

    @Test func `an unknown session cannot be updated`() {
        given(published)
            .when(.updateSession(sessionID: SessionID(2), actorID: fran, changes: SessionChanges(title: "?"), now: now))
            .thenThrows(.sessionNotFound)
    }

    @Test func `a cancelled session cannot be updated`() {
        given(published + [.sessionCancelled(SessionCancelled(sessionID: SessionID(1), facilitatorID: fran))])
            .when(update(SessionChanges(title: "Back on")))
            .thenThrows(.sessionCancelled)
    }

    @Test func `moving only the end to before the existing start is refused`() {
        given(published).when(update(SessionChanges(endTime: now + 23 * hour))).thenThrows(.endNotAfterStart)
        given(published).when(update(SessionChanges(endTime: now + 24 * hour))).thenThrows(.endNotAfterStart)
    }

    @Test func `moving only the start to after the existing end is refused`() {
        given(published).when(update(SessionChanges(startTime: now + 27 * hour))).thenThrows(.endNotAfterStart)
    }

    @Test func `moving start and end together is checked on the result`() throws {
        let later = SessionChanges(startTime: now + 48 * hour, endTime: now + 50 * hour)
        try given(published)
            .when(update(later))
            .then([.sessionUpdated(SessionUpdated(sessionID: SessionID(1), changes: later))])
    }

    @Test(arguments: [0, -1 * hour])
    func `the start cannot be moved into the past`(offsetFromNow: Int64) {
        given(published).when(update(SessionChanges(startTime: now + offsetFromNow))).thenThrows(.startInPast)
    }

    @Test func `a session that has started can no longer be changed`() {
        // Changing a session that already ran would rewrite what its attendees booked.
        let running = community + [.published(SessionID(1), .tomorrow(start: now - hour, end: now + hour))]
        given(running).when(update(SessionChanges(title: "Renamed"))).thenThrows(.sessionAlreadyStarted)
    }

    @Test func `capacity must stay at least one`() {
        given(published).when(update(SessionChanges(capacity: 0))).thenThrows(.invalidCapacity)
    }

    @Test func `the price must not become negative`() {
        given(published).when(update(SessionChanges(priceMinor: -100))).thenThrows(.negativePrice)
    }

    @Test func `capacity is not reduced below the confirmed bookings`() throws {
        let threeBooked =
            published + [
                .booked(BookingID(1), on: SessionID(1), by: alice),
                .booked(BookingID(2), on: SessionID(1), by: bob),
                .booked(BookingID(3), on: SessionID(1), by: carol),
            ]
        given(threeBooked).when(update(SessionChanges(capacity: 2))).thenThrows(.capacityBelowConfirmedBookings(confirmed: 3))
        given(threeBooked).when(update(SessionChanges(capacity: 1))).thenThrows(.capacityBelowConfirmedBookings(confirmed: 3))
        try given(threeBooked)
            .when(update(SessionChanges(capacity: 3)))
            .then([.sessionUpdated(SessionUpdated(sessionID: SessionID(1), changes: SessionChanges(capacity: 3)))])
            .when(.bookSeat(sessionID: SessionID(1), userID: oscar, notes: nil, now: now))
            .thenThrows(.sessionFull)
    }

    @Test func `cancelled bookings don't count against a capacity reduction`() throws {
        let history =
            published + [
                .booked(BookingID(1), on: SessionID(1), by: alice),
                .booked(BookingID(2), on: SessionID(1), by: bob),
                .booked(BookingID(3), on: SessionID(1), by: carol),
                .released(BookingID(2), on: SessionID(1), by: bob),
            ]
        try given(history)
            .when(update(SessionChanges(capacity: 2)))
            .then([.sessionUpdated(SessionUpdated(sessionID: SessionID(1), changes: SessionChanges(capacity: 2)))])
    }

    @Test func `an update that changes nothing is nothing happening`() {
        given(published).when(update(SessionChanges())).thenNothingHappened()
        let sameValues = SessionChanges(
            title: "Morning breathwork", description: "Bring a mat", sessionType: .session, startTime: now + 24 * hour,
            endTime: now + 26 * hour, capacity: 10, priceMinor: 2_500, location: "Studio 2")
        given(published).when(update(sameValues)).thenNothingHappened()
    }

    @Test func `an unchanged update is still refused to someone else`() {
        given(published).when(update(SessionChanges(), by: oscar)).thenThrows(.notSessionOwner)
    }

    @Test func `a price change applies to later bookings, not earlier ones`() throws {
        try given(published + [.booked(BookingID(1), on: SessionID(1), by: alice, price: 2_500)])
            .when(update(SessionChanges(priceMinor: 4_000)))
            .then([.sessionUpdated(SessionUpdated(sessionID: SessionID(1), changes: SessionChanges(priceMinor: 4_000)))])
            .when(.bookSeat(sessionID: SessionID(1), userID: bob, notes: nil, now: now))
            .then([.booked(BookingID(2), on: SessionID(1), by: bob, price: 4_000)])
    }
}

@Suite("Sessions: cancel")
struct CancelSessionTests {
    @Test func `a session that has started can no longer be cancelled`() {
        let hour: Int64 = 3_600_000
        let running = community + [.published(SessionID(1), .tomorrow(start: now - hour, end: now + hour))]
        given(running).when(.cancelSession(sessionID: SessionID(1), actorID: fran, now: now)).thenThrows(.sessionAlreadyStarted)
    }

    @Test func `the owner cancels a session without bookings`() throws {
        try given(community + [.published(SessionID(1))])
            .when(.cancelSession(sessionID: SessionID(1), actorID: fran, now: now))
            .then([.sessionCancelled(SessionCancelled(sessionID: SessionID(1), facilitatorID: fran))])
    }

    @Test func `cancelling a session cancels every confirmed booking in ascending id order and leaves cancelled ones alone`()
        throws
    {
        // Twelve guests on session 1, interleaved with bookings on Oscar's session 2; some already cancelled.
        var history = community + [.published(SessionID(1), .tomorrow(capacity: 20)), .published(SessionID(2), by: oscar)]
        var guests: [UserID] = []
        for n in 0..<12 {
            let guest = UserID(Int64(10 + n))
            guests.append(guest)
            history.append(.registered(guest, "guest\(n)@example.com"))
        }
        var bookingID: Int64 = 0
        for guest in guests {
            bookingID += 1
            history.append(.booked(BookingID(bookingID), on: SessionID(1), by: guest))
            if guest.rawValue.isMultiple(of: 3) {
                bookingID += 1
                history.append(.booked(BookingID(bookingID), on: SessionID(2), by: guest, facilitator: oscar))
            }
        }
        let onSession1: [(BookingID, UserID)] = history.compactMap {
            guard case .bookingConfirmed(let b) = $0, b.sessionID == SessionID(1) else { return nil }
            return (b.bookingID, b.userID)
        }
        let alreadyCancelled = [onSession1[1], onSession1[4], onSession1[9]]
        history += alreadyCancelled.map { .released($0.0, on: SessionID(1), by: $0.1) }

        let expectedCancellations: [BookingEvent] = onSession1
            .filter { booking in !alreadyCancelled.contains { $0.0 == booking.0 } }
            .map { .released($0.0, on: SessionID(1), by: $0.1, cause: .sessionCancelled) }
        #expect(expectedCancellations.count == 9)

        let cancelled = try given(history)
            .when(.cancelSession(sessionID: SessionID(1), actorID: fran, now: now))
            .then([.sessionCancelled(SessionCancelled(sessionID: SessionID(1), facilitatorID: fran))] + expectedCancellations)
        #expect(cancelled.state.sessions[SessionID(2)]?.confirmedBookings.count == 4)
        #expect(cancelled.state.sessions[SessionID(1)]?.confirmedBookings == [])
    }

    @Test func `the cancellations name the session's facilitator`() throws {
        try given(community + [.published(SessionID(1), by: oscar), .booked(BookingID(1), on: SessionID(1), by: alice, facilitator: oscar)])
            .when(.cancelSession(sessionID: SessionID(1), actorID: oscar, now: now))
            .then([
                .sessionCancelled(SessionCancelled(sessionID: SessionID(1), facilitatorID: oscar)),
                .bookingCancelled(
                    BookingCancelled(
                        bookingID: BookingID(1), sessionID: SessionID(1), userID: alice, facilitatorID: oscar,
                        cause: .sessionCancelled)),
            ])
    }

    @Test func `only the owner may cancel a session`() {
        given(community + [.published(SessionID(1))])
            .when(.cancelSession(sessionID: SessionID(1), actorID: oscar, now: now))
            .thenThrows(.notSessionOwner)
        given(community + [.published(SessionID(1))])
            .when(.cancelSession(sessionID: SessionID(1), actorID: alice, now: now))
            .thenThrows(.notSessionOwner)
    }

    @Test func `an unknown session cannot be cancelled`() {
        given(community).when(.cancelSession(sessionID: SessionID(1), actorID: fran, now: now)).thenThrows(.sessionNotFound)
    }

    @Test func `a session is cancelled once`() throws {
        let cancelled = try given(community + [.published(SessionID(1)), .booked(BookingID(1), on: SessionID(1), by: alice)])
            .when(.cancelSession(sessionID: SessionID(1), actorID: fran, now: now))
            .then([
                .sessionCancelled(SessionCancelled(sessionID: SessionID(1), facilitatorID: fran)),
                .released(BookingID(1), on: SessionID(1), by: alice, cause: .sessionCancelled),
            ])
        cancelled.when(.cancelSession(sessionID: SessionID(1), actorID: fran, now: now)).thenThrows(.sessionCancelled)
        cancelled.when(.bookSeat(sessionID: SessionID(1), userID: bob, notes: nil, now: now)).thenThrows(.sessionCancelled)
        cancelled.when(.bookSeat(sessionID: SessionID(1), userID: alice, notes: nil, now: now)).thenThrows(.sessionCancelled)
        cancelled
            .when(.updateSession(sessionID: SessionID(1), actorID: fran, changes: SessionChanges(capacity: 20), now: now))
            .thenThrows(.sessionCancelled)
        cancelled.when(.cancelBooking(bookingID: BookingID(1), userID: alice, now: now)).thenThrows(.bookingAlreadyCancelled)
    }
}
