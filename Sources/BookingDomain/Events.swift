/// Everything that can happen in the booking domain, in the past tense.
///
/// Events are facts: once appended they are never rewritten. Each case has a stable persisted name
/// with a schema version (``BookingEvent/Kind``), never derived from the Swift type name.
public enum BookingEvent: Hashable, Sendable {
    case userRegistered(UserRegistered)
    case loginSucceeded(LoginSucceeded)
    case loginFailed(LoginFailed)
    case tokensRevoked(TokensRevoked)
    case googleAccountLinked(GoogleAccountLinked)
    case sessionCreated(SessionCreated)
    case sessionUpdated(SessionUpdated)
    case sessionCancelled(SessionCancelled)
    case bookingConfirmed(BookingConfirmed)
    case bookingCancelled(BookingCancelled)
    case notificationsAcknowledged(NotificationsAcknowledged)
}

/// An account was created, with a password, a Google identity, or both.
public struct UserRegistered: Hashable, Sendable, Codable {
    public var userID: UserID
    /// Lower-cased; unique across accounts.
    public var email: String
    public var name: String
    public var role: Role
    /// The encoded Argon2id hash (PHC string); `nil` for accounts created through Google sign-in.
    public var passwordHash: String?
    /// Set when the account was created by Google sign-in.
    public var googleIdentity: GoogleIdentity?
    /// Set for facilitators.
    public var profile: FacilitatorProfile?

    public init(
        userID: UserID, email: String, name: String, role: Role, passwordHash: String?,
        googleIdentity: GoogleIdentity? = nil, profile: FacilitatorProfile? = nil
    ) {
        self.userID = userID
        self.email = email
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.googleIdentity = googleIdentity
        self.profile = profile
    }
}

/// How a caller proved who it is.
public enum LoginMethod: String, Hashable, Sendable, Codable {
    case password
    case google
}

/// A caller proved who it is and was issued a token.
public struct LoginSucceeded: Hashable, Sendable, Codable {
    public var userID: UserID
    public var method: LoginMethod
    public init(userID: UserID, method: LoginMethod) {
        self.userID = userID
        self.method = method
    }
}

/// Why a login of a known account failed. Attempts on unknown e-mails are not recorded: that would
/// put whatever a stranger typed into an immutable log.
public enum LoginFailureReason: String, Hashable, Sendable, Codable {
    case wrongPassword = "wrong_password"
    /// The account only signs in with Google.
    case noPassword = "no_password"
}

/// A login of a known account failed.
public struct LoginFailed: Hashable, Sendable, Codable {
    public var userID: UserID
    public var reason: LoginFailureReason
    public init(userID: UserID, reason: LoginFailureReason) {
        self.userID = userID
        self.reason = reason
    }
}

/// Every token issued to the account at or before `issuedNotAfter` stops working (logout).
public struct TokensRevoked: Hashable, Sendable, Codable {
    public var userID: UserID
    public var issuedNotAfter: Timestamp
    public init(userID: UserID, issuedNotAfter: Timestamp) {
        self.userID = userID
        self.issuedNotAfter = issuedNotAfter
    }
}

/// A verified Google identity now signs in to an existing account.
public struct GoogleAccountLinked: Hashable, Sendable, Codable {
    public var userID: UserID
    public var identity: GoogleIdentity
    public init(userID: UserID, identity: GoogleIdentity) {
        self.userID = userID
        self.identity = identity
    }
}

/// The bookable facts of a session, as published.
public struct SessionDetails: Hashable, Sendable, Codable {
    /// 1 to 200 characters (checked at the edge).
    public var title: String
    public var description: String?
    public var sessionType: SessionType
    public var startTime: Timestamp
    public var endTime: Timestamp
    /// Seats; at least 1.
    public var capacity: Int
    /// Price in minor units (cents); never floating point.
    public var priceMinor: Int64
    public var location: String?

    public init(
        title: String, description: String? = nil, sessionType: SessionType = .session, startTime: Timestamp,
        endTime: Timestamp, capacity: Int, priceMinor: Int64 = 0, location: String? = nil
    ) {
        self.title = title
        self.description = description
        self.sessionType = sessionType
        self.startTime = startTime
        self.endTime = endTime
        self.capacity = capacity
        self.priceMinor = priceMinor
        self.location = location
    }
}

/// A facilitator published a session.
public struct SessionCreated: Hashable, Sendable, Codable {
    public var sessionID: SessionID
    public var facilitatorID: UserID
    public var details: SessionDetails
    public init(sessionID: SessionID, facilitatorID: UserID, details: SessionDetails) {
        self.sessionID = sessionID
        self.facilitatorID = facilitatorID
        self.details = details
    }
}

/// A partial change to a session's details: `nil` leaves a field as it was.
///
/// Optional text fields can be cleared by setting them to an empty string at the edge; the domain
/// stores what it is given.
public struct SessionChanges: Hashable, Sendable, Codable {
    public var title: String?
    public var description: String?
    public var sessionType: SessionType?
    public var startTime: Timestamp?
    public var endTime: Timestamp?
    public var capacity: Int?
    public var priceMinor: Int64?
    public var location: String?

    public init(
        title: String? = nil, description: String? = nil, sessionType: SessionType? = nil, startTime: Timestamp? = nil,
        endTime: Timestamp? = nil, capacity: Int? = nil, priceMinor: Int64? = nil, location: String? = nil
    ) {
        self.title = title
        self.description = description
        self.sessionType = sessionType
        self.startTime = startTime
        self.endTime = endTime
        self.capacity = capacity
        self.priceMinor = priceMinor
        self.location = location
    }

    /// True when the change would leave every field as it was.
    public var isEmpty: Bool { self == SessionChanges() }

    /// The details after applying this change.
    public func applied(to details: SessionDetails) -> SessionDetails {
        var result = details
        if let title { result.title = title }
        if let description { result.description = description }
        if let sessionType { result.sessionType = sessionType }
        if let startTime { result.startTime = startTime }
        if let endTime { result.endTime = endTime }
        if let capacity { result.capacity = capacity }
        if let priceMinor { result.priceMinor = priceMinor }
        if let location { result.location = location }
        return result
    }
}

/// The owner changed some of a session's details.
public struct SessionUpdated: Hashable, Sendable, Codable {
    public var sessionID: SessionID
    public var changes: SessionChanges
    public init(sessionID: SessionID, changes: SessionChanges) {
        self.sessionID = sessionID
        self.changes = changes
    }
}

/// The owner cancelled a session; a ``BookingCancelled`` with cause `.sessionCancelled` follows for
/// each of its confirmed bookings, in the same append.
public struct SessionCancelled: Hashable, Sendable, Codable {
    public var sessionID: SessionID
    public var facilitatorID: UserID
    public init(sessionID: SessionID, facilitatorID: UserID) {
        self.sessionID = sessionID
        self.facilitatorID = facilitatorID
    }
}

/// A user took a seat.
public struct BookingConfirmed: Hashable, Sendable, Codable {
    public var bookingID: BookingID
    public var sessionID: SessionID
    public var userID: UserID
    /// The session's owner, so subscribers need no lookup to route notifications.
    public var facilitatorID: UserID
    /// The price at booking time, in minor units: later price changes don't rewrite revenue.
    public var priceMinor: Int64
    public var notes: String?
    public init(
        bookingID: BookingID, sessionID: SessionID, userID: UserID, facilitatorID: UserID, priceMinor: Int64,
        notes: String? = nil
    ) {
        self.bookingID = bookingID
        self.sessionID = sessionID
        self.userID = userID
        self.facilitatorID = facilitatorID
        self.priceMinor = priceMinor
        self.notes = notes
    }
}

/// Who released a seat.
public enum BookingCancellationCause: String, Hashable, Sendable, Codable {
    /// The booking's owner cancelled it.
    case byUser = "by_user"
    /// Its session was cancelled.
    case sessionCancelled = "session_cancelled"
}

/// A seat was released.
public struct BookingCancelled: Hashable, Sendable, Codable {
    public var bookingID: BookingID
    public var sessionID: SessionID
    public var userID: UserID
    public var facilitatorID: UserID
    public var cause: BookingCancellationCause
    public init(
        bookingID: BookingID, sessionID: SessionID, userID: UserID, facilitatorID: UserID,
        cause: BookingCancellationCause
    ) {
        self.bookingID = bookingID
        self.sessionID = sessionID
        self.userID = userID
        self.facilitatorID = facilitatorID
        self.cause = cause
    }
}

/// A facilitator has seen every notification up to and including a log position.
public struct NotificationsAcknowledged: Hashable, Sendable, Codable {
    public var facilitatorID: UserID
    public var position: Int64
    public init(facilitatorID: UserID, position: Int64) {
        self.facilitatorID = facilitatorID
        self.position = position
    }
}

extension BookingEvent {
    /// The stable persisted name and schema version of each event type.
    public enum Kind: String, CaseIterable, Sendable {
        case userRegistered = "user.registered"
        case loginSucceeded = "user.login-succeeded"
        case loginFailed = "user.login-failed"
        case tokensRevoked = "user.tokens-revoked"
        case googleAccountLinked = "user.google-linked"
        case sessionCreated = "session.created"
        case sessionUpdated = "session.updated"
        case sessionCancelled = "session.cancelled"
        case bookingConfirmed = "booking.confirmed"
        case bookingCancelled = "booking.cancelled"
        case notificationsAcknowledged = "facilitator.notifications-acknowledged"

        /// The schema version written today. Older versions are upcast when read.
        public var currentSchemaVersion: Int { 1 }
    }

    /// This event's persisted type.
    public var kind: Kind {
        switch self {
        case .userRegistered: .userRegistered
        case .loginSucceeded: .loginSucceeded
        case .loginFailed: .loginFailed
        case .tokensRevoked: .tokensRevoked
        case .googleAccountLinked: .googleAccountLinked
        case .sessionCreated: .sessionCreated
        case .sessionUpdated: .sessionUpdated
        case .sessionCancelled: .sessionCancelled
        case .bookingConfirmed: .bookingConfirmed
        case .bookingCancelled: .bookingCancelled
        case .notificationsAcknowledged: .notificationsAcknowledged
        }
    }

    /// The stream (aggregate) the event belongs to: `user-7`, `session-42`, `booking-901`.
    public var streamName: String {
        switch self {
        case .userRegistered(let e): e.userID.description
        case .loginSucceeded(let e): e.userID.description
        case .loginFailed(let e): e.userID.description
        case .tokensRevoked(let e): e.userID.description
        case .googleAccountLinked(let e): e.userID.description
        case .sessionCreated(let e): e.sessionID.description
        case .sessionUpdated(let e): e.sessionID.description
        case .sessionCancelled(let e): e.sessionID.description
        case .bookingConfirmed(let e): e.bookingID.description
        case .bookingCancelled(let e): e.bookingID.description
        case .notificationsAcknowledged(let e): "notifications-\(e.facilitatorID.rawValue)"
        }
    }
}
