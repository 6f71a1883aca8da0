import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation
import Testing

@Suite struct ConcurrencyTests {
    /// Many users race for the last seats: never overbooked, never double-booked, every caller answered.
    @Test func racingForTheLastSeatsNeverOverbooks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withService(directory) { service in
            let facilitator = try await service.register("host@example.com", role: .facilitator)
            let session = try await service.createSession(by: facilitator, capacity: 7)
            let users = try await withThrowingTaskGroup(of: UserID.self) { group in
                for index in 0..<60 { group.addTask { try await service.register("racer\(index)@example.com") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // Each user tries twice at once, so double-booking is raced as well as capacity.
            let outcomes = try await withThrowingTaskGroup(of: (UserID, BookingService.Outcome).self) { group in
                for user in users + users { group.addTask { (user, try await service.book(user, on: session)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var confirmedUsers: [UserID] = []
            for (user, outcome) in outcomes {
                switch outcome {
                case .accepted(let events, _):
                    #expect(events.count == 1)
                    confirmedUsers.append(user)
                case .rejected(let rejection):
                    #expect(rejection == .sessionFull || rejection == .alreadyBooked)
                }
            }
            #expect(confirmedUsers.count == 7)
            #expect(Set(confirmedUsers).count == 7)
            let view = service.projection.read { $0.session(session) }
            #expect(view?.confirmedCount == 7)
            #expect(view?.availableSpots == 0)
            #expect(service.processor.currentState.sessions[session]?.confirmedBookings.count == 7)
        }
    }

    /// The same idempotency key from racing requests books once and answers both with the same booking.
    @Test func idempotencyKeyBooksOnceUnderRace() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withService(directory) { service in
            let facilitator = try await service.register("host@example.com", role: .facilitator)
            let session = try await service.createSession(by: facilitator, capacity: 5)
            let user = try await service.register("guest@example.com")
            let outcomes = try await withThrowingTaskGroup(of: BookingService.Outcome.self) { group in
                for _ in 0..<10 { group.addTask { try await service.book(user, on: session, key: "user-\(user.rawValue):retry-1") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var bookingIDs = Set<BookingID>()
            var replays = 0
            for outcome in outcomes {
                guard case .accepted(let events, let isReplay) = outcome, case .bookingConfirmed(let booking) = events.first?.event else {
                    Issue.record("expected the booking, got \(outcome)")
                    continue
                }
                bookingIDs.insert(booking.bookingID)
                if isReplay { replays += 1 }
            }
            #expect(bookingIDs.count == 1)
            #expect(replays == 9)
            #expect(service.projection.read { $0.session(session)?.confirmedCount } == 1)
        }
    }
}
