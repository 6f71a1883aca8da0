/// A response body that can write itself as JSON directly, without `JSONEncoder`.
///
/// List routes answer up to 1,000 items; Foundation's `JSONEncoder` builds a dictionary per object,
/// sorts its keys and then serialises the tree, which was more than half the cost of a sessions page.
/// Types conforming here write their fields in sorted-key order with ``JSONWriter``, and
/// `ResponseEncodingTests` checks that the bytes equal `JSONEncoder`'s (`.sortedKeys`,
/// `.withoutEscapingSlashes`) for every list body, so the two paths can't drift apart.
protocol JSONWritable {
    /// Writes the value as one JSON object.
    func write(to writer: inout JSONWriter)
}

/// Appends JSON to a byte buffer: objects, fields in the order given, strings escaped exactly as
/// `JSONEncoder` escapes them.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 1_024) { bytes.reserveCapacity(capacity) }

    /// `[item, item, ...]`.
    mutating func writeArray(_ items: [some JSONWritable]) {
        bytes.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            item.write(to: &self)
        }
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// JSON written earlier by another writer, as one value.
    mutating func writeRaw(_ json: [UInt8]) {
        bytes.append(contentsOf: json)
        needsComma = true
    }

    /// `{...}` with the fields `body` writes.
    mutating func writeObject(_ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func field(_ key: StaticString, _ value: String) {
        writeKey(key)
        writeString(value)
    }

    /// Omitted when `nil`, as synthesised `Encodable` conformances do.
    mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        field(key, value)
    }

    mutating func field(_ key: StaticString, _ value: Int64) {
        writeKey(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ key: StaticString, _ value: Int) { field(key, Int64(value)) }

    mutating func field(_ key: StaticString, _ value: Money) {
        writeKey(key)
        writeMoney(value.minorUnits)
    }

    /// A nested object, omitted when `nil`.
    mutating func field(_ key: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        writeKey(key)
        value.write(to: &self)
    }

    private mutating func writeKey(_ key: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = true
    }

    /// `2550` → `25.5`, `1999` → `19.99`, `100` → `1`: what `JSONEncoder` writes for the `Double`.
    private mutating func writeMoney(_ minorUnits: Int64) {
        if minorUnits < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = minorUnits.magnitude
        bytes.append(contentsOf: String(magnitude / 100).utf8)
        let cents = magnitude % 100
        guard cents != 0 else { return }
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(cents / 10))
        if cents % 10 != 0 { bytes.append(UInt8(ascii: "0") + UInt8(cents % 10)) }
    }

    private mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        // Most strings need no escaping: copy them whole.
        let copied = value.withUTF8 { utf8 in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
