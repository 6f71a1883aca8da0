import Crypto
import Foundation

/// The stored form of one event, and the hash chain that makes the log tamper-evident.
///
/// Layout (all integers big-endian or LEB128):
/// ```
/// body:    format(1) position(8) eventID(16) recordedAt(8) version(varint) schemaVersion(varint)
///          stream(str) type(str) actor(str) correlationID(opt uuid) causationID(opt uuid)
///          idempotencyKey(opt str) payload(bytes)
/// trailer: previousHash(32) hash(32)
/// ```
/// `hash = SHA-256(previousHash ‖ body)`: changing any stored byte, or removing, reordering or
/// inserting an event, breaks the chain at that position.
public enum EventRecordFormat {
    /// The format byte written today.
    public static let currentFormat: UInt8 = 1
    /// Size of each hash in the trailer.
    public static let hashSize = 32
    /// The `previousHash` of position 1.
    public static let genesisHash = [UInt8](repeating: 0, count: hashSize)

    /// Encodes an event's body (everything the hash covers, except the previous hash).
    public static func encodeBody(
        position: Int64, eventID: UUID, recordedAt: Int64, version: Int64, event: ProposedEvent, metadata: EventMetadata
    ) -> [UInt8] {
        var writer = BinaryWriter(capacity: 96 + event.payload.count + event.stream.utf8.count)
        writer.write(currentFormat)
        writer.write(UInt64(position))
        writer.write(eventID)
        writer.write(recordedAt)
        writer.writeVarint(UInt64(version))
        writer.writeVarint(UInt64(event.schemaVersion))
        writer.write(event.stream)
        writer.write(event.type)
        writer.write(metadata.actor)
        writer.write(metadata.correlationID)
        writer.write(metadata.causationID)
        writer.write(metadata.idempotencyKey)
        writer.writeBytes(event.payload)
        return writer.bytes
    }

    /// The chain hash of a body that follows `previousHash`.
    public static func chainHash(previousHash: some ContiguousBytes, body: some ContiguousBytes) -> [UInt8] {
        var hasher = SHA256()
        previousHash.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        body.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Array(hasher.finalize())
    }

    /// The complete stored record: body, previous hash, hash. Returns the record and its hash.
    public static func seal(body: [UInt8], previousHash: [UInt8]) -> (record: [UInt8], hash: [UInt8]) {
        let hash = chainHash(previousHash: previousHash, body: body)
        var record = body
        record.reserveCapacity(body.count + 2 * hashSize)
        record.append(contentsOf: previousHash)
        record.append(contentsOf: hash)
        return (record, hash)
    }
}

/// A zero-copy, bounds-checked view of one stored record. It borrows its bytes: use it only while
/// they are valid (inside the read transaction or scan callback that produced it).
public struct RecordView {
    /// Everything the hash covers besides the previous hash.
    public let body: UnsafeRawBufferPointer
    public let previousHash: UnsafeRawBufferPointer
    public let hash: UnsafeRawBufferPointer
    public let format: UInt8
    public let position: Int64
    public let eventID: UUID
    public let recordedAt: Int64
    public let version: Int64
    public let schemaVersion: Int
    public let streamBytes: UnsafeRawBufferPointer
    public let typeBytes: UnsafeRawBufferPointer
    public let actorBytes: UnsafeRawBufferPointer
    public let correlationID: UUID?
    public let causationID: UUID?
    public let idempotencyKeyBytes: UnsafeRawBufferPointer?
    public let payload: UnsafeRawBufferPointer

    /// Parses a stored record, throwing on any structural damage (truncation, bad lengths, unknown format).
    public init(parsing record: UnsafeRawBufferPointer) throws(BinaryDecodingError) {
        let trailer = 2 * EventRecordFormat.hashSize
        guard record.count > trailer else {
            throw BinaryDecodingError(field: "record", problem: "too short (\(record.count) bytes)", offset: 0)
        }
        body = UnsafeRawBufferPointer(rebasing: record[0..<(record.count - trailer)])
        previousHash = UnsafeRawBufferPointer(rebasing: record[(record.count - trailer)..<(record.count - EventRecordFormat.hashSize)])
        hash = UnsafeRawBufferPointer(rebasing: record[(record.count - EventRecordFormat.hashSize)...])
        var reader = BinaryReader(body)
        format = try reader.readUInt8("format")
        guard format == EventRecordFormat.currentFormat else {
            throw BinaryDecodingError(field: "format", problem: "unknown record format \(format)", offset: 0)
        }
        let rawPosition = try reader.readUInt64("position")
        guard rawPosition <= UInt64(Int64.max) else {
            throw BinaryDecodingError(field: "position", problem: "out of range", offset: 1)
        }
        position = Int64(rawPosition)
        eventID = try reader.readUUID("event_id")
        recordedAt = try reader.readInt64("recorded_at")
        version = Int64(try reader.readInt("version", in: 1...Int(Int64.max)))
        schemaVersion = try reader.readInt("schema_version", in: 1...Int(UInt16.max))
        streamBytes = try reader.readBytes("stream")
        typeBytes = try reader.readBytes("type")
        actorBytes = try reader.readBytes("actor")
        correlationID = try reader.readOptionalUUID("correlation_id")
        causationID = try reader.readOptionalUUID("causation_id")
        idempotencyKeyBytes = try reader.readBool("idempotency_key") ? try reader.readBytes("idempotency_key") : nil
        payload = try reader.readBytes("payload")
        try reader.expectEnd("record")
    }

    private static func string(_ bytes: UnsafeRawBufferPointer, _ field: String) throws(BinaryDecodingError) -> String {
        guard let string = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw BinaryDecodingError(field: field, problem: "invalid UTF-8", offset: 0)
        }
        return string
    }

    /// Whether the stored type name equals `name`, without allocating a string.
    public func hasType(_ name: StaticString) -> Bool {
        name.withUTF8Buffer { expected in
            expected.count == typeBytes.count && memcmp(expected.baseAddress!, typeBytes.baseAddress!, expected.count) == 0
        }
    }

    /// Whether the chain hash matches the stored bytes.
    public var hashMatches: Bool {
        let computed = EventRecordFormat.chainHash(previousHash: previousHash, body: body)
        return computed.elementsEqual(hash)
    }

    /// Copies the record into an owned ``RecordedEvent``.
    public func materialize() throws(BinaryDecodingError) -> RecordedEvent {
        RecordedEvent(
            position: position, eventID: eventID, stream: try Self.string(streamBytes, "stream"), version: version,
            type: try Self.string(typeBytes, "type"), schemaVersion: schemaVersion, recordedAt: recordedAt,
            metadata: EventMetadata(
                actor: try Self.string(actorBytes, "actor"), correlationID: correlationID, causationID: causationID,
                idempotencyKey: try idempotencyKeyBytes.map { (bytes) throws(BinaryDecodingError) in try Self.string(bytes, "idempotency_key") }),
            payload: Array(payload), previousHash: Array(previousHash), hash: Array(hash))
    }
}
