import BookingDomain
import EventSourcing
import EventStoreLMDB
import Foundation

/// Loads an `audit export` into an empty store, reproducing every stored byte: the payload is
/// re-encoded from its JSON, the envelope fields are taken as exported, and the resulting hashes must
/// equal the exported ones. This is how the golden logs under `Fixtures/` are loaded, and how an
/// operator restores an export.
public enum EventImporter {
    /// Why an import stopped. Nothing after the bad line was written.
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

        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            let exported: ExportedEvent
            do {
                exported = try decoder.decode(ExportedEvent.self, from: Data(line))
            } catch {
                throw Failure(line: lineNumber, reason: "not an exported event: \(error)")
            }
            guard exported.recordedAtMilliseconds != nil else { throw Failure(line: lineNumber, reason: "recorded_at is not ISO 8601") }
            guard exported.stream == exported.payload.streamName, exported.type == exported.payload.kind.rawValue else {
                throw Failure(line: lineNumber, reason: "stream or type does not match the payload")
            }
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
}
