import BookingDomain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// The WebSocket upgrade for `/api/notifications/ws`: admits the request through ``NotifierGate``
/// and hands the socket to ``NotifierSocket``.
///
/// hummingbird-websocket answers every refused upgrade with a bare 400. The API promises 401/403
/// with `{"error": ...}` and `WWW-Authenticate` before any upgrade, so a refusal is written here, on
/// the connection, as a complete HTTP/1.1 response with `Connection: close`, and the connection is
/// closed before the library could add its own answer.
struct NotifierUpgrade: Sendable {
    let gate: NotifierGate
    let socket: NotifierSocket

    func shouldUpgrade(
        _ head: HTTPRequest, channel: any Channel, logger: Logger
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        let context = BookingRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        let admission: NotifierGate.Admission
        do {
            guard request.uri.path == NotifierGate.path else { throw APIError.notFound() }
            admission = try await gate.admit(request, context: context)
        } catch {
            let refusal = error as? APIError ?? APIError(.internalServerError, "Internal error")
            logger.info(
                "notifier upgrade refused",
                metadata: ["http.status": "\(refusal.status.code)", "http.route": "\(request.uri.path == NotifierGate.path ? NotifierGate.path : "unmatched")"])
            await Self.refuse(refusal, on: channel)
            return .dontUpgrade
        }
        var headers = HTTPFields()
        if admission.echoesSubprotocol { headers[.secWebSocketProtocol] = NotifierGate.subprotocol }
        logger.debug("notifier upgrade", metadata: ["facilitator.id": "\(admission.facilitatorID.rawValue)"])
        return .upgrade(headers) { inbound, outbound, context in
            // The upgraded socket is the same NIO channel as the HTTP request's.
            try await socket.serve(admission, inbound: inbound, outbound: outbound, channel: channel, logger: context.logger)
        }
    }

    /// Writes `error` as the response to the upgrade request and closes the connection.
    static func refuse(_ error: APIError, on channel: any Channel) async {
        let body = (try? JSONBody.encoder.encode(ErrorBody(error: error.message))) ?? Data(#"{"error":"Refused"}"#.utf8)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Connection", value: "close")
        for field in error.headers { headers.add(name: field.name.rawName, value: field.value) }
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: Int(error.status.code), reasonPhrase: error.status.reasonPhrase),
            headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
        // Closed before the library writes its own 400 on the same connection. The library then
        // logs "Error handling upgrade result" (it finds the connection closed); nothing else happens.
        try? await channel.close().get()
    }
}
