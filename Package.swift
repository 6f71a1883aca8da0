// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "booking-engine",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "booking-engine", targets: ["booking-engine"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The C library and its small safe wrapper.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: swiftSettings),

        // Pure domain: commands, events, state, deciders. Foundation only.
        .target(name: "BookingDomain", swiftSettings: swiftSettings),

        // Domain-free event sourcing: envelope, hash chain, EventLog protocol, group-commit command processor.
        .target(
            name: "EventSourcing",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(name: "EventStoreLMDB", dependencies: ["EventSourcing", "LMDB"], swiftSettings: swiftSettings),

        // Read models fed by the log.
        .target(name: "BookingProjections", dependencies: ["BookingDomain", "EventSourcing"], swiftSettings: swiftSettings),

        // The engine: event codec for the domain, command service, auditing, opening the store.
        .target(
            name: "BookingEngine",
            dependencies: [
                "BookingDomain", "EventSourcing", "EventStoreLMDB", "BookingProjections",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Side-effect subscribers: the generic delivery worker (checkpoints, retries, dead letters in
        // their own LMDB environment), the CRM webhook channel and the booking e-mails.
        .target(
            name: "BookingIntegrations",
            dependencies: [
                "BookingDomain", "BookingEngine", "BookingProjections", "EventSourcing", "EventStoreLMDB", "LMDB", "Mailer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // Password hashing for the REST façade: Argon2id through Debian's libargon2, and the password policy.
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .target(name: "PasswordHashing", dependencies: ["CArgon2"], swiftSettings: swiftSettings),

        // E-mail: MIME rendering, SMTP through Debian's libcurl (STARTTLS, implicit TLS, AUTH), or an outbox folder.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "Mailer", dependencies: ["CCurl"], swiftSettings: swiftSettings),

        // Access tokens (JWT, HS256 pinned) and Google ID-token verification against Google's keys.
        .target(
            name: "Authentication",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // The REST façade: Hummingbird application, routes, middleware.
        .target(
            name: "BookingAPI",
            dependencies: [
                "BookingEngine", "BookingDomain", "BookingProjections", "EventSourcing", "EventStoreLMDB", "Authentication",
                "PasswordHashing", "BookingIntegrations",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "booking-engine",
            dependencies: [
                "BookingAPI", "BookingEngine", "BookingDomain", "BookingProjections", "EventSourcing", "EventStoreLMDB", "LMDB",
                "BookingIntegrations", "Mailer",
                .product(name: "Hummingbird", package: "hummingbird"),
                "Authentication",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "LMDBTests", dependencies: ["LMDB"], swiftSettings: swiftSettings),
        .testTarget(name: "BookingDomainTests", dependencies: ["BookingDomain"], swiftSettings: swiftSettings),
        .testTarget(name: "EventSourcingTests", dependencies: ["EventSourcing"], swiftSettings: swiftSettings),
        .testTarget(name: "EventStoreLMDBTests", dependencies: ["EventStoreLMDB", "LMDB"], swiftSettings: swiftSettings),
        .testTarget(name: "BookingProjectionsTests", dependencies: ["BookingProjections"], swiftSettings: swiftSettings),
        .testTarget(name: "PasswordHashingTests", dependencies: ["PasswordHashing"], swiftSettings: swiftSettings),
        // Test-only: a real SMTP server (tools/smtp-test-server.py, aiosmtpd) run by the mail tests.
        .target(name: "MailTestSupport", path: "Tests/MailTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "MailerTests", dependencies: ["Mailer", "MailTestSupport"], swiftSettings: swiftSettings),
        // Test-only: the committed Google test keys, a local JWKS server and hand-forged tokens, shared by
        // the authentication and API tests.
        .target(
            name: "AuthTestSupport",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/AuthTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AuthenticationTests",
            dependencies: [
                "Authentication", "AuthTestSupport",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookingAPITests",
            dependencies: [
                "BookingAPI", "BookingEngine", "BookingDomain", "BookingProjections", "Authentication", "PasswordHashing", "AuthTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookingIntegrationsTests",
            dependencies: [
                "BookingIntegrations", "BookingEngine", "BookingDomain", "BookingProjections", "EventSourcing", "EventStoreLMDB", "Mailer",
                "MailTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BookingEngineTests",
            dependencies: ["BookingEngine", "BookingDomain", "BookingProjections", "EventSourcing", "EventStoreLMDB"],
            swiftSettings: swiftSettings
        ),
    ]
)
