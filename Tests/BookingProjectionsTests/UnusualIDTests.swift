import BookingDomain
import BookingProjections
import Testing

// The model stores entities by id position, because the writer allocates ids densely from 1. A log
// the writer didn't produce (hand-made, imported) may hold any id: these pin that such ids mean what
// they always meant, and that nothing traps or allocates to match a huge id.

@Suite("Ids the writer never allocates")
struct UnusualIDTests {
    static let huge = Int64(9_000_000_000_000)

    @Test("zero, negative, huge and out-of-order user ids are kept, found and listed in id order")
    func unusualUserIDs() throws {
        let ids: [Int64] = [3, 1, 0, -7, Self.huge, 2, 1_500, .max]
        var log = Log(ids.map { .registered(UserID($0), "u\($0)@example.com") })
        // Filling the ids up to past 1 500 moves it from wherever it was kept to its place among them;
        // registering 1 500 again on the way is still a duplicate.
        log.append((4...1_600).map { .registered(UserID($0), "again\($0)@example.com") })
        log.append(.loginSucceeded(LoginSucceeded(userID: UserID(.max), method: .password)), at: t0 + hour)
        log.append(.loginFailed(LoginFailed(userID: UserID(-7), reason: .wrongPassword)))
        log.append(.loginSucceeded(LoginSucceeded(userID: UserID(-8), method: .password)))
        log.append(.googleAccountLinked(GoogleAccountLinked(userID: UserID(Self.huge), identity: google("g-huge"))))
        log.append(.googleAccountLinked(GoogleAccountLinked(userID: UserID(1), identity: google("g-one"))))
        let model = log.model

        for id in ids {
            #expect(model.user(UserID(id))?.email == "u\(id)@example.com")
            #expect(model.user(forEmail: "U\(id)@EXAMPLE.COM")?.id == UserID(id))
        }
        #expect(model.user(forEmail: "again1500@example.com") == nil)
        #expect(model.user(UserID(-8)) == nil)
        #expect(model.user(UserID(Self.huge - 1)) == nil)
        #expect(model.user(UserID(.min)) == nil)
        #expect(model.user(UserID(.max))?.lastLoginAt == t0 + hour)
        #expect(model.user(UserID(-7))?.failedLoginsSinceLastSuccess == 1)
        #expect(model.user(for: google("g-huge"))?.googleIdentity == google("g-huge"))
        #expect(model.user(for: google("g-huge"))?.id == UserID(Self.huge))
        #expect(model.user(for: google("g-one"))?.googleIdentity == google("g-one"))

        let expectedIDs = ([-7, 0] + Array(1...1_600) + [Self.huge, .max]).map { UserID($0) }
        let listed = model.allUsers.map(\.id)
        #expect(model.userCount == expectedIDs.count)
        #expect(listed.prefix(4) == expectedIDs.prefix(4))
        #expect(listed.suffix(3) == expectedIDs.suffix(3))
        // Whole, without printing 1 600 ids when it fails.
        #expect(listed.elementsEqual(expectedIDs))
    }

    @Test("sessions, bookings, indexes, dashboards and cursors work under unusual ids")
    func unusualReferences() throws {
        let facilitator = UserID(.max)
        let client = UserID(-2)
        let log = Log([
            .registered(facilitator, "far@example.com", role: .facilitator),
            .registered(client, "neg@example.com"),
            .created(SessionID(0), by: facilitator, .sample(capacity: 5)),
            .created(SessionID(-1), by: facilitator, .sample(capacity: 5)),
            .booked(BookingID(Self.huge), SessionID(0), by: client, owner: facilitator, price: 100),
            .booked(BookingID(-5), SessionID(0), by: client, owner: facilitator, price: 200),
            .booked(BookingID(0), SessionID(-1), by: client, owner: facilitator, price: 400),
            .released(BookingID(-5), SessionID(0), by: client, owner: facilitator),
            .sessionCancelled(SessionCancelled(sessionID: SessionID(-1), facilitatorID: facilitator)),
            .notificationsAcknowledged(NotificationsAcknowledged(facilitatorID: facilitator, position: 7)),
        ])
        let model = log.model

        // An unknown session's cancellation moves the checkpoint and nothing else.
        var afterUnknown = model
        afterUnknown.apply(
            .sessionCancelled(SessionCancelled(sessionID: SessionID(.min), facilitatorID: facilitator)),
            position: log.head + 1, recordedAt: t0)
        #expect(afterUnknown.position == log.head + 1)
        #expect(afterUnknown.allSessions == model.allSessions)
        #expect(afterUnknown.dashboard(for: facilitator, now: t0) == model.dashboard(for: facilitator, now: t0))

        #expect(model.sessionCount == 2)
        #expect(model.bookingCount == 3)
        #expect(model.allSessions.map(\.id) == [SessionID(-1), SessionID(0)])
        #expect(model.allBookings.map(\.id) == [BookingID(-5), BookingID(0), BookingID(Self.huge)])
        #expect(model.session(SessionID(0))?.confirmedCount == 1)
        #expect(model.session(SessionID(-1))?.status == .cancelled)
        #expect(model.booking(BookingID(-5))?.status == .cancelled)

        #expect(model.bookings(ofUser: client, limit: 10).items.map(\.id) == [BookingID(-5), BookingID(0), BookingID(Self.huge)])
        let confirmedAfterZero = model.bookings(ofUser: client, after: BookingID(0), limit: 10, status: .confirmed)
        #expect(confirmedAfterZero.items.map(\.id) == [BookingID(Self.huge)])
        #expect(model.bookings(onSession: SessionID(0), limit: 10).items.map(\.id) == [BookingID(-5), BookingID(Self.huge)])
        #expect(model.bookings(ofFacilitator: facilitator, limit: 2).hasMore)
        #expect(model.sessions(ofFacilitator: facilitator, limit: 10).items.map(\.id) == [SessionID(-1), SessionID(0)])
        #expect(model.activeSessions(limit: 10).items.map(\.id) == [SessionID(0)])
        #expect(model.acknowledgedPosition(of: facilitator) == 7)
        #expect(model.acknowledgedPosition(of: client) == 0)

        let figures = try #require(model.dashboard(for: facilitator, now: t0))
        #expect(figures.totalSessions == 2)
        #expect(figures.activeSessions == 1)
        #expect(figures.upcomingSessions == 1)
        #expect(figures.confirmedBookings == 2)
        #expect(figures.revenueMinor == 500)
        #expect(figures.recentBookings.map(\.id) == [BookingID(0), BookingID(-5), BookingID(Self.huge)])
    }

    @Test("equality compares what the model holds, not where it holds it")
    func equalityIgnoresLayout() {
        // In order, every user lands in its slot; with the last id first, that one is kept apart
        // (it is far past the ids seen so far) and stays there once the others arrive.
        let inOrder = (1...3_000).map { BookingEvent.registered(UserID(Int64($0)), "p\($0)@example.com") }
        let lastFirst = [inOrder[2_999]] + inOrder[..<2_999]
        var a = Log()
        var b = Log()
        a.append(inOrder, at: t0)
        b.append(lastFirst, at: t0)
        var modelA = a.model
        var modelB = b.model
        #expect(modelA == modelB)
        #expect(modelB.allUsers == modelA.allUsers)

        modelA.apply(.loginFailed(LoginFailed(userID: UserID(3_000), reason: .wrongPassword)), position: 3_001, recordedAt: t0)
        #expect(modelA != modelB)
        modelB.apply(.loginFailed(LoginFailed(userID: UserID(3_000), reason: .wrongPassword)), position: 3_001, recordedAt: t0)
        #expect(modelA == modelB)
        #expect(modelB.user(UserID(3_000))?.failedLoginsSinceLastSuccess == 1)
    }
}
