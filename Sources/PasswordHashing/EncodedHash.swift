#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A parsed PHC string as `libargon2` writes it: `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`,
/// salt and hash in standard base64 without padding.
///
/// Parsed in Swift, strictly, before any string reaches C: so that ``Argon2idHasher/needsRehash(_:)``
/// can read the parameters, and so that ``Argon2idHasher/verify(_:against:)`` can refuse a string
/// whose stored costs would make `libargon2` allocate gigabytes or run for minutes (it trusts them).
struct EncodedHash: Equatable {
    /// The Argon2 variants `libargon2` can encode.
    enum Variant: String {
        case argon2d, argon2i, argon2id
    }

    /// Argon2 version 1.3 (0x13 = 19), the current one; 1.0 had a weakness and is not accepted.
    static let version13: UInt32 = 0x13

    /// Longest string considered; real ones are about 100 characters.
    static let maximumLength = 512

    let variant: Variant
    let version: UInt32
    let memoryKiB: UInt32
    let iterations: UInt32
    let parallelism: UInt32
    let salt: [UInt8]
    let hash: [UInt8]

    init(
        variant: Variant, version: UInt32, memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32,
        salt: [UInt8], hash: [UInt8]
    ) {
        self.variant = variant
        self.version = version
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
        self.salt = salt
        self.hash = hash
    }

    /// Parses `encoded`; `nil` for anything but the exact layout above (the version field is
    /// required, the parameters must come in `m,t,p` order, base64 must be canonical-length) and for
    /// values `libargon2` refuses (t or p of 0, under 8 KiB per lane, a salt under 8 bytes, a tag
    /// under 4).
    init?(parsing encoded: String) {
        guard encoded.utf8.count <= Self.maximumLength else { return nil }
        // omittingEmptySubsequences: false, so "$$" or a trailing "$" are seen as the empty fields they are.
        let fields = encoded.utf8.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty,
            let variant = Variant(rawValue: String(decoding: fields[1], as: UTF8.self)),
            let version = Self.keyedNumber("v", fields[2])
        else { return nil }
        let costs = fields[3].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard costs.count == 3,
            let memoryKiB = Self.keyedNumber("m", costs[0]),
            let iterations = Self.keyedNumber("t", costs[1]),
            let parallelism = Self.keyedNumber("p", costs[2]),
            let salt = Self.decodeBase64(fields[4]), let hash = Self.decodeBase64(fields[5]),
            // libargon2's own lower bounds, so that whatever parses is also hashable, and
            // needsRehash never keeps a string that can never verify.
            iterations >= 1, parallelism >= 1, UInt64(memoryKiB) >= 8 * UInt64(parallelism),
            salt.count >= 8, hash.count >= 4
        else { return nil }
        self.init(
            variant: variant, version: version, memoryKiB: memoryKiB, iterations: iterations,
            parallelism: parallelism, salt: salt, hash: hash
        )
    }

    /// The PHC string, byte for byte as `libargon2` would write it.
    var encoded: String {
        "$\(variant.rawValue)$v=\(version)$m=\(memoryKiB),t=\(iterations),p=\(parallelism)"
            + "$\(Self.encodeBase64(salt))$\(Self.encodeBase64(hash))"
    }

    /// Whether verifying against this hash costs a bounded amount: at most 1 GiB of memory (or the
    /// current setting if that is higher), at most 64 passes and 64 lanes (or the current ones).
    /// `libargon2` allocates and loops on whatever the string says, so an unchecked corrupted or
    /// planted record could exhaust the machine; honest records are far below these bounds.
    func isWithinVerificationLimits(current: Argon2idHasher.Parameters) -> Bool {
        memoryKiB <= max(1 << 20, current.memoryKiB)
            && iterations <= max(64, current.iterations)
            && parallelism <= max(64, current.parallelism)
    }

    /// `"<key>=<decimal>"` → the number, if it fits a `UInt32` and has only ASCII digits (no sign,
    /// no spaces: `Int(...)` alone would accept `+5`).
    private static func keyedNumber(_ key: Unicode.Scalar, _ field: Substring.UTF8View) -> UInt32? {
        guard field.count >= 3, field.count <= 12, field.first == UInt8(ascii: key),
            field.dropFirst().first == UInt8(ascii: "=")
        else { return nil }
        let digits = field.dropFirst(2)
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt32(String(decoding: digits, as: UTF8.self))
    }

    /// Unpadded standard base64 → bytes; `nil` for other characters or an impossible length
    /// (4n+1 characters cannot come from whole bytes).
    private static func decodeBase64(_ field: Substring.UTF8View) -> [UInt8]? {
        guard field.count % 4 != 1,
            field.allSatisfy({ byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            })
        else { return nil }
        let padded = String(decoding: field, as: UTF8.self) + String(repeating: "=", count: (4 - field.count % 4) % 4)
        return Data(base64Encoded: padded).map { Array($0) }
    }

    /// Bytes → unpadded standard base64, the PHC convention.
    private static func encodeBase64(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.last == "=" { text.removeLast() }
        return text
    }
}
