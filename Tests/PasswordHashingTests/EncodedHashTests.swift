import Foundation
import Testing

@testable import PasswordHashing

@Suite("PHC string parsing (internal)")
struct EncodedHashTests {
    @Test("a libargon2 string parses into its parts and re-encodes byte for byte")
    func parsesAndReencodes() throws {
        let parsed = try #require(EncodedHash(parsing: KnownAnswers.argon2idDefault))
        #expect(parsed.variant == .argon2id)
        #expect(parsed.version == 19)
        #expect(parsed.memoryKiB == 19_456 && parsed.iterations == 2 && parsed.parallelism == 1)
        #expect(parsed.salt == Array("0123456789abcdef".utf8))
        #expect(parsed.hash.count == 32)
        #expect(parsed.encoded == KnownAnswers.argon2idDefault)
        #expect(EncodedHash(parsing: KnownAnswers.argon2iSamePassword)?.variant == .argon2i)
        // Values libargon2 would refuse do not parse, so verify never hands them to C.
        let swap = { (from: String, to: String) in KnownAnswers.argon2idDefault.replacingOccurrences(of: from, with: to) }
        #expect(EncodedHash(parsing: swap("t=2", "t=0")) == nil)
        #expect(EncodedHash(parsing: swap("p=1", "p=0")) == nil)
        #expect(EncodedHash(parsing: swap("m=19456,t=2,p=1", "m=15,t=2,p=2")) == nil)
        #expect(EncodedHash(parsing: swap("m=19456,t=2,p=1", "m=16,t=2,p=2")) != nil)
        #expect(EncodedHash(parsing: swap("MDEyMzQ1Njc4OWFiY2RlZg", "MDEyMzQ1Ng")) == nil)  // 7-byte salt
        #expect(EncodedHash(parsing: swap("MDEyMzQ1Njc4OWFiY2RlZg", "MDEyMzQ1Njc")) != nil)  // 8-byte salt
    }

    @Test("the dummy hash is well-formed, uses the current parameters, and matches nothing")
    func dummyHash() throws {
        let hasher = Argon2idHasher()
        let dummy = try #require(EncodedHash(parsing: hasher.dummyEncoded))
        #expect(dummy.variant == .argon2id && dummy.version == 19)
        #expect(dummy.memoryKiB == 19_456 && dummy.iterations == 2 && dummy.parallelism == 1)
        #expect(dummy.salt.count == 16 && dummy.hash.count == 32)
        #expect(!hasher.needsRehash(hasher.dummyEncoded))
        #expect(dummy.isWithinVerificationLimits(current: hasher.parameters))
        // Each hasher draws its own salt and tag, so the dummy is not a shared, precomputable value.
        #expect(Argon2idHasher().dummyEncoded != hasher.dummyEncoded)
        let small = Argon2idHasher(parameters: .init(memoryKiB: 2_048, iterations: 3, parallelism: 2, saltLength: 20, hashLength: 24))
        let smallDummy = try #require(EncodedHash(parsing: small.dummyEncoded))
        #expect(smallDummy.memoryKiB == 2_048 && smallDummy.iterations == 3 && smallDummy.parallelism == 2)
        #expect(smallDummy.salt.count == 20 && smallDummy.hash.count == 24)
        #expect(!small.verify("", against: small.dummyEncoded))
    }

    @Test("verification limits: 1 GiB, 64 passes, 64 lanes, or the current setting when higher")
    func limits() {
        let defaults = Argon2idHasher.Parameters()
        func encoded(m: UInt32, t: UInt32, p: UInt32) -> EncodedHash {
            EncodedHash(variant: .argon2id, version: 19, memoryKiB: m, iterations: t, parallelism: p, salt: Array(repeating: 1, count: 16), hash: Array(repeating: 2, count: 32))
        }
        #expect(encoded(m: 1 << 20, t: 64, p: 64).isWithinVerificationLimits(current: defaults))
        #expect(!encoded(m: (1 << 20) + 1, t: 1, p: 1).isWithinVerificationLimits(current: defaults))
        #expect(!encoded(m: 19_456, t: 65, p: 1).isWithinVerificationLimits(current: defaults))
        #expect(!encoded(m: 19_456, t: 2, p: 65).isWithinVerificationLimits(current: defaults))
        let huge = Argon2idHasher.Parameters(memoryKiB: 2 << 20, iterations: 100)
        #expect(encoded(m: 2 << 20, t: 100, p: 1).isWithinVerificationLimits(current: huge))
    }
}
