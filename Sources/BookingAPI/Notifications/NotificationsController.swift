import Authentication
import BookingDomain
import BookingProjections
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/notifications*`: the REST side of the notifier, for clients without WebSocket (the
/// predecessor's pending-notifications and mark-read), the ticket for browsers' sockets, and the
/// socket's path answered without an upgrade.
struct NotificationsController: Sendable {
    let hub: NotificationHub
    let tickets: WebSocketTickets
    let gate: NotifierGate
    let acknowledgements: NotificationAcknowledger
    let projection: BookingProjection
    let authenticator: Authenticator

    func register(on router: Router<BookingRequestContext>, table: inout RouteTable) {
        table.add(.get, "/api/notifications")
        router.get("/api/notifications") { request, context in
            let caller = try await authenticator.facilitator(of: request, context: context)
            let query = request.uri.queryParameters
            var after = projection.read { $0.acknowledgedPosition(of: caller.id) }
            if let text = query.get("after") {
                guard let value = Int64(text), value >= 0 else { throw APIError.badRequest("after must be a log position (a whole number ≥ 0)") }
                after = value
            }
            var limit = PageRequest.defaultLimit
            if let text = query.get("limit") {
                guard let value = Int(text), (1...PageRequest.maximumLimit).contains(value) else {
                    throw APIError.badRequest("limit must be a whole number from 1 to \(PageRequest.maximumLimit)")
                }
                limit = value
            }
            let messages = NotificationMessage.render(hub.notifications(of: caller.id, after: after, limit: limit), from: projection)
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "[" + messages.joined(separator: ",") + "]")))
        }
        table.add(.post, "/api/notifications/ack")
        router.post("/api/notifications/ack") { request, context in
            let caller = try await authenticator.facilitator(of: request, context: context)
            let position = try await jsonObject(from: request, context: context).integer("position", in: 0...Int64.max)
            let cursor = try await acknowledgements.acknowledge(facilitatorID: caller.id, position: position)
            return JSONBody.response(["acknowledged_position": cursor], headers: [.cacheControl: "no-store"])
        }
        table.add(.post, "/api/notifications/ticket")
        router.post("/api/notifications/ticket") { request, context in
            let (caller, token) = try await authenticator.authenticate(request, context: context)
            guard caller.isFacilitator else { throw APIError(.forbidden, "Facilitator access required") }
            let (ticket, expiresIn) = tickets.issue(facilitatorID: caller.id, tokenIssuedAt: token.issuedAtMilliseconds, tokenExpiresAt: token.expiresAt)
            return JSONBody.response(
                TicketBody(ticket: ticket, expiresIn: expiresIn, subprotocols: [NotifierGate.subprotocol, NotifierGate.ticketPrefix + ticket]),
                status: .created, headers: [.cacheControl: "no-store"])
        }
        // Reached only without an upgrade (an upgrade is admitted or refused before routing): the
        // same checks, then 426.
        table.add(.get, NotifierGate.path)
        router.get(RouterPath(NotifierGate.path)) { request, context -> Response in
            _ = try await gate.admit(request, context: context)
            throw APIError(
                HTTPResponse.Status(code: 426, reasonPhrase: "Upgrade Required"), "This endpoint needs a WebSocket upgrade",
                headers: [.upgrade: "websocket", .connection: "Upgrade"])
        }
    }

    struct TicketBody: Encodable {
        var ticket: String
        var expiresIn: Int64
        /// What a browser passes to `new WebSocket(url, subprotocols)`.
        var subprotocols: [String]

        enum CodingKeys: String, CodingKey {
            case ticket, subprotocols
            case expiresIn = "expires_in"
        }
    }
}
