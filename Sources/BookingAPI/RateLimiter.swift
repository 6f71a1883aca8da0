/// nginx's `limit_req ... nodelay`, reproduced exactly (ngx_http_limit_req_module.c).
///
/// Per key it keeps `excess`, in thousandths of a request, and the time of the last admitted request.
/// A request arriving `ms` later sets `excess = max(0, excess − rate·ms/1000 + 1000)` and is refused
/// when that exceeds `burst·1000`; a refused request changes nothing. The first request from a key
/// starts at 0, so `burst + 1` requests pass at once and then one per `1/rate`: with the predecessor's
/// figures, auth admits 6 at once and then one per 12 s, the API 21 at once and then one per 100 ms.
/// Rates are kept as nginx keeps them, in requests per 1000 s truncated to an integer (5 r/m is 83).
public struct RateLimiter: Sendable {
    /// A rate and burst, as written in an nginx `limit_req_zone` / `limit_req` pair.
    public struct Rule: Sendable, Equatable {
        /// Requests per 1000 seconds (nginx's internal unit): `10r/s` is 10,000, `5r/m` is 83.
        public var ratePerMillisecondThousandths: Int64
        /// Extra requests admitted at once.
        public var burst: Int64

        /// `requests` per second with a burst.
        public static func perSecond(_ requests: Int64, burst: Int64) -> Rule {
            Rule(ratePerMillisecondThousandths: requests * 1000, burst: burst)
        }

        /// `requests` per minute with a burst (nginx truncates `requests * 1000 / 60`).
        public static func perMinute(_ requests: Int64, burst: Int64) -> Rule {
            Rule(ratePerMillisecondThousandths: requests * 1000 / 60, burst: burst)
        }
    }

    /// What the limiter decided.
    public enum Decision: Equatable, Sendable {
        case allowed
        /// Refused; the client may retry after this many whole seconds.
        case limited(retryAfterSeconds: Int64)
    }

    private struct Entry {
        var excess: Int64
        var lastMilliseconds: Int64
    }

    public let rule: Rule
    /// How many keys to remember before forgetting the ones whose excess has drained (they'd be
    /// treated exactly like new keys anyway, so forgetting them changes no decision). When every
    /// remembered key is still draining, new keys are refused until some have drained.
    public let capacity: Int
    private var entries: [String: Entry] = [:]
    private var lastSweepMilliseconds = Int64.min / 2

    public init(rule: Rule, capacity: Int = 100_000) {
        self.rule = rule
        self.capacity = capacity
    }

    /// Keys currently remembered.
    public var trackedKeys: Int { entries.count }

    /// Decides on one request from `key` at `nowMilliseconds`.
    public mutating func admit(_ key: String, nowMilliseconds now: Int64) -> Decision {
        guard var entry = entries[key] else {
            if entries.count >= capacity {
                // Sweeping is O(keys), so at most once a second; a flood from more addresses than
                // `capacity` within one drain period is refused for new addresses rather than let the
                // table (and the sweeps) grow without bound. Known addresses keep their own limits.
                if now - lastSweepMilliseconds >= 1000 || now < lastSweepMilliseconds {
                    forgetDrained(nowMilliseconds: now)
                    lastSweepMilliseconds = now
                }
                if entries.count >= capacity { return .limited(retryAfterSeconds: 1) }
            }
            entries[key] = Entry(excess: 0, lastMilliseconds: now)
            return .allowed
        }
        var elapsed = now - entry.lastMilliseconds
        if elapsed < -60_000 { elapsed = 1 } else if elapsed < 0 { elapsed = 0 }
        let excess = max(0, entry.excess - rule.ratePerMillisecondThousandths * elapsed / 1000 + 1000)
        guard excess <= rule.burst * 1000 else {
            // Time until the stored excess drains enough for one more request to fit.
            let needed = entry.excess + 1000 - rule.burst * 1000
            let waitMilliseconds = max(0, needed * 1000 / max(rule.ratePerMillisecondThousandths, 1) - elapsed)
            return .limited(retryAfterSeconds: max(1, (waitMilliseconds + 999) / 1000))
        }
        entry.excess = excess
        if elapsed != 0 { entry.lastMilliseconds = now }
        entries[key] = entry
        return .allowed
    }

    private mutating func forgetDrained(nowMilliseconds now: Int64) {
        entries = entries.filter { _, entry in
            entry.excess - rule.ratePerMillisecondThousandths * max(0, now - entry.lastMilliseconds) / 1000 > 0
        }
    }
}
