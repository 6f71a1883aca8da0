import Authentication
import BookingEngine
import BookingIntegrations
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import PasswordHashing
import ServiceLifecycle
import Synchronization

/// The one entry point for `serve` and the tests: the engine's HTTP application.
///
/// Middleware, outermost first: request log (one line per request, with its id), security headers,
/// errors (every failure becomes `{"error": ...}`), CORS for allowed origins, rate limits; then the routes. The engine itself
/// (`BookingService.run`), the notifier's hub and the side-effect subscribers (`sideEffects`) are added as
/// services, so they start and stop with the server.
public func buildApplication(
    configuration: APIConfiguration, secrets: SecretsConfiguration, service: BookingService,
    sideEffects: SideEffects = SideEffects(), logger: Logger = Logger(label: "booking.api")
) async throws -> some ApplicationProtocol {
    let (router, _, notifier) = try await makeRoutes(
        configuration: configuration, secrets: secrets, service: service, sideEffects: sideEffects, logger: logger)
    // HTTP/1.1 with the notifier's WebSocket upgrade; every other request goes to the router.
    // validateUTF8: a text message that is not UTF-8 fails the connection with 1007 (RFC 6455 §8.1).
    // Unvalidated, the library repairs it to U+FFFD and an ack with a stray byte would still count.
    let webSocket = WebSocketServerConfiguration(
        maxFrameSize: configuration.notifier.maxInboundFrameBytes,
        autoPing: .enabled(timePeriod: .seconds(configuration.notifier.pingIntervalSeconds)),
        validateUTF8: true)
    var application = Application(
        router: router,
        server: .http1WebSocketUpgrade(configuration: .init(http1: .init(), ws: webSocket)) { head, channel, logger in
            await notifier.upgrade.shouldUpgrade(head, channel: channel, logger: logger)
        },
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        logger: logger)
    // The hub follows the log beside the writer and stops with the application.
    application.addServices(EngineLifecycle(service: service), notifier.hub)
    application.addServices(sideEffects.services)
    return application
}

/// The router with every middleware and route, and the table of routes it serves.
func makeRouter(
    configuration: APIConfiguration, secrets: SecretsConfiguration, service: BookingService,
    sideEffects: SideEffects = SideEffects(), logger: Logger
) async throws -> (Router<BookingRequestContext>, RouteTable) {
    let (router, routes, _) = try await makeRoutes(
        configuration: configuration, secrets: secrets, service: service, sideEffects: sideEffects, logger: logger)
    return (router, routes)
}

/// The notifier's parts that live outside the router: the hub (a service) and the upgrade check.
struct NotifierParts: Sendable {
    let hub: NotificationHub
    let upgrade: NotifierUpgrade
}

/// The router, its route table and the notifier that shares its authentication.
func makeRoutes(
    configuration: APIConfiguration, secrets: SecretsConfiguration, service: BookingService, sideEffects: SideEffects, logger: Logger
) async throws -> (Router<BookingRequestContext>, RouteTable, NotifierParts) {
    let tokens = try await AccessTokens(
        secret: secrets.jwtSecret,
        configuration: .init(issuer: "booking-engine", audience: "booking-engine-api", lifetimeHours: secrets.jwtLifetimeHours))
    let google = try secrets.googleClientID.map { clientID in
        try GoogleIDTokenVerifier(
            configuration: .init(clientID: clientID, jwksURL: secrets.googleJWKSURL ?? GoogleIDTokenVerifier.Configuration.googleJWKSURL),
            logger: logger)
    }
    let authenticator = Authenticator(tokens: tokens, projection: service.projection)
    let commands = CommandRunner(service: service)
    var routes = RouteTable()
    let router = Router(context: BookingRequestContext.self)
    let metrics = APIMetrics()
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    router.add(middleware: SecurityHeadersMiddleware())
    // The error middleware needs the final route table for 405s, so it reads it through a box
    // filled once the routes are registered below.
    let table = RouteTableBox()
    router.add(middleware: ErrorMiddleware(routes: table))
    router.add(middleware: AllowListCORSMiddleware(allowedOrigins: configuration.corsAllowedOrigins))
    let rateLimits = RateLimitMiddleware<BookingRequestContext>(configuration: configuration) { _, context in context.remoteAddress?.ipAddress }
    router.add(middleware: rateLimits)
    let hub = try NotificationHub(service: service, configuration: configuration.notifier, logger: logger)

    HealthController(service: service, sideEffects: sideEffects, notifierSockets: { hub.connectionCount }).register(on: router, table: &routes)
    MetricsController(metrics: metrics, service: service) {
        [
            ("booking_notifier_sockets", "Open notifier WebSockets", Double(hub.connectionCount)),
            ("booking_rate_limiter_clients", "Client addresses the rate limiters remember (bounded)", Double(rateLimits.trackedClients)),
        ]
    }.register(on: router, table: &routes)
    routes.add(.get, "/openapi.json")
    router.get("/openapi.json") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
    AuthController(
        commands: commands, projection: service.projection, authenticator: authenticator,
        passwords: PasswordWorkers(hasher: Argon2idHasher()), policy: PasswordPolicy(commonPasswords: .builtIn), google: google,
        facilitatorSignupEnabled: secrets.facilitatorSignupEnabled
    ).register(on: router, table: &routes)
    let renderCache = SessionRenderCache()
    SessionsController(commands: commands, projection: service.projection, authenticator: authenticator, renderCache: renderCache)
        .register(on: router, table: &routes)
    BookingsController(commands: commands, projection: service.projection, authenticator: authenticator, renderCache: renderCache)
        .register(on: router, table: &routes)
    let tickets = WebSocketTickets(configuration: configuration.notifier, clock: configuration.clock)
    let gate = NotifierGate(
        authenticator: authenticator, tickets: tickets, projection: service.projection, allowedOrigins: configuration.corsAllowedOrigins)
    let acknowledgements = NotificationAcknowledger(commands: commands, service: service)
    NotificationsController(
        hub: hub, tickets: tickets, gate: gate, acknowledgements: acknowledgements, projection: service.projection, authenticator: authenticator
    ).register(on: router, table: &routes)
    table.set(routes)
    let socket = NotifierSocket(hub: hub, acknowledgements: acknowledgements, projection: service.projection, configuration: configuration.notifier)
    return (router, routes, NotifierParts(hub: hub, upgrade: NotifierUpgrade(gate: gate, socket: socket)))
}

/// Runs the engine's writer beside the HTTP server.
struct EngineLifecycle: Service {
    let service: BookingService
    func run() async throws {
        await cancelWhenGracefulShutdown { await service.run() }
    }
}

/// The route table, written once at start-up and read by every request afterwards.
final class RouteTableBox: Sendable {
    private let storage = Mutex(RouteTable())
    func set(_ table: RouteTable) { storage.withLock { $0 = table } }
    var table: RouteTable { storage.withLock { $0 } }
}
