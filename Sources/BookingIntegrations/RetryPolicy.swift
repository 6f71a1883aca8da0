/// How long a worker keeps trying one delivery: exponential backoff with full jitter, honouring the
/// receiver's `Retry-After`, up to a budget of attempts.
///
/// Full jitter (a uniformly random wait between zero and the exponential ceiling, as AWS's
/// "Exponential Backoff and Jitter" recommends) spreads the retries of many events over the window,
/// so a receiver that comes back is not hit by all of them at once.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included; after the last failed one the delivery is parked.
    public var maxAttempts: Int
    /// The ceiling of the first wait; doubles with each attempt.
    public var baseDelay: Duration
    /// The largest ceiling a wait can have.
    public var maxDelay: Duration
    /// The longest `Retry-After` honoured; a longer one is cut to this, so a receiver can't stall a
    /// subscriber for days.
    public var maxRetryAfter: Duration

    /// The defaults: 8 attempts with ceilings of 5 s, 10 s, 20 s ... capped at 5 min: at most about
    /// 10 minutes between the first and the last attempt, about 5 on average.
    public init(
        maxAttempts: Int = 8, baseDelay: Duration = .seconds(5), maxDelay: Duration = .seconds(300),
        maxRetryAfter: Duration = .seconds(3_600)
    ) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// The exponential ceiling of the wait after failed attempt number `attempt` (1-based).
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let doublings = min(max(attempt - 1, 0), 40)
        let nanoseconds = Double(baseDelay.nanoseconds) * Double(UInt64(1) << UInt64(doublings))
        return .nanoseconds(Int64(min(nanoseconds, Double(maxDelay.nanoseconds))))
    }

    /// The wait before the next attempt: the receiver's `Retry-After` when it gave one (capped by
    /// ``maxRetryAfter``), otherwise a random point in `0...ceiling`.
    public func delay(
        afterAttempt attempt: Int, retryAfter: Duration?, using generator: inout some RandomNumberGenerator
    ) -> Duration {
        if let retryAfter { return min(max(retryAfter, .zero), maxRetryAfter) }
        let ceiling = ceiling(afterAttempt: attempt).nanoseconds
        guard ceiling > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...ceiling, using: &generator))
    }
}

extension Duration {
    /// Whole nanoseconds (saturating far beyond any delay used here).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Whole milliseconds.
    var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
