import BookingDomain
import BookingEngine
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation
import Testing

/// Drives a small but complete history through the service: every event type appears.
func writeMixedHistory(_ service: BookingService) async throws {
    let facilitator = try await service.register("host@example.com", role: .facilitator)
    let other = try await service.register("other-host@example.com", role: .facilitator)
    let yoga = try await service.createSession(by: facilitator, capacity: 3, title: "Yoga")
    let retreat = try await service.createSession(by: other, capacity: 10, title: "Silent retreat", price: 45_000)
    var users: [UserID] = []
    for index in 0..<6 { users.append(try await service.register("user\(index)@example.com")) }
    for user in users.prefix(4) { _ = try await service.book(user, on: yoga) }
    for user in users { _ = try await service.book(user, on: retreat, key: "key-\(user.rawValue)") }
    _ = try await service.execute(.cancelBooking(bookingID: BookingID(1), userID: users[0], now: now), actor: "\(users[0])", now: now)
    _ = try await service.execute(
        .updateSession(sessionID: yoga, actorID: facilitator, changes: SessionChanges(title: "Yoga at dawn", capacity: 4), now: now),
        actor: "\(facilitator)", now: now)
    _ = try await service.execute(.cancelSession(sessionID: retreat, actorID: other, now: now), actor: "\(other)", now: now)
    _ = try await service.execute(.recordLogin(userID: users[1], method: .password), actor: "\(users[1])", now: now)
    _ = try await service.execute(.recordFailedLogin(userID: users[2], reason: .wrongPassword), actor: "system", now: now)
    _ = try await service.execute(.revokeTokens(userID: users[1], now: now), actor: "\(users[1])", now: now)
    _ = try await service.execute(
        .signInWithGoogle(
            GoogleSignIn(
                identity: GoogleIdentity(issuer: "https://accounts.google.com", subject: "1234567890"), email: "user3@example.com",
                name: "User Three", isAuthoritativeForEmail: true)), actor: "system", now: now)
    _ = try await service.execute(.acknowledgeNotifications(facilitatorID: facilitator, position: 12), actor: "\(facilitator)", now: now)
}

@Suite struct ReplayTests {
    /// The read model kept current event by event while commands ran equals one rebuilt from zero.
    @Test func rebuildFromZeroEqualsIncrementalState() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (live, liveState) = try await withService(directory) { service in
            try await writeMixedHistory(service)
            return (service.projection.read { $0 }, service.processor.currentState)
        }
        let log = try LMDBEventLog(directory: directory.path, options: .init(readOnly: true))
        let (state, model) = try Replay.fold(log, through: nil)
        #expect(model == live)
        #expect(state == liveState)
        #expect(model.position == log.committedHead)
        #expect(ProjectionCheck.compare(state, model).isEmpty)
        let report = try ProjectionCheck.run(log)
        #expect(report.mismatches.isEmpty)
    }

    /// Export, then import into an empty store: the same bytes, so the same hashes, and verify passes.
    @Test func exportImportRoundTripIsExact() async throws {
        let source = try TemporaryDirectory()
        let target = try TemporaryDirectory()
        defer {
            source.remove()
            target.remove()
        }
        try await withService(source) { try await writeMixedHistory($0) }
        let sourceLog = try LMDBEventLog(directory: source.path, options: .init(readOnly: true))
        var exported = Data()
        try Auditor.export(sourceLog) { exported.append($0) }
        let targetLog = try LMDBEventLog(directory: target.path)
        let count = try await EventImporter.importLines(exported, into: targetLog)
        #expect(Int64(count) == sourceLog.committedHead)
        var reexported = Data()
        try Auditor.export(targetLog) { reexported.append($0) }
        #expect(reexported == exported)
        #expect(try Auditor.verify(targetLog).isIntact)
        #expect(try await targetLog.read(after: 0, limit: 1_000) == sourceLog.read(after: 0, limit: 1_000))
    }

    /// An altered line is refused on import, naming the line.
    @Test func importRefusesAlteredExport() async throws {
        let source = try TemporaryDirectory()
        let target = try TemporaryDirectory()
        defer {
            source.remove()
            target.remove()
        }
        try await withService(source) { try await writeMixedHistory($0) }
        var exported = Data()
        try Auditor.export(try LMDBEventLog(directory: source.path, options: .init(readOnly: true))) { exported.append($0) }
        let text = String(decoding: exported, as: UTF8.self).replacingOccurrences(of: "Silent retreat", with: "Silent retreaT")
        let targetLog = try LMDBEventLog(directory: target.path)
        await #expect(throws: EventImporter.Failure.self) { try await EventImporter.importLines(Data(text.utf8), into: targetLog) }
    }

    /// `audit replay --to N` shows the state at that moment, not the latest.
    @Test func replayToAPositionShowsThePast() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bookedAt = try await withService(directory) { service in
            let facilitator = try await service.register("host@example.com", role: .facilitator)
            let session = try await service.createSession(by: facilitator, capacity: 2)
            let user = try await service.register("guest@example.com")
            guard case .accepted(let events, _) = try await service.book(user, on: session), let booked = events.first else {
                throw TestFailure("booking failed")
            }
            _ = try await service.execute(.cancelSession(sessionID: session, actorID: facilitator, now: now), actor: "system", now: now)
            return booked.record.position
        }
        let log = try LMDBEventLog(directory: directory.path, options: .init(readOnly: true))
        let past = try Auditor.replay(log, to: bookedAt)
        #expect(past.position == bookedAt)
        #expect(past.bookings.map(\.status) == ["confirmed"])
        #expect(past.sessions.map(\.status) == ["active"])
        let present = try Auditor.replay(log, to: nil)
        #expect(present.bookings.map(\.status) == ["cancelled"])
        #expect(present.bookings.first?.cancellationCause == "session_cancelled")
        #expect(present.sessions.map(\.status) == ["cancelled"])
    }

    /// A commit that fails (the map is full at its ceiling) answers every caller in the batch with an
    /// error, leaves the write model equal to what is durable, and the map error names the setting.
    @Test func failedCommitLeavesStateAsDurable() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let options = LMDBEventLog.Options(mapSize: 256 << 10, maxMapSize: 256 << 10)
        try await withService(directory, options: options) { service in
            var failure: (any Error)?
            var index = 0
            while failure == nil, index < 20_000 {
                do {
                    _ = try await service.register("filler-\(index)-\(String(repeating: "x", count: 200))@example.com")
                } catch {
                    failure = error
                }
                index += 1
            }
            let error = try #require(failure)
            #expect(String(describing: error).contains("BOOKING_MAX_MAP_SIZE_MB"))
            let (durable, _) = try Replay.fold(service.log, through: nil)
            #expect(service.processor.currentState.accounts.count >= durable.accounts.count)
            // The next batch makes the writer reload; a command that writes nothing leaves it exactly the durable state.
            let probe = try await service.execute(.recordLogin(userID: UserID(999_999), method: .password), actor: "system", now: now)
            guard case .rejected(.userNotFound) = probe else { throw TestFailure("expected a rejection, got \(probe)") }
            let (afterReload, _) = try Replay.fold(service.log, through: nil)
            #expect(service.processor.currentState == afterReload)
            #expect(try Auditor.verify(service.log).isIntact)
        }
    }
}
