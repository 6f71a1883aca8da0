import BookingDomain
import Testing

@Suite("Bookings: book a seat")
struct BookSeatTests {
    private func book(_ userID: UserID, on sessionID: SessionID = SessionID(1), at time: Timestamp = now, notes: String? = nil)
        -> BookingCommand
    {
        .bookSeat(sessionID: sessionID, userID: userID, notes: notes, now: time)
    }

    @Test func `a user books a seat at the session's current price`() throws {
        try given(community + [.published(SessionID(1), .tomorrow(price: 1_999))])
            .when(book(alice, notes: "Vegetarian"))
            .then([
                .bookingConfirmed(
                    BookingConfirmed(
                        bookingID: BookingID(1), sessionID: SessionID(1), userID: alice, facilitatorID: fran,
                        priceMinor: 1_999, notes: "Vegetarian"))
            ])
    }

    @Test func `booking ids are sequential across sessions and independent of session ids`() throws {
        try given(community + [.published(SessionID(1)), .published(SessionID(2), by: oscar), .published(SessionID(3))])
            .when(book(alice, on: SessionID(3)))
            .then([.booked(BookingID(1), on: SessionID(3), by: alice)])
            .when(book(alice, on: SessionID(2)))
            .then([.booked(BookingID(2), on: SessionID(2), by: alice, facilitator: oscar)])
            .when(book(bob, on: SessionID(3)))
            .then([.booked(BookingID(3), on: SessionID(3), by: bob)])
    }

    @Test func `a facilitator can book another facilitator's session`() throws {
        try given(community + [.published(SessionID(1), by: oscar)])
            .when(book(fran))
            .then([.booked(BookingID(1), on: SessionID(1), by: fran, facilitator: oscar)])
    }

    @Test func `an unknown user cannot book`() {
        given(community + [.published(SessionID(1))]).when(book(UserID(99))).thenThrows(.userNotFound)
    }

    @Test func `an unknown session cannot be booked`() {
        given(community + [.published(SessionID(1))]).when(book(alice, on: SessionID(2))).thenThrows(.sessionNotFound)
    }

    @Test func `a cancelled session cannot be booked`() {
        given(community + [.published(SessionID(1)), .sessionCancelled(SessionCancelled(sessionID: SessionID(1), facilitatorID: fran))])
            .when(book(alice))
            .thenThrows(.sessionCancelled)
    }

    @Test(arguments: [0, 1, 30 * minute, 3 * hour])
    func `a session that has started cannot be booked`(sinceStart: Int64) {
        let start = now + 24 * hour
        given(community + [.published(SessionID(1))]).when(book(alice, at: start + sinceStart)).thenThrows(.sessionAlreadyStarted)
    }

    @Test func `a session can be booked up to one millisecond before it starts`() throws {
        try given(community + [.published(SessionID(1))])
            .when(book(alice, at: now + 24 * hour - 1))
            .then([.booked(BookingID(1), on: SessionID(1), by: alice)])
    }

    @Test func `the last seat can be booked, the next one cannot`() throws {
        let full = try given(community + [.published(SessionID(1), .tomorrow(capacity: 2))])
            .when(book(alice))
            .then([.booked(BookingID(1), on: SessionID(1), by: alice)])
            .when(book(bob))
            .then([.booked(BookingID(2), on: SessionID(1), by: bob)])
        full.when(book(carol)).thenThrows(.sessionFull)
        full.when(book(oscar)).thenThrows(.sessionFull)
        #expect(full.state.sessions[SessionID(1)]?.availableSpots == 0)
    }

    @Test func `cancelling frees the seat for someone else`() throws {
        given(community + [.published(SessionID(1), .tomorrow(capacity: 1)), .booked(BookingID(1), on: SessionID(1), by: alice)])
            .when(book(bob))
            .thenThrows(.sessionFull)
        try given(community + [.published(SessionID(1), .tomorrow(capacity: 1)), .booked(BookingID(1), on: SessionID(1), by: alice)])
            .when(.cancelBooking(bookingID: BookingID(1), userID: alice, now: now))
            .then([.released(BookingID(1), on: SessionID(1), by: alice)])
            .when(book(bob))
            .then([.booked(BookingID(2), on: SessionID(1), by: bob)])
            .when(book(carol))
            .thenThrows(.sessionFull)
    }

    @Test func `one confirmed booking per user and session`() throws {
        let booked = community + [
            .published(SessionID(1)), .published(SessionID(2)), .booked(BookingID(1), on: SessionID(1), by: alice),
        ]
        given(booked).when(book(alice)).thenThrows(.alreadyBooked)
        try given(booked).when(book(alice, on: SessionID(2))).then([.booked(BookingID(2), on: SessionID(2), by: alice)])
        try given(booked).when(book(bob)).then([.booked(BookingID(2), on: SessionID(1), by: bob)])
    }

    @Test func `rebooking after cancelling is allowed and gets a new id`() throws {
        try given(community + [.published(SessionID(1)), .booked(BookingID(1), on: SessionID(1), by: alice)])
            .when(.cancelBooking(bookingID: BookingID(1), userID: alice, now: now))
            .then([.released(BookingID(1), on: SessionID(1), by: alice)])
            .when(book(alice, notes: "Back again"))
            .then([.booked(BookingID(2), on: SessionID(1), by: alice, notes: "Back again")])
            .when(book(alice))
            .thenThrows(.alreadyBooked)
    }

    @Test func `a reduced capacity is full sooner`() throws {
        try given(community + [.published(SessionID(1)), .booked(BookingID(1), on: SessionID(1), by: alice)])
            .when(.updateSession(sessionID: SessionID(1), actorID: fran, changes: SessionChanges(capacity: 1), now: now))
            .then([.sessionUpdated(SessionUpdated(sessionID: SessionID(1), changes: SessionChanges(capacity: 1)))])
            .when(book(bob))
            .thenThrows(.sessionFull)
    }
}

@Suite("Bookings: cancel")
struct CancelBookingTests {
    let booked = community + [
        .published(SessionID(1)), .booked(BookingID(1), on: SessionID(1), by: alice),
        .booked(BookingID(2), on: SessionID(1), by: bob),
    ]

    @Test func `the owner cancels a booking`() throws {
        try given(booked)
            .when(.cancelBooking(bookingID: BookingID(2), userID: bob, now: now))
            .then([
                .bookingCancelled(
                    BookingCancelled(
                        bookingID: BookingID(2), sessionID: SessionID(1), userID: bob, facilitatorID: fran, cause: .byUser))
            ])
    }

    @Test func `someone else's booking is reported as not found`() {
        given(booked).when(.cancelBooking(bookingID: BookingID(1), userID: bob, now: now)).thenThrows(.bookingNotFound)
        given(booked).when(.cancelBooking(bookingID: BookingID(1), userID: fran, now: now)).thenThrows(.bookingNotFound)
    }

    @Test func `an unknown booking is not found`() {
        given(booked).when(.cancelBooking(bookingID: BookingID(3), userID: alice, now: now)).thenThrows(.bookingNotFound)
    }

    @Test func `a booking is cancelled once`() throws {
        try given(booked)
            .when(.cancelBooking(bookingID: BookingID(1), userID: alice, now: now))
            .then([.released(BookingID(1), on: SessionID(1), by: alice)])
            .when(.cancelBooking(bookingID: BookingID(1), userID: alice, now: now))
            .thenThrows(.bookingAlreadyCancelled)
    }

    @Test func `an old cancelled booking stays cancelled after rebooking`() throws {
        given(booked + [.released(BookingID(1), on: SessionID(1), by: alice), .booked(BookingID(3), on: SessionID(1), by: alice)])
            .when(.cancelBooking(bookingID: BookingID(1), userID: alice, now: now))
            .thenThrows(.bookingAlreadyCancelled)
        try given(booked + [.released(BookingID(1), on: SessionID(1), by: alice), .booked(BookingID(3), on: SessionID(1), by: alice)])
            .when(.cancelBooking(bookingID: BookingID(3), userID: alice, now: now))
            .then([.released(BookingID(3), on: SessionID(1), by: alice)])
    }

    @Test(arguments: [0, 1, 2 * hour])
    func `a booking cannot be cancelled once its session has started`(sinceStart: Int64) {
        given(booked)
            .when(.cancelBooking(bookingID: BookingID(1), userID: alice, now: now + 24 * hour + sinceStart))
            .thenThrows(.sessionAlreadyStarted)
    }
}
