import Foundation

/// The CRM webhook's settings, from the environment (the predecessor's `CRM_SERVICE_URL` and
/// `CRM_BEARER_TOKEN`, plus the signing secret and retry figures).
///
/// Rules: no `CRM_SERVICE_URL` → the subscriber is off. With it, a bearer token is required (the
/// predecessor's CRM refuses requests without one). `CRM_WEBHOOK_SECRET` (`whsec_` + base64 of 24 to
/// 64 bytes) signs every request; production refuses to start without it and refuses a plain
/// `http://` URL to anything but loopback, since the bearer token would travel in clear.
/// Development generates a secret once and keeps it in `DATA-DIR/secrets/crm-webhook-secret`
/// (mode 0600), where the operator of a test CRM can read it.
public struct CRMConfiguration: Sendable {
    /// Where notifications go: `{serviceURL}/api/booking-notification`.
    public var serviceURL: String
    /// Sent as `Authorization: Bearer ...`.
    public var bearerToken: String
    /// The Standard Webhooks secret (`whsec_...`).
    public var webhookSecret: String
    /// Retry budget and backoff.
    public var retry: RetryPolicy
    /// Time allowed to open the TCP connection.
    public var connectTimeout: Duration
    /// Time allowed for the whole request, from sending to the end of the response.
    public var requestTimeout: Duration

    /// The full notification URL.
    public var notificationURL: String {
        (serviceURL.hasSuffix("/") ? String(serviceURL.dropLast()) : serviceURL) + "/api/booking-notification"
    }

    /// Creates a configuration directly (tests, benchmarks).
    public init(
        serviceURL: String, bearerToken: String, webhookSecret: String, retry: RetryPolicy = RetryPolicy(),
        connectTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(10)
    ) {
        self.serviceURL = serviceURL
        self.bearerToken = bearerToken
        self.webhookSecret = webhookSecret
        self.retry = retry
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
    }

    /// Reads the environment; `nil` when `CRM_SERVICE_URL` is unset (the subscriber is off).
    ///
    /// - Parameters:
    ///   - bearerToken: `CRM_BEARER_TOKEN` as the secrets configuration already checked it (length, published defaults).
    ///   - isProduction: whether `BOOKING_ENV=production`.
    ///   - dataDirectory: where the development signing secret is kept.
    public static func fromEnvironment(
        _ environment: [String: String], bearerToken: String?, isProduction: Bool, dataDirectory: String
    ) throws(IntegrationConfigurationError) -> CRMConfiguration? {
        guard let url = environment["CRM_SERVICE_URL"], !url.isEmpty else { return nil }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty
        else { throw IntegrationConfigurationError(variable: "CRM_SERVICE_URL", problem: "must be an http or https URL") }
        if isProduction, scheme == "http", !["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()) {
            throw IntegrationConfigurationError(
                variable: "CRM_SERVICE_URL", problem: "must use https in production (the bearer token would travel in clear)")
        }
        guard let bearerToken, !bearerToken.isEmpty else {
            throw IntegrationConfigurationError(variable: "CRM_BEARER_TOKEN", problem: "is required when CRM_SERVICE_URL is set")
        }
        let secret: String
        if let given = environment["CRM_WEBHOOK_SECRET"], !given.isEmpty {
            guard WebhookSigner(secret: given) != nil else {
                throw IntegrationConfigurationError(
                    variable: "CRM_WEBHOOK_SECRET", problem: "must be whsec_ followed by the base64 of at least 24 random bytes")
            }
            secret = given
        } else if isProduction {
            throw IntegrationConfigurationError(variable: "CRM_WEBHOOK_SECRET", problem: "is required in production when CRM_SERVICE_URL is set")
        } else {
            secret = try developmentSecret(in: dataDirectory)
        }
        let retry = try RetryPolicy(environment: environment, prefix: "CRM")
        return CRMConfiguration(
            serviceURL: url, bearerToken: bearerToken, webhookSecret: secret, retry: retry,
            connectTimeout: .milliseconds(try environmentInteger(environment, "CRM_CONNECT_TIMEOUT_MS", default: 5_000, in: 1...300_000)),
            requestTimeout: .milliseconds(try environmentInteger(environment, "CRM_TIMEOUT_MS", default: 10_000, in: 1...300_000)))
    }

    private static func developmentSecret(in dataDirectory: String) throws(IntegrationConfigurationError) -> String {
        let directory = dataDirectory + "/secrets"
        let path = directory + "/crm-webhook-secret"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            WebhookSigner(secret: existing) != nil
        {
            return existing
        }
        let secret = WebhookSigner.randomSecret()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            throw IntegrationConfigurationError(
                variable: "CRM_WEBHOOK_SECRET", problem: "is not set and the development secret could not be written to \(path)")
        }
        return secret
    }
}

/// A setting that makes an integration impossible to start, naming the variable.
public struct IntegrationConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The environment variable at fault.
    public var variable: String
    /// What is wrong with it.
    public var problem: String
    /// `VARIABLE problem`.
    public var description: String { "\(variable) \(problem)" }
}
