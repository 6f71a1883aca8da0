import BookingDomain
import Testing

/// A seeded linear congruential generator (Knuth's MMIX constants): the same seed always gives the
/// same commands, so a failure replays exactly.
struct LCG {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }

    /// A value in `range` (modulo bias is irrelevant here).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func int64(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.count))
    }

    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
}

/// Mixed commands, mostly sensible and sometimes not, aimed at open sessions with few seats so they
/// fill up. Candidates are always sorted: dictionary order differs between runs.
struct CommandGenerator {
    var rng: LCG
    var clock = now

    init(seed: UInt64) { rng = LCG(seed: seed) }

    private mutating func pick<T>(_ candidates: [T]) -> T? {
        candidates.isEmpty ? nil : candidates[rng.int(0...candidates.count - 1)]
    }

    /// Any id up to one past the last, so unknown ids turn up too.
    private mutating func anyUser(_ state: BookingState) -> UserID { UserID(rng.int64(1...state.lastUserID + 1)) }

    private mutating func facilitator(_ state: BookingState) -> UserID {
        let facilitators = state.accounts.filter { $0.value.role == .facilitator }.map(\.key).sorted()
        return rng.chance(85) ? pick(facilitators) ?? anyUser(state) : anyUser(state)
    }

    private mutating func session(_ state: BookingState) -> SessionID {
        let open = state.sessions.filter { $0.value.status == .active && $0.value.details.startTime > clock }.map(\.key).sorted()
        return rng.chance(85) ? pick(open) ?? SessionID(1) : SessionID(rng.int64(1...state.lastSessionID + 1))
    }

    private mutating func email() -> String {
        let email = "person\(rng.int(1...60))@example.com"
        return rng.chance(20) ? email.uppercased() : email
    }

    mutating func next(_ state: BookingState) -> BookingCommand {
        clock = clock + rng.int64(0...20) * minute
        switch rng.int(0...99) {
        case 0..<6:
            let role: Role = rng.chance(30) ? .facilitator : .user
            return .registerUser(
                RegisterUser(
                    email: email(), name: "Person", role: role, passwordHash: passwordHash,
                    profile: rng.chance(50) ? FacilitatorProfile(bio: "Bio") : nil))
        case 6..<9:
            return .signInWithGoogle(
                GoogleSignIn(
                    identity: google("g-\(rng.int(1...40))"), email: email(), name: "Googler",
                    isAuthoritativeForEmail: rng.chance(60)))
        case 9..<12:
            let user = anyUser(state)
            switch rng.int(0...2) {
            case 0: return .recordLogin(userID: user, method: .password)
            case 1: return .recordFailedLogin(userID: user, reason: .wrongPassword)
            default: return .revokeTokens(userID: user, now: clock)
            }
        case 12..<22:
            let start = clock + rng.int64(-1...30) * hour
            let details = SessionDetails(
                title: "Session", startTime: start, endTime: start + rng.int64(-1...4) * hour, capacity: rng.int(0...5),
                priceMinor: rng.int64(-1...4) * 1_000)
            return .createSession(facilitatorID: facilitator(state), details: details, now: clock)
        case 22..<30:
            let sessionID = session(state)
            let owner = state.sessions[sessionID]?.facilitatorID
            let actor = rng.chance(85) ? owner ?? anyUser(state) : facilitator(state)
            var changes = SessionChanges()
            if rng.chance(60) { changes.capacity = rng.int(0...5) }
            if rng.chance(20) { changes.priceMinor = rng.int64(-1...4) * 1_000 }
            if rng.chance(20) { changes.startTime = clock + rng.int64(-1...30) * hour }
            if rng.chance(20) { changes.endTime = clock + rng.int64(-1...34) * hour }
            if rng.chance(10) { changes.title = "Renamed" }
            return .updateSession(sessionID: sessionID, actorID: actor, changes: changes, now: clock)
        case 30..<32:
            let sessionID = session(state)
            let actor = rng.chance(80) ? state.sessions[sessionID]?.facilitatorID ?? fran : facilitator(state)
            return .cancelSession(sessionID: sessionID, actorID: actor, now: clock)
        case 32..<80:
            return .bookSeat(sessionID: session(state), userID: anyUser(state), notes: nil, now: clock)
        case 80..<94:
            let confirmed = state.bookings.filter { $0.value.status == .confirmed }.map(\.key).sorted()
            let bookingID =
                rng.chance(80)
                ? pick(confirmed) ?? BookingID(1) : BookingID(rng.int64(1...state.lastBookingID + 1))
            let owner = state.bookings[bookingID]?.userID
            let user = rng.chance(85) ? owner ?? anyUser(state) : anyUser(state)
            return .cancelBooking(bookingID: bookingID, userID: user, now: clock)
        default:
            return .acknowledgeNotifications(facilitatorID: facilitator(state), position: rng.int64(0...400))
        }
    }
}

@Suite("Invariants under random commands")
struct PropertyTests {
    @Test(arguments: [1, 42, 2_026] as [UInt64])
    func `capacity and one seat per user hold after thousands of mixed commands`(seed: UInt64) {
        var generator = CommandGenerator(seed: seed)
        var state = BookingDecider.initialState
        var appends: [[BookingEvent]] = []
        var rejections: [String: Int] = [:]
        var accepted = 0

        for _ in 0..<4_000 {
            let command = generator.next(state)
            do {
                let events = try BookingDecider.decide(command, state)
                state.evolve(events)
                if !events.isEmpty { appends.append(events) }
                accepted += 1
            } catch {
                rejections[error.caseName, default: 0] += 1
            }
        }
        let events = appends.flatMap { $0 }

        // The run exercised what it claims to.
        let kinds = Set(events.map(\.kind))
        #expect(kinds == Set(BookingEvent.Kind.allCases), "kinds never produced: \(Set(BookingEvent.Kind.allCases).subtracting(kinds))")
        #expect(accepted > 1_000)
        for name in ["sessionFull", "alreadyBooked", "capacityBelowConfirmedBookings", "sessionAlreadyStarted", "notSessionOwner"] {
            #expect(rejections[name, default: 0] > 0, "never rejected with \(name): \(rejections)")
        }

        // Recomputed from the events alone: at no point was a session over capacity or a seat held twice.
        var capacity: [SessionID: Int] = [:]
        var confirmedOn: [SessionID: Set<BookingID>] = [:]
        var seatOf: [BookingID: (userID: UserID, sessionID: SessionID)] = [:]
        var overbookings = 0
        var doubleSeats = 0
        for event in events {
            switch event {
            case .sessionCreated(let e):
                capacity[e.sessionID] = e.details.capacity
            case .sessionUpdated(let e):
                if let newCapacity = e.changes.capacity { capacity[e.sessionID] = newCapacity }
            case .bookingConfirmed(let e):
                let holders = confirmedOn[e.sessionID, default: []].compactMap { seatOf[$0]?.userID }
                if holders.contains(e.userID) { doubleSeats += 1 }
                confirmedOn[e.sessionID, default: []].insert(e.bookingID)
                seatOf[e.bookingID] = (e.userID, e.sessionID)
            case .bookingCancelled(let e):
                confirmedOn[e.sessionID]?.remove(e.bookingID)
            default:
                break
            }
            if case .bookingConfirmed(let e) = event, confirmedOn[e.sessionID, default: []].count > capacity[e.sessionID, default: 0] {
                overbookings += 1
            }
            if case .sessionUpdated(let e) = event, confirmedOn[e.sessionID, default: []].count > capacity[e.sessionID, default: 0] {
                overbookings += 1
            }
        }
        #expect(overbookings == 0)
        #expect(doubleSeats == 0)
        #expect(confirmedOn.values.reduce(0) { $0 + $1.count } > 0)
        for (sessionID, confirmed) in confirmedOn {
            #expect(confirmed.count <= capacity[sessionID, default: 0])
            let users = confirmed.compactMap { seatOf[$0]?.userID }
            #expect(Set(users).count == users.count, "\(sessionID) has a user with two confirmed bookings")
            #expect(state.sessions[sessionID].map { Set($0.confirmedBookings) } == confirmed, "state and events disagree on \(sessionID)")
        }

        // And for every session in the state, against the full invariant ledger.
        for (sessionID, session) in state.sessions {
            #expect(session.confirmedBookings.count <= session.details.capacity, "\(sessionID) overbooked")
        }
        let ledger = EventLedger(appends: appends)
        #expect(ledger.violations == [])
        expectInvariants(state, matching: ledger)

        var replayed = BookingDecider.initialState
        replayed.evolve(events)
        #expect(replayed == state, "replaying the log gives a different state")
    }
}
