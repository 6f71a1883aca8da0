import Foundation

/// Secrets and security settings from the environment, with the predecessor's names.
///
/// Production (`BOOKING_ENV=production`) refuses to start when `JWT_SECRET_KEY` or
/// `CRM_BEARER_TOKEN` is missing, shorter than 32 bytes, or one of the predecessor's published
/// defaults, and says which. Development generates a random JWT secret once and keeps it in the data
/// directory (mode 0600), so `serve` works out of the box and tokens survive a restart.
public struct SecretsConfiguration: Sendable {
    public var isProduction: Bool
    public var jwtSecret: String
    public var jwtLifetimeHours: Int
    public var crmBearerToken: String?
    public var googleClientID: String?
    public var googleJWKSURL: String?
    public var facilitatorSignupEnabled: Bool

    /// The defaults the predecessor shipped in its code, docs and compose files: never acceptable.
    public static let publishedDefaults: Set<String> = [
        "your-secret-key-change-in-production", "your-jwt-secret-key-change-in-production", "dev-jwt-secret-key",
        "your-static-bearer-token-here", "dev-static-bearer-token", "backend-service-token-here", "dev-backend-service-token",
        "your-app-password",
    ]
    public static let minimumSecretBytes = 32

    public init(
        isProduction: Bool = false, jwtSecret: String, jwtLifetimeHours: Int = 24, crmBearerToken: String? = nil,
        googleClientID: String? = nil, googleJWKSURL: String? = nil, facilitatorSignupEnabled: Bool = true
    ) {
        self.isProduction = isProduction
        self.jwtSecret = jwtSecret
        self.jwtLifetimeHours = jwtLifetimeHours
        self.crmBearerToken = crmBearerToken
        self.googleClientID = googleClientID
        self.googleJWKSURL = googleJWKSURL
        self.facilitatorSignupEnabled = facilitatorSignupEnabled
    }

    /// Reads the environment; `dataDirectory` holds the generated development secret.
    public init(environment: [String: String], dataDirectory: String) throws(ConfigurationError) {
        let mode = environment["BOOKING_ENV"]?.lowercased() ?? "development"
        guard ["production", "development"].contains(mode) else {
            throw ConfigurationError(variable: "BOOKING_ENV", problem: "must be production or development")
        }
        isProduction = mode == "production"
        func checkedSecret(_ name: String) throws(ConfigurationError) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            if Self.publishedDefaults.contains(value) {
                throw ConfigurationError(variable: name, problem: "is a published default of the old system; generate one with `booking-engine secrets`")
            }
            guard value.utf8.count >= Self.minimumSecretBytes else {
                throw ConfigurationError(variable: name, problem: "must be at least \(Self.minimumSecretBytes) bytes")
            }
            return value
        }
        let jwt = try checkedSecret("JWT_SECRET_KEY")
        crmBearerToken = try checkedSecret("CRM_BEARER_TOKEN")
        if isProduction {
            guard let jwt else { throw ConfigurationError(variable: "JWT_SECRET_KEY", problem: "is required in production") }
            guard crmBearerToken != nil else { throw ConfigurationError(variable: "CRM_BEARER_TOKEN", problem: "is required in production") }
            jwtSecret = jwt
        } else {
            if let jwt {
                jwtSecret = jwt
            } else {
                jwtSecret = try Self.developmentSecret(in: dataDirectory)
            }
        }
        if let text = environment["JWT_EXPIRES_HOURS"] {
            guard let hours = Int(text), (1...8_784).contains(hours) else {
                throw ConfigurationError(variable: "JWT_EXPIRES_HOURS", problem: "must be a whole number of hours from 1 to 8784")
            }
            jwtLifetimeHours = hours
        } else {
            jwtLifetimeHours = 24
        }
        googleClientID = environment["GOOGLE_CLIENT_ID"].flatMap { $0.isEmpty ? nil : $0 }
        googleJWKSURL = environment["GOOGLE_JWKS_URL"].flatMap { $0.isEmpty ? nil : $0 }
        switch environment["FACILITATOR_SIGNUP_ENABLED"]?.lowercased() {
        case nil, "true", "1", "yes": facilitatorSignupEnabled = true
        case "false", "0", "no": facilitatorSignupEnabled = false
        default: throw ConfigurationError(variable: "FACILITATOR_SIGNUP_ENABLED", problem: "must be true or false")
        }
    }

    /// A fresh secret: 32 random bytes, base64url (43 characters).
    public static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func developmentSecret(in dataDirectory: String) throws(ConfigurationError) -> String {
        let path = dataDirectory + "/secrets/jwt-secret"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            existing.utf8.count >= minimumSecretBytes
        {
            return existing
        }
        let secret = randomSecret()
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory + "/secrets", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
        } catch {
            throw ConfigurationError(variable: "JWT_SECRET_KEY", problem: "is not set and the development secret could not be written to \(path)")
        }
        return secret
    }
}
