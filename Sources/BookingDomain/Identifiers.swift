/// An integer id allocated by the single writer (users, sessions, bookings), as the predecessor's
/// clients expect. Each kind is its own type, so a user id can't be passed where a session id is due.
public protocol IntegerIdentifier: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible
where RawValue == Int64 {
    /// The stream-name prefix: `user`, `session`, `booking`.
    static var kind: String { get }
    init(rawValue: Int64)
}

extension IntegerIdentifier {
    /// Wraps an integer id.
    public init(_ rawValue: Int64) { self.init(rawValue: rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The id's stream name, e.g. `session-42`.
    public var description: String { "\(Self.kind)-\(rawValue)" }
    /// Encoded as the bare integer the API shows.
    public init(from decoder: any Decoder) throws { self.init(rawValue: try decoder.singleValueContainer().decode(Int64.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A registered account.
public struct UserID: IntegerIdentifier {
    public static let kind = "user"
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// A session or retreat published by a facilitator.
public struct SessionID: IntegerIdentifier {
    public static let kind = "session"
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// One seat booked by one user on one session.
public struct BookingID: IntegerIdentifier {
    public static let kind = "booking"
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// A point in time in whole milliseconds since 1970-01-01T00:00:00Z.
///
/// The domain never reads a clock: every timestamp arrives inside a command. Milliseconds as an integer
/// keep stored events exact (a `Date` would round-trip through floating point).
public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch, UTC.
    public var rawValue: Int64
    /// Wraps milliseconds since the Unix epoch.
    public init(rawValue: Int64) { self.rawValue = rawValue }
    /// Wraps milliseconds since the Unix epoch.
    public init(millisecondsSince1970: Int64) { self.rawValue = millisecondsSince1970 }
    /// Milliseconds since the Unix epoch.
    public var millisecondsSince1970: Int64 { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "\(rawValue)ms" }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What an account may do. Anything else is refused at the edge; the enum makes it unrepresentable here.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Books seats and manages its own bookings.
    case user
    /// Everything a user can do, plus publishing and managing its own sessions.
    case facilitator
}

/// The kind of offering a facilitator publishes.
public enum SessionType: String, Sendable, Codable, CaseIterable {
    /// A single session.
    case session
    /// A multi-day retreat.
    case retreat
}

/// Whether a session can still be booked.
public enum SessionStatus: String, Sendable, Codable {
    /// Published and open for booking until it starts.
    case active
    /// Cancelled by its facilitator; its bookings were cancelled with it.
    case cancelled
}

/// Whether a booking holds a seat.
public enum BookingStatus: String, Sendable, Codable {
    /// Holds a seat.
    case confirmed
    /// Released its seat.
    case cancelled
}

/// A Google account, keyed on the ID token's issuer and subject, never on a client-supplied id.
public struct GoogleIdentity: Hashable, Sendable, Codable {
    /// The token's `iss`, normalised to `https://accounts.google.com`.
    public var issuer: String
    /// The token's `sub`: Google's stable account id.
    public var subject: String
    /// Creates an identity from a verified token's `iss` and `sub`.
    public init(issuer: String, subject: String) {
        self.issuer = issuer
        self.subject = subject
    }
}

/// The public profile a facilitator shows.
public struct FacilitatorProfile: Hashable, Sendable, Codable {
    /// Free text about the facilitator.
    public var bio: String?
    /// What the facilitator specialises in.
    public var specialization: String?
    /// Creates a profile.
    public init(bio: String? = nil, specialization: String? = nil) {
        self.bio = bio
        self.specialization = specialization
    }
}

extension String {
    /// Lower-cased for comparing e-mail addresses, without allocating when there is nothing to lower
    /// (stored addresses are already lower-case, and replay folds millions of them).
    public var caseFoldedEmail: String {
        var copy = self
        // Upper-case ASCII or anything non-ASCII needs the real lowercasing; one pass over the bytes decides.
        let needsFolding = copy.withUTF8 { bytes in bytes.contains { $0 &- UInt8(ascii: "A") < 26 || $0 >= 0x80 } }
        return needsFolding ? lowercased() : self
    }
}

/// A case-folded e-mail address that carries its hash, as a dictionary key.
///
/// Growing a dictionary re-hashes every key; with the hash stored, a rebuild registering a million
/// accounts hashes each address once instead of at every growth.
public struct EmailKey: Hashable, Sendable {
    /// The lower-cased address.
    public let email: String
    private let hash: Int

    /// Folds `email` to lower case and hashes it once.
    public init(_ email: String) {
        self.email = email.caseFoldedEmail
        hash = self.email.hashValue
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.hash == rhs.hash && lhs.email == rhs.email }
    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}
