import Crypto
import Foundation
import JWTKit
import Synchronization

/// A clock the tests move by hand, so lifetime, leeway and cache edges need no sleeping.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date) { current = Mutex(start) }
    public init(secondsSince1970: Double) { current = Mutex(Date(timeIntervalSince1970: secondsSince1970)) }

    public var date: Date { current.withLock { $0 } }
    public var now: @Sendable () -> Date { { self.date } }

    public func set(_ date: Date) { current.withLock { $0 = date } }
    public func set(milliseconds: Int64) { set(Date(timeIntervalSince1970: Double(milliseconds) / 1000)) }
    public func advance(seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Any JSON value, to build headers and payloads with missing, extra or wrongly typed members.
public enum JSONValue: Codable, Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(Dictionary(uniqueKeysWithValues: elements)) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    public static func seconds(milliseconds: Int64) -> JSONValue { .number(Double(milliseconds) / 1000) }
}

/// A payload of arbitrary claims, signed by JWTKit in tests.
public struct ClaimsPayload: JWTPayload {
    public var claims: [String: JSONValue]

    public init(_ claims: [String: JSONValue]) { self.claims = claims }
    public init(from decoder: any Decoder) throws { claims = try [String: JSONValue](from: decoder) }
    public func encode(to encoder: any Encoder) throws { try claims.encode(to: encoder) }
    public func verify(using _: some JWTAlgorithm) async throws {}
}

/// Hand-built compact JWS, for tokens JWTKit would refuse to produce (`alg: none`, mislabelled
/// algorithms, odd headers).
public enum TokenForge {
    public static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func json(_ value: [String: JSONValue]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try! encoder.encode(value))
    }

    public enum Signature {
        case none
        case hmacSHA256([UInt8])
        case hmacSHA384([UInt8])
        case hmacSHA512([UInt8])
        case raw([UInt8])
    }

    /// `base64url(header).base64url(payload).base64url(signature)` over raw JSON bytes.
    public static func token(headerJSON: [UInt8], payloadJSON: [UInt8], signature: Signature) -> String {
        let signingInput = base64URL(headerJSON) + "." + base64URL(payloadJSON)
        let input = Array(signingInput.utf8)
        let mac: [UInt8] =
            switch signature {
            case .none: []
            case .hmacSHA256(let key): Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: key)))
            case .hmacSHA384(let key): Array(HMAC<SHA384>.authenticationCode(for: input, using: SymmetricKey(data: key)))
            case .hmacSHA512(let key): Array(HMAC<SHA512>.authenticationCode(for: input, using: SymmetricKey(data: key)))
            case .raw(let bytes): bytes
            }
        return signingInput + "." + base64URL(mac)
    }

    public static func token(header: [String: JSONValue], payload: [String: JSONValue], signature: Signature) -> String {
        token(headerJSON: json(header), payloadJSON: json(payload), signature: signature)
    }

    /// Decodes one segment of a compact JWS for inspection.
    public static func decodeSegment(_ token: String, index: Int) -> [String: JSONValue]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var text = parts[index].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return try? JSONDecoder().decode([String: JSONValue].self, from: data)
    }
}

/// The committed test-only RSA keys under `Fixtures/google-test-keys/`.
public enum TestKeys {
    public static let folder: URL = {
        // Resolve symlinks so the fixtures are found from the isolated dev package too.
        let file = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        return file.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/google-test-keys")
    }()

    public static func pem(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent("\(name).pem"), encoding: .utf8)
    }

    public static func privateKey(_ name: String) throws -> JWTKit.Insecure.RSA.PrivateKey {
        try JWTKit.Insecure.RSA.PrivateKey(pem: pem(name))
    }

    /// The JWK (public part only) of a fixture key, as Google publishes it.
    public static func jwk(_ name: String, kid: String, alg: String? = "RS256") throws -> JSONValue {
        let primitives = try privateKey(name).publicKey.getKeyPrimitives()
        var object: [String: JSONValue] = [
            "kty": "RSA", "use": "sig", "kid": .string(kid),
            "n": .string(TokenForge.base64URL(primitives.modulus)),
            "e": .string(TokenForge.base64URL(primitives.publicExponent)),
        ]
        if let alg { object["alg"] = .string(alg) }
        return .object(object)
    }

    public static func jwks(_ keys: [JSONValue]) -> String {
        String(decoding: TokenForge.json(["keys": .array(keys)]), as: UTF8.self)
    }
}
