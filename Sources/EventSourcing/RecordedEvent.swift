import Foundation

/// An event as it stands in the log: the envelope DESIGN.md describes, with its opaque payload.
public struct RecordedEvent: Hashable, Sendable {
    /// Global, gap-free, starting at 1.
    public var position: Int64
    public var eventID: UUID
    /// The stream (aggregate) the event belongs to, e.g. `session-42`.
    public var stream: String
    /// The event's version within its stream, starting at 1.
    public var version: Int64
    /// The stable persisted type name, e.g. `booking.confirmed`.
    public var type: String
    public var schemaVersion: Int
    /// When the writer recorded it: milliseconds since 1970, UTC.
    public var recordedAt: Int64
    public var metadata: EventMetadata
    /// The encoded domain event; the event codec owns its format.
    public var payload: [UInt8]
    /// The previous event's hash (32 zero bytes before position 1).
    public var previousHash: [UInt8]
    /// SHA-256 over `previousHash` and the stored bytes of this event.
    public var hash: [UInt8]

    public init(
        position: Int64, eventID: UUID, stream: String, version: Int64, type: String, schemaVersion: Int,
        recordedAt: Int64, metadata: EventMetadata, payload: [UInt8], previousHash: [UInt8], hash: [UInt8]
    ) {
        self.position = position
        self.eventID = eventID
        self.stream = stream
        self.version = version
        self.type = type
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.metadata = metadata
        self.payload = payload
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Who caused an event and why, carried in every envelope.
public struct EventMetadata: Hashable, Sendable {
    /// `user-7`, `system`, or another principal name. Never an e-mail address.
    public var actor: String
    /// Ties together every event caused by one request.
    public var correlationID: UUID?
    /// The event or command that directly caused this one.
    public var causationID: UUID?
    /// The request's idempotency key, when it had one.
    public var idempotencyKey: String?

    public init(actor: String, correlationID: UUID? = nil, causationID: UUID? = nil, idempotencyKey: String? = nil) {
        self.actor = actor
        self.correlationID = correlationID
        self.causationID = causationID
        self.idempotencyKey = idempotencyKey
    }
}

/// An event on its way into the log: everything but what the log assigns (position, version, hashes).
public struct ProposedEvent: Hashable, Sendable {
    public var eventID: UUID
    public var stream: String
    public var type: String
    public var schemaVersion: Int
    public var payload: [UInt8]

    public init(eventID: UUID, stream: String, type: String, schemaVersion: Int, payload: [UInt8]) {
        self.eventID = eventID
        self.stream = stream
        self.type = type
        self.schemaVersion = schemaVersion
        self.payload = payload
    }
}

/// What a stream's current version must be for an append to go ahead (optimistic concurrency).
public enum ExpectedVersion: Hashable, Sendable {
    /// Append whatever the stream holds.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's last event must have exactly this version.
    case exact(Int64)

    /// Whether a stream at `current` (0 when it doesn't exist) satisfies this expectation.
    public func isSatisfied(by current: Int64) -> Bool {
        switch self {
        case .any: true
        case .noStream: current == 0
        case .exact(let version): current == version
        }
    }
}

/// One caller's all-or-nothing append: its events are written together or not at all.
public struct AppendRequest: Hashable, Sendable {
    public var events: [ProposedEvent]
    /// Expectations checked before any of the events is written.
    public var expectations: [String: ExpectedVersion]
    public var metadata: EventMetadata
    /// When the request was recorded, milliseconds since 1970 (UTC).
    public var recordedAt: Int64

    public init(events: [ProposedEvent], expectations: [String: ExpectedVersion] = [:], metadata: EventMetadata, recordedAt: Int64) {
        self.events = events
        self.expectations = expectations
        self.metadata = metadata
        self.recordedAt = recordedAt
    }
}

/// What became of one ``AppendRequest``.
public enum AppendResult: Hashable, Sendable {
    /// Written and durable.
    case appended([RecordedEvent])
    /// The idempotency key was seen before: these are the events that first request wrote; nothing new was written.
    case duplicate([RecordedEvent])
    /// A stream was not at the expected version; nothing was written.
    case versionMismatch(stream: String, expected: ExpectedVersion, actual: Int64)

    /// The events the caller should act on, whether new or original.
    public var events: [RecordedEvent] {
        switch self {
        case .appended(let events), .duplicate(let events): events
        case .versionMismatch: []
        }
    }
}
