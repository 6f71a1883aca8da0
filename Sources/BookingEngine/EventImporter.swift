import BookingDomain
import EventSourcing
import EventStoreLMDB
import Foundation

/// Loads an `audit export` into an empty store, reproducing every stored byte: the payload is
/// re-encoded from its JSON, the envelope fields are taken as exported, and the resulting hashes must
/// equal the exported ones. This is how the golden logs under `Fixtures/` are loaded, and how an
/// operator restores an export.
///
/// All or nothing: every line is decoded and its chain hash recomputed before the first write, so a
/// file that is cut short, altered, reordered or not an export at all leaves the store empty.
public enum EventImporter {
    /// Why an import stopped, naming the line (1-based; empty lines count). Nothing was written.
    public struct Failure: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Imports every line; returns the number of events written.
    @discardableResult
    public static func importLines(_ data: Data, into log: LMDBEventLog) async throws -> Int {
        guard try await log.headPosition() == 0 else { throw Failure(line: 0, reason: "the target store is not empty") }
        let decoder = ExportedEvent.makeDecoder()
        let codec = BookingEventCodec()

        // First pass, writing nothing. The log checks hashes only as it appends, and appends in batches,
        // so without it a bad line 5,000 (or a bad hash anywhere) would leave the events before it stored.
        var chain = ChainCheck(codec: codec)
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard let exported = try decodeLine(line, number: lineNumber, decoder: decoder) else { continue }
            try chain.check(exported, line: lineNumber)
        }

        var pending: [(line: Int, event: ExportedEvent)] = []
        var requests: [(lines: [Int], exported: [ExportedEvent], request: AppendRequest)] = []
        var imported = 0

        func flush() async throws {
            guard !requests.isEmpty else { return }
            let results = try await log.append(requests.map(\.request))
            for (result, source) in zip(results, requests) {
                guard case .appended(let records) = result else {
                    throw Failure(line: source.lines[0], reason: "not appended: \(result)")
                }
                for (index, (record, exported)) in zip(records, source.exported).enumerated() {
                    let line = source.lines[index]
                    guard record.position == exported.position else {
                        throw Failure(line: line, reason: "position \(exported.position) would be stored at \(record.position)")
                    }
                    guard record.version == exported.version else {
                        throw Failure(line: line, reason: "stream version \(exported.version) would be stored as \(record.version)")
                    }
                    guard record.hash.hexString == exported.hash, record.previousHash.hexString == exported.prevHash else {
                        throw Failure(line: line, reason: "hash differs from the exported one: the line was altered or is from another log")
                    }
                }
                imported += records.count
            }
            requests.removeAll(keepingCapacity: true)
        }

        func closeRequest() {
            guard let first = pending.first?.event else { return }
            guard let recordedAt = first.recordedAtMilliseconds else { return }
            let events = pending.map { entry in
                let encoded = codec.encode(entry.event.payload)
                return ProposedEvent(
                    eventID: entry.event.eventID, stream: entry.event.stream, type: encoded.type, schemaVersion: encoded.schemaVersion,
                    payload: encoded.payload)
            }
            let metadata = EventMetadata(
                actor: first.actor, correlationID: first.correlationID, causationID: first.causationID, idempotencyKey: first.idempotencyKey)
            requests.append((pending.map(\.line), pending.map(\.event), AppendRequest(events: events, metadata: metadata, recordedAt: recordedAt)))
            pending.removeAll()
        }

        lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard let exported = try decodeLine(line, number: lineNumber, decoder: decoder) else { continue }
            // Events one request wrote together share its idempotency key; they must be written together
            // again so the key maps to all of them.
            if let previous = pending.last?.event,
                previous.idempotencyKey == nil || previous.idempotencyKey != exported.idempotencyKey
                    || previous.recordedAt != exported.recordedAt
            {
                closeRequest()
            }
            pending.append((lineNumber, exported))
            if requests.count >= 1000 { try await flush() }
        }
        closeRequest()
        try await flush()
        return imported
    }

    /// One line as an exported event; `nil` for an empty line.
    private static func decodeLine(_ line: Data.SubSequence, number: Int, decoder: JSONDecoder) throws(Failure) -> ExportedEvent? {
        if line.isEmpty { return nil }
        let exported: ExportedEvent
        do {
            exported = try decoder.decode(ExportedEvent.self, from: Data(line))
        } catch {
            throw Failure(line: number, reason: "not an exported event: \(error)")
        }
        guard exported.recordedAtMilliseconds != nil else { throw Failure(line: number, reason: "recorded_at is not ISO 8601") }
        guard exported.stream == exported.payload.streamName, exported.type == exported.payload.kind.rawValue else {
            throw Failure(line: number, reason: "stream or type does not match the payload")
        }
        return exported
    }

    /// Recomputes, line by line, what the log would store: position, stream version, and the chain hash
    /// of the body as `LMDBEventLog` encodes it (with the metadata of the request the event is grouped
    /// into, as below).
    private struct ChainCheck {
        let codec: BookingEventCodec
        var position: Int64 = 0
        var previousHash = EventRecordFormat.genesisHash
        var versions: [String: Int64] = [:]
        var idempotencyKeys: Set<String> = []
        var groupFirst: ExportedEvent?

        mutating func check(_ exported: ExportedEvent, line: Int) throws(Failure) {
            guard exported.position == position + 1 else {
                throw Failure(line: line, reason: "position \(exported.position) where \(position + 1) was expected")
            }
            guard exported.prevHash == previousHash.hexString else {
                throw Failure(line: line, reason: "prev_hash does not link to the line before: lines missing, reordered or from another log")
            }
            let version = versions[exported.stream, default: 0] + 1
            guard exported.version == version else {
                throw Failure(line: line, reason: "stream version \(exported.version) where \(version) was expected")
            }
            // The same grouping as `closeRequest()`: one request per idempotency key and time.
            let continuesGroup =
                groupFirst.map { $0.idempotencyKey != nil && $0.idempotencyKey == exported.idempotencyKey && $0.recordedAt == exported.recordedAt }
                ?? false
            if !continuesGroup {
                groupFirst = exported
                if let key = exported.idempotencyKey, !idempotencyKeys.insert(key).inserted {
                    throw Failure(line: line, reason: "idempotency key used by an earlier request")
                }
            }
            let first = groupFirst ?? exported
            let encoded = codec.encode(exported.payload)
            let body = EventRecordFormat.encodeBody(
                position: exported.position, eventID: exported.eventID, recordedAt: exported.recordedAtMilliseconds ?? 0, version: version,
                event: ProposedEvent(
                    eventID: exported.eventID, stream: exported.stream, type: encoded.type, schemaVersion: encoded.schemaVersion,
                    payload: encoded.payload),
                metadata: EventMetadata(
                    actor: first.actor, correlationID: first.correlationID, causationID: first.causationID, idempotencyKey: first.idempotencyKey))
            let hash = EventRecordFormat.chainHash(previousHash: previousHash, body: body)
            guard hash.hexString == exported.hash else {
                throw Failure(line: line, reason: "hash differs from the exported one: the line was altered or is from another log")
            }
            position = exported.position
            previousHash = hash
            versions[exported.stream] = version
        }
    }
}
