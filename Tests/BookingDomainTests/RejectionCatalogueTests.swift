import BookingDomain
import Testing

/// One minimal example of every rejection, so each ``DomainError`` case is reachable through `decide`.
/// The scenario tests cover each one in context; this list makes the coverage checkable.
struct Rejection: Sendable, CustomTestStringConvertible {
    var error: DomainError
    var history: [BookingEvent]
    var command: BookingCommand

    var testDescription: String { error.caseName }
}

extension DomainError {
    /// The case's name. The switch is exhaustive, so a new case stops this file compiling until it has
    /// a name here, an entry in `rejections` and a higher `domainErrorCaseCount`.
    var caseName: String {
        switch self {
        case .emailAlreadyRegistered: "emailAlreadyRegistered"
        case .userNotFound: "userNotFound"
        case .notAFacilitator: "notAFacilitator"
        case .googleNotAuthoritativeForEmail: "googleNotAuthoritativeForEmail"
        case .accountLinkedToAnotherGoogleIdentity: "accountLinkedToAnotherGoogleIdentity"
        case .sessionNotFound: "sessionNotFound"
        case .notSessionOwner: "notSessionOwner"
        case .sessionCancelled: "sessionCancelled"
        case .sessionAlreadyStarted: "sessionAlreadyStarted"
        case .sessionFull: "sessionFull"
        case .alreadyBooked: "alreadyBooked"
        case .endNotAfterStart: "endNotAfterStart"
        case .startInPast: "startInPast"
        case .invalidCapacity: "invalidCapacity"
        case .capacityBelowConfirmedBookings: "capacityBelowConfirmedBookings"
        case .negativePrice: "negativePrice"
        case .bookingNotFound: "bookingNotFound"
        case .bookingAlreadyCancelled: "bookingAlreadyCancelled"
        }
    }
}

/// How many cases ``DomainError`` has.
let domainErrorCaseCount = 18

private let session: [BookingEvent] = community + [.published(SessionID(1), .tomorrow(capacity: 2))]

let rejections: [Rejection] = [
    Rejection(
        error: .emailAlreadyRegistered, history: community,
        command: .registerUser(RegisterUser(email: "Bob@Example.com", name: "Bob", role: .user, passwordHash: passwordHash))),
    Rejection(error: .userNotFound, history: community, command: .revokeTokens(userID: UserID(42), now: now)),
    Rejection(
        error: .notAFacilitator, history: community,
        command: .createSession(facilitatorID: bob, details: .tomorrow(), now: now)),
    Rejection(
        error: .googleNotAuthoritativeForEmail, history: community,
        command: .signInWithGoogle(
            GoogleSignIn(identity: google("g-bob"), email: "bob@example.com", name: "Bob", isAuthoritativeForEmail: false))),
    Rejection(
        error: .accountLinkedToAnotherGoogleIdentity,
        history: community + [.googleAccountLinked(GoogleAccountLinked(userID: bob, identity: google("g-bob")))],
        command: .signInWithGoogle(
            GoogleSignIn(identity: google("g-eve"), email: "bob@example.com", name: "Eve", isAuthoritativeForEmail: true))),
    Rejection(
        error: .sessionNotFound, history: session,
        command: .bookSeat(sessionID: SessionID(2), userID: alice, notes: nil, now: now)),
    Rejection(
        error: .notSessionOwner, history: session,
        command: .cancelSession(sessionID: SessionID(1), actorID: oscar, now: now)),
    Rejection(
        error: .sessionCancelled,
        history: session + [.sessionCancelled(SessionCancelled(sessionID: SessionID(1), facilitatorID: fran))],
        command: .bookSeat(sessionID: SessionID(1), userID: alice, notes: nil, now: now)),
    Rejection(
        error: .sessionAlreadyStarted, history: session,
        command: .bookSeat(sessionID: SessionID(1), userID: alice, notes: nil, now: now + 24 * hour)),
    Rejection(
        error: .sessionFull,
        history: session + [
            .booked(BookingID(1), on: SessionID(1), by: alice), .booked(BookingID(2), on: SessionID(1), by: bob),
        ],
        command: .bookSeat(sessionID: SessionID(1), userID: carol, notes: nil, now: now)),
    Rejection(
        error: .alreadyBooked, history: session + [.booked(BookingID(1), on: SessionID(1), by: alice)],
        command: .bookSeat(sessionID: SessionID(1), userID: alice, notes: nil, now: now)),
    Rejection(
        error: .endNotAfterStart, history: session,
        command: .updateSession(
            sessionID: SessionID(1), actorID: fran, changes: SessionChanges(endTime: now + hour), now: now)),
    Rejection(
        error: .startInPast, history: community,
        command: .createSession(facilitatorID: fran, details: .tomorrow(start: now, end: now + hour), now: now)),
    Rejection(
        error: .invalidCapacity, history: community,
        command: .createSession(facilitatorID: fran, details: .tomorrow(capacity: 0), now: now)),
    Rejection(
        error: .capacityBelowConfirmedBookings(confirmed: 2),
        history: session + [
            .booked(BookingID(1), on: SessionID(1), by: alice), .booked(BookingID(2), on: SessionID(1), by: bob),
        ],
        command: .updateSession(sessionID: SessionID(1), actorID: fran, changes: SessionChanges(capacity: 1), now: now)),
    Rejection(
        error: .negativePrice, history: session,
        command: .updateSession(sessionID: SessionID(1), actorID: fran, changes: SessionChanges(priceMinor: -1), now: now)),
    Rejection(
        error: .bookingNotFound, history: session + [.booked(BookingID(1), on: SessionID(1), by: alice)],
        command: .cancelBooking(bookingID: BookingID(1), userID: bob, now: now)),
    Rejection(
        error: .bookingAlreadyCancelled,
        history: session + [
            .booked(BookingID(1), on: SessionID(1), by: alice), .released(BookingID(1), on: SessionID(1), by: alice),
        ],
        command: .cancelBooking(bookingID: BookingID(1), userID: alice, now: now)),
]

@Suite("Every rejection")
struct RejectionCatalogueTests {
    @Test(arguments: rejections)
    func `is reachable through decide`(_ rejection: Rejection) {
        given(rejection.history).when(rejection.command).thenThrows(rejection.error)
    }

    @Test func `the catalogue has one example of every case`() {
        let names = rejections.map(\.error.caseName)
        #expect(Set(names).count == names.count)
        #expect(names.count == domainErrorCaseCount)
    }

    @Test func `every rejection has its own message`() {
        let messages = rejections.map(\.error.description)
        #expect(messages.allSatisfy { !$0.isEmpty })
        #expect(Set(messages).count == messages.count)
        #expect(DomainError.capacityBelowConfirmedBookings(confirmed: 3).description.contains("3"))
    }
}
