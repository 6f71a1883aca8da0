import Foundation

/// Appends fixed-width big-endian integers, LEB128 lengths and byte strings to a growing buffer.
///
/// The stored event format is binary because replay and verification must run at millions of events
/// per second, far beyond what `JSONDecoder` manages; `audit export` turns it back into JSON for people.
public struct BinaryWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Starts an empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func write(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    public mutating func write(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    public mutating func write(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    public mutating func write(_ value: Int64) { write(UInt64(bitPattern: value)) }

    /// Unsigned LEB128: small numbers (lengths, counts, ids) take one or two bytes.
    public mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Zig-zag LEB128 for signed values that are usually small.
    public mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func writeBytes(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in writeBytes(utf8) }
    }

    public mutating func write(_ value: String?) {
        if let value {
            write(true)
            write(value)
        } else {
            write(false)
        }
    }

    public mutating func write(_ value: UUID) {
        withUnsafeBytes(of: value.uuid) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: UUID?) {
        if let value {
            write(true)
            write(value)
        } else {
            write(false)
        }
    }

    /// Appends raw bytes with no length prefix (fixed-size fields such as hashes).
    public mutating func writeRaw(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }
}

/// Why bytes could not be decoded. Decoders of stored or external input throw this instead of trapping.
public struct BinaryDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being read.
    public var field: String
    /// What was wrong with it.
    public var problem: String
    /// Byte offset where decoding failed.
    public var offset: Int

    public init(field: String, problem: String, offset: Int) {
        self.field = field
        self.problem = problem
        self.offset = offset
    }

    public var description: String { "\(field): \(problem) at byte \(offset)" }
}

/// Reads what ``BinaryWriter`` wrote, bounds-checked: truncated or corrupt input throws, never traps.
///
/// The reader borrows its buffer; it must not outlive it (the buffer is usually an LMDB page that is
/// valid only inside a read transaction).
public struct BinaryReader {
    @usableFromInline let buffer: UnsafeRawBufferPointer
    /// Bytes consumed so far.
    public private(set) var offset: Int

    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    /// True when every byte has been read.
    public var isAtEnd: Bool { offset == buffer.count }
    /// Bytes left.
    public var remaining: Int { buffer.count - offset }

    private func truncated(_ field: String) -> BinaryDecodingError {
        BinaryDecodingError(field: field, problem: "truncated", offset: offset)
    }

    public mutating func readUInt8(_ field: String = "uint8") throws(BinaryDecodingError) -> UInt8 {
        guard offset < buffer.count else { throw truncated(field) }
        defer { offset += 1 }
        return buffer[offset]
    }

    public mutating func readBool(_ field: String = "bool") throws(BinaryDecodingError) -> Bool {
        switch try readUInt8(field) {
        case 0: return false
        case 1: return true
        case let other: throw BinaryDecodingError(field: field, problem: "invalid boolean \(other)", offset: offset - 1)
        }
    }

    private mutating func readFixed(_ width: Int, _ field: String) throws(BinaryDecodingError) -> UInt64 {
        guard remaining >= width else { throw truncated(field) }
        var value: UInt64 = 0
        for index in offset..<(offset + width) { value = value << 8 | UInt64(buffer[index]) }
        offset += width
        return value
    }

    public mutating func readUInt16(_ field: String = "uint16") throws(BinaryDecodingError) -> UInt16 {
        UInt16(try readFixed(2, field))
    }

    public mutating func readUInt32(_ field: String = "uint32") throws(BinaryDecodingError) -> UInt32 {
        UInt32(try readFixed(4, field))
    }

    public mutating func readUInt64(_ field: String = "uint64") throws(BinaryDecodingError) -> UInt64 {
        try readFixed(8, field)
    }

    public mutating func readInt64(_ field: String = "int64") throws(BinaryDecodingError) -> Int64 {
        Int64(bitPattern: try readFixed(8, field))
    }

    public mutating func readVarint(_ field: String = "varint") throws(BinaryDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readUInt8(field)
            guard shift < 64, shift < 63 || byte <= 1 else {
                throw BinaryDecodingError(field: field, problem: "varint overflows 64 bits", offset: offset - 1)
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    public mutating func readSignedVarint(_ field: String = "varint") throws(BinaryDecodingError) -> Int64 {
        let raw = try readVarint(field)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A varint that must fit an `Int` in `range` (lengths, counts, enum raw values).
    public mutating func readInt(_ field: String, in range: ClosedRange<Int> = 0...Int.max) throws(BinaryDecodingError) -> Int {
        let start = offset
        let raw = try readVarint(field)
        guard raw <= UInt64(Int.max), range.contains(Int(raw)) else {
            throw BinaryDecodingError(field: field, problem: "value \(raw) out of range", offset: start)
        }
        return Int(raw)
    }

    /// A length-prefixed byte string, borrowed from the buffer.
    public mutating func readBytes(_ field: String = "bytes") throws(BinaryDecodingError) -> UnsafeRawBufferPointer {
        let count = try readInt(field)
        return try readRaw(count, field)
    }

    /// `count` raw bytes, borrowed from the buffer.
    public mutating func readRaw(_ count: Int, _ field: String = "bytes") throws(BinaryDecodingError) -> UnsafeRawBufferPointer {
        guard remaining >= count else { throw truncated(field) }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
    }

    public mutating func readString(_ field: String = "string") throws(BinaryDecodingError) -> String {
        let start = offset
        let bytes = try readBytes(field)
        guard let string = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw BinaryDecodingError(field: field, problem: "invalid UTF-8", offset: start)
        }
        return string
    }

    public mutating func readOptionalString(_ field: String = "string") throws(BinaryDecodingError) -> String? {
        try readBool(field) ? try readString(field) : nil
    }

    public mutating func readUUID(_ field: String = "uuid") throws(BinaryDecodingError) -> UUID {
        let raw = try readRaw(16, field)
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { $0.copyMemory(from: raw) }
        return UUID(uuid: uuid)
    }

    public mutating func readOptionalUUID(_ field: String = "uuid") throws(BinaryDecodingError) -> UUID? {
        try readBool(field) ? try readUUID(field) : nil
    }

    /// Throws unless every byte was consumed: trailing garbage is corruption, not padding.
    public func expectEnd(_ field: String) throws(BinaryDecodingError) {
        guard isAtEnd else {
            throw BinaryDecodingError(field: field, problem: "\(remaining) unexpected trailing bytes", offset: offset)
        }
    }
}
