import HTTPTypes
import Hummingbird
import Logging

/// Turns every failure into the API's error shape: known errors keep their status with
/// `{"error": "..."}`; an unknown route that exists for another method is 405 with `Allow`; anything
/// unexpected is logged with the request id and answered with a generic 500 that reveals nothing.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTableBox

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound {
                let allowed = routes.table.methods(forPath: request.uri.path)
                if !allowed.isEmpty {
                    return JSONBody.response(
                        ErrorBody(error: "Method \(request.method.rawValue) not allowed"), status: .methodNotAllowed,
                        headers: [.allow: allowed.map(\.rawValue).sorted().joined(separator: ", ")])
                }
                return JSONBody.response(ErrorBody(error: "Not found"), status: .notFound)
            }
            return JSONBody.response(ErrorBody(error: Self.message(for: error.status)), status: error.status)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(LogText(String(describing: error)))"])
            return JSONBody.response(ErrorBody(error: "Internal error", requestID: context.id), status: .internalServerError)
        }
    }

    /// Hummingbird's own errors (413, 415, 400 for undecodable bodies) carry its wording; ours is plainer.
    static func message(for status: HTTPResponse.Status) -> String {
        switch status {
        case .contentTooLarge: "Request body too large (limit 64 KiB)"
        case .unsupportedMediaType: "Content-Type must be application/json"
        case .badRequest: "Malformed request"
        default: status.reasonPhrase
        }
    }
}

/// A string made safe for a log line: control characters escaped, so user-supplied text can't start
/// a forged line.
struct LogText: CustomStringConvertible {
    let description: String

    init(_ text: some StringProtocol) {
        var escaped = ""
        for scalar in text.unicodeScalars.prefix(512) {
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                escaped += scalar.escaped(asASCII: true)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        description = escaped
    }
}

/// One structured line per request: method, route, status, duration, request id. The route is the
/// matched pattern (`/api/sessions/{id}`), never the query string, so no personal data lands in logs.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        response.headers[.requestID] = context.id
        metrics.recordRequest(
            method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: response.status.code, duration: elapsed)
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.route": "\(LogText(context.endpointPath ?? "unmatched"))",
                "http.status": "\(response.status.code)",
                "duration_ms": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
            ])
        return response
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-ID")!
}
