import Foundation
import PasswordHashing
import Testing

/// Known answers computed independently with Python's argon2-cffi 25.1.0 (its own vendored copy of
/// the reference code), salt "0123456789abcdef", 32-byte tag: they pin the PHC format and the
/// UTF-8 handling to what other Argon2 implementations produce and accept.
enum KnownAnswers {
    static let password = "correct horse battery staple"
    /// argon2id, the default parameters (m=19456, t=2, p=1).
    static let argon2idDefault =
        "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$gy5SuVm5Z7Vw7keB9se9p87QGcomaseB/S2U1OhTsM0"
    /// argon2i of the same password (m=1024, t=2, p=1): the right password, the wrong variant.
    static let argon2iSamePassword =
        "$argon2i$v=19$m=1024,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$vtPRhkTK7LiStk3lLH1T1IG7vML5FB2VHvER7o0FbEI"
    /// argon2d of the same password (m=1024, t=2, p=1).
    static let argon2dSamePassword =
        "$argon2d$v=19$m=1024,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$886Z7jHWSAGBF6/pQSs5ftmOWsSce92+07u1bH6fWCU"
    /// argon2id (m=1024, t=2, p=1) of "pässwörd-🔑" in NFC (U+00E4, U+00F6), UTF-8 encoded.
    static let nonASCIINFC =
        "$argon2id$v=19$m=1024,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$S6YoFJoUYD2sJDNEPj5H+YbSyvnNDfimXhlePumlROI"
    static let nonASCIIPasswordNFC = "p\u{E4}ssw\u{F6}rd-\u{1F511}"
    /// The same text with "ä" decomposed (a + U+0308), hashed by argon2-cffi to a different tag.
    static let nonASCIIPasswordNFD = "pa\u{308}ssw\u{F6}rd-\u{1F511}"
}

@Suite("Argon2id hashing with the default (OWASP minimum) parameters")
struct DefaultParameterTests {
    let hasher = Argon2idHasher()

    @Test("the defaults are m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte hash, and meet OWASP's minimum")
    func defaults() {
        let parameters = hasher.parameters
        #expect(parameters == .owaspMinimum)
        #expect(parameters.memoryKiB == 19_456)
        #expect(parameters.iterations == 2)
        #expect(parameters.parallelism == 1)
        #expect(parameters.saltLength == 16)
        #expect(parameters.hashLength == 32)
        #expect(parameters.meetsOWASPMinimum)
    }

    @Test("hash and verify round-trip; a wrong password does not verify; the encoding carries argon2id and the parameters")
    func roundTripOnDefaults() throws {
        let encoded = try hasher.hash("correct horse battery staple")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        #expect(fields.count == 6)
        #expect(fields.last.map(\.count) == 43)  // 32 bytes, unpadded base64
        #expect(fields.dropLast().last.map(\.count) == 22)  // 16 bytes
        #expect(hasher.verify("correct horse battery staple", against: encoded))
        #expect(!hasher.verify("correct horse battery stapler", against: encoded))
        #expect(!hasher.verify("Correct horse battery staple", against: encoded))
        #expect(!hasher.verify("", against: encoded))
        #expect(!hasher.needsRehash(encoded))
    }

    @Test("a hash made by another Argon2 implementation (argon2-cffi) verifies, and only for its password")
    func interoperatesWithReferenceVector() {
        #expect(hasher.verify(KnownAnswers.password, against: KnownAnswers.argon2idDefault))
        #expect(!hasher.verify(KnownAnswers.password + " ", against: KnownAnswers.argon2idDefault))
        #expect(!hasher.needsRehash(KnownAnswers.argon2idDefault))
    }

    @Test("dummyVerify costs about as much as a real verification (so unknown e-mails are not revealed by timing)")
    func dummyVerifyCostsAsMuchAsVerify() throws {
        let encoded = try hasher.hash("the real password")
        // The other suites run in parallel on few cores, so: interleave the two kinds of call (both see
        // the same load) and compare the fastest of each (the least disturbed run of the same work).
        // A dummy that skipped the work would be thousands of times faster; the bounds are loose on
        // purpose so that only that kind of difference fails.
        let clock = ContinuousClock()
        var real: [Duration] = []
        var dummy: [Duration] = []
        var cheap: [Duration] = []
        for _ in 0..<7 {
            real.append(clock.measure { _ = hasher.verify("a wrong password", against: encoded) })
            dummy.append(clock.measure { hasher.dummyVerify("a wrong password") })
            cheap.append(clock.measure { fastHasher.dummyVerify("a wrong password") })
        }
        let ratio = dummy.min()! / real.min()!
        #expect(ratio > 1.0 / 3 && ratio < 3, "dummy \(dummy.min()!) vs real \(real.min()!)")
        // The dummy follows the hasher's parameters: a cheap test hasher's is far faster, which also
        // shows the measurement above can tell work from no work.
        #expect(cheap.min()! < real.min()! / 4, "cheap \(cheap.min()!) vs real \(real.min()!)")
    }
}

@Suite("Argon2id hashing")
struct Argon2idHasherTests {
    @Test("two hashes of the same password differ (random salt) and both verify")
    func saltsDiffer() throws {
        let first = try fastHasher.hash("same password")
        let second = try fastHasher.hash("same password")
        #expect(first != second)
        let salts = [first, second].map { $0.split(separator: "$", omittingEmptySubsequences: false)[4] }
        #expect(salts[0] != salts[1])
        #expect(fastHasher.verify("same password", against: first))
        #expect(fastHasher.verify("same password", against: second))
    }

    @Test("the encoding carries the hasher's own parameters")
    func encodingCarriesParameters() throws {
        let hasher = Argon2idHasher(parameters: .init(memoryKiB: 2_048, iterations: 3, parallelism: 2, saltLength: 24, hashLength: 40))
        let encoded = try hasher.hash("parameters")
        #expect(encoded.hasPrefix("$argon2id$v=19$m=2048,t=3,p=2$"))
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        #expect(fields[4].count == 32)  // 24 bytes
        #expect(fields[5].count == 54)  // 40 bytes, unpadded
        #expect(hasher.verify("parameters", against: encoded))
        // Verification follows the stored parameters, not the verifier's.
        #expect(Argon2idHasher().verify("parameters", against: encoded))
    }

    @Test("long passwords are not truncated: 200+ characters round-trip, and a difference after byte 72 matters")
    func noTruncation() throws {
        let long = String(repeating: "abcdefghij", count: 25)  // 250 bytes
        #expect(long.utf8.count > 200)
        let encoded = try fastHasher.hash(long)
        #expect(fastHasher.verify(long, against: encoded))
        #expect(!fastHasher.verify(String(long.dropLast()), against: encoded))
        #expect(!fastHasher.verify(String(long.prefix(72)), against: encoded))

        // bcrypt would see these two as the same password: they share their first 72 bytes.
        let prefix = String(repeating: "x", count: 72)
        let first = prefix + "-first"
        let second = prefix + "-second"
        let firstEncoded = try fastHasher.hash(first)
        #expect(fastHasher.verify(first, against: firstEncoded))
        #expect(!fastHasher.verify(second, against: firstEncoded))
        #expect(!fastHasher.verify(prefix, against: firstEncoded))
        // And a single differing byte at position 100 (0-based) of 128.
        var bytes = Array(String(repeating: "q", count: 128).utf8)
        let base = String(decoding: bytes, as: UTF8.self)
        bytes[100] = UInt8(ascii: "r")
        let variant = String(decoding: bytes, as: UTF8.self)
        #expect(!fastHasher.verify(variant, against: try fastHasher.hash(base)))
    }

    @Test(
        "non-ASCII passwords round-trip as their exact UTF-8",
        arguments: [
            "pässwörd-🔑", "🙈🙉🙊🐵🐒🦍", "👨‍👩‍👧‍👦 family", "Z\u{351}\u{36B}\u{343}a\u{36A}l\u{316}g\u{30C}o\u{35B}", "пароль-密码-كلمة", "tab\tand\u{0}nul",
        ]
    )
    func nonASCIIRoundTrip(password: String) throws {
        let encoded = try fastHasher.hash(password)
        #expect(fastHasher.verify(password, against: encoded))
        #expect(!fastHasher.verify(password + " ", against: encoded))
        #expect(!fastHasher.verify(String(password.unicodeScalars.dropLast().map(Character.init)), against: encoded))
    }

    @Test("NFC and NFD forms are different passwords (hashed as received), though Swift's == calls them equal")
    func normalisationFormsDiffer() throws {
        let nfc = "caf\u{E9}"  // é as one scalar
        let nfd = "cafe\u{301}"  // e + combining acute
        #expect(nfc == nfd)  // canonical equivalence in Swift...
        #expect(Array(nfc.utf8) != Array(nfd.utf8))  // ...but different bytes.
        let encoded = try fastHasher.hash(nfc)
        #expect(fastHasher.verify(nfc, against: encoded))
        #expect(!fastHasher.verify(nfd, against: encoded))
        let decomposed = try fastHasher.hash(nfd)
        #expect(fastHasher.verify(nfd, against: decomposed))
        #expect(!fastHasher.verify(nfc, against: decomposed))

        // Same with an independent implementation's hash of an NFC password.
        #expect(fastHasher.verify(KnownAnswers.nonASCIIPasswordNFC, against: KnownAnswers.nonASCIINFC))
        #expect(!fastHasher.verify(KnownAnswers.nonASCIIPasswordNFD, against: KnownAnswers.nonASCIINFC))
    }

    /// Malformed variants of a valid encoding, built as a typed list (one literal with all of
    /// them is too much for the type checker).
    static let malformed: [String] = {
        let valid = KnownAnswers.argon2idDefault
        func swap(_ from: String, _ to: String) -> String { valid.replacingOccurrences(of: from, with: to) }
        let list: [String] = [
            "",
            "$",
            "garbage",
            "not a hash at all, but rather long: " + String(repeating: "$", count: 40),
            String(repeating: "A", count: 100_000),
            KnownAnswers.argon2iSamePassword,  // right password, argon2i
            KnownAnswers.argon2dSamePassword,  // right password, argon2d
            swap("$argon2id$", "$argon2i$"),
            swap("$argon2id$", "$argon2ID$"),
            swap("$argon2id$", "argon2id$"),
            swap("v=19$", ""),  // version missing (1.0 syntax)
            swap("v=19", "v=16"),
            swap("v=19", "v=+19"),
            swap("m=19456,t=2,p=1", "t=2,m=19456,p=1"),
            swap("m=19456,t=2,p=1", "m=19456,t=2"),
            swap("m=19456", "m=-19456"),
            swap("m=19456", "m=99999999999999999999"),
            swap("m=19456", "m="),
            swap("t=2", "t=0"),
            swap("p=1", "p=0"),
            swap("m=19456", "m=4"),  // below 8 KiB per lane
            swap("MDEyMzQ1Njc4OWFiY2RlZg", "MDEy"),  // 3-byte salt
            swap("MDEyMzQ1Njc4OWFiY2RlZg", "MDEyMzQ1Njc4OWFiY2RlZ!"),
            swap("MDEyMzQ1Njc4OWFiY2RlZg", ""),
            valid + "$extra",
            valid + "=",
            valid + "\u{0}trailing",
            String(valid.dropLast()),  // truncated tag (4n+1 base64 characters)
            String(valid.dropLast(3)),  // truncated tag that still decodes: 30 bytes, and Argon2 binds the tag length
            String(valid.dropLast(44)),  // tag gone
            String(valid.prefix(40)),  // cut inside the salt
            String(valid.prefix(20)),  // cut inside the parameters
        ]
        return list
    }()

    @Test("malformed or foreign encodings verify false without crashing", arguments: malformed)
    func malformedEncodings(encoded: String) {
        #expect(!Argon2idHasher().verify(KnownAnswers.password, against: encoded))
        #expect(Argon2idHasher().needsRehash(encoded))
    }

    @Test("stored costs just past the verification limits are refused before libargon2 allocates or loops")
    func excessiveCostsRefusedQuickly() {
        let swap = { (from: String, to: String) in KnownAnswers.argon2idDefault.replacingOccurrences(of: from, with: to) }
        // One step past each limit: without the check each would run (2 GiB of memory, 65 passes,
        // 65 threads) and take seconds in all; absurd values (m=2^32-1, t=2^32-1) are refused the same way.
        let excessive = [
            swap("m=19456,t=2", "m=2097152,t=1"), swap("t=2", "t=65"), swap("p=1", "p=65"),
            swap("m=19456,t=2", "m=4294967295,t=4294967295"),
        ]
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for encoded in excessive {
                #expect(!Argon2idHasher().verify(KnownAnswers.password, against: encoded))
            }
        }
        #expect(elapsed < .milliseconds(500))
    }

    @Test("needsRehash: weaker stored parameters need it, equal or stronger ones do not, lanes are not compared")
    func needsRehash() throws {
        let current = Argon2idHasher()
        #expect(!current.needsRehash(KnownAnswers.argon2idDefault))
        #expect(current.needsRehash(try fastHasher.hash("old")))  // m=1024, t=1
        let swap = { (from: String, to: String) in KnownAnswers.argon2idDefault.replacingOccurrences(of: from, with: to) }
        #expect(current.needsRehash(swap("m=19456", "m=19455")))
        #expect(current.needsRehash(swap("t=2", "t=1")))
        #expect(current.needsRehash(swap("m=19456,t=2", "m=47104,t=1")))  // OWASP-equivalent, but fewer passes
        #expect(!current.needsRehash(swap("m=19456,t=2", "m=65536,t=3")))
        #expect(!current.needsRehash(swap("p=1", "p=4")))
        // Shorter salt (8 bytes) or tag (16 bytes) than the current 16/32.
        #expect(current.needsRehash(swap("MDEyMzQ1Njc4OWFiY2RlZg", "MDEyMzQ1Njc")))
        #expect(current.needsRehash(swap("gy5SuVm5Z7Vw7keB9se9p87QGcomaseB/S2U1OhTsM0", "gy5SuVm5Z7Vw7keB9se9pw")))
        #expect(current.needsRehash(KnownAnswers.argon2iSamePassword))
        #expect(current.needsRehash(""))
        // A stronger current setting makes today's defaults need a rehash.
        let stronger = Argon2idHasher(parameters: .init(memoryKiB: 47_104, iterations: 2))
        #expect(stronger.needsRehash(KnownAnswers.argon2idDefault))
    }

    @Test("parameters libargon2 refuses throw Argon2Error from hash, and verification of such encodings is false")
    func invalidParametersThrow() {
        for parameters in [
            Argon2idHasher.Parameters(memoryKiB: 4),  // below 8 KiB per lane
            Argon2idHasher.Parameters(iterations: 0),
            Argon2idHasher.Parameters(parallelism: 0),
            Argon2idHasher.Parameters(saltLength: 4),  // below libargon2's 8-byte minimum
            Argon2idHasher.Parameters(hashLength: 2),
        ] {
            #expect(!parameters.meetsOWASPMinimum)
            let hasher = Argon2idHasher(parameters: parameters)
            #expect(throws: Argon2idHasher.Argon2Error.self) { try hasher.hash("password") }
            // dummyVerify must not trap either, even with parameters that cannot hash.
            hasher.dummyVerify("password")
        }
        do {
            _ = try Argon2idHasher(parameters: .init(memoryKiB: 4)).hash("x")
            Issue.record("expected an error")
        } catch let error as Argon2idHasher.Argon2Error {
            #expect(error.code < 0)
            #expect(error.description.contains("Argon2id hashing failed"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("meetsOWASPMinimum accepts OWASP's equivalent configurations and refuses weaker ones")
    func owaspMinimum() {
        typealias P = Argon2idHasher.Parameters
        for (m, t) in [(47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5), (65_536, 3)] as [(UInt32, UInt32)] {
            #expect(P(memoryKiB: m, iterations: t).meetsOWASPMinimum, "m=\(m) t=\(t)")
        }
        for (m, t) in [(47_103, 1), (19_455, 2), (19_456, 1), (12_288, 2), (7_167, 5), (1_024, 1)] as [(UInt32, UInt32)] {
            #expect(!P(memoryKiB: m, iterations: t).meetsOWASPMinimum, "m=\(m) t=\(t)")
        }
        #expect(!P(saltLength: 8).meetsOWASPMinimum)
        #expect(!P(hashLength: 16).meetsOWASPMinimum)
    }

    @Test("one hasher is safe to share across concurrent tasks")
    func concurrentUse() async throws {
        let hasher = fastHasher
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let password = "password number \(index)"
                    let encoded = try hasher.hash(password)
                    return hasher.verify(password, against: encoded) && !hasher.verify(password + "!", against: encoded)
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0 })
    }
}
