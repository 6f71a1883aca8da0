import BookingDomain
import EventSourcing
import Foundation

/// One line of `audit export`: the full envelope with the payload as readable JSON.
///
/// The export is exact: importing it into an empty store rebuilds the same bytes, so the same hashes
/// (``EventImporter``). It contains password hashes and e-mail addresses: treat it as sensitive.
public struct ExportedEvent: Codable, Hashable, Sendable {
    public var position: Int64
    public var eventID: UUID
    public var stream: String
    public var version: Int64
    public var type: String
    public var schemaVersion: Int
    /// ISO 8601, UTC, millisecond precision.
    public var recordedAt: String
    public var actor: String
    public var correlationID: UUID?
    public var causationID: UUID?
    public var idempotencyKey: String?
    public var payload: BookingEvent
    public var prevHash: String
    public var hash: String

    /// Spelled in camelCase: the export encoder writes them snake_case (`event_id`, `prev_hash`) and the
    /// decoder maps them back.
    enum CodingKeys: String, CodingKey {
        case position, eventID, stream, version, type, schemaVersion, recordedAt, actor
        case correlationID, causationID, idempotencyKey, payload, prevHash, hash
    }

    /// Renders a stored event.
    public init(_ record: RecordedEvent, event: BookingEvent) {
        position = record.position
        eventID = record.eventID
        stream = record.stream
        version = record.version
        type = record.type
        schemaVersion = record.schemaVersion
        recordedAt = ExportedEvent.iso8601(milliseconds: record.recordedAt)
        actor = record.metadata.actor
        correlationID = record.metadata.correlationID
        causationID = record.metadata.causationID
        idempotencyKey = record.metadata.idempotencyKey
        payload = event
        prevHash = record.previousHash.hexString
        hash = record.hash.hexString
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        position = try container.decode(Int64.self, forKey: .position)
        eventID = try container.decode(UUID.self, forKey: .eventID)
        stream = try container.decode(String.self, forKey: .stream)
        version = try container.decode(Int64.self, forKey: .version)
        type = try container.decode(String.self, forKey: .type)
        schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        recordedAt = try container.decode(String.self, forKey: .recordedAt)
        actor = try container.decode(String.self, forKey: .actor)
        correlationID = try container.decodeIfPresent(UUID.self, forKey: .correlationID)
        causationID = try container.decodeIfPresent(UUID.self, forKey: .causationID)
        idempotencyKey = try container.decodeIfPresent(String.self, forKey: .idempotencyKey)
        guard let kind = BookingEvent.Kind(rawValue: type) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown event type \(type)")
        }
        guard schemaVersion == kind.currentSchemaVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .schemaVersion, in: container, debugDescription: "unknown schema version \(schemaVersion) of \(type)")
        }
        payload = try BookingEventJSON.decode(kind, from: container.superDecoder(forKey: .payload))
        prevHash = try container.decode(String.self, forKey: .prevHash)
        hash = try container.decode(String.self, forKey: .hash)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(position, forKey: .position)
        try container.encode(eventID, forKey: .eventID)
        try container.encode(stream, forKey: .stream)
        try container.encode(version, forKey: .version)
        try container.encode(type, forKey: .type)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(recordedAt, forKey: .recordedAt)
        try container.encode(actor, forKey: .actor)
        try container.encode(correlationID, forKey: .correlationID)
        try container.encode(causationID, forKey: .causationID)
        try container.encode(idempotencyKey, forKey: .idempotencyKey)
        try BookingEventJSON.encode(payload, to: container.superEncoder(forKey: .payload))
        try container.encode(prevHash, forKey: .prevHash)
        try container.encode(hash, forKey: .hash)
    }

    /// How export files write a time (milliseconds since 1970, UTC).
    public static func exportedTime(_ milliseconds: Int64) -> String { iso8601(milliseconds: milliseconds) }

    /// Reads a time as export files write it; `nil` when it is not in that form.
    public static func parsedTime(_ text: String) -> Int64? { milliseconds(iso8601: text) }

    /// The envelope's timestamp in milliseconds, parsed back from ``recordedAt``.
    public var recordedAtMilliseconds: Int64? { ExportedEvent.milliseconds(iso8601: recordedAt) }

    /// `2026-11-29T08:00:00.007Z`. Whole seconds go through `Date` (exact for integers); the
    /// milliseconds are written from the integer, since a `Date`'s floating point would round some
    /// of them away and an import would then rebuild different bytes.
    static func iso8601(milliseconds: Int64) -> String {
        let (seconds, fraction) = milliseconds.floorDivided(by: 1000)
        let whole = Date(timeIntervalSince1970: Double(seconds))
            .formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
        let digits = String(fraction)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Parses what ``iso8601(milliseconds:)`` writes (UTC, `Z`, up to three fractional digits).
    static func milliseconds(iso8601 text: String) -> Int64? {
        guard text.hasSuffix("Z") else { return nil }
        let parts = text.dropLast().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        guard let whole = try? Date(String(parts[0]) + "Z", strategy: .iso8601.year().month().day().time(includingFractionalSeconds: false))
        else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.count), digits.allSatisfy(\.isASCII), let value = Int64(digits), value >= 0 else { return nil }
            fraction = value * [100, 10, 1][digits.count - 1]
        }
        return Int64(whole.timeIntervalSince1970) * 1000 + fraction
    }

    /// The encoder for export files: one compact line per event, snake_case keys, sorted so lines are stable.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    /// The decoder for export files. Foundation's `.convertFromSnakeCase` would turn `user_id` into
    /// `userId`, not the domain's `userID`, so the conversion is spelled out here.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last!.stringValue
            let parts = key.split(separator: "_")
            guard parts.count > 1 else { return path.last! }
            let camel = parts.dropFirst().reduce(String(parts[0])) { result, part in
                result + (part == "id" ? "ID" : part.prefix(1).uppercased() + part.dropFirst())
            }
            return AnyCodingKey(camel)
        }
        return decoder
    }
}

/// JSON for booking event payloads: the event structs' fields in snake_case.
enum BookingEventJSON {
    static func encode(_ event: BookingEvent, to encoder: any Encoder) throws {
        switch event {
        case .userRegistered(let e): try e.encode(to: encoder)
        case .loginSucceeded(let e): try e.encode(to: encoder)
        case .loginFailed(let e): try e.encode(to: encoder)
        case .tokensRevoked(let e): try e.encode(to: encoder)
        case .googleAccountLinked(let e): try e.encode(to: encoder)
        case .sessionCreated(let e): try e.encode(to: encoder)
        case .sessionUpdated(let e): try e.encode(to: encoder)
        case .sessionCancelled(let e): try e.encode(to: encoder)
        case .bookingConfirmed(let e): try e.encode(to: encoder)
        case .bookingCancelled(let e): try e.encode(to: encoder)
        case .notificationsAcknowledged(let e): try e.encode(to: encoder)
        }
    }

    static func decode(_ kind: BookingEvent.Kind, from decoder: any Decoder) throws -> BookingEvent {
        switch kind {
        case .userRegistered: .userRegistered(try UserRegistered(from: decoder))
        case .loginSucceeded: .loginSucceeded(try LoginSucceeded(from: decoder))
        case .loginFailed: .loginFailed(try LoginFailed(from: decoder))
        case .tokensRevoked: .tokensRevoked(try TokensRevoked(from: decoder))
        case .googleAccountLinked: .googleAccountLinked(try GoogleAccountLinked(from: decoder))
        case .sessionCreated: .sessionCreated(try SessionCreated(from: decoder))
        case .sessionUpdated: .sessionUpdated(try SessionUpdated(from: decoder))
        case .sessionCancelled: .sessionCancelled(try SessionCancelled(from: decoder))
        case .bookingConfirmed: .bookingConfirmed(try BookingConfirmed(from: decoder))
        case .bookingCancelled: .bookingCancelled(try BookingCancelled(from: decoder))
        case .notificationsAcknowledged: .notificationsAcknowledged(try NotificationsAcknowledged(from: decoder))
        }
    }
}

extension Collection<UInt8> {
    /// Lower-case hexadecimal.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var result = [UInt8]()
        result.reserveCapacity(count * 2)
        for byte in self {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: result, as: UTF8.self)
    }
}

struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Int64 {
    /// Quotient and remainder rounding toward negative infinity, so times before 1970 format correctly.
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
