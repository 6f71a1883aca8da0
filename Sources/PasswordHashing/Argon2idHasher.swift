internal import CArgon2

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Hashes and verifies passwords with Argon2id through Debian's `libargon2` (the reference
/// implementation by the Argon2 authors), storing the standard PHC string
/// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` so the parameters travel with every hash and can
/// be raised later without a migration (see ``needsRehash(_:)``).
///
/// **Exactly as received.** A password is hashed as the UTF-8 bytes of the `String` given: no
/// truncation (unlike bcrypt, which silently ignores everything after byte 72, so two passwords
/// sharing a 72-byte prefix would be interchangeable), no trimming, no case folding and no Unicode
/// normalisation. NFC `"é"` (U+00E9) and NFD `"e\u{301}"` are therefore *different* passwords here,
/// even though Swift's `==` calls them equal: verification must compare what the user typed, and a
/// client that wants normalisation applies it (to NFC) before sending, on every device alike.
/// Long inputs cost nothing extra worth speaking of: Argon2 pre-hashes the password once with
/// BLAKE2b, so the memory-hard work does not grow with its length (``PasswordPolicy`` bounds new
/// passwords to 128 scalars, and the façade's body limit bounds what a login can send).
///
/// **Synchronous, CPU- and memory-heavy, thread-safe.** ``hash(_:)``, ``verify(_:against:)`` and
/// ``dummyVerify(_:)`` each run one Argon2id computation on the calling thread: tens of
/// milliseconds and `memoryKiB` of RAM (19 MiB by default) per call. Never call them on an event
/// loop; run them on a thread pool with bounded concurrency (the bound also caps the memory a login
/// storm can take). The value is immutable and `libargon2` keeps no global state, so one hasher may
/// be shared by any number of threads.
public struct Argon2idHasher: Sendable {
    /// The Argon2id cost parameters and sizes of a hash.
    ///
    /// The defaults are the OWASP Password Storage Cheat Sheet's minimum for Argon2id (m = 19 MiB,
    /// t = 2, p = 1), with RFC 9106's recommended 128-bit salt and 256-bit tag.
    public struct Parameters: Sendable, Equatable {
        /// Memory cost in KiB (`m`): what makes each guess expensive on GPUs and ASICs.
        public var memoryKiB: UInt32
        /// Number of passes over the memory (`t`).
        public var iterations: UInt32
        /// Number of lanes (`p`); `libargon2` runs one thread per lane. The total memory is shared
        /// by the lanes, so raising `p` does not raise an attacker's cost, only this server's threads.
        public var parallelism: UInt32
        /// Salt length in bytes; a fresh random salt per hash makes equal passwords hash differently.
        public var saltLength: UInt32
        /// Length in bytes of the derived tag stored in the PHC string.
        public var hashLength: UInt32

        /// Creates parameters; every argument defaults to the OWASP minimum (m=19456, t=2, p=1,
        /// 16-byte salt, 32-byte hash). Lower values are meant for tests only: check
        /// ``meetsOWASPMinimum`` before using a configured value in production.
        public init(
            memoryKiB: UInt32 = 19_456,
            iterations: UInt32 = 2,
            parallelism: UInt32 = 1,
            saltLength: UInt32 = 16,
            hashLength: UInt32 = 32
        ) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
            self.saltLength = saltLength
            self.hashLength = hashLength
        }

        /// The OWASP minimum, m=19456 (19 MiB), t=2, p=1, 16-byte salt, 32-byte hash.
        public static let owaspMinimum = Parameters()

        /// Whether these parameters are at least one of the OWASP cheat sheet's equivalent Argon2id
        /// configurations (m=47104/t=1, 19456/2, 12288/3, 9216/4 or 7168/5, each p ≥ 1) with a salt of
        /// at least 16 bytes and a hash of at least 32. The server should refuse or loudly warn at
        /// start when a configured value fails this: weaker settings are only for tests.
        public var meetsOWASPMinimum: Bool {
            let tiers: [(memoryKiB: UInt32, iterations: UInt32)] = [
                (47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5),
            ]
            let costOK = tiers.contains { memoryKiB >= $0.memoryKiB && iterations >= $0.iterations }
            return costOK && parallelism >= 1 && saltLength >= 16 && hashLength >= 32
        }
    }

    /// An error reported by `libargon2` while hashing (invalid parameters, or memory that could not be
    /// allocated). Verification never throws: every failure there is simply "no match".
    public struct Argon2Error: Error, Equatable, CustomStringConvertible {
        /// The `libargon2` error code (`ARGON2_*`, always negative).
        public let code: Int32
        /// `libargon2`'s own message for ``code``.
        public var description: String {
            "Argon2id hashing failed: \(String(cString: argon2_error_message(code))) (\(code))"
        }
    }

    /// The parameters used for new hashes, for ``dummyVerify(_:)``, and as the bar for ``needsRehash(_:)``.
    public let parameters: Parameters

    /// A well-formed hash with the current parameters that no password matches: a random salt and a
    /// random tag, so finding a password for it would be a preimage attack on Argon2id. Built
    /// without hashing, since verification only needs the parameters and salt to do the full work.
    let dummyEncoded: String

    /// Creates a hasher for `parameters` (the OWASP minimum by default). Cheap: no hashing happens
    /// here. Invalid parameters (e.g. memory below 8 × parallelism KiB) surface as an
    /// ``Argon2Error`` from the first ``hash(_:)``.
    public init(parameters: Parameters = .owaspMinimum) {
        self.parameters = parameters
        var generator = SystemRandomNumberGenerator()
        let salt = randomBytes(count: Int(parameters.saltLength), using: &generator)
        let tag = randomBytes(count: Int(parameters.hashLength), using: &generator)
        dummyEncoded = EncodedHash(
            variant: .argon2id, version: EncodedHash.version13,
            memoryKiB: parameters.memoryKiB, iterations: parameters.iterations,
            parallelism: parameters.parallelism, salt: salt, hash: tag
        ).encoded
    }

    /// Hashes `password` (its UTF-8 bytes, exactly as received) with a fresh salt from
    /// `SystemRandomNumberGenerator` (the OS CSPRNG) and returns the PHC string, e.g.
    /// `$argon2id$v=19$m=19456,t=2,p=1$<22 base64 chars>$<43 base64 chars>`.
    ///
    /// Synchronous and CPU-heavy (one full Argon2id run): call it off the event loop. Registration
    /// should hash even when the e-mail turns out to be taken, so both answers cost the same.
    /// - Throws: ``Argon2Error`` when `libargon2` refuses the parameters or cannot allocate memory.
    public func hash(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = randomBytes(count: Int(parameters.saltLength), using: &generator)
        // argon2_encodedlen counts the terminating NUL; the C side fails cleanly if it were short.
        let capacity = argon2_encodedlen(
            parameters.iterations, parameters.memoryKiB, parameters.parallelism,
            parameters.saltLength, parameters.hashLength, Argon2_id
        )
        var encoded = [CChar](repeating: 0, count: capacity + 1)
        var password = password
        let status = password.withUTF8 { bytes in
            salt.withUnsafeBytes { saltBytes in
                encoded.withUnsafeMutableBufferPointer { output in
                    argon2id_hash_encoded(
                        parameters.iterations, parameters.memoryKiB, parameters.parallelism,
                        bytes.baseAddress, bytes.count,
                        saltBytes.baseAddress, saltBytes.count,
                        Int(parameters.hashLength),
                        output.baseAddress, output.count
                    )
                }
            }
        }
        guard status == ARGON2_OK.rawValue else { throw Argon2Error(code: status) }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` (its UTF-8 bytes, exactly as received) matches the PHC string `encoded`.
    ///
    /// The work is done with the parameters stored in `encoded`, and `libargon2` compares the tags in
    /// constant time. Returns `false`, never traps, for anything that is not a well-formed
    /// `$argon2id$v=19$...` string: other variants (`argon2i`, `argon2d`), other versions, bad
    /// base64, truncation, values `libargon2` refuses, or costs beyond sane limits (more than 1 GiB
    /// of memory, 64 passes or 64 lanes, each limit raised to the current setting if that is higher),
    /// so a corrupted or planted record can make this neither allocate gigabytes nor run for
    /// minutes. Such input is rejected before any hashing, so it returns faster than a real
    /// verification (it is a data fault, not something a client can choose).
    ///
    /// Synchronous and CPU-heavy: call it off the event loop.
    public func verify(_ password: String, against encoded: String) -> Bool {
        guard let parsed = EncodedHash(parsing: encoded), parsed.variant == .argon2id,
            parsed.version == EncodedHash.version13, parsed.isWithinVerificationLimits(current: parameters)
        else { return false }
        var password = password
        let status = password.withUTF8 { bytes in
            encoded.withCString { argon2id_verify($0, bytes.baseAddress, bytes.count) }
        }
        return status == ARGON2_OK.rawValue
    }

    /// Spends the time and memory of one real verification with the current parameters, against a
    /// hash nothing matches. Call it whenever a login cannot succeed before hashing, chiefly for an
    /// unknown e-mail (and for an account without a password), then answer 401 "Invalid credentials"
    /// as for a wrong password: otherwise the response time would tell an attacker which e-mails
    /// have accounts.
    ///
    /// Synchronous and CPU-heavy by design: call it off the event loop, like ``verify(_:against:)``.
    public func dummyVerify(_ password: String) {
        // The result is always false; the C call is opaque to the optimiser, so it cannot be dropped.
        _ = verify(password, against: dummyEncoded)
    }

    /// Whether `encoded` should be replaced by a fresh ``hash(_:)`` at the next successful login
    /// (when the plaintext is at hand): true when it is not a readable Argon2id v1.3 hash, or when any
    /// of its memory, passes, salt length or hash length is below the current ``parameters``.
    /// Stronger stored values are kept; the lane count is not compared, because lanes share the
    /// memory and so do not change an attacker's cost. Cheap: it only parses the string.
    public func needsRehash(_ encoded: String) -> Bool {
        guard let parsed = EncodedHash(parsing: encoded), parsed.variant == .argon2id,
            parsed.version == EncodedHash.version13
        else { return true }
        return parsed.memoryKiB < parameters.memoryKiB
            || parsed.iterations < parameters.iterations
            || parsed.salt.count < Int(parameters.saltLength)
            || parsed.hash.count < Int(parameters.hashLength)
    }
}

/// `count` bytes from `generator`, eight at a time.
private func randomBytes(count: Int, using generator: inout SystemRandomNumberGenerator) -> [UInt8] {
    var bytes = [UInt8]()
    bytes.reserveCapacity(count + 8)
    while bytes.count < count {
        withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
    }
    return Array(bytes.prefix(count))
}
