import Foundation

/// The checks every incoming token passes before any key is looked up or any signature computed.
///
/// JWTKit parses whatever it is given and lets the token's own header pick the key and (for a JWK
/// without `alg`) the algorithm. That is the opposite of RFC 8725 §2.1/§3.1 ("the algorithm is chosen
/// by the verifier, not the token"), so both verifiers in this module read the protected header
/// themselves first, with hard bounds, and only hand JWTKit a token whose `alg` and `kid` they have
/// already pinned.
struct CompactJWS: Sendable {
    /// Header and payload are JSON objects with flat claims (`aud` may be an array): anything deeper
    /// is hostile, and the bound keeps the JSON decoder's recursion shallow whatever it allows.
    static let maximumNestingDepth = 4

    /// The protected header fields the verifiers act on. Everything else (`jku`, `jwk`, `x5u`, `x5c`,
    /// ...) is deliberately not decoded: never consulted, so a token cannot steer key selection.
    struct Header: Sendable {
        var alg: String?
        var typ: String?
        var kid: String?
        /// `crit` lists extensions the recipient must understand (RFC 7515 §4.1.11); we understand none.
        var hasCritical: Bool
    }

    enum Failure: Error, Equatable {
        case empty
        case tooLarge
        case malformed
        case tooDeeplyNested
    }

    let header: Header
    let payloadJSON: Data

    /// Splits, bounds and decodes a compact JWS without trusting any of it.
    ///
    /// Rejects, in this order and before any allocation proportional to an attacker's input beyond the
    /// string itself: empty input, more than `maximumBytes` bytes, anything but three base64url
    /// segments with non-empty header and payload (no padding, no `+`/`/`, no whitespace), JSON nested deeper than
    /// ``maximumNestingDepth``, and a header that is not a JSON object with string-typed
    /// `alg`/`typ`/`kid`.
    init(parsing token: String, maximumBytes: Int) throws(Failure) {
        let utf8 = token.utf8
        guard !utf8.isEmpty else { throw .empty }
        // utf8.count is O(1) for native strings, so an oversized token costs nothing more to refuse.
        guard utf8.count <= maximumBytes else { throw .tooLarge }

        let segments = utf8.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
        // An empty signature is syntactically fine (it is what `alg: none` tokens carry): it is
        // refused later, by the algorithm check or the signature check, which names the problem.
        guard segments.count == 3, !segments[0].isEmpty, !segments[1].isEmpty else { throw .malformed }

        guard let headerJSON = Self.base64URLDecode(segments[0]),
            let payloadJSON = Self.base64URLDecode(segments[1]),
            Self.base64URLDecode(segments[2]) != nil
        else { throw .malformed }

        guard Self.nestingDepthIsWithin(Self.maximumNestingDepth, headerJSON),
            Self.nestingDepthIsWithin(Self.maximumNestingDepth, payloadJSON)
        else { throw .tooDeeplyNested }

        do {
            self.header = try JSONDecoder().decode(HeaderFields.self, from: headerJSON).header
        } catch {
            throw .malformed
        }
        self.payloadJSON = payloadJSON
    }

    /// Strict base64url (RFC 7515 §2: no padding, URL alphabet only). `nil` for anything else.
    static func base64URLDecode(_ segment: Substring.UTF8View) -> Data? {
        var standard = [UInt8]()
        standard.reserveCapacity(segment.count + 3)
        for byte in segment {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                standard.append(byte)
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            default: return nil
            }
        }
        // Only the canonical spelling: the bits of the last character that encode no byte must be zero,
        // so a token has exactly one encoding (RFC 4648 §3.5) and a flipped padding bit is a different token.
        let unusedBits: UInt8
        switch standard.count % 4 {
        case 0: unusedBits = 0
        case 2: unusedBits = 0b1111
        case 3: unusedBits = 0b11
        default: return nil  // a single trailing character encodes no whole byte
        }
        if unusedBits != 0, let last = standard.last, sextet(last) & unusedBits != 0 { return nil }
        standard.append(contentsOf: Array(repeating: UInt8(ascii: "="), count: (4 - standard.count % 4) % 4))
        return Data(base64Encoded: Data(standard))
    }

    /// The 6-bit value of a standard base64 character.
    private static func sextet(_ character: UInt8) -> UInt8 {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        default: 63
        }
    }

    /// Scans JSON bytes for bracket depth, skipping string contents, without building anything.
    static func nestingDepthIsWithin(_ limit: Int, _ json: Data) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > limit { return false }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return true
    }

    /// The spellings RFC 7518 §3.6 `none` takes in attacks; compared case-insensitively so that logs
    /// name the attack even for "nOnE".
    static func isUnsecuredAlgorithm(_ alg: String?) -> Bool {
        alg?.lowercased() == "none"
    }
}

/// Decodes only the header fields we act on; a wrongly typed `alg`/`typ`/`kid` is malformed.
private struct HeaderFields: Decodable {
    let header: CompactJWS.Header

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        self.header = CompactJWS.Header(
            alg: try container.decodeIfPresent(String.self, forKey: JSONKey("alg")),
            typ: try container.decodeIfPresent(String.self, forKey: JSONKey("typ")),
            kid: try container.decodeIfPresent(String.self, forKey: JSONKey("kid")),
            hasCritical: container.contains(JSONKey("crit"))
        )
    }
}

/// A coding key for arbitrary JSON member names.
struct JSONKey: CodingKey, Hashable {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { self.stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Time claims arrive as JSON numbers of seconds; we keep them as integer milliseconds.
enum NumericDate {
    /// Up to 9999-12-31: anything later (or negative, or not finite) is not a time we issue or accept,
    /// and the bound keeps the millisecond conversion far from `Int64` overflow.
    static let maximumSeconds: Double = 253_402_300_799

    /// `nil` when the value can't be a real NumericDate, instead of trapping on conversion.
    static func milliseconds(fromSeconds seconds: Double) -> Int64? {
        guard seconds.isFinite, seconds >= 0, seconds <= maximumSeconds else { return nil }
        return Int64((seconds * 1000).rounded())
    }

    static func milliseconds(of date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite else { return 0 }
        return Int64((min(max(seconds, 0), maximumSeconds) * 1000).rounded())
    }

    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
enum AudienceValue: Decodable, Sendable, Equatable {
    case single(String)
    case multiple([String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let single = try? container.decode(String.self) {
            self = .single(single)
        } else {
            self = .multiple(try container.decode([String].self))
        }
    }

    var values: [String] {
        switch self {
        case .single(let value): [value]
        case .multiple(let values): values
        }
    }
}
