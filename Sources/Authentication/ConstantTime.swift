import Crypto

/// Comparison of secrets that takes the same time wherever the inputs differ, and whatever their lengths.
///
/// DESIGN.md "Security": every secret (bearer tokens such as `CRM_BEARER_TOKEN`, API keys, ...) is
/// compared in constant time. Both sides are hashed with SHA-256 first and the digests compared with
/// swift-crypto's constant-time digest equality, so neither the position of the first differing byte
/// nor the length of the expected secret shows in the timing. (Token signatures are compared by
/// JWTKit, which also accumulates the differences rather than returning early.)
public enum ConstantTime {
    /// Whether `presented` equals `expected`, in time independent of where they differ.
    public static func equals(_ presented: some Sequence<UInt8>, _ expected: some Sequence<UInt8>) -> Bool {
        var lhs = SHA256()
        lhs.update(data: Array(presented))
        var rhs = SHA256()
        rhs.update(data: Array(expected))
        return lhs.finalize() == rhs.finalize()
    }

    /// Whether two strings are equal as UTF-8 bytes, in constant time.
    public static func equals(_ presented: String, _ expected: String) -> Bool {
        equals(presented.utf8, expected.utf8)
    }
}
