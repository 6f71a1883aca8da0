import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation

/// Starts a service on a fresh store and stops it when `body` returns.
func withService<R>(
    _ directory: TemporaryDirectory, options: LMDBEventLog.Options = .init(), _ body: (BookingService) async throws -> R
) async throws -> R {
    let service = try BookingService.open(dataDirectory: directory.path, options: options)
    let runner = Task { await service.run() }
    defer { runner.cancel() }
    let result = try await body(service)
    runner.cancel()
    await runner.value
    return result
}

let now = Timestamp(rawValue: 1_800_000_000_000)
let inAWeek = Timestamp(rawValue: now.rawValue + 7 * 86_400_000)

extension BookingService {
    /// Registers an account and returns its id.
    func register(_ email: String, role: Role = .user) async throws -> UserID {
        let outcome = try await execute(
            .registerUser(RegisterUser(email: email, name: email, role: role, passwordHash: "$argon2id$test")), actor: "system", now: now)
        guard case .accepted(let events, _) = outcome, case .userRegistered(let user) = events.first?.event else {
            throw TestFailure("registration of \(email) failed: \(outcome)")
        }
        return user.userID
    }

    /// Publishes a session a week from `now`.
    func createSession(by facilitator: UserID, capacity: Int, title: String = "Breathwork", price: Int64 = 1_500) async throws -> SessionID {
        let details = SessionDetails(
            title: title, startTime: inAWeek, endTime: Timestamp(rawValue: inAWeek.rawValue + 3_600_000), capacity: capacity, priceMinor: price)
        let outcome = try await execute(.createSession(facilitatorID: facilitator, details: details, now: now), actor: "\(facilitator)", now: now)
        guard case .accepted(let events, _) = outcome, case .sessionCreated(let session) = events.first?.event else {
            throw TestFailure("session creation failed: \(outcome)")
        }
        return session.sessionID
    }

    func book(_ user: UserID, on session: SessionID, key: String? = nil) async throws -> Outcome {
        try await execute(.bookSeat(sessionID: session, userID: user, notes: nil, now: now), actor: "\(user)", now: now, idempotencyKey: key)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
