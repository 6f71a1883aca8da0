import BookingDomain
import BookingProjections
import Testing

@Suite("Facilitator dashboard")
struct DashboardTests {
    /// Fran: a session yesterday-ish (starts 1 h after t0), one tomorrow, one in a week that gets
    /// cancelled. Oscar: one session with one booking, to show figures don't leak between facilitators.
    private func history() -> Log {
        var log = Log(community)
        log.append([
            .created(SessionID(1), by: fran, .sample(price: 1_000, startsIn: hour)),
            .created(SessionID(2), by: fran, .sample(price: 3_000, startsIn: 24 * hour)),
            .created(SessionID(3), by: fran, .sample(price: 5_000, startsIn: 7 * 24 * hour)),
            .created(SessionID(4), by: oscar, .sample(price: 9_900, startsIn: 24 * hour)),
            .booked(BookingID(1), SessionID(1), by: alice, price: 1_000),
            .booked(BookingID(2), SessionID(2), by: alice, price: 3_000),
            .booked(BookingID(3), SessionID(2), by: bob, price: 3_000),
            .booked(BookingID(4), SessionID(3), by: carol, price: 5_000),
            .booked(BookingID(5), SessionID(4), by: carol, owner: oscar, price: 9_900),
        ])
        return log
    }

    @Test("totals, revenue and recent bookings before any cancellation")
    func figures() throws {
        let model = history().model
        let figures = try #require(model.dashboard(for: fran, now: t0))
        #expect(figures.totalSessions == 3)
        #expect(figures.activeSessions == 3)
        #expect(figures.upcomingSessions == 3)
        #expect(figures.confirmedBookings == 4)
        #expect(figures.revenueMinor == 12_000)
        #expect(figures.recentBookings.map(\.id) == [BookingID(4), BookingID(3), BookingID(2), BookingID(1)])

        let oscars = try #require(model.dashboard(for: oscar, now: t0))
        #expect(oscars.totalSessions == 1)
        #expect(oscars.confirmedBookings == 1)
        #expect(oscars.revenueMinor == 9_900)
        #expect(oscars.recentBookings.map(\.id) == [BookingID(5)])
    }

    @Test("a cancelled booking takes its money out; a cancelled session stops being active")
    func afterCancellations() throws {
        var log = history()
        log.append(.released(BookingID(2), SessionID(2), by: alice))
        log.append([
            .sessionCancelled(SessionCancelled(sessionID: SessionID(3), facilitatorID: fran)),
            .released(BookingID(4), SessionID(3), by: carol, cause: .sessionCancelled),
        ])
        let figures = try #require(log.model.dashboard(for: fran, now: t0))
        #expect(figures.totalSessions == 3)
        #expect(figures.activeSessions == 2)
        #expect(figures.upcomingSessions == 2)
        #expect(figures.confirmedBookings == 2)
        #expect(figures.revenueMinor == 4_000)
        // The feed keeps cancelled bookings, showing them as they are now.
        #expect(figures.recentBookings.map(\.id) == [BookingID(4), BookingID(3), BookingID(2), BookingID(1)])
        #expect(figures.recentBookings.map(\.status) == [.cancelled, .confirmed, .cancelled, .confirmed])
    }

    @Test("upcoming counts active sessions not yet started at the given now")
    func upcomingDependsOnNow() throws {
        let model = history().model
        #expect(model.dashboard(for: fran, now: t0)?.upcomingSessions == 3)
        // Session 1 starts at t0 + 1 h: started at exactly that instant.
        #expect(model.dashboard(for: fran, now: t0 + hour)?.upcomingSessions == 2)
        #expect(model.dashboard(for: fran, now: t0 + 2 * 24 * hour)?.upcomingSessions == 1)
        #expect(model.dashboard(for: fran, now: t0 + 30 * 24 * hour)?.upcomingSessions == 0)
        // Past sessions are still active (not cancelled) and their bookings still count.
        let later = try #require(model.dashboard(for: fran, now: t0 + 30 * 24 * hour))
        #expect(later.activeSessions == 3)
        #expect(later.revenueMinor == 12_000)
    }

    @Test("a price change after booking doesn't rewrite revenue")
    func priceChangeKeepsRevenue() {
        var log = history()
        log.append(.sessionUpdated(SessionUpdated(sessionID: SessionID(2), changes: SessionChanges(priceMinor: 100))))
        #expect(log.model.dashboard(for: fran, now: t0)?.revenueMinor == 12_000)
        log.append(.released(BookingID(3), SessionID(2), by: bob))
        #expect(log.model.dashboard(for: fran, now: t0)?.revenueMinor == 9_000)
    }

    @Test("recent bookings keep only the newest ten, newest first")
    func recentBookingsAreCapped() throws {
        var log = Log(community)
        log.append(.created(SessionID(1), by: fran, .sample(capacity: 50)))
        for n in 1...13 {
            log.append(.registered(UserID(Int64(100 + n)), "guest\(n)@example.com"))
            log.append(.booked(BookingID(Int64(n)), SessionID(1), by: UserID(Int64(100 + n))))
        }
        let figures = try #require(log.model.dashboard(for: fran, now: t0))
        #expect(BookingReadModel.recentBookingsLimit == 10)
        #expect(figures.recentBookings.map(\.id.rawValue) == Array((4...13).reversed()))
        #expect(figures.confirmedBookings == 13)
        #expect(figures.revenueMinor == 13 * 2_500)
    }

    @Test("no dashboard for users or unknown accounts; an idle facilitator gets zeros")
    func onlyFacilitators() {
        let model = history().model
        #expect(model.dashboard(for: alice, now: t0) == nil)
        #expect(model.dashboard(for: UserID(404), now: t0) == nil)
        var log = Log(community)
        log.append(.registered(UserID(6), "new@example.com", role: .facilitator))
        #expect(
            log.model.dashboard(for: UserID(6), now: t0)
                == DashboardFigures(
                    totalSessions: 0, activeSessions: 0, upcomingSessions: 0, confirmedBookings: 0, revenueMinor: 0,
                    recentBookings: []))
    }
}
