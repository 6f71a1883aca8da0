/// What a caller asks the domain to do, in the imperative. Time and new ids are never read inside the
/// domain: `now` arrives in the command and integer ids are taken from ``BookingState``'s counters.
public enum BookingCommand: Hashable, Sendable {
    /// Create a password account (Google accounts come from ``signInWithGoogle(_:)``).
    case registerUser(RegisterUser)
    /// Record that the account proved who it is.
    case recordLogin(userID: UserID, method: LoginMethod)
    /// Record a failed password login of a known account.
    case recordFailedLogin(userID: UserID, reason: LoginFailureReason)
    /// Log out: every token issued up to `now` stops working.
    case revokeTokens(userID: UserID, now: Timestamp)
    /// Sign in with a verified Google identity: log in, link it to the account with that e-mail, or
    /// create an account, atomically.
    case signInWithGoogle(GoogleSignIn)
    /// Publish a session.
    case createSession(facilitatorID: UserID, details: SessionDetails, now: Timestamp)
    /// Change some of a session's details (owner only).
    case updateSession(sessionID: SessionID, actorID: UserID, changes: SessionChanges, now: Timestamp)
    /// Cancel a session and every booking on it (owner only).
    case cancelSession(sessionID: SessionID, actorID: UserID, now: Timestamp)
    /// Take a seat.
    case bookSeat(sessionID: SessionID, userID: UserID, notes: String?, now: Timestamp)
    /// Release one's own seat.
    case cancelBooking(bookingID: BookingID, userID: UserID, now: Timestamp)
    /// Move a facilitator's notification cursor forward.
    case acknowledgeNotifications(facilitatorID: UserID, position: Int64)
}

/// The facts needed to create an account.
public struct RegisterUser: Hashable, Sendable {
    public var email: String
    public var name: String
    public var role: Role
    /// An encoded Argon2id hash, computed before the command is submitted (hashing is slow and must
    /// not hold the single writer).
    public var passwordHash: String?
    public var profile: FacilitatorProfile?

    public init(email: String, name: String, role: Role, passwordHash: String?, profile: FacilitatorProfile? = nil) {
        self.email = email
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.profile = profile
    }
}

/// A Google identity taken from a verified ID token.
public struct GoogleSignIn: Hashable, Sendable {
    public var identity: GoogleIdentity
    public var email: String
    public var name: String
    /// True when Google is authoritative for `email` (verified, and a gmail.com address or a hosted
    /// domain): only then may the identity take over an existing password account with that e-mail.
    public var isAuthoritativeForEmail: Bool

    public init(identity: GoogleIdentity, email: String, name: String, isAuthoritativeForEmail: Bool) {
        self.identity = identity
        self.email = email
        self.name = name
        self.isAuthoritativeForEmail = isAuthoritativeForEmail
    }
}

/// Why the domain refused a command. Each case is one invariant.
public enum DomainError: Error, Hashable, Sendable, CustomStringConvertible {
    case emailAlreadyRegistered
    case userNotFound
    case notAFacilitator
    /// The e-mail belongs to a password account and Google is not authoritative for it.
    case googleNotAuthoritativeForEmail
    /// The account with this e-mail is already linked to a different Google identity.
    case accountLinkedToAnotherGoogleIdentity
    case sessionNotFound
    case notSessionOwner
    case sessionCancelled
    case sessionAlreadyStarted
    case sessionFull
    case alreadyBooked
    case endNotAfterStart
    case startInPast
    case invalidCapacity
    case capacityBelowConfirmedBookings(confirmed: Int)
    case negativePrice
    case bookingNotFound
    case bookingAlreadyCancelled

    public var description: String {
        switch self {
        case .emailAlreadyRegistered: "Email already registered"
        case .userNotFound: "User not found"
        case .notAFacilitator: "Only facilitators can do this"
        case .googleNotAuthoritativeForEmail:
            "An account with this email exists; sign in with its password to link Google"
        case .accountLinkedToAnotherGoogleIdentity: "This account is linked to another Google account"
        case .sessionNotFound: "Session not found"
        case .notSessionOwner: "Only the session's facilitator can change it"
        case .sessionCancelled: "Session is cancelled"
        case .sessionAlreadyStarted: "Session has already started"
        case .sessionFull: "Session is fully booked"
        case .alreadyBooked: "You already have a booking for this session"
        case .endNotAfterStart: "end_time must be after start_time"
        case .startInPast: "start_time must be in the future"
        case .invalidCapacity: "capacity must be at least 1"
        case .capacityBelowConfirmedBookings(let confirmed):
            "capacity cannot be below the \(confirmed) confirmed bookings"
        case .negativePrice: "price must not be negative"
        case .bookingNotFound: "Booking not found"
        case .bookingAlreadyCancelled: "Booking is already cancelled"
        }
    }
}
