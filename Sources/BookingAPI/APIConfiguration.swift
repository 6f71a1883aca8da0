import Foundation

/// Everything the HTTP layer is configured with. Built from the environment by ``init(environment:)``
/// (names in the README), or directly in tests.
public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// nginx-style limits per client address; `nil` turns limiting off (`RATE_LIMIT_ENABLED=false`).
    public var authRateLimit: RateLimiter.Rule?
    public var apiRateLimit: RateLimiter.Rule?
    /// Peers allowed to name the client in `X-Forwarded-For` (exact addresses).
    public var trustedProxies: Set<String>
    /// The clock the rate limits read, in milliseconds since 1970; injectable so tests don't depend on timing.
    public var clock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    /// Origins browsers may call the API from (`CORS_ALLOWED_ORIGINS`, comma-separated); empty by default.
    public var corsAllowedOrigins: Set<String>
    /// Limits of the WebSocket notifier (frame size, inbound rate, outbound buffer, tickets, pings).
    public var notifier = NotifierConfiguration()

    public init(
        host: String = "127.0.0.1", port: Int = 8080, authRateLimit: RateLimiter.Rule? = .perMinute(5, burst: 5),
        apiRateLimit: RateLimiter.Rule? = .perSecond(10, burst: 20), trustedProxies: Set<String> = [],
        corsAllowedOrigins: Set<String> = []
    ) {
        self.corsAllowedOrigins = corsAllowedOrigins
        self.host = host
        self.port = port
        self.authRateLimit = authRateLimit
        self.apiRateLimit = apiRateLimit
        self.trustedProxies = trustedProxies
    }

    /// Reads `RATE_LIMIT_ENABLED`, `RATE_LIMIT_AUTH_PER_MINUTE`, `RATE_LIMIT_AUTH_BURST`,
    /// `RATE_LIMIT_API_PER_SECOND`, `RATE_LIMIT_API_BURST`, `TRUSTED_PROXIES` and `CORS_ALLOWED_ORIGINS`
    /// (both comma-separated), and the notifier's `NOTIFIER_OUTBOUND_BUFFER`, `NOTIFIER_PING_SECONDS`,
    /// `NOTIFIER_INBOUND_PER_SECOND` and `NOTIFIER_INBOUND_BURST`.
    /// Unparseable values are errors that name the variable, not silent defaults.
    public init(host: String, port: Int, environment: [String: String]) throws(ConfigurationError) {
        self.init(host: host, port: port)
        func integer(_ name: String, default value: Int64) throws(ConfigurationError) -> Int64 {
            guard let text = environment[name] else { return value }
            guard let number = Int64(text), number >= 0 else { throw ConfigurationError(variable: name, problem: "must be a whole number ≥ 0") }
            return number
        }
        switch environment["RATE_LIMIT_ENABLED"]?.lowercased() {
        case nil, "true", "1", "yes":
            authRateLimit = .perMinute(try integer("RATE_LIMIT_AUTH_PER_MINUTE", default: 5), burst: try integer("RATE_LIMIT_AUTH_BURST", default: 5))
            apiRateLimit = .perSecond(try integer("RATE_LIMIT_API_PER_SECOND", default: 10), burst: try integer("RATE_LIMIT_API_BURST", default: 20))
        case "false", "0", "no":
            authRateLimit = nil
            apiRateLimit = nil
        default:
            throw ConfigurationError(variable: "RATE_LIMIT_ENABLED", problem: "must be true or false")
        }
        func list(_ name: String) -> Set<String> {
            Set((environment[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        notifier.outboundBufferLimit = Int(try integer("NOTIFIER_OUTBOUND_BUFFER", default: Int64(notifier.outboundBufferLimit)))
        notifier.pingIntervalSeconds = Int(try integer("NOTIFIER_PING_SECONDS", default: Int64(notifier.pingIntervalSeconds)))
        notifier.inboundMessagesPerSecond = Double(try integer("NOTIFIER_INBOUND_PER_SECOND", default: Int64(notifier.inboundMessagesPerSecond)))
        notifier.inboundBurst = Double(try integer("NOTIFIER_INBOUND_BURST", default: Int64(notifier.inboundBurst)))
        if notifier.pingIntervalSeconds < 1 { throw ConfigurationError(variable: "NOTIFIER_PING_SECONDS", problem: "must be at least 1") }
        trustedProxies = list("TRUSTED_PROXIES")
        corsAllowedOrigins = list("CORS_ALLOWED_ORIGINS")
        for origin in corsAllowedOrigins where origin == "*" || !(origin.hasPrefix("https://") || origin.hasPrefix("http://")) {
            throw ConfigurationError(variable: "CORS_ALLOWED_ORIGINS", problem: "must list origins like https://app.example.com, not \"\(origin)\"")
        }
    }
}

/// A configuration value that can't be used, naming the variable.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var variable: String
    public var problem: String
    public var description: String { "\(variable) \(problem)" }
}
