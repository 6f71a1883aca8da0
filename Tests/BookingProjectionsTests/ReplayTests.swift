import BookingDomain
import BookingProjections
import Testing

@Suite("Replay and batching")
struct ReplayTests {
    /// One long history shared by the tests below; the decider keeps it realistic.
    static let simulation: Simulation = {
        var simulation = Simulation(seed: 0x5EED)
        simulation.simulate(steps: 4_000)
        return simulation
    }()

    @Test("the simulated history exercises every event type")
    func historyIsRich() {
        let kinds = Set(Self.simulation.log.events.map(\.event.kind))
        #expect(kinds == Set(BookingEvent.Kind.allCases))
        #expect(Self.simulation.log.events.count > 1_200)
    }

    @Test("replaying the same events again (same positions) leaves the model as it was")
    func replayIsIdempotent() {
        let log = Self.simulation.log
        var model = BookingReadModel()
        model.apply(batch: log.events)
        let once = model
        model.apply(batch: log.events)
        #expect(model == once)
        // Replaying from an earlier checkpoint is a no-op too.
        model.apply(batch: log.events.suffix(500))
        #expect(model == once)
        #expect(model.position == log.head)
    }

    @Test("an event at or below the position is ignored")
    func oldPositionsAreIgnored() {
        var model = BookingReadModel()
        model.apply(.registered(alice, "alice@example.com"), position: 5, recordedAt: t0)
        model.apply(.registered(bob, "bob@example.com"), position: 5, recordedAt: t0)
        model.apply(.registered(carol, "carol@example.com"), position: 3, recordedAt: t0)
        #expect(model.position == 5)
        #expect(model.user(alice) != nil)
        #expect(model.user(bob) == nil)
        #expect(model.user(carol) == nil)
    }

    @Test("applying in small batches equals applying everything at once", arguments: [1, 3, 7, 64])
    func batchingDoesNotMatter(largestBatch: Int) {
        let events = Self.simulation.log.events
        var whole = BookingReadModel()
        whole.apply(batch: events)

        var random = SeededGenerator(seed: UInt64(largestBatch))
        var incremental = BookingReadModel()
        var index = 0
        while index < events.count {
            let size = Int.random(in: 1...largestBatch, using: &random)
            incremental.apply(batch: events[index..<min(events.count, index + size)])
            index += size
        }
        #expect(incremental == whole)

        // And a model that went through an intermediate state differs from the empty one.
        #expect(whole != BookingReadModel())
    }

    @Test("seat counts agree with the domain's own state after the whole history")
    func agreesWithDomainState() throws {
        let simulation = Self.simulation
        var model = BookingReadModel()
        model.apply(batch: simulation.log.events)
        let state = simulation.state

        #expect(model.sessionCount == state.sessions.count)
        #expect(model.bookingCount == state.bookings.count)
        #expect(model.userCount == state.accounts.count)
        for (id, session) in state.sessions {
            let view = try #require(model.session(id))
            #expect(view.confirmedCount == session.confirmedBookings.count)
            #expect(view.availableSpots == session.availableSpots)
            #expect(view.status == session.status)
            #expect(view.details == session.details)
        }
        for (id, booking) in state.bookings {
            #expect(model.booking(id)?.status == booking.status)
        }
        for (id, account) in state.accounts {
            #expect(model.user(forEmail: account.email.uppercased())?.id == id)
        }
        for (facilitator, position) in state.acknowledgedPositions {
            #expect(model.acknowledgedPosition(of: facilitator) == position)
        }
    }

    @Test("incremental dashboard totals equal a recount from the views")
    func dashboardsMatchARecount() throws {
        var model = BookingReadModel()
        model.apply(batch: Self.simulation.log.events)
        let now = Self.simulation.now
        let facilitators = Self.simulation.state.accounts.filter { $0.value.role == .facilitator }.map(\.key)
        var checked = 0
        for facilitator in facilitators {
            let figures = try #require(model.dashboard(for: facilitator, now: now))
            let sessions = model.sessions(ofFacilitator: facilitator, limit: .max).items
            let bookings = model.bookings(ofFacilitator: facilitator, limit: .max).items
            let confirmed = bookings.filter { $0.status == .confirmed }
            #expect(figures.totalSessions == sessions.count)
            #expect(figures.activeSessions == sessions.filter { $0.status == .active }.count)
            #expect(figures.upcomingSessions == sessions.filter { $0.status == .active && $0.details.startTime > now }.count)
            #expect(figures.confirmedBookings == confirmed.count)
            #expect(figures.revenueMinor == confirmed.reduce(0) { $0 + $1.priceMinor })
            #expect(figures.recentBookings.map(\.id) == Array(bookings.map(\.id).reversed().prefix(10)))
            if !bookings.isEmpty { checked += 1 }
        }
        #expect(checked > 0)
    }
}
