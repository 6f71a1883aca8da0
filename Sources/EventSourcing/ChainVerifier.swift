/// Checks a log record by record: positions gap-free from 1, keys matching stored positions, every
/// record well-formed, every hash linking to the one before and matching the stored bytes, every
/// payload decodable. Feed it records in key order; it remembers the first problem.
public struct ChainVerifier {
    /// What was wrong at a position.
    public enum Problem: Hashable, Sendable, CustomStringConvertible {
        /// A position is missing (the log skips from one position to a later one).
        case gap(expected: Int64, found: Int64)
        /// The record stored under a key claims another position.
        case positionMismatch(key: Int64, stored: Int64)
        /// The record's bytes don't parse.
        case malformed(String)
        /// `previousHash` is not the hash of the record before.
        case brokenLink
        /// The hash does not match the stored bytes (they were changed).
        case hashMismatch
        /// The payload does not decode as its type and schema version.
        case undecodablePayload(String)

        public var description: String {
            switch self {
            case .gap(let expected, let found): "gap: expected position \(expected), found \(found)"
            case .positionMismatch(let key, let stored): "record under key \(key) claims position \(stored)"
            case .malformed(let reason): "malformed record: \(reason)"
            case .brokenLink: "previous hash does not match the hash of the record before"
            case .hashMismatch: "hash does not match the stored bytes"
            case .undecodablePayload(let reason): "payload does not decode: \(reason)"
            }
        }
    }

    /// The first problem found and where.
    public struct Failure: Hashable, Sendable, CustomStringConvertible {
        public var position: Int64
        public var problem: Problem
        public var description: String { "position \(position): \(problem)" }
    }

    /// Records checked so far.
    public private(set) var checked: Int64 = 0
    /// The position the next record must have.
    public private(set) var expectedPosition: Int64 = 1
    /// The hash of the last good record.
    public private(set) var lastHash: [UInt8] = EventRecordFormat.genesisHash
    /// The first problem, once found; checking stops there.
    public private(set) var failure: Failure?
    /// For a verifier that starts mid-log without knowing the hash before it: the previous hash its
    /// first record claims, to be checked against the preceding range's last hash (see ``join(_:)``).
    public private(set) var claimedStartHash: [UInt8]?
    private var trustsFirstLink = false

    /// Starts at position 1 with the genesis hash.
    public init() {}

    /// Starts at `position`, taking the first record's previous hash on trust; ``join(_:)`` checks it
    /// later against the range before. This is what lets verification run on several threads.
    public init(startingAt position: Int64) {
        expectedPosition = position
        trustsFirstLink = true
    }

    /// Combines this verifier (the earlier range, finished) with the one for the range right after it
    /// (also finished): the first problem in log order wins, and the link between the ranges is checked.
    public func join(_ next: ChainVerifier) -> ChainVerifier {
        if failure != nil { return self }
        guard let claimed = next.claimedStartHash else {
            // The later range read no good first record: it was empty, or failed on its first record.
            return next.failure == nil ? self : next.adding(checked: checked)
        }
        guard claimed == lastHash else {
            var broken = self
            broken.failure = Failure(position: expectedPosition, problem: .brokenLink)
            return broken
        }
        return next.adding(checked: checked)
    }

    private func adding(checked earlier: Int64) -> ChainVerifier {
        var result = self
        result.checked += earlier
        return result
    }

    /// Checks the next record. Returns `false` once a problem was found (so a scan can stop).
    public mutating func check(
        key: Int64, record: UnsafeRawBufferPointer, decodePayload: (RecordView) throws -> Void
    ) -> Bool {
        guard failure == nil else { return false }
        guard key == expectedPosition else {
            return fail(at: min(key, expectedPosition), .gap(expected: expectedPosition, found: key))
        }
        let view: RecordView
        do {
            view = try RecordView(parsing: record)
        } catch {
            return fail(at: key, .malformed(error.description))
        }
        guard view.position == key else { return fail(at: key, .positionMismatch(key: key, stored: view.position)) }
        if trustsFirstLink {
            trustsFirstLink = false
            claimedStartHash = Array(view.previousHash)
            lastHash = Array(view.previousHash)
        }
        guard view.previousHash.elementsEqual(lastHash) else { return fail(at: key, .brokenLink) }
        let computed = EventRecordFormat.chainHash(previousHash: view.previousHash, body: view.body)
        guard computed.elementsEqual(view.hash) else { return fail(at: key, .hashMismatch) }
        do {
            try decodePayload(view)
        } catch {
            return fail(at: key, .undecodablePayload(String(describing: error)))
        }
        lastHash = computed
        expectedPosition += 1
        checked += 1
        return true
    }

    /// Declares the end of the log: a log whose head is beyond what was scanned is truncated.
    public mutating func finish(expectedHead: Int64?) {
        guard failure == nil, let expectedHead, expectedHead >= expectedPosition else { return }
        _ = fail(at: expectedPosition, .gap(expected: expectedPosition, found: expectedHead + 1))
    }

    private mutating func fail(at position: Int64, _ problem: Problem) -> Bool {
        failure = Failure(position: position, problem: problem)
        return false
    }
}
