import BookingAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct HTTPBasicsTests {
    @Test func healthReportsTheStore() async throws {
        try await withLiveApplication { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = try JSONSerialization.jsonObject(with: Data(response.body.text.utf8)) as? [String: Any]
                #expect(body?["status"] as? String == "ok")
                #expect((body?["store"] as? [String: Any])?["last_position"] as? Int == 0)
                #expect((body?["store"] as? [String: Any])?["writable"] as? Bool == true)
                #expect((body?["notifier"] as? [String: Any])?["sockets"] as? Int == 0)
            }
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await withLiveApplication { client in
            for (uri, method) in [("/health", HTTPRequest.Method.get), ("/nowhere", .get), ("/health", .post)] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.headers[.xContentTypeOptions] == "nosniff")
                    #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                    #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                    #expect(response.headers[.strictTransportSecurity] == "max-age=63072000; includeSubDomains")
                    #expect(response.headers[.crossOriginResourcePolicy] == "same-origin")
                    #expect(response.headers[HTTPField.Name("X-XSS-Protection")!] == nil)
                    #expect(response.headers[.server] == nil)
                    #expect(response.headers[HTTPField.Name("X-Request-ID")!] != nil)
                }
            }
        }
    }

    @Test func unknownRoutesAreJSON404sAndWrongMethodsAre405s() async throws {
        try await withLiveApplication { client in
            try await client.execute(uri: "/api/does-not-exist", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.body.text == #"{"error":"Not found"}"#)
            }
            for method in [HTTPRequest.Method.post, .delete, .trace, .put] {
                try await client.execute(uri: "/health", method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method)")
                    #expect(response.headers[.allow] == "GET")
                    #expect(response.body.text.contains("\"error\""))
                }
            }
        }
    }

    @Test func apiRequestsBeyondTheBurstGet429WithRetryAfter() async throws {
        var configuration = APIConfiguration(port: 0)
        configuration.clock = { 1_000_000 }  // time stands still: exactly the burst passes
        try await withLiveApplication(configuration) { client in
            var statuses: [HTTPResponse.Status] = []
            var retryAfter: String?
            for _ in 0..<25 {
                try await client.execute(uri: "/api/anything", method: .get) { response in
                    statuses.append(response.status)
                    if response.status == .tooManyRequests { retryAfter = response.headers[.retryAfter] }
                }
            }
            // 21 at once (burst 20 + 1), then nothing until time moves.
            #expect(statuses.prefix(21).allSatisfy { $0 == .notFound })
            #expect(statuses.suffix(4).allSatisfy { $0 == .tooManyRequests })
            #expect(retryAfter == "1")
            // /health is not an /api route: never limited.
            for _ in 0..<30 {
                try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            }
        }
    }

    @Test func rateLimitsCanBeSwitchedOff() async throws {
        let configuration = try APIConfiguration(host: "127.0.0.1", port: 0, environment: ["RATE_LIMIT_ENABLED": "false"])
        try await withLiveApplication(configuration) { client in
            for _ in 0..<40 {
                try await client.execute(uri: "/api/anything", method: .get) { #expect($0.status == .notFound) }
            }
        }
    }

    @Test func badConfigurationNamesTheVariable() {
        #expect(throws: ConfigurationError.self) { try APIConfiguration(host: "h", port: 1, environment: ["RATE_LIMIT_API_BURST": "lots"]) }
        do {
            _ = try APIConfiguration(host: "h", port: 1, environment: ["RATE_LIMIT_ENABLED": "maybe"])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("RATE_LIMIT_ENABLED"))
        }
    }
}

@Suite struct CORSTests {
    static let configuration = APIConfiguration(port: 0, corsAllowedOrigins: ["https://app.example.com"])

    @Test func allowedOriginIsEchoedOthersGetNothing() async throws {
        try await withLiveApplication(Self.configuration) { client in
            try await client.execute(uri: "/health", method: .get, headers: [.origin: "https://app.example.com"]) { response in
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
                #expect(response.headers[.vary] == "Origin")
            }
            for origin in ["https://evil.example.com", "https://app.example.com.evil.net", "null", "http://app.example.com"] {
                try await client.execute(uri: "/health", method: .get, headers: [.origin: origin]) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.accessControlAllowOrigin] == nil, "\(origin)")
                }
            }
        }
    }

    @Test func preflightsAreAnsweredOnlyForAllowedOrigins() async throws {
        try await withLiveApplication(Self.configuration) { client in
            let preflight: HTTPFields = [.origin: "https://app.example.com", .accessControlRequestMethod: "POST"]
            try await client.execute(uri: "/api/bookings", method: .options, headers: preflight) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowMethods]?.contains("POST") == true)
                #expect(response.headers[.accessControlAllowHeaders]?.contains("Idempotency-Key") == true)
            }
            try await client.execute(
                uri: "/api/bookings", method: .options, headers: [.origin: "https://evil.example.com", .accessControlRequestMethod: "POST"]
            ) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test func wildcardOriginsAreRefusedAtStart() {
        #expect(throws: ConfigurationError.self) { try APIConfiguration(host: "h", port: 1, environment: ["CORS_ALLOWED_ORIGINS": "*"]) }
    }
}

@Suite struct MetricsTests {
    @Test func metricsCountRequestsByRouteAndStatusAndShowTheWriter() async throws {
        try await withLiveApplication { client in
            for _ in 0..<3 { try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) } }
            try await client.execute(uri: "/api/auth/me", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains(#"http_requests_total{method="GET",route="/health",status="200"} 3"#), "\(text.prefix(2000))")
                #expect(text.contains(#"http_requests_total{method="GET",route="/api/auth/me",status="401"} 1"#))
                #expect(text.contains("http_request_duration_seconds_bucket"))
                #expect(text.contains("booking_writer_commits"))
                #expect(text.contains("booking_log_head_position 0"))
                #expect(text.contains("booking_idempotency_keys 0"))
                #expect(text.contains("booking_notifier_sockets 0"))
                #expect(text.contains("booking_rate_limiter_clients "))
            }
        }
    }
}
