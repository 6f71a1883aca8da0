import BookingDomain
import BookingProjections
import Testing

@Suite("Keyset pagination")
struct PaginationTests {
    /// 25 sessions by Fran; session n starts n hours after t0.
    private func sessions(_ count: Int = 25) -> Log {
        var log = Log(community)
        for n in 1...count {
            log.append(.created(SessionID(Int64(n)), by: fran, .sample(title: "S\(n)", startsIn: Int64(n) * hour)))
        }
        return log
    }

    @Test("pages follow the cursor to the end, with hasMore on all but the last")
    func walkingPages() {
        let model = sessions().model
        let first = model.sessions(limit: 10)
        #expect(first.items.map(\.id.rawValue) == Array(1...10))
        #expect(first.hasMore)
        let second = model.sessions(after: first.items.last?.id, limit: 10)
        #expect(second.items.map(\.id.rawValue) == Array(11...20))
        #expect(second.hasMore)
        let third = model.sessions(after: second.items.last?.id, limit: 10)
        #expect(third.items.map(\.id.rawValue) == Array(21...25))
        #expect(!third.hasMore)
    }

    @Test("a page that ends exactly on the last item says there is no more")
    func exactBoundary() {
        let model = sessions(20).model
        let second = model.sessions(after: SessionID(10), limit: 10)
        #expect(second.items.map(\.id.rawValue) == Array(11...20))
        #expect(!second.hasMore)
        #expect(model.sessions(after: SessionID(20), limit: 10) == Page(items: [], hasMore: false))
        #expect(model.sessions(after: SessionID(19), limit: 1).hasMore == false)
        #expect(model.sessions(after: SessionID(18), limit: 1).hasMore == true)
    }

    @Test("a cursor that is not an id starts after where it would be; limits 0 and 1 behave")
    func cursorsAndLimits() {
        var log = Log(community)
        for n in [2, 4, 6, 8] { log.append(.created(SessionID(Int64(n)), by: fran)) }
        let model = log.model
        #expect(model.sessions(after: SessionID(5), limit: 10).items.map(\.id.rawValue) == [6, 8])
        #expect(model.sessions(after: SessionID(0), limit: 10).items.map(\.id.rawValue) == [2, 4, 6, 8])
        #expect(model.sessions(after: SessionID(100), limit: 10).items.isEmpty)
        #expect(model.sessions(limit: 1) == Page(items: [model.session(SessionID(2))!], hasMore: true))
        #expect(model.sessions(limit: 0) == Page(items: [], hasMore: true))
        #expect(BookingReadModel().sessions(limit: 10) == Page(items: [], hasMore: false))
    }

    @Test("active sessions skip cancelled ones and, given now, those already started")
    func activeSessions() {
        var log = sessions(12)
        for n in [3, 4, 11, 12] {
            log.append(.sessionCancelled(SessionCancelled(sessionID: SessionID(Int64(n)), facilitatorID: fran)))
        }
        let model = log.model
        let first = model.activeSessions(limit: 4)
        #expect(first.items.map(\.id.rawValue) == [1, 2, 5, 6])
        #expect(first.hasMore)
        let second = model.activeSessions(after: SessionID(6), limit: 4)
        #expect(second.items.map(\.id.rawValue) == [7, 8, 9, 10])
        // Only cancelled sessions follow: nothing more to show.
        #expect(!second.hasMore)

        // At t0 + 6 h, sessions 1...6 have started.
        let open = model.activeSessions(limit: 2, notStartedAt: t0 + 6 * hour)
        #expect(open.items.map(\.id.rawValue) == [7, 8])
        #expect(open.hasMore)
        #expect(model.activeSessions(after: SessionID(8), limit: 2, notStartedAt: t0 + 6 * hour).items.map(\.id.rawValue) == [9, 10])
        #expect(model.activeSessions(after: SessionID(8), limit: 2, notStartedAt: t0 + 6 * hour).hasMore == false)
        #expect(model.activeSessions(limit: 10, notStartedAt: t0 + 100 * hour).items.isEmpty)
    }

    @Test("a facilitator's sessions page over its own only")
    func facilitatorSessions() {
        var log = Log(community)
        for n in 1...9 { log.append(.created(SessionID(Int64(n)), by: n % 3 == 0 ? oscar : fran)) }
        let model = log.model
        let first = model.sessions(ofFacilitator: fran, limit: 4)
        #expect(first.items.map(\.id.rawValue) == [1, 2, 4, 5])
        #expect(first.hasMore)
        let second = model.sessions(ofFacilitator: fran, after: SessionID(5), limit: 4)
        #expect(second.items.map(\.id.rawValue) == [7, 8])
        #expect(!second.hasMore)
        #expect(model.sessions(ofFacilitator: oscar, limit: 10).items.map(\.id.rawValue) == [3, 6, 9])
        #expect(model.sessions(ofFacilitator: alice, limit: 10) == Page(items: [], hasMore: false))
    }

    @Test("booking lists page by booking id and can narrow by status")
    func bookingLists() {
        var log = Log(community)
        log.append(.created(SessionID(1), by: fran, .sample(capacity: 50)))
        log.append(.created(SessionID(2), by: oscar, .sample(capacity: 50)))
        log.append(.created(SessionID(3), by: fran, .sample(capacity: 50)))
        // Bookings 1...12 cycle over sessions 1, 2, 3 and users alice, bob, carol.
        let users = [alice, bob, carol]
        for n in 1...12 {
            let session = SessionID(Int64((n - 1) % 3 + 1))
            log.append(.booked(BookingID(Int64(n)), session, by: users[(n - 1) / 4], owner: session.rawValue == 2 ? oscar : fran))
        }
        log.append(.released(BookingID(1), SessionID(1), by: alice))
        log.append(.released(BookingID(7), SessionID(1), by: bob))
        let model = log.model

        #expect(model.bookings(ofUser: alice, limit: 10).items.map(\.id.rawValue) == [1, 2, 3, 4])
        let bobsFirst = model.bookings(ofUser: bob, limit: 2)
        #expect(bobsFirst.items.map(\.id.rawValue) == [5, 6])
        #expect(bobsFirst.hasMore)
        #expect(model.bookings(ofUser: bob, after: BookingID(6), limit: 2).items.map(\.id.rawValue) == [7, 8])
        #expect(model.bookings(ofUser: bob, after: BookingID(6), limit: 2).hasMore == false)
        #expect(model.bookings(ofUser: bob, limit: 10, status: .confirmed).items.map(\.id.rawValue) == [5, 6, 8])

        #expect(model.bookings(onSession: SessionID(1), limit: 10).items.map(\.id.rawValue) == [1, 4, 7, 10])
        #expect(model.bookings(onSession: SessionID(1), limit: 10, status: .cancelled).items.map(\.id.rawValue) == [1, 7])
        let confirmedOnOne = model.bookings(onSession: SessionID(1), limit: 1, status: .confirmed)
        #expect(confirmedOnOne.items.map(\.id.rawValue) == [4])
        #expect(confirmedOnOne.hasMore)

        let fransFirst = model.bookings(ofFacilitator: fran, limit: 5)
        #expect(fransFirst.items.map(\.id.rawValue) == [1, 3, 4, 6, 7])
        #expect(fransFirst.hasMore)
        let fransSecond = model.bookings(ofFacilitator: fran, after: BookingID(7), limit: 5)
        #expect(fransSecond.items.map(\.id.rawValue) == [9, 10, 12])
        #expect(!fransSecond.hasMore)
        #expect(model.bookings(ofFacilitator: oscar, limit: 10).items.map(\.id.rawValue) == [2, 5, 8, 11])
        #expect(model.bookings(ofFacilitator: fran, limit: 10, status: .cancelled).items.map(\.id.rawValue) == [1, 7])
    }
}
