#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// An unsigned 64-bit integer laid out big-endian, so LMDB's bytewise key order is numeric order.
///
/// Little-endian keys would sort 256 before 1; event positions must sort by value. The bytes live
/// inline (no heap), so building a key per event in a 1M-event replay costs nothing but a byte swap.
@frozen
public struct BigEndianKey: Sendable, Hashable, Comparable, ContiguousBytes {
    /// The 8 stored bytes, already in big-endian order.
    @usableFromInline
    internal var storage: UInt64

    /// The number of bytes every key of this kind occupies.
    public static let byteCount = 8

    /// Encodes `value` so that byte order matches numeric order.
    @inlinable
    public init(_ value: UInt64) {
        storage = value.bigEndian
    }

    /// Decodes a stored key; `nil` when the bytes are not exactly 8 long (not a key of this kind).
    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == BigEndianKey.byteCount else { return nil }
        storage = bytes.loadUnaligned(as: UInt64.self)
    }

    /// The integer the key encodes.
    @inlinable
    public var value: UInt64 { UInt64(bigEndian: storage) }

    /// Lends the 8 big-endian bytes without copying them to the heap.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// Orders keys by the integers they encode, which is also their byte order.
    @inlinable
    public static func < (lhs: BigEndianKey, rhs: BigEndianKey) -> Bool {
        lhs.value < rhs.value
    }
}

extension UInt64 {
    /// This integer as a key that sorts numerically in LMDB.
    @inlinable
    public var bigEndianKey: BigEndianKey { BigEndianKey(self) }

    /// Decodes a key written with `bigEndianKey`; `nil` unless `bigEndianKey` is exactly 8 bytes.
    @inlinable
    public init?(bigEndianKey bytes: UnsafeRawBufferPointer) {
        guard let key = BigEndianKey(bytes) else { return nil }
        self = key.value
    }
}
