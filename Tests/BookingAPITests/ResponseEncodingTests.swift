import Foundation
import Testing

@testable import BookingAPI

/// The hand-written output formats agree with what Foundation would have written.
@Suite struct ResponseEncodingTests {
    @Test func timesMatchFoundationsISO8601Format() {
        var generator = SystemRandomNumberGenerator()
        // The epoch, 1 March 2000 (after a leap day), 1 March 2100 (no leap day), the last second of
        // 9999, plus random instants across the range the API accepts.
        var samples: [Int64] = [0, 999, 951_868_800_000, 4_107_542_400_000, 253_402_300_799_999]
        for _ in 0..<20_000 { samples.append(Int64.random(in: ISO8601Time.supportedRange, using: &generator)) }
        for milliseconds in samples {
            let expected = Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
            #expect(ISO8601Time.string(milliseconds) == expected, "\(milliseconds)")
        }
    }

    @Test func moneyIsWrittenWithAtMostTwoDecimals() throws {
        let encoder = JSONEncoder()
        for (minor, text) in [(0, "0"), (5, "0.05"), (10, "0.1"), (1999, "19.99"), (2550, "25.5"), (10_000_000_000, "100000000")] {
            let json = String(decoding: try encoder.encode([Money(minorUnits: Int64(minor))]), as: UTF8.self)
            #expect(json == "[\(text)]", "\(minor)")
        }
        // Every cent value round-trips through the JSON text exactly.
        for minor in stride(from: Int64(0), through: 10_000_000_000, by: 7_919_993) {
            let json = try encoder.encode([Money(minorUnits: minor)])
            let decoded = try JSONDecoder().decode([Decimal].self, from: json)[0]
            #expect(decoded * 100 == Decimal(minor), "\(minor)")
        }
    }
}
