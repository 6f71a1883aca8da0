import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "deliveries") throws {
        path = NSTemporaryDirectory() + "booking-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Opens a service on `directory`, runs its writer while `body` runs, then stops it.
func withService<R>(_ directory: TemporaryDirectory, _ body: (BookingService) async throws -> R) async throws -> R {
    let service = try BookingService.open(dataDirectory: directory.path)
    let runner = Task { await service.run() }
    do {
        let result = try await body(service)
        runner.cancel()
        await runner.value
        return result
    } catch {
        runner.cancel()
        await runner.value
        throw error
    }
}

let now = Timestamp(rawValue: 1_800_000_000_000)
let inAWeek = Timestamp(rawValue: now.rawValue + 7 * 86_400_000)

extension BookingService {
    /// Registers an account and returns its id.
    func register(_ email: String, name: String? = nil, role: Role = .user) async throws -> UserID {
        let outcome = try await execute(
            .registerUser(RegisterUser(email: email, name: name ?? email, role: role, passwordHash: "$argon2id$test")), actor: "system", now: now)
        guard case .accepted(let events, _) = outcome, case .userRegistered(let user) = events.first?.event else {
            throw TestFailure("registration of \(email) failed: \(outcome)")
        }
        return user.userID
    }

    /// Publishes a session a week from `now`.
    func createSession(by facilitator: UserID, capacity: Int = 100, title: String = "Breathwork") async throws -> SessionID {
        let details = SessionDetails(
            title: title, startTime: inAWeek, endTime: Timestamp(rawValue: inAWeek.rawValue + 3_600_000), capacity: capacity, priceMinor: 1_500)
        let outcome = try await execute(.createSession(facilitatorID: facilitator, details: details, now: now), actor: "\(facilitator)", now: now)
        guard case .accepted(let events, _) = outcome, case .sessionCreated(let session) = events.first?.event else {
            throw TestFailure("session creation failed: \(outcome)")
        }
        return session.sessionID
    }

    /// Books a seat; returns the booking and the event's position and id.
    func book(_ user: UserID, on session: SessionID) async throws -> (BookingID, position: Int64, eventID: UUID) {
        let outcome = try await execute(.bookSeat(sessionID: session, userID: user, notes: nil, now: now), actor: "\(user)", now: now)
        guard case .accepted(let events, _) = outcome, let first = events.first, case .bookingConfirmed(let booking) = first.event else {
            throw TestFailure("booking failed: \(outcome)")
        }
        return (booking.bookingID, first.record.position, first.record.eventID)
    }

    /// Cancels a booking; returns the event's position and id.
    func cancel(_ booking: BookingID, by user: UserID) async throws -> (position: Int64, eventID: UUID) {
        let outcome = try await execute(.cancelBooking(bookingID: booking, userID: user, now: now), actor: "\(user)", now: now)
        guard case .accepted(let events, _) = outcome, let first = events.first else { throw TestFailure("cancel failed: \(outcome)") }
        return (first.record.position, first.record.eventID)
    }

    /// A facilitator, a session and `count` guests each holding one booking: the bookings' event ids in order.
    func makeBookings(_ count: Int, prefix: String = "guest") async throws -> [UUID] {
        let host = try await register("host-\(UUID().uuidString.prefix(8))@example.com", name: "Host", role: .facilitator)
        let session = try await createSession(by: host, capacity: max(count, 1))
        var ids: [UUID] = []
        for index in 0..<count {
            let guest = try await register("\(prefix)\(index)-\(UUID().uuidString.prefix(8))@example.com", name: "Guest \(index)")
            ids.append(try await book(guest, on: session).eventID)
        }
        return ids
    }
}

/// Polls `condition` every 10 ms until it holds, failing with `message` after `timeout`.
func waitUntil(
    _ message: @autoclosure () -> String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out after \(timeout): \(message())") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
