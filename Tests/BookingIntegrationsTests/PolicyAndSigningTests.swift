import BookingIntegrations
import Foundation
import Testing

@Suite("Retry policy, Retry-After and signing")
struct PolicyAndSigningTests {
    @Test("ceilings double from the base up to the cap; full jitter stays within 0...ceiling")
    func backoff() {
        let policy = RetryPolicy()
        #expect((1...8).map { policy.ceiling(afterAttempt: $0) } == [5, 10, 20, 40, 80, 160, 300, 300].map { Duration.seconds($0) })
        var generator = SystemRandomNumberGenerator()
        var seen: Set<Int64> = []
        for attempt in 1...7 {
            for _ in 0..<200 {
                let delay = policy.delay(afterAttempt: attempt, retryAfter: nil, using: &generator)
                #expect(delay >= .zero && delay <= policy.ceiling(afterAttempt: attempt))
                seen.insert(delay.components.seconds)
            }
        }
        #expect(seen.count > 10, "jittered, not fixed")
        // The default budget: 7 waits whose ceilings add up to about 10 minutes.
        #expect((1...7).map { policy.ceiling(afterAttempt: $0) }.reduce(.zero, +) == .seconds(615))
    }

    @Test("Retry-After replaces the jitter, capped at maxRetryAfter")
    func retryAfterWins() {
        let policy = RetryPolicy(baseDelay: .milliseconds(1), maxDelay: .milliseconds(1), maxRetryAfter: .seconds(60))
        var generator = SystemRandomNumberGenerator()
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(7), using: &generator) == .seconds(7))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(7_200), using: &generator) == .seconds(60))
    }

    @Test("Standard Webhooks' published test vector")
    func standardWebhooksVector() throws {
        // From the Standard Webhooks reference libraries' tests (verified with Python's hmac too).
        let signer = try #require(WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(
            signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("secrets must be whsec_ with at least 24 bytes of key")
    func secretRules() {
        #expect(WebhookSigner(secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
        #expect(WebhookSigner(secret: "whsec_" + Data(count: 16).base64EncodedString()) == nil)
        #expect(WebhookSigner(secret: "whsec_not base64!") == nil)
        #expect(WebhookSigner(secret: WebhookSigner.randomSecret()) != nil)
    }

    @Test("configuration: off without a URL; token required; production needs a secret and https")
    func configurationRules() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let token = String(repeating: "t", count: 40)
        #expect(try CRMConfiguration.fromEnvironment([:], bearerToken: token, isProduction: true, dataDirectory: directory.path) == nil)
        #expect(throws: IntegrationConfigurationError.self) {
            try CRMConfiguration.fromEnvironment(["CRM_SERVICE_URL": "http://127.0.0.1:9"], bearerToken: nil, isProduction: false, dataDirectory: directory.path)
        }
        #expect(throws: IntegrationConfigurationError.self) {
            try CRMConfiguration.fromEnvironment(["CRM_SERVICE_URL": "https://crm.example"], bearerToken: token, isProduction: true, dataDirectory: directory.path)
        }
        #expect(throws: IntegrationConfigurationError.self) {
            try CRMConfiguration.fromEnvironment(
                ["CRM_SERVICE_URL": "http://crm.example", "CRM_WEBHOOK_SECRET": WebhookSigner.randomSecret()], bearerToken: token, isProduction: true,
                dataDirectory: directory.path)
        }
        #expect(throws: IntegrationConfigurationError.self) {
            try CRMConfiguration.fromEnvironment(
                ["CRM_SERVICE_URL": "https://crm.example", "CRM_WEBHOOK_SECRET": "whsec_short"], bearerToken: token, isProduction: false,
                dataDirectory: directory.path)
        }
        #expect(throws: IntegrationConfigurationError.self) {
            try CRMConfiguration.fromEnvironment(
                ["CRM_SERVICE_URL": "https://crm.example", "CRM_MAX_ATTEMPTS": "0"], bearerToken: token, isProduction: false, dataDirectory: directory.path)
        }
        // Development: a secret is generated once and kept.
        let first = try #require(
            try CRMConfiguration.fromEnvironment(
                ["CRM_SERVICE_URL": "http://crm.example/", "CRM_MAX_ATTEMPTS": "3", "CRM_RETRY_BASE_MS": "10"], bearerToken: token,
                isProduction: false, dataDirectory: directory.path))
        let second = try #require(
            try CRMConfiguration.fromEnvironment(["CRM_SERVICE_URL": "http://crm.example"], bearerToken: token, isProduction: false, dataDirectory: directory.path))
        #expect(first.webhookSecret == second.webhookSecret)
        #expect(first.notificationURL == "http://crm.example/api/booking-notification")
        #expect(first.retry.maxAttempts == 3)
        #expect(first.retry.baseDelay == .milliseconds(10))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path + "/secrets/crm-webhook-secret")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
}
