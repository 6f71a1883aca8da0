import Authentication
import BookingDomain
import BookingProjections
import Foundation
import HTTPTypes
import Hummingbird

/// Who may open the notifier socket: checked on the HTTP request, before any upgrade, so a refused
/// client gets a real 401/403 with a JSON body rather than the 400 a refused upgrade would give.
///
/// The credential is `Authorization: Bearer <jwt>` or, for browsers, the subprotocols
/// `booking.v1, ticket.<ticket>`. The facilitator always comes from the credential, never from the
/// client. An `Origin`, when present (browsers always send one), must be in the CORS allow-list.
struct NotifierGate: Sendable {
    /// The socket's path.
    static let path = "/api/notifications/ws"
    /// The one subprotocol the server speaks, echoed when offered.
    static let subprotocol = "booking.v1"
    static let ticketPrefix = "ticket."

    /// An admitted socket's facilitator, credential times and starting cursor.
    struct Admission: Sendable {
        var facilitatorID: UserID
        var tokenIssuedAt: Int64
        var tokenExpiresAt: Date
        /// `?after=N`, when given; otherwise the socket replays from the acknowledged position.
        var after: Int64?
        /// Whether the client offered `booking.v1`, which the 101 response then echoes.
        var echoesSubprotocol: Bool
    }

    let authenticator: Authenticator
    let tickets: WebSocketTickets
    let projection: BookingProjection
    let allowedOrigins: Set<String>

    /// Admits the request or throws the `APIError` to answer (400, 401 or 403).
    func admit(_ request: Request, context: some RequestContext) async throws -> Admission {
        if let origin = request.headers[.origin], !allowedOrigins.contains(origin) {
            throw APIError(.forbidden, "Origin not allowed")
        }
        let offered = request.headers[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var after: Int64?
        if let text = request.uri.queryParameters.get("after") {
            guard let value = Int64(text), value >= 0 else { throw APIError.badRequest("after must be a log position (a whole number ≥ 0)") }
            after = value
        }
        let echoes = offered.contains(Self.subprotocol)

        if request.headers[.authorization] != nil {
            let (caller, token) = try await authenticator.authenticate(request, context: context)
            guard caller.isFacilitator else { throw APIError(.forbidden, "Facilitator access required") }
            return Admission(
                facilitatorID: caller.id, tokenIssuedAt: token.issuedAtMilliseconds, tokenExpiresAt: token.expiresAt, after: after,
                echoesSubprotocol: echoes)
        }
        guard let ticket = offered.first(where: { $0.hasPrefix(Self.ticketPrefix) }).map({ String($0.dropFirst(Self.ticketPrefix.count)) }) else {
            throw APIError.unauthorized
        }
        guard echoes else { throw APIError.badRequest("A ticket must be sent with the subprotocol \(Self.subprotocol)") }
        let invalid = APIError(.unauthorized, "Invalid or expired ticket", headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        guard let grant = tickets.redeem(ticket), let user = projection.read({ $0.user(grant.facilitatorID) }) else { throw invalid }
        if let revoked = user.tokensRevokedBefore, grant.tokenIssuedAt <= revoked.rawValue { throw invalid }
        guard user.role == .facilitator else { throw APIError(.forbidden, "Facilitator access required") }
        guard grant.tokenExpiresAt > Date() else { throw invalid }
        return Admission(
            facilitatorID: user.id, tokenIssuedAt: grant.tokenIssuedAt, tokenExpiresAt: grant.tokenExpiresAt, after: after, echoesSubprotocol: true)
    }
}
