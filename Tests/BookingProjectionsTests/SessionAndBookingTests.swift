import BookingDomain
import BookingProjections
import Testing

@Suite("Sessions and bookings")
struct SessionAndBookingTests {
    @Test("a published session is active with every seat free")
    func created() throws {
        var log = Log(community)
        let publishedAt = t0 + hour
        log.append(.created(SessionID(1), by: fran, .sample(capacity: 3)), at: publishedAt)
        let session = try #require(log.model.session(SessionID(1)))
        #expect(
            session
                == SessionView(
                    id: SessionID(1), facilitatorID: fran, details: .sample(capacity: 3), status: .active, confirmedCount: 0,
                    createdAt: publishedAt, updatedAt: publishedAt, cancelledAt: nil))
        #expect(session.availableSpots == 3)
        #expect(log.model.sessionCount == 1)
    }

    @Test("an update changes only the given fields and moves updatedAt")
    func updated() throws {
        var log = Log(community)
        log.append(.created(SessionID(1), by: fran, .sample()), at: t0 + hour)
        log.append(
            .sessionUpdated(SessionUpdated(sessionID: SessionID(1), changes: SessionChanges(title: "Evening flow", capacity: 4))),
            at: t0 + 2 * hour)
        let session = try #require(log.model.session(SessionID(1)))
        var expected = SessionDetails.sample()
        expected.title = "Evening flow"
        expected.capacity = 4
        #expect(session.details == expected)
        #expect(session.createdAt == t0 + hour)
        #expect(session.updatedAt == t0 + 2 * hour)
        #expect(session.availableSpots == 4)
    }

    @Test("booking and cancelling move the confirmed count and the free seats")
    func seats() throws {
        var log = Log(community)
        log.append(.created(SessionID(1), by: fran, .sample(capacity: 2)))
        log.append(.booked(BookingID(1), SessionID(1), by: alice))
        #expect(log.model.session(SessionID(1))?.confirmedCount == 1)
        #expect(log.model.session(SessionID(1))?.availableSpots == 1)

        log.append(.booked(BookingID(2), SessionID(1), by: bob))
        #expect(log.model.session(SessionID(1))?.availableSpots == 0)
        #expect(log.model.session(SessionID(1))?.isBookable(at: t0) == false)

        log.append(.released(BookingID(1), SessionID(1), by: alice))
        let session = try #require(log.model.session(SessionID(1)))
        #expect(session.confirmedCount == 1)
        #expect(session.availableSpots == 1)
        #expect(session.isBookable(at: t0))
        #expect(!session.isBookable(at: session.details.startTime))
    }

    @Test("a repeated cancellation or one of an unknown booking changes nothing")
    func cancellationIsCountedOnce() {
        var log = Log(community)
        log.append(.created(SessionID(1), by: fran, .sample(capacity: 2)))
        log.append(.booked(BookingID(1), SessionID(1), by: alice))
        log.append(.booked(BookingID(2), SessionID(1), by: bob))
        log.append(.released(BookingID(1), SessionID(1), by: alice))
        let once = log.model
        log.append(.released(BookingID(1), SessionID(1), by: alice))
        log.append(.released(BookingID(99), SessionID(1), by: carol))
        let model = log.model
        #expect(model.session(SessionID(1))?.confirmedCount == 1)
        #expect(model.dashboard(for: fran, now: t0)?.revenueMinor == 2_500)
        #expect(model.session(SessionID(1)) == once.session(SessionID(1)))
        #expect(model.booking(BookingID(99)) == nil)
    }

    @Test("free seats are never negative, even when capacity drops below the bookings")
    func availableSpotsNeverNegative() {
        var log = Log(community)
        log.append(.created(SessionID(1), by: fran, .sample(capacity: 2)))
        log.append(.booked(BookingID(1), SessionID(1), by: alice))
        log.append(.booked(BookingID(2), SessionID(1), by: bob))
        log.append(.sessionUpdated(SessionUpdated(sessionID: SessionID(1), changes: SessionChanges(capacity: 1))))
        #expect(log.model.session(SessionID(1))?.confirmedCount == 2)
        #expect(log.model.session(SessionID(1))?.availableSpots == 0)
    }

    @Test("a confirmed booking is visible by id and in the user's, session's and facilitator's lists")
    func bookingConfirmed() throws {
        var log = Log(community)
        log.append(.created(SessionID(1), by: fran, .sample(price: 4_200)))
        log.append(.booked(BookingID(1), SessionID(1), by: alice, price: 4_200, notes: "First time"), at: t0 + 3 * hour)
        let model = log.model
        let booking = try #require(model.booking(BookingID(1)))
        #expect(
            booking
                == BookingView(
                    id: BookingID(1), sessionID: SessionID(1), userID: alice, facilitatorID: fran, status: .confirmed,
                    notes: "First time", priceMinor: 4_200, createdAt: t0 + 3 * hour, cancelledAt: nil,
                    cancellationCause: nil))
        #expect(model.bookings(ofUser: alice, limit: 10).items == [booking])
        #expect(model.bookings(onSession: SessionID(1), limit: 10).items == [booking])
        #expect(model.bookings(ofFacilitator: fran, limit: 10).items == [booking])
        #expect(model.bookings(ofFacilitator: oscar, limit: 10).items == [])
        #expect(model.bookings(ofUser: bob, limit: 10).items == [])
        #expect(model.bookingCount == 1)
    }

    @Test("a booking cancelled by its owner records when and why")
    func bookingCancelledByUser() throws {
        var log = Log(community)
        log.append(.created(SessionID(1), by: fran))
        log.append(.booked(BookingID(1), SessionID(1), by: alice))
        log.append(.released(BookingID(1), SessionID(1), by: alice, cause: .byUser), at: t0 + 5 * hour)
        let booking = try #require(log.model.booking(BookingID(1)))
        #expect(booking.status == .cancelled)
        #expect(booking.cancelledAt == t0 + 5 * hour)
        #expect(booking.cancellationCause == .byUser)
        #expect(log.model.bookings(ofUser: alice, limit: 10).items == [booking])
    }

    @Test("cancelling a session (through the decider) cancels it and releases every seat")
    func sessionCancelled() throws {
        var simulation = Simulation(seed: 1)
        for event in community { simulation.run(.registerUser(registration(event))) }
        simulation.run(.createSession(facilitatorID: fran, details: .sample(capacity: 5), now: t0))
        simulation.run(.bookSeat(sessionID: SessionID(1), userID: alice, notes: nil, now: t0))
        simulation.run(.bookSeat(sessionID: SessionID(1), userID: bob, notes: nil, now: t0))
        let events = simulation.run(.cancelSession(sessionID: SessionID(1), actorID: fran, now: t0))
        #expect(events.count == 3)

        let model = simulation.log.model
        let session = try #require(model.session(SessionID(1)))
        #expect(session.status == .cancelled)
        #expect(session.cancelledAt == simulation.log.events[simulation.log.events.count - 3].recordedAt)
        #expect(session.confirmedCount == 0)
        #expect(session.availableSpots == 5)
        for id in [BookingID(1), BookingID(2)] {
            #expect(model.booking(id)?.status == .cancelled)
            #expect(model.booking(id)?.cancellationCause == .sessionCancelled)
        }
        #expect(model.activeSessions(limit: 10).items == [])
        #expect(model.sessions(limit: 10).items == [session])
    }

    @Test("acknowledgements move a facilitator's cursor forward only")
    func notificationCursors() {
        var log = Log(community)
        #expect(log.model.acknowledgedPosition(of: fran) == 0)
        log.append(.notificationsAcknowledged(NotificationsAcknowledged(facilitatorID: fran, position: 4)))
        #expect(log.model.acknowledgedPosition(of: fran) == 4)
        log.append(.notificationsAcknowledged(NotificationsAcknowledged(facilitatorID: fran, position: 2)))
        #expect(log.model.acknowledgedPosition(of: fran) == 4)
        #expect(log.model.acknowledgedPosition(of: oscar) == 0)
    }

    /// The registration command that produces a community member's event.
    private func registration(_ event: BookingEvent) -> RegisterUser {
        guard case .userRegistered(let e) = event else { fatalError("not a registration") }
        return RegisterUser(email: e.email, name: e.name, role: e.role, passwordHash: e.passwordHash, profile: e.profile)
    }
}
