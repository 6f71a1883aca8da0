import BookingDomain

// The cast and calendar most scenarios share. Ids are spelled out in each test (`SessionID(1)`,
// `BookingID(2)`) so the expected events read exactly as they will be stored.

/// Midnight UTC on 2026-01-01: "now" in every scenario that doesn't say otherwise.
let now = Timestamp(millisecondsSince1970: 1_767_225_600_000)
/// One minute in milliseconds.
let minute: Int64 = 60_000
/// One hour in milliseconds.
let hour: Int64 = 3_600_000

extension Timestamp {
    static func + (lhs: Timestamp, milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSince1970: lhs.millisecondsSince1970 + milliseconds)
    }

    static func - (lhs: Timestamp, milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSince1970: lhs.millisecondsSince1970 - milliseconds)
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

/// Fran (facilitator), Alice, Bob, Carol (users) and Oscar (facilitator), registered with passwords.
let community: [BookingEvent] = [
    .registered(fran, "fran@example.com", role: .facilitator, profile: FacilitatorProfile(bio: "Breathwork")),
    .registered(alice, "alice@example.com"),
    .registered(bob, "bob@example.com"),
    .registered(carol, "carol@example.com"),
    .registered(oscar, "oscar@example.com", role: .facilitator),
]

/// A stand-in for an encoded Argon2id hash; the domain only stores it.
let passwordHash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"

/// The issuer every verified Google ID token is normalised to.
let googleIssuer = "https://accounts.google.com"

/// A Google account with the given subject.
func google(_ subject: String) -> GoogleIdentity { GoogleIdentity(issuer: googleIssuer, subject: subject) }

extension SessionDetails {
    /// A session tomorrow (24 h to 26 h from `now`), 10 seats at 25.00 unless told otherwise.
    static func tomorrow(
        capacity: Int = 10, price: Int64 = 2_500, start: Timestamp = now + 24 * hour, end: Timestamp = now + 26 * hour
    ) -> SessionDetails {
        SessionDetails(
            title: "Morning breathwork", description: "Bring a mat", sessionType: .session, startTime: start,
            endTime: end, capacity: capacity, priceMinor: price, location: "Studio 2")
    }
}

// Shorthands for history, named apart from the event cases so a `given` list reads as facts.
extension BookingEvent {
    /// A `userRegistered` event.
    static func registered(
        _ userID: UserID, _ email: String, role: Role = .user, passwordHash: String? = passwordHash,
        google: GoogleIdentity? = nil, profile: FacilitatorProfile? = nil
    ) -> BookingEvent {
        .userRegistered(
            UserRegistered(
                userID: userID, email: email, name: String(email.prefix { $0 != "@" }).withInitialUppercased, role: role,
                passwordHash: passwordHash, googleIdentity: google, profile: profile))
    }

    /// A `sessionCreated` event.
    static func published(_ sessionID: SessionID, by facilitatorID: UserID = fran, _ details: SessionDetails = .tomorrow())
        -> BookingEvent
    {
        .sessionCreated(SessionCreated(sessionID: sessionID, facilitatorID: facilitatorID, details: details))
    }

    /// A `bookingConfirmed` event.
    static func booked(
        _ bookingID: BookingID, on sessionID: SessionID, by userID: UserID, facilitator: UserID = fran,
        price: Int64 = 2_500, notes: String? = nil
    ) -> BookingEvent {
        .bookingConfirmed(
            BookingConfirmed(
                bookingID: bookingID, sessionID: sessionID, userID: userID, facilitatorID: facilitator, priceMinor: price,
                notes: notes))
    }

    /// A `bookingCancelled` event.
    static func released(
        _ bookingID: BookingID, on sessionID: SessionID, by userID: UserID, facilitator: UserID = fran,
        cause: BookingCancellationCause = .byUser
    ) -> BookingEvent {
        .bookingCancelled(
            BookingCancelled(
                bookingID: bookingID, sessionID: sessionID, userID: userID, facilitatorID: facilitator, cause: cause))
    }
}

extension String {
    /// First letter upper-cased, for display names derived from e-mails.
    fileprivate var withInitialUppercased: String { prefix(1).uppercased() + dropFirst() }
}
