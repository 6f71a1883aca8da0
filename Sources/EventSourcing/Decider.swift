/// A domain's decider (Emmett, Eventuous): pure `decide` and `evolve` over a state value.
public protocol Decider: SendableMetatype {
    associatedtype State: Sendable
    associatedtype Command: Sendable
    associatedtype Event: Sendable
    associatedtype Rejection: Error & Sendable

    /// The state before any event.
    static var initialState: State { get }
    /// The events `command` causes in `state`, or a typed rejection. Must not read clocks or do I/O.
    static func decide(_ command: Command, _ state: State) throws(Rejection) -> [Event]
    /// Folds one event into the state. Never fails: events are history.
    static func evolve(_ state: inout State, _ event: Event)
}

/// An event type's persisted form: the name, schema version and stream it is stored under.
public struct EncodedEvent: Hashable, Sendable {
    public var stream: String
    public var type: String
    public var schemaVersion: Int
    public var payload: [UInt8]

    public init(stream: String, type: String, schemaVersion: Int, payload: [UInt8]) {
        self.stream = stream
        self.type = type
        self.schemaVersion = schemaVersion
        self.payload = payload
    }
}

/// Turns a domain's events into stored payloads and back, upcasting old schema versions on the way in.
public protocol EventCodec: Sendable {
    associatedtype Event: Sendable
    /// The persisted form of `event` at the current schema version.
    func encode(_ event: Event) -> EncodedEvent
    /// Decodes a stored record's payload (any schema version this release knows).
    func decode(_ record: RecordView) throws -> Event
    /// Decodes an owned record's payload.
    func decode(_ record: RecordedEvent) throws -> Event
}

/// A domain event together with the envelope the log gave it.
public struct CommittedEvent<Event: Sendable>: Sendable {
    public var event: Event
    public var record: RecordedEvent

    public init(event: Event, record: RecordedEvent) {
        self.event = event
        self.record = record
    }
}
