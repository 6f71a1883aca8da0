import BookingDomain
import BookingProjections
import Crypto
import EventSourcing
import EventStoreLMDB
import Foundation

/// What auditors do with a log: verify its chain, export it, import an export, and see the state at
/// any position. Works on a read-only open of the store while `serve` runs.
public enum Auditor {
    /// The outcome of ``verify(_:progress:)``.
    public struct VerificationReport: Sendable, CustomStringConvertible {
        public var eventsChecked: Int64
        public var headPosition: Int64
        public var headHash: String
        public var failure: ChainVerifier.Failure?
        public var isIntact: Bool { failure == nil }

        public var description: String {
            if let failure { return "FAILED at \(failure) (\(eventsChecked) events verified before it)" }
            return "OK: \(eventsChecked) events, positions 1...\(headPosition) gap-free, hash chain intact, every payload decodes; head hash \(headHash)"
        }
    }

    /// Checks positions, links, hashes and payloads of the whole log.
    ///
    /// The log is split in two halves verified on two threads: each record carries the hash it links
    /// to, so the second half can be checked on its own and joined to the first by one comparison.
    public static func verify(_ log: LMDBEventLog, progress: ((Int64, Int64) -> Void)? = nil) throws -> VerificationReport {
        let head = try log.storedHead().position
        let middle = head / 2
        let ranges: [(after: Int64, through: Int64)] = [(0, middle), (middle, head)]
        let results = VerifierResults(count: ranges.count)
        nonisolated(unsafe) let progress = progress  // called from the first range's thread only
        DispatchQueue.concurrentPerform(iterations: ranges.count) { index in
            let codec = BookingEventCodec()
            let range = ranges[index]
            var verifier = index == 0 ? ChainVerifier() : ChainVerifier(startingAt: range.after + 1)
            do {
                try log.scanSync(after: range.after, through: range.through) { key, record in
                    let keepGoing = verifier.check(key: key, record: record) { view in _ = try codec.decode(view) }
                    if index == 0, let progress, key & 0xFFFF == 0 { progress(key * 2, head) }
                    return keepGoing
                }
                verifier.finish(expectedHead: range.through)
                results.store(verifier, at: index)
            } catch {
                results.record(error)
            }
        }
        if let error = results.error { throw error }
        let verifier = results.verifiers[0]!.join(results.verifiers[1]!)
        progress?(verifier.checked, head)
        return VerificationReport(
            eventsChecked: verifier.checked, headPosition: verifier.expectedPosition - 1, headHash: verifier.lastHash.hexString,
            failure: verifier.failure)
    }

    /// Writes events `from...to` as JSON Lines, one envelope per line.
    public static func export(
        _ log: LMDBEventLog, from: Int64 = 1, to: Int64? = nil, progress: ((Int64, Int64) -> Void)? = nil,
        writeLine: (Data) throws -> Void
    ) throws {
        let codec = BookingEventCodec()
        let encoder = ExportedEvent.makeEncoder()
        let head = to ?? log.committedHead
        try log.scanSync(after: max(0, from - 1), through: to) { key, bytes in
            let record = try RecordView(parsing: bytes).materialize()
            var line = try encoder.encode(ExportedEvent(record, event: try codec.decode(record)))
            line.append(UInt8(ascii: "\n"))
            try writeLine(line)
            if let progress, key & 0x3FFF == 0 { progress(key, head) }
            return true
        }
    }

    /// The state as of `position`: who was registered, which sessions existed, who was booked.
    public static func replay(_ log: LMDBEventLog, to position: Int64?) throws -> ReplayedState {
        let (_, model) = try Replay.fold(log, through: position)
        return ReplayedState(model)
    }

    /// A canonical digest of the read model at a position, so two rebuilds (or a rebuild and a live
    /// server) can be compared by one string.
    public static func digest(of state: ReplayedState) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(SHA256.hash(data: try encoder.encode(state))).hexString
    }
}

/// The JSON that `audit replay` prints. Password hashes are left out: an auditor needs to know who
/// was booked, not their credentials.
public struct ReplayedState: Codable, Equatable, Sendable {
    public struct User: Codable, Equatable, Sendable {
        public var id: Int64
        public var email: String
        public var name: String
        public var role: String
        public var hasPassword: Bool
        public var googleLinked: Bool
        public var createdAt: String
    }

    public struct Session: Codable, Equatable, Sendable {
        public var id: Int64
        public var facilitatorId: Int64
        public var title: String
        public var sessionType: String
        public var startTime: String
        public var endTime: String
        public var capacity: Int
        public var priceMinor: Int64
        public var status: String
        public var confirmedBookings: Int
        public var availableSpots: Int
    }

    public struct Booking: Codable, Equatable, Sendable {
        public var id: Int64
        public var sessionId: Int64
        public var userId: Int64
        public var status: String
        public var bookedAt: String
        public var cancelledAt: String?
        public var cancellationCause: String?
    }

    public var position: Int64
    public var users: [User]
    public var sessions: [Session]
    public var bookings: [Booking]

    init(_ model: BookingReadModel) {
        func time(_ timestamp: Timestamp) -> String { ExportedEvent.iso8601(milliseconds: timestamp.rawValue) }
        position = model.position
        users = model.allUsers.map { user in
            User(
                id: user.id.rawValue, email: user.email, name: user.name, role: user.role.rawValue, hasPassword: user.passwordHash != nil,
                googleLinked: user.googleIdentity != nil, createdAt: time(user.createdAt))
        }
        sessions = model.allSessions.map { session in
            Session(
                id: session.id.rawValue, facilitatorId: session.facilitatorID.rawValue, title: session.details.title,
                sessionType: session.details.sessionType.rawValue, startTime: time(session.details.startTime),
                endTime: time(session.details.endTime), capacity: session.details.capacity, priceMinor: session.details.priceMinor,
                status: session.status.rawValue, confirmedBookings: session.confirmedCount, availableSpots: session.availableSpots)
        }
        bookings = model.allBookings.map { booking in
            Booking(
                id: booking.id.rawValue, sessionId: booking.sessionID.rawValue, userId: booking.userID.rawValue,
                status: booking.status.rawValue, bookedAt: time(booking.createdAt), cancelledAt: booking.cancelledAt.map(time),
                cancellationCause: booking.cancellationCause?.rawValue)
        }
    }
}

/// Where the verification threads leave their results; each writes only its own slot.
private final class VerifierResults: @unchecked Sendable {
    private(set) var verifiers: [ChainVerifier?]
    private(set) var error: (any Error)?
    private let lock = NSLock()

    init(count: Int) { verifiers = Array(repeating: nil, count: count) }

    func store(_ verifier: ChainVerifier, at index: Int) { lock.withLock { verifiers[index] = verifier } }
    func record(_ error: any Error) { lock.withLock { self.error = self.error ?? error } }
}
