import BookingDomain
import EventSourcing
import Foundation

/// Stores booking events as compact binary payloads and reads every schema version this release knows.
///
/// Binary because replay and `audit verify` must run at millions of events per second (Foundation's
/// JSON manages about 50,000); `audit export` renders the same events as JSON (``BookingEventJSON``).
/// Field order within a payload is part of the schema: a change means a new schema version and an
/// upcaster here, never an edit of an old layout.
public struct BookingEventCodec: EventCodec {
    public typealias Event = BookingEvent

    public init() {}

    public func encode(_ event: BookingEvent) -> EncodedEvent {
        var writer = BinaryWriter(capacity: 128)
        switch event {
        case .userRegistered(let e):
            writer.write(e.userID)
            writer.write(e.email)
            writer.write(e.name)
            writer.write(e.role.rawValue)
            writer.write(e.passwordHash)
            writer.write(e.googleIdentity != nil)
            if let identity = e.googleIdentity { writer.write(identity) }
            writer.write(e.profile != nil)
            if let profile = e.profile {
                writer.write(profile.bio)
                writer.write(profile.specialization)
            }
        case .loginSucceeded(let e):
            writer.write(e.userID)
            writer.write(e.method.rawValue)
        case .loginFailed(let e):
            writer.write(e.userID)
            writer.write(e.reason.rawValue)
        case .tokensRevoked(let e):
            writer.write(e.userID)
            writer.write(e.issuedNotAfter)
        case .googleAccountLinked(let e):
            writer.write(e.userID)
            writer.write(e.identity)
        case .sessionCreated(let e):
            writer.write(e.sessionID)
            writer.write(e.facilitatorID)
            writer.write(e.details)
        case .sessionUpdated(let e):
            writer.write(e.sessionID)
            writer.write(e.changes)
        case .sessionCancelled(let e):
            writer.write(e.sessionID)
            writer.write(e.facilitatorID)
        case .bookingConfirmed(let e):
            writer.write(e.bookingID)
            writer.write(e.sessionID)
            writer.write(e.userID)
            writer.write(e.facilitatorID)
            writer.writeSignedVarint(e.priceMinor)
            writer.write(e.notes)
        case .bookingCancelled(let e):
            writer.write(e.bookingID)
            writer.write(e.sessionID)
            writer.write(e.userID)
            writer.write(e.facilitatorID)
            writer.write(e.cause.rawValue)
        case .notificationsAcknowledged(let e):
            writer.write(e.facilitatorID)
            writer.writeSignedVarint(e.position)
        }
        let kind = event.kind
        return EncodedEvent(
            stream: event.streamName, type: kind.rawValue, schemaVersion: kind.currentSchemaVersion, payload: writer.bytes)
    }

    public func decode(_ record: RecordView) throws -> BookingEvent {
        guard let kind = Self.kind(of: record.typeBytes) else {
            throw BookingEventDecodingError.unknownType(String(decoding: record.typeBytes, as: UTF8.self))
        }
        return try decode(kind: kind, schemaVersion: record.schemaVersion, payload: record.payload)
    }

    public func decode(_ record: RecordedEvent) throws -> BookingEvent {
        guard let kind = BookingEvent.Kind(rawValue: record.type) else { throw BookingEventDecodingError.unknownType(record.type) }
        return try record.payload.withUnsafeBytes { try decode(kind: kind, schemaVersion: record.schemaVersion, payload: $0) }
    }

    private static let kindsByName: [(name: [UInt8], kind: BookingEvent.Kind)] = BookingEvent.Kind.allCases.map {
        (Array($0.rawValue.utf8), $0)
    }

    /// Matches the stored type name without building a `String` (this runs once per replayed event).
    static func kind(of typeBytes: UnsafeRawBufferPointer) -> BookingEvent.Kind? {
        for entry in kindsByName where entry.name.count == typeBytes.count {
            if entry.name.withUnsafeBytes({ memcmp($0.baseAddress!, typeBytes.baseAddress!, typeBytes.count) == 0 }) {
                return entry.kind
            }
        }
        return nil
    }

    /// Decodes a payload of a known type and schema version.
    public func decode(kind: BookingEvent.Kind, schemaVersion: Int, payload: UnsafeRawBufferPointer) throws -> BookingEvent {
        guard schemaVersion == 1 else { throw BookingEventDecodingError.unknownSchemaVersion(kind.rawValue, schemaVersion) }
        var reader = BinaryReader(payload)
        let event: BookingEvent
        switch kind {
        case .userRegistered:
            let userID: UserID = try reader.read("user_id")
            let email = try reader.readString("email")
            let name = try reader.readString("name")
            let role: Role = try reader.readEnum("role")
            let passwordHash = try reader.readOptionalString("password_hash")
            let identity: GoogleIdentity? = try reader.readBool("google_identity") ? try reader.read("google_identity") : nil
            var profile: FacilitatorProfile?
            if try reader.readBool("profile") {
                profile = FacilitatorProfile(bio: try reader.readOptionalString("bio"), specialization: try reader.readOptionalString("specialization"))
            }
            event = .userRegistered(
                UserRegistered(userID: userID, email: email, name: name, role: role, passwordHash: passwordHash, googleIdentity: identity, profile: profile))
        case .loginSucceeded:
            event = .loginSucceeded(LoginSucceeded(userID: try reader.read("user_id"), method: try reader.readEnum("method")))
        case .loginFailed:
            event = .loginFailed(LoginFailed(userID: try reader.read("user_id"), reason: try reader.readEnum("reason")))
        case .tokensRevoked:
            event = .tokensRevoked(TokensRevoked(userID: try reader.read("user_id"), issuedNotAfter: try reader.read("issued_not_after")))
        case .googleAccountLinked:
            event = .googleAccountLinked(GoogleAccountLinked(userID: try reader.read("user_id"), identity: try reader.read("identity")))
        case .sessionCreated:
            event = .sessionCreated(
                SessionCreated(sessionID: try reader.read("session_id"), facilitatorID: try reader.read("facilitator_id"), details: try reader.read("details")))
        case .sessionUpdated:
            event = .sessionUpdated(SessionUpdated(sessionID: try reader.read("session_id"), changes: try reader.read("changes")))
        case .sessionCancelled:
            event = .sessionCancelled(SessionCancelled(sessionID: try reader.read("session_id"), facilitatorID: try reader.read("facilitator_id")))
        case .bookingConfirmed:
            event = .bookingConfirmed(
                BookingConfirmed(
                    bookingID: try reader.read("booking_id"), sessionID: try reader.read("session_id"), userID: try reader.read("user_id"),
                    facilitatorID: try reader.read("facilitator_id"), priceMinor: try reader.readSignedVarint("price_minor"),
                    notes: try reader.readOptionalString("notes")))
        case .bookingCancelled:
            event = .bookingCancelled(
                BookingCancelled(
                    bookingID: try reader.read("booking_id"), sessionID: try reader.read("session_id"), userID: try reader.read("user_id"),
                    facilitatorID: try reader.read("facilitator_id"), cause: try reader.readEnum("cause")))
        case .notificationsAcknowledged:
            event = .notificationsAcknowledged(
                NotificationsAcknowledged(facilitatorID: try reader.read("facilitator_id"), position: try reader.readSignedVarint("position")))
        }
        try reader.expectEnd(kind.rawValue)
        return event
    }
}

/// Why a stored payload could not become a ``BookingEvent``.
public enum BookingEventDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownType(String)
    case unknownSchemaVersion(String, Int)
    case invalidValue(field: String, value: String)

    public var description: String {
        switch self {
        case .unknownType(let type): "unknown event type \"\(type)\""
        case .unknownSchemaVersion(let type, let version): "unknown schema version \(version) of \(type)"
        case .invalidValue(let field, let value): "\(field): invalid value \"\(value)\""
        }
    }
}

// MARK: - Field encodings shared by several events

/// A value with a fixed binary layout inside booking payloads.
protocol BinaryField {
    func write(to writer: inout BinaryWriter)
    init(from reader: inout BinaryReader, field: String) throws
}

extension BinaryWriter {
    mutating func write(_ value: some BinaryField) { value.write(to: &self) }
}

extension BinaryReader {
    mutating func read<Value: BinaryField>(_ field: String) throws -> Value { try Value(from: &self, field: field) }

    mutating func readEnum<Value: RawRepresentable<String>>(_ field: String) throws -> Value {
        let raw = try readString(field)
        guard let value = Value(rawValue: raw) else { throw BookingEventDecodingError.invalidValue(field: field, value: raw) }
        return value
    }

    mutating func readOptional<Value: BinaryField>(_ field: String) throws -> Value? {
        try readBool(field) ? try Value(from: &self, field: field) : nil
    }
}

extension UserID: BinaryField {
    func write(to writer: inout BinaryWriter) { writer.writeSignedVarint(rawValue) }
    init(from reader: inout BinaryReader, field: String) throws { self.init(try reader.readSignedVarint(field)) }
}

extension SessionID: BinaryField {
    func write(to writer: inout BinaryWriter) { writer.writeSignedVarint(rawValue) }
    init(from reader: inout BinaryReader, field: String) throws { self.init(try reader.readSignedVarint(field)) }
}

extension BookingID: BinaryField {
    func write(to writer: inout BinaryWriter) { writer.writeSignedVarint(rawValue) }
    init(from reader: inout BinaryReader, field: String) throws { self.init(try reader.readSignedVarint(field)) }
}

extension Timestamp: BinaryField {
    func write(to writer: inout BinaryWriter) { writer.writeSignedVarint(rawValue) }
    init(from reader: inout BinaryReader, field: String) throws { self.init(rawValue: try reader.readSignedVarint(field)) }
}

extension GoogleIdentity: BinaryField {
    func write(to writer: inout BinaryWriter) {
        writer.write(issuer)
        writer.write(subject)
    }
    init(from reader: inout BinaryReader, field: String) throws {
        self.init(issuer: try reader.readString(field + ".issuer"), subject: try reader.readString(field + ".subject"))
    }
}

extension SessionDetails: BinaryField {
    func write(to writer: inout BinaryWriter) {
        writer.write(title)
        writer.write(description)
        writer.write(sessionType.rawValue)
        writer.write(startTime)
        writer.write(endTime)
        writer.writeSignedVarint(Int64(capacity))
        writer.writeSignedVarint(priceMinor)
        writer.write(location)
    }
    init(from reader: inout BinaryReader, field: String) throws {
        self.init(
            title: try reader.readString("title"), description: try reader.readOptionalString("description"),
            sessionType: try reader.readEnum("session_type"), startTime: try reader.read("start_time"),
            endTime: try reader.read("end_time"), capacity: Int(try reader.readSignedVarint("capacity")),
            priceMinor: try reader.readSignedVarint("price_minor"), location: try reader.readOptionalString("location"))
    }
}

extension SessionChanges: BinaryField {
    /// A presence bitmap, then each present field in declaration order.
    func write(to writer: inout BinaryWriter) {
        var present: UInt8 = 0
        for (bit, isSet) in [title != nil, description != nil, sessionType != nil, startTime != nil, endTime != nil,
                             capacity != nil, priceMinor != nil, location != nil].enumerated() where isSet {
            present |= 1 << UInt8(bit)
        }
        writer.write(present)
        if let title { writer.write(title) }
        if let description { writer.write(description) }
        if let sessionType { writer.write(sessionType.rawValue) }
        if let startTime { writer.write(startTime) }
        if let endTime { writer.write(endTime) }
        if let capacity { writer.writeSignedVarint(Int64(capacity)) }
        if let priceMinor { writer.writeSignedVarint(priceMinor) }
        if let location { writer.write(location) }
    }
    init(from reader: inout BinaryReader, field: String) throws {
        let present = try reader.readUInt8("changes")
        func has(_ bit: UInt8) -> Bool { present & (1 << bit) != 0 }
        self.init()
        if has(0) { title = try reader.readString("title") }
        if has(1) { description = try reader.readString("description") }
        if has(2) { sessionType = try reader.readEnum("session_type") }
        if has(3) { startTime = try reader.read("start_time") }
        if has(4) { endTime = try reader.read("end_time") }
        if has(5) { capacity = Int(try reader.readSignedVarint("capacity")) }
        if has(6) { priceMinor = try reader.readSignedVarint("price_minor") }
        if has(7) { location = try reader.readString("location") }
    }
}
