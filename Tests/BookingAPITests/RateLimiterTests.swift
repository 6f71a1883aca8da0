import BookingAPI
import Testing

@Suite struct RateLimiterTests {
    /// Admits requests at `times` (ms) and returns which were allowed.
    static func run(_ rule: RateLimiter.Rule, at times: [Int64]) -> [Bool] {
        var limiter = RateLimiter(rule: rule)
        return times.map { limiter.admit("client", nowMilliseconds: $0) == .allowed }
    }

    @Test func authAdmitsSixAtOnceThenOnePerTwelveSeconds() {
        let auth = RateLimiter.Rule.perMinute(5, burst: 5)
        #expect(auth.ratePerMillisecondThousandths == 83)
        #expect(Self.run(auth, at: Array(repeating: 0, count: 8)) == [true, true, true, true, true, true, false, false])
        // After the burst, one more only once 1000/83 s ≈ 12.049 s have drained a whole request.
        #expect(Self.run(auth, at: Array(repeating: 0, count: 6) + [12_000, 12_048, 12_049]) == [true, true, true, true, true, true, false, false, true])
    }

    @Test func apiAdmitsTwentyOneAtOnceThenOnePerHundredMilliseconds() {
        let api = RateLimiter.Rule.perSecond(10, burst: 20)
        #expect(Self.run(api, at: Array(repeating: 0, count: 22)) == Array(repeating: true, count: 21) + [false])
        let after = Array(repeating: Int64(0), count: 21) + [99, 100, 150, 200]
        #expect(Self.run(api, at: after) == Array(repeating: true, count: 21) + [false, true, false, true])
    }

    @Test func refusedRequestsDoNotCount() {
        var limiter = RateLimiter(rule: .perSecond(10, burst: 0))
        #expect(limiter.admit("a", nowMilliseconds: 0) == .allowed)
        for time in stride(from: Int64(1), to: 100, by: 10) { #expect(limiter.admit("a", nowMilliseconds: time) != .allowed) }
        #expect(limiter.admit("a", nowMilliseconds: 100) == .allowed)
    }

    @Test func keysAreIndependentAndRetryAfterIsHonest() {
        var limiter = RateLimiter(rule: .perMinute(5, burst: 5))
        for _ in 0..<6 { #expect(limiter.admit("a", nowMilliseconds: 0) == .allowed) }
        #expect(limiter.admit("b", nowMilliseconds: 0) == .allowed)
        guard case .limited(let retryAfter) = limiter.admit("a", nowMilliseconds: 0) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(retryAfter == 13)
        #expect(limiter.admit("a", nowMilliseconds: (retryAfter - 1) * 1000) != .allowed)
        #expect(limiter.admit("a", nowMilliseconds: retryAfter * 1000) == .allowed)
    }

    @Test func memoryIsBoundedWithoutChangingDecisions() {
        var limiter = RateLimiter(rule: .perSecond(10, burst: 20), capacity: 100)
        for index in 0..<1_000 { _ = limiter.admit("client-\(index)", nowMilliseconds: Int64(index) * 1_000) }
        #expect(limiter.trackedKeys <= 101)
    }

    @Test func aFloodOfNewAddressesCannotGrowTheTable() {
        // 5 per minute: an entry takes a minute to drain, so 10,000 addresses in 10 s all stay active.
        var limiter = RateLimiter(rule: .perMinute(5, burst: 5), capacity: 100)
        // Two requests each, so every address has something left to drain (a single request leaves none).
        var refused = 0
        for index in 0..<10_000 {
            let first = limiter.admit("flood-\(index)", nowMilliseconds: Int64(index))
            let second = limiter.admit("flood-\(index)", nowMilliseconds: Int64(index))
            if first != .allowed || second != .allowed { refused += 1 }
        }
        #expect(limiter.trackedKeys == 100)
        #expect(refused == 9_900, "new addresses are refused while the table is full of active ones")
        #expect(limiter.admit("flood-0", nowMilliseconds: 10_000) == .allowed, "a known address keeps its own limit")
        // Once the entries have drained, new addresses are admitted again and the table stays bounded.
        #expect(limiter.admit("late-comer", nowMilliseconds: 200_000) == .allowed)
        #expect(limiter.trackedKeys <= 100)
    }
}
