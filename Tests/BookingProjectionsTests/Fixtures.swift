import BookingDomain
import BookingProjections

// The cast and calendar the tests share. Ids are spelled out so expected views read as stored.

/// Midnight UTC on 2026-01-01: the log's first recorded time.
let t0 = Timestamp(millisecondsSince1970: 1_767_225_600_000)
/// One minute in milliseconds.
let minute: Int64 = 60_000
/// One hour in milliseconds.
let hour: Int64 = 3_600_000

extension Timestamp {
    static func + (lhs: Timestamp, milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSince1970: lhs.millisecondsSince1970 + milliseconds)
    }
}

/// A facilitator.
let fran = UserID(1)
/// A user.
let alice = UserID(2)
/// A user.
let bob = UserID(3)
/// A user.
let carol = UserID(4)
/// Another facilitator.
let oscar = UserID(5)

let passwordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"

func google(_ subject: String) -> GoogleIdentity { GoogleIdentity(issuer: "https://accounts.google.com", subject: subject) }

/// Fran (facilitator), Alice, Bob, Carol (users) and Oscar (facilitator).
let community: [BookingEvent] = [
    .registered(fran, "fran@example.com", role: .facilitator, profile: FacilitatorProfile(bio: "Breathwork")),
    .registered(alice, "alice@example.com"),
    .registered(bob, "bob@example.com"),
    .registered(carol, "carol@example.com"),
    .registered(oscar, "oscar@example.com", role: .facilitator),
]

extension SessionDetails {
    /// A session `startsIn` after t0, two hours long, 10 seats at 25.00 unless told otherwise.
    static func sample(
        title: String = "Morning breathwork", capacity: Int = 10, price: Int64 = 2_500, startsIn: Int64 = 24 * hour
    ) -> SessionDetails {
        SessionDetails(
            title: title, description: "Bring a mat", sessionType: .session, startTime: t0 + startsIn,
            endTime: t0 + startsIn + 2 * hour, capacity: capacity, priceMinor: price, location: "Studio 2")
    }
}

// Shorthands for history, so a log reads as a list of facts.
extension BookingEvent {
    static func registered(
        _ userID: UserID, _ email: String, role: Role = .user, passwordHash: String? = passwordHash,
        google: GoogleIdentity? = nil, profile: FacilitatorProfile? = nil
    ) -> BookingEvent {
        .userRegistered(
            UserRegistered(
                userID: userID, email: email, name: "Name \(userID.rawValue)", role: role, passwordHash: passwordHash,
                googleIdentity: google, profile: profile))
    }

    static func created(_ sessionID: SessionID, by facilitatorID: UserID, _ details: SessionDetails = .sample()) -> BookingEvent {
        .sessionCreated(SessionCreated(sessionID: sessionID, facilitatorID: facilitatorID, details: details))
    }

    static func booked(
        _ bookingID: BookingID, _ sessionID: SessionID, by userID: UserID, owner: UserID = fran, price: Int64 = 2_500,
        notes: String? = nil
    ) -> BookingEvent {
        .bookingConfirmed(
            BookingConfirmed(
                bookingID: bookingID, sessionID: sessionID, userID: userID, facilitatorID: owner, priceMinor: price,
                notes: notes))
    }

    static func released(
        _ bookingID: BookingID, _ sessionID: SessionID, by userID: UserID, owner: UserID = fran,
        cause: BookingCancellationCause = .byUser
    ) -> BookingEvent {
        .bookingCancelled(
            BookingCancelled(bookingID: bookingID, sessionID: sessionID, userID: userID, facilitatorID: owner, cause: cause))
    }
}

/// A log under construction: positions count up from 1 and each event is recorded one minute after
/// the previous one, unless told when.
struct Log {
    private(set) var events: [PositionedEvent] = []
    private(set) var clock = t0

    init(_ history: [BookingEvent] = []) { append(history) }

    /// Appends events recorded at `time` (or a minute after the last).
    mutating func append(_ history: [BookingEvent], at time: Timestamp? = nil) {
        for event in history {
            clock = time ?? clock + minute
            events.append(PositionedEvent(event, position: Int64(events.count + 1), recordedAt: clock))
        }
    }

    mutating func append(_ event: BookingEvent, at time: Timestamp? = nil) { append([event], at: time) }

    /// The position of the last event.
    var head: Int64 { Int64(events.count) }

    /// The model folded from the whole log, one event at a time.
    var model: BookingReadModel {
        var model = BookingReadModel()
        for event in events { model.apply(event.event, position: event.position, recordedAt: event.recordedAt) }
        return model
    }
}

/// SplitMix64: a seeded generator, so the "random" histories are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A realistic history produced by the real decider from seeded random commands: registrations,
/// logins, sessions published, updated and cancelled, seats booked and released, acknowledgements.
/// Rejected commands are simply skipped, as the writer would answer them with an error.
struct Simulation {
    private(set) var state = BookingDecider.initialState
    private(set) var log = Log()
    private var random: SeededGenerator
    private(set) var now = t0

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    /// Decides `command` at the current time and appends what it produced.
    @discardableResult
    mutating func run(_ command: BookingCommand) -> [BookingEvent] {
        guard let events = try? BookingDecider.decide(command, state) else { return [] }
        state.evolve(events)
        log.append(events, at: now)
        return events
    }

    /// Runs `steps` random commands, a minute apart.
    mutating func simulate(steps: Int) {
        for _ in 0..<steps {
            now = now + minute
            run(randomCommand())
        }
    }

    private mutating func pick(_ upper: Int64) -> Int64 { Int64.random(in: 1...max(1, upper), using: &random) }

    private mutating func randomCommand() -> BookingCommand {
        let users = state.lastUserID
        let sessions = state.lastSessionID
        let bookings = state.lastBookingID
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case ..<8 where users < 400 || users == 0:
            let role: Role = Int.random(in: 0..<5, using: &random) == 0 ? .facilitator : .user
            return .registerUser(
                RegisterUser(
                    email: "Person\(users + 1)@Example.com", name: "Person \(users + 1)", role: role,
                    passwordHash: passwordHash, profile: role == .facilitator ? FacilitatorProfile(bio: "bio") : nil))
        case ..<12:
            return .recordLogin(userID: UserID(pick(users)), method: .password)
        case ..<14:
            return .recordFailedLogin(userID: UserID(pick(users)), reason: .wrongPassword)
        case ..<15:
            return .revokeTokens(userID: UserID(pick(users)), now: now)
        case ..<27:
            let startsIn = Int64.random(in: 1...(72 * 60), using: &random) * minute
            let details = SessionDetails(
                title: "Session", startTime: now + startsIn, endTime: now + startsIn + hour,
                capacity: Int.random(in: 1...6, using: &random), priceMinor: Int64.random(in: 0...9_000, using: &random))
            return .createSession(facilitatorID: UserID(pick(users)), details: details, now: now)
        case ..<31:
            let session = SessionID(pick(sessions))
            let owner = state.sessions[session]?.facilitatorID ?? UserID(1)
            let changes =
                Bool.random(using: &random)
                ? SessionChanges(capacity: Int.random(in: 1...8, using: &random))
                : SessionChanges(title: "Renamed \(pick(1000))", priceMinor: pick(5_000))
            return .updateSession(sessionID: session, actorID: owner, changes: changes, now: now)
        case ..<34:
            let session = SessionID(pick(sessions))
            let owner = state.sessions[session]?.facilitatorID ?? UserID(1)
            return .cancelSession(sessionID: session, actorID: owner, now: now)
        case ..<80:
            // Mostly recent sessions, so bookings land before they start.
            let session = SessionID(max(1, sessions - Int64.random(in: 0..<20, using: &random)))
            return .bookSeat(sessionID: session, userID: UserID(pick(users)), notes: nil, now: now)
        case ..<95:
            let booking = BookingID(pick(bookings))
            let owner = state.bookings[booking]?.userID ?? UserID(1)
            return .cancelBooking(bookingID: booking, userID: owner, now: now)
        case ..<97:
            // Half new Google accounts, half existing e-mails that Google is authoritative for (a link).
            let existing = Bool.random(using: &random)
            let n = existing ? pick(users) : users + 1
            return .signInWithGoogle(
                GoogleSignIn(
                    identity: GoogleIdentity(issuer: "https://accounts.google.com", subject: "g-\(n)"),
                    email: "person\(n)@example.com", name: "Person \(n)", isAuthoritativeForEmail: existing))
        default:
            return .acknowledgeNotifications(facilitatorID: UserID(pick(users)), position: max(1, log.head))
        }
    }
}
