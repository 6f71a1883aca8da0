import EventSourcing
import Foundation
import Testing

@Suite struct ChainVerifierTests {
    /// A chain of `count` sealed records.
    static func chain(_ count: Int) -> [[UInt8]] {
        var previous = EventRecordFormat.genesisHash
        return (1...count).map { position in
            let event = ProposedEvent(eventID: UUID.random(), stream: "s-\(position % 3 + 1)", type: "t", schemaVersion: 1, payload: [UInt8(position & 0xFF)])
            let body = EventRecordFormat.encodeBody(
                position: Int64(position), eventID: event.eventID, recordedAt: 1, version: 1, event: event, metadata: EventMetadata(actor: "a"))
            let (record, hash) = EventRecordFormat.seal(body: body, previousHash: previous)
            previous = hash
            return record
        }
    }

    static func verify(_ records: [(key: Int64, bytes: [UInt8])], head: Int64, split: Int64?) -> ChainVerifier {
        func run(_ verifier: inout ChainVerifier, after: Int64, through: Int64) {
            for record in records where record.key > after && record.key <= through {
                let keepGoing = record.bytes.withUnsafeBytes { verifier.check(key: record.key, record: $0) { _ in } }
                if !keepGoing { break }
            }
            verifier.finish(expectedHead: through)
        }
        var first = ChainVerifier()
        guard let split else {
            run(&first, after: 0, through: head)
            return first
        }
        var second = ChainVerifier(startingAt: split + 1)
        run(&first, after: 0, through: split)
        run(&second, after: split, through: head)
        return first.join(second)
    }

    @Test func intactChainVerifiesWhateverTheSplit() {
        let records = Self.chain(9).enumerated().map { (Int64($0.offset + 1), $0.element) }
        for split in [nil] + (0...9).map(Int64.init) {
            let result = Self.verify(records, head: 9, split: split)
            #expect(result.failure == nil, "split \(String(describing: split))")
            #expect(result.checked == 9)
        }
    }

    /// Every kind of damage at every position is reported at the same position, split or not.
    @Test(arguments: ["flip", "drop", "swap", "relink"])
    func damageIsFoundAtTheSamePositionWhateverTheSplit(damage: String) {
        for target in 1...9 {
            var records = Self.chain(9).enumerated().map { (key: Int64($0.offset + 1), bytes: $0.element) }
            switch damage {
            case "flip": records[target - 1].bytes[30] ^= 0x01
            case "drop": records.remove(at: target - 1)
            case "swap" where target < 9: records.swapAt(target - 1, target)
            case "relink":
                // A record re-sealed over a wrong previous hash: its own hash matches, the link doesn't.
                let view = records[target - 1].bytes
                let body = Array(view[0..<(view.count - 64)])
                records[target - 1].bytes = EventRecordFormat.seal(body: body, previousHash: [UInt8](repeating: 7, count: 32)).record
            default: continue
            }
            if damage == "swap" { records[target - 1].key = Int64(target); records[target].key = Int64(target + 1) }
            let sequential = Self.verify(records, head: 9, split: nil)
            #expect(sequential.failure != nil, "\(damage) at \(target) went unnoticed")
            for split in (0...9).map(Int64.init) {
                let parallel = Self.verify(records, head: 9, split: split)
                #expect(parallel.failure?.position == sequential.failure?.position, "\(damage) at \(target), split \(split)")
            }
        }
    }
}
