import Foundation
import HTTPTypes
import Hummingbird

/// An error answered as `{"error": "..."}` with a status: the one error shape every client sees.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONBody.response(ErrorBody(error: message), status: status, headers: headers)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func notFound(_ what: String = "Not found") -> APIError { APIError(.notFound, what) }
    static var unauthorized: APIError {
        APIError(.unauthorized, "Authentication required", headers: [.wwwAuthenticate: "Bearer"])
    }
}

struct ErrorBody: Encodable {
    var error: String
    var requestID: String?

    enum CodingKeys: String, CodingKey {
        case error
        case requestID = "request_id"
    }
}

/// Encodes response bodies: compact JSON with sorted keys (stable output), `application/json`.
enum JSONBody {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        // Encoding our own response types can't fail; if it ever did, a 500 is the honest answer.
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"Internal error"}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
