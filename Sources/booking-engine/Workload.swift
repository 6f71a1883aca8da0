import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import Foundation

/// A steady write workload used by `bench` and `crash-writer`: each step registers a user and books
/// it a seat, so every event goes through the real decider and the group-commit writer.
struct BookingWorkload: Sendable {
    let service: BookingService
    let sessions: [SessionID]

    /// Creates a facilitator and `sessionCount` far-future sessions with room for everyone.
    static func prepare(_ service: BookingService, sessionCount: Int = 16) async throws -> BookingWorkload {
        let now = Timestamp.now
        let facilitatorEmail = "facilitator-\(UUID.random().uuidString.lowercased())@bench.example"
        guard
            case .accepted(let registered, _) = try await service.execute(
                .registerUser(RegisterUser(email: facilitatorEmail, name: "Bench Facilitator", role: .facilitator, passwordHash: nil)),
                actor: "system", now: now),
            case .userRegistered(let facilitator) = registered.first?.event
        else { throw WorkloadError("could not register the facilitator") }
        var sessions: [SessionID] = []
        for index in 0..<sessionCount {
            let start = Timestamp(rawValue: now.rawValue + 365 * 86_400_000)
            let details = SessionDetails(
                title: "Benchmark session \(index)", startTime: start, endTime: Timestamp(rawValue: start.rawValue + 3_600_000),
                capacity: 100_000, priceMinor: 2_500)
            guard
                case .accepted(let created, _) = try await service.execute(
                    .createSession(facilitatorID: facilitator.userID, details: details, now: now), actor: "system", now: now),
                case .sessionCreated(let session) = created.first?.event
            else { throw WorkloadError("could not create a session") }
            sessions.append(session.sessionID)
        }
        return BookingWorkload(service: service, sessions: sessions)
    }

    /// One step: register a fresh user, then book it onto a session (two events, two commits).
    /// Returns the committed events; sessions that filled up are skipped.
    func step(_ sequence: Int) async throws -> [(position: Int64, eventID: UUID)] {
        let now = Timestamp.now
        let email = "user-\(UUID.random().uuidString.lowercased())@bench.example"
        var committed: [(Int64, UUID)] = []
        guard
            case .accepted(let registered, _) = try await service.execute(
                .registerUser(RegisterUser(email: email, name: "Bench User", role: .user, passwordHash: nil)), actor: "system", now: now),
            case .userRegistered(let user) = registered.first?.event
        else { throw WorkloadError("registration was refused") }
        committed += registered.map { ($0.record.position, $0.record.eventID) }
        let session = sessions[sequence % sessions.count]
        switch try await service.execute(.bookSeat(sessionID: session, userID: user.userID, notes: nil, now: now), actor: "\(user.userID)", now: now) {
        case .accepted(let booked, _):
            committed += booked.map { ($0.record.position, $0.record.eventID) }
        case .rejected(.sessionFull):
            break
        case .rejected(let rejection):
            throw WorkloadError("booking was refused: \(rejection)")
        }
        return committed
    }
}

struct WorkloadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
