import BookingDomain
import BookingEngine
import BookingProjections
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/bookings*` for users and `/api/facilitator/*` for facilitators' views of their own sessions.
struct BookingsController: Sendable {
    let commands: CommandRunner
    let projection: BookingProjection
    let authenticator: Authenticator
    let renderCache: SessionRenderCache

    func register(on router: Router<BookingRequestContext>, table: inout RouteTable) {
        table.add(.post, "/api/bookings")
        router.post("/api/bookings") { request, context in try await book(request, context) }
        table.add(.post, "/api/bookings/{id}/cancel")
        router.post("/api/bookings/{id}/cancel") { request, context in
            let caller = try await authenticator.caller(of: request, context: context)
            let id = try pathID(context, BookingID.self)
            _ = try await commands.run(.cancelBooking(bookingID: id, userID: caller.id, now: .now), actor: "\(caller.id)")
            return JSONBody.response(["message": "Booking cancelled"], headers: [.cacheControl: "no-store"])
        }
        table.add(.get, "/api/bookings/my")
        router.get("/api/bookings/my") { request, context in
            let caller = try await authenticator.caller(of: request, context: context)
            return try pagedList(request, path: "/api/bookings/my", projection: projection, id: \.id) { model, page in
                let result = model.bookings(ofUser: caller.id, after: page.after.map(BookingID.init), limit: page.limit)
                return (result.items.map { Self.body($0, model, withUser: false) }, result.hasMore)
            }
        }
        table.add(.get, "/api/facilitator/bookings")
        router.get("/api/facilitator/bookings") { request, context in
            let caller = try await authenticator.facilitator(of: request, context: context)
            return try pagedList(request, path: "/api/facilitator/bookings", projection: projection, id: \.id) { model, page in
                let result = model.bookings(ofFacilitator: caller.id, after: page.after.map(BookingID.init), limit: page.limit)
                return (result.items.map { Self.body($0, model, withUser: true) }, result.hasMore)
            }
        }
        table.add(.get, "/api/facilitator/sessions")
        router.get("/api/facilitator/sessions") { request, context in
            let caller = try await authenticator.facilitator(of: request, context: context)
            return try pagedList(request, path: "/api/facilitator/sessions", projection: projection, id: \.id) { model, page in
                let result = model.sessions(ofFacilitator: caller.id, after: page.after.map(SessionID.init), limit: page.limit)
                return (renderCache.render(result.items, facilitator: model.user), result.hasMore)
            }
        }
        table.add(.get, "/api/facilitator/sessions/{id}/bookings")
        router.get("/api/facilitator/sessions/{id}/bookings") { request, context in
            let caller = try await authenticator.facilitator(of: request, context: context)
            let id = try pathID(context, SessionID.self)
            let page = try PageRequest(request)
            let result: ([ResponseBodies.Booking], Bool)? = projection.read { model in
                // Another facilitator's session is reported as missing: its bookings are private.
                guard let session = model.session(id), session.facilitatorID == caller.id else { return nil }
                let page = model.bookings(onSession: id, after: page.after.map(BookingID.init), limit: page.limit)
                return (page.items.map { Self.body($0, model, withUser: true) }, page.hasMore)
            }
            guard let (items, hasMore) = result else { throw APIError.notFound("Session not found") }
            return listResponse(
                items, page: page, path: "/api/facilitator/sessions/\(id.rawValue)/bookings", lastID: items.last?.id, hasMore: hasMore)
        }
        table.add(.get, "/api/facilitator/dashboard")
        router.get("/api/facilitator/dashboard") { request, context in
            let caller = try await authenticator.facilitator(of: request, context: context)
            guard let body = projection.read({ model in
                model.dashboard(for: caller.id, now: .now).map { figures in
                    Dashboard(
                        totalSessions: figures.totalSessions, activeSessions: figures.activeSessions,
                        upcomingSessions: figures.upcomingSessions, totalBookings: figures.confirmedBookings,
                        totalRevenue: Money(minorUnits: figures.revenueMinor),
                        recentBookings: figures.recentBookings.map { Self.body($0, model, withUser: true) })
                }
            }) else { throw APIError(.forbidden, "Facilitator access required") }
            return JSONBody.response(body, headers: [.cacheControl: "no-store"])
        }
    }

    struct Dashboard: Encodable {
        var totalSessions: Int
        var activeSessions: Int
        var upcomingSessions: Int
        var totalBookings: Int
        var totalRevenue: Money
        var recentBookings: [ResponseBodies.Booking]
        enum CodingKeys: String, CodingKey {
            case totalSessions = "total_sessions"
            case activeSessions = "active_sessions"
            case upcomingSessions = "upcoming_sessions"
            case totalBookings = "total_bookings"
            case totalRevenue = "total_revenue"
            case recentBookings = "recent_bookings"
        }
    }

    static func body(_ booking: BookingView, _ model: borrowing BookingReadModel, withUser: Bool) -> ResponseBodies.Booking {
        let session = model.session(booking.sessionID).map { ResponseBodies.Session($0, facilitator: model.user($0.facilitatorID)) }
        let user = withUser ? model.user(booking.userID).map { ResponseBodies.Booker(id: $0.id.rawValue, name: $0.name, email: $0.email) } : nil
        return ResponseBodies.Booking(booking, session: session, user: user)
    }

    private func book(_ request: Request, _ context: BookingRequestContext) async throws -> Response {
        let caller = try await authenticator.caller(of: request, context: context)
        let fields = try await jsonObject(from: request, context: context)
        let sessionID = SessionID(try fields.integer("session_id", in: 1...Int64.max))
        let notes = try fields.optionalString("notes", length: 0...1_000)
        var key: String?
        if let header = request.headers[.idempotencyKey] {
            guard (1...255).contains(header.utf8.count), header.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F })
            else { throw APIError.badRequest("Idempotency-Key must be 1 to 255 printable ASCII characters") }
            // Scoped to the caller: another user's key can never return this user's booking.
            key = "booking:user-\(caller.id.rawValue):\(header)"
        }
        let (events, isReplay) = try await commands.run(
            .bookSeat(sessionID: sessionID, userID: caller.id, notes: notes, now: .now), actor: "\(caller.id)", idempotencyKey: key)
        guard case .bookingConfirmed(let booking) = events.first else { throw APIError(.internalServerError, "Internal error") }
        var headers: HTTPFields = [.cacheControl: "no-store"]
        if isReplay { headers[.idempotentReplayed] = "true" }
        return JSONBody.response(
            BookedResponse(bookingID: booking.bookingID.rawValue, sessionID: sessionID.rawValue, bookingStatus: "confirmed", message: "Booking confirmed"),
            status: .created, headers: headers)
    }

    struct BookedResponse: Encodable {
        var bookingID: Int64
        var sessionID: Int64
        var bookingStatus: String
        var message: String
        enum CodingKeys: String, CodingKey {
            case message
            case bookingID = "booking_id"
            case sessionID = "session_id"
            case bookingStatus = "booking_status"
        }
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
