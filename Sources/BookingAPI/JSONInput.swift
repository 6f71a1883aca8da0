import BookingDomain
import Foundation
import HTTPTypes
import Hummingbird

/// A JSON document as sent, kept typed, so validation can say exactly which field is wrong and how
/// (a number sent as a string is an error here, not silently converted).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Decimal)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    /// A number that is valid JSON but beyond what `Decimal` holds (400 digits, `1e400`, `1e-400`).
    /// Kept, rather than failing the whole document, so the field that got it is the one named.
    case numberOutOfRange

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            do {
                self = .number(try container.decode(Decimal.self))
                return
            } catch DecodingError.typeMismatch {
                // Not a number: an array or an object.
            } catch {
                self = .numberOutOfRange
                return
            }
            if let value = try? container.decode([JSONValue].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: JSONValue].self))
            }
        }
    }

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number, .numberOutOfRange: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Reads a request body as a JSON object: 415 unless the content type is JSON, 413 beyond the
/// context's limit, 400 for anything that isn't a JSON object.
func jsonObject(from request: Request, context: some RequestContext) async throws -> JSONFields {
    let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
    guard mediaType == "application/json" else { throw APIError(.unsupportedMediaType, "Content-Type must be application/json") }
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: context.maxUploadSize)
    } catch {
        throw APIError(.contentTooLarge, "Request body too large (limit \(context.maxUploadSize / 1024) KiB)")
    }
    let bytes = buffer.readableBytesView
    guard isUTF8JSONText(bytes) else {
        throw APIError.badRequest("Request body is not valid JSON (it must be UTF-8, without a byte-order mark)")
    }
    let value: JSONValue
    do {
        value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    } catch {
        throw APIError.badRequest("Request body is not valid JSON")
    }
    guard case .object(let fields) = value else { throw APIError.badRequest("Request body must be a JSON object") }
    switch firstLeniency(in: bytes) {
    case .duplicateName(let name): throw APIError.badRequest("\(name) is given more than once")
    case .trailingComma: throw APIError.badRequest("Request body is not valid JSON (a trailing comma)")
    case nil: break
    }
    return JSONFields(fields)
}

/// Whether `bytes` are encoded as JSON between systems must be (RFC 8259 §8.1): UTF-8 without a
/// byte-order mark. Foundation's decoder also skips a BOM and reads UTF-16 and UTF-32, which it tells
/// apart by their NUL bytes (UTF-8 JSON never has one: not even in a string, where it must be escaped).
func isUTF8JSONText(_ bytes: some Collection<UInt8>) -> Bool {
    !bytes.starts(with: [0xEF, 0xBB, 0xBF]) && !bytes.contains(0) && String(validating: bytes, as: UTF8.self) != nil
}

/// What Foundation's JSON decoder lets through that JSON (RFC 8259) does not.
enum JSONLeniency: Equatable {
    /// A member name given twice in one object: Foundation silently keeps the first, while a proxy or
    /// a client's parser may keep the last, so the document means different things to each.
    case duplicateName(String)
    /// `[1,]` or `{"a":1,}`, which Foundation accepts.
    case trailingComma
}

/// The first ``JSONLeniency`` in text the JSON decoder has accepted (so otherwise well-formed), or `nil`.
func firstLeniency(in json: some Collection<UInt8>) -> JSONLeniency? {
    let bytes = Array(json)
    var scopes: [Set<String>?] = []  // one per open object (its names so far) or array (nil)
    var expectingName = false
    var previous: UInt8 = 0  // the last byte outside strings that isn't whitespace
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "\""):
            var end = index + 1
            var hasEscape = false
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                if bytes[end] == UInt8(ascii: "\\") {
                    hasEscape = true
                    end += 2
                } else {
                    end += 1
                }
            }
            if expectingName, let top = scopes.indices.last, scopes[top] != nil, end < bytes.count {
                let raw = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                // `"a\u0062"` and `"ab"` are the same name.
                let name = hasEscape ? (try? JSONDecoder().decode(String.self, from: Data(bytes[index...end]))) ?? raw : raw
                if scopes[top]?.insert(name).inserted == false { return .duplicateName(name) }  // in place: no copy per name
                expectingName = false
            }
            index = end
        case UInt8(ascii: "{"):
            scopes.append([])
            expectingName = true
        case UInt8(ascii: "["):
            scopes.append(nil)
            expectingName = false
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            if previous == UInt8(ascii: ",") { return .trailingComma }
            _ = scopes.popLast()
            expectingName = false
        case UInt8(ascii: ","):
            if case .some(.some) = scopes.last { expectingName = true }
        default:
            break
        }
        if ![UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(byte) { previous = byte }
        index += 1
    }
    return nil
}

/// Typed access to a JSON object's fields; every failure is a 400 naming the field. Unknown fields are
/// ignored, so the predecessor's clients, which send a few extra, keep working.
struct JSONFields {
    let fields: [String: JSONValue]

    init(_ fields: [String: JSONValue]) { self.fields = fields }

    func has(_ name: String) -> Bool {
        if case .some(.null) = fields[name] { return false }
        return fields[name] != nil
    }

    private func wrongType(_ name: String, expected: String, _ value: JSONValue) -> APIError {
        .badRequest("\(name) must be \(expected), not \(value.kindName)")
    }

    func string(_ name: String, length: ClosedRange<Int>) throws -> String {
        guard let value = try optionalString(name, length: length) else { throw APIError.badRequest("\(name) is required") }
        return value
    }

    func optionalString(_ name: String, length: ClosedRange<Int>) throws -> String? {
        guard let raw = fields[name], raw != .null else { return nil }
        guard case .string(let value) = raw else { throw wrongType(name, expected: "a string", raw) }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard length.contains(trimmed.count) else {
            throw APIError.badRequest("\(name) must be \(length.lowerBound) to \(length.upperBound) characters")
        }
        return trimmed
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64 {
        guard let value = try optionalInteger(name, in: range) else { throw APIError.badRequest("\(name) is required") }
        return value
    }

    /// A whole JSON number; `"5"` (a numeric string) and `5.5` are refused.
    func optionalInteger(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let raw = fields[name], raw != .null else { return nil }
        let outOfRange = APIError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        if raw == .numberOutOfRange { throw outOfRange }
        guard case .number(let number) = raw else { throw wrongType(name, expected: "an integer", raw) }
        guard number.isWholeNumber, let value = Int64(exactly: number), range.contains(value) else { throw outOfRange }
        return value
    }

    func optionalEnum<Value: RawRepresentable<String> & CaseIterable>(_ name: String, _ type: Value.Type) throws -> Value? {
        guard let text = try optionalString(name, length: 0...64) else { return nil }
        guard let value = Value(rawValue: text) else {
            throw APIError.badRequest("\(name) must be one of: \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// An ISO 8601 time. With an offset (`Z`, `+02:00`) it means that instant; without one it is read as
    /// UTC (documented in the OpenAPI document). Returns milliseconds since 1970.
    func optionalTime(_ name: String) throws -> Timestamp? {
        guard let text = try optionalString(name, length: 0...64) else { return nil }
        guard let milliseconds = ISO8601Time.milliseconds(text) else {
            throw APIError.badRequest("\(name) must be an ISO 8601 date-time, e.g. 2027-03-01T18:00:00Z")
        }
        guard ISO8601Time.supportedRange.contains(milliseconds) else {
            throw APIError.badRequest("\(name) must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
        }
        return Timestamp(rawValue: milliseconds)
    }

    /// A price as a JSON number with at most two decimals, ≥ 0, returned in minor units.
    func optionalPrice(_ name: String) throws -> Int64? {
        guard let raw = fields[name], raw != .null else { return nil }
        let invalid = APIError.badRequest("\(name) must be a number ≥ 0 with at most 2 decimals")
        if raw == .numberOutOfRange { throw invalid }
        guard case .number(let number) = raw else { throw wrongType(name, expected: "a number", raw) }
        let minor = number * 100
        guard number >= 0, minor.isWholeNumber, let value = Int64(exactly: minor), value <= 100_000_000_00 else { throw invalid }
        return value
    }
}

/// ISO 8601 times as the API accepts them.
enum ISO8601Time {
    /// Times the API takes: from 1970 (nothing is booked before the epoch, and Foundation's parser
    /// switches to the Julian calendar before 1582 where the writer below stays Gregorian) to year 9999.
    static let supportedRange: ClosedRange<Int64> = 0...253_402_300_799_999

    static func milliseconds(_ text: String) -> Int64? {
        let withOffset = text.hasSuffix("Z") || text.hasSuffix("z") || text.range(of: #"[+-]\d{2}:?\d{2}$"#, options: .regularExpression) != nil
        let candidate = withOffset ? text : text + "Z"
        for includesFraction in [false, true] {
            let style = Date.ISO8601FormatStyle(includingFractionalSeconds: includesFraction)
            if let date = try? style.parse(candidate) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        return nil
    }

    /// `2031-01-01T09:00:00Z`: UTC, whole seconds, exactly what `Date.formatted(.iso8601)` gives.
    ///
    /// Written by hand because list responses format three times per item and Foundation's format
    /// style builds calendar components each time (a tenth of a sessions page's cost).
    static func string(_ milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSince1970: days)
        guard (0...9999).contains(year) else {
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
        }
        // "YYYY-MM-DDTHH:MM:SSZ", digits filled in place.
        return String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ value: Int64, at offset: Int, width: Int) {
                var value = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, at: 0, width: 4)
            buffer[4] = UInt8(ascii: "-")
            put(month, at: 5, width: 2)
            buffer[7] = UInt8(ascii: "-")
            put(day, at: 8, width: 2)
            buffer[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, at: 11, width: 2)
            buffer[13] = UInt8(ascii: ":")
            put(secondOfDay % 3600 / 60, at: 14, width: 2)
            buffer[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, at: 17, width: 2)
            buffer[19] = UInt8(ascii: "Z")
            return 20
        }
    }

    /// Proleptic Gregorian year, month and day of a day count since 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`).
    static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Decimal {
    var isWholeNumber: Bool {
        var value = self
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .plain)
        return rounded == self
    }
}

extension Int64 {
    init?(exactly decimal: Decimal) {
        guard decimal.isWholeNumber, decimal >= Decimal(Int64.min), decimal <= Decimal(Int64.max) else { return nil }
        self = NSDecimalNumber(decimal: decimal).int64Value
    }
}
