import BookingDomain
import BookingEngine
import BookingProjections
import HTTPTypes
import Hummingbird

/// `/api/sessions*` and `DELETE /api/facilitator/sessions/{id}`.
struct SessionsController: Sendable {
    let commands: CommandRunner
    let projection: BookingProjection
    let authenticator: Authenticator
    let renderCache: SessionRenderCache

    func register(on router: Router<BookingRequestContext>, table: inout RouteTable) {
        table.add(.get, "/api/sessions")
        router.get("/api/sessions") { request, context in
            _ = try await authenticator.caller(of: request, context: context)
            let now = Timestamp.now
            return try pagedList(request, path: "/api/sessions", projection: projection, id: \.id) { model, page in
                let result = model.activeSessions(after: page.after.map(SessionID.init), limit: page.limit, notStartedAt: now)
                return (renderCache.render(result.items, facilitator: model.user), result.hasMore)
            }
        }
        table.add(.get, "/api/sessions/{id}")
        router.get("/api/sessions/{id}") { request, context in
            _ = try await authenticator.caller(of: request, context: context)
            return try sessionResponse(try pathID(context, SessionID.self))
        }
        table.add(.post, "/api/sessions")
        router.post("/api/sessions") { request, context in
            let caller = try await authenticator.facilitator(of: request, context: context)
            let fields = try await jsonObject(from: request, context: context)
            let details = try Self.details(fields)
            let (events, _) = try await commands.run(
                .createSession(facilitatorID: caller.id, details: details, now: .now), actor: "\(caller.id)")
            guard case .sessionCreated(let created) = events.first else { throw APIError(.internalServerError, "Internal error") }
            return JSONBody.response(
                ["session_id": created.sessionID.rawValue], status: .created,
                headers: [.cacheControl: "no-store", .location: "/api/sessions/\(created.sessionID.rawValue)"])
        }
        table.add(.put, "/api/sessions/{id}")
        router.put("/api/sessions/{id}") { request, context in
            let caller = try await authenticator.facilitator(of: request, context: context)
            let id = try pathID(context, SessionID.self)
            let fields = try await jsonObject(from: request, context: context)
            let changes = try Self.changes(fields)
            _ = try await commands.run(.updateSession(sessionID: id, actorID: caller.id, changes: changes, now: .now), actor: "\(caller.id)")
            return try sessionResponse(id)
        }
        table.add(.post, "/api/sessions/{id}/cancel")
        router.post("/api/sessions/{id}/cancel") { request, context in try await cancel(request, context) }
        table.add(.delete, "/api/facilitator/sessions/{id}")
        router.delete("/api/facilitator/sessions/{id}") { request, context in try await cancel(request, context) }
    }

    private func cancel(_ request: Request, _ context: BookingRequestContext) async throws -> Response {
        let caller = try await authenticator.facilitator(of: request, context: context)
        let id = try pathID(context, SessionID.self)
        let (events, _) = try await commands.run(.cancelSession(sessionID: id, actorID: caller.id, now: .now), actor: "\(caller.id)")
        let cancelledBookings = events.filter { if case .bookingCancelled = $0 { true } else { false } }.count
        return JSONBody.response(
            CancelResponse(message: "Session cancelled", sessionID: id.rawValue, cancelledBookings: cancelledBookings),
            headers: [.cacheControl: "no-store"])
    }

    struct CancelResponse: Encodable {
        var message: String
        var sessionID: Int64
        var cancelledBookings: Int
        enum CodingKeys: String, CodingKey {
            case message
            case sessionID = "session_id"
            case cancelledBookings = "cancelled_bookings"
        }
    }

    func sessionResponse(_ id: SessionID) throws -> Response {
        guard let body = projection.read({ model in model.session(id).map { ResponseBodies.Session($0, facilitator: model.user($0.facilitatorID)) } })
        else { throw APIError.notFound("Session not found") }
        return JSONBody.response(body, headers: [.cacheControl: "no-store"])
    }

    static func details(_ fields: JSONFields) throws -> SessionDetails {
        guard let start = try fields.optionalTime("start_time") else { throw APIError.badRequest("start_time is required") }
        guard let end = try fields.optionalTime("end_time") else { throw APIError.badRequest("end_time is required") }
        return SessionDetails(
            title: try fields.string("title", length: 1...200), description: try fields.optionalString("description", length: 0...5_000),
            sessionType: try fields.optionalEnum("session_type", SessionType.self) ?? .session, startTime: start, endTime: end,
            capacity: Int(try fields.integer("capacity", in: 1...100_000)), priceMinor: try fields.optionalPrice("price") ?? 0,
            location: try fields.optionalString("location", length: 0...300))
    }

    static func changes(_ fields: JSONFields) throws -> SessionChanges {
        let changes = SessionChanges(
            title: try fields.optionalString("title", length: 1...200), description: try fields.optionalString("description", length: 0...5_000),
            sessionType: try fields.optionalEnum("session_type", SessionType.self), startTime: try fields.optionalTime("start_time"),
            endTime: try fields.optionalTime("end_time"), capacity: try fields.optionalInteger("capacity", in: 1...100_000).map { Int($0) },
            priceMinor: try fields.optionalPrice("price"), location: try fields.optionalString("location", length: 0...300))
        guard !changes.isEmpty else {
            throw APIError.badRequest(
                "nothing to change: send at least one of title, description, session_type, start_time, end_time, capacity, price, location")
        }
        return changes
    }
}

/// An integer id from the path; 404 for anything else (a path that can't name a resource names none).
func pathID<ID: IntegerIdentifier>(_ context: BookingRequestContext, _ type: ID.Type) throws -> ID {
    guard let text = context.parameters.get("id"), let raw = Int64(text), raw > 0 else { throw APIError.notFound() }
    return ID(rawValue: raw)
}

/// A JSON array page with the next page in `Link`.
func listResponse(_ items: [some JSONWritable], page: PageRequest, path: String, lastID: Int64?, hasMore: Bool) -> Response {
    var headers: HTTPFields = [.cacheControl: "no-store", .contentType: "application/json; charset=utf-8"]
    if let link = page.nextLink(path: path, lastID: lastID, hasMore: hasMore) { headers[.link] = link }
    var writer = JSONWriter(capacity: 64 + items.count * 512)
    writer.writeArray(items)
    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
}
