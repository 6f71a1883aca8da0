/// A whole-number setting from the environment: `value` when unset, an error naming the variable when
/// it is not a number in `range`.
func environmentInteger(
    _ environment: [String: String], _ name: String, default value: Int, in range: ClosedRange<Int>
) throws(IntegrationConfigurationError) -> Int {
    guard let text = environment[name], !text.isEmpty else { return value }
    guard let number = Int(text), range.contains(number) else {
        throw IntegrationConfigurationError(variable: name, problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return number
}

extension RetryPolicy {
    /// The policy from `{PREFIX}_MAX_ATTEMPTS` (8), `{PREFIX}_RETRY_BASE_MS` (5,000) and
    /// `{PREFIX}_RETRY_MAX_MS` (300,000), each subscriber with its own figures.
    public init(environment: [String: String], prefix: String) throws(IntegrationConfigurationError) {
        self.init()
        maxAttempts = try environmentInteger(environment, "\(prefix)_MAX_ATTEMPTS", default: maxAttempts, in: 1...100)
        baseDelay = .milliseconds(try environmentInteger(environment, "\(prefix)_RETRY_BASE_MS", default: 5_000, in: 1...3_600_000))
        maxDelay = .milliseconds(try environmentInteger(environment, "\(prefix)_RETRY_MAX_MS", default: 300_000, in: 1...86_400_000))
    }
}
