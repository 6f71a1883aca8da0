import BookingAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every route that takes a JSON body, fed bodies that are cut short, wrongly typed, huge, deeply
/// nested or not UTF-8, over a real socket: each gets a 4xx with `{"error": "..."}` (naming the field
/// where one is to blame), and nothing reaches the log.
@Suite(.timeLimit(.minutes(5))) struct MalformedBodyTests {
    enum Kind { case string, integer, time, number }

    /// One body-taking route: a body it accepts, and the fields in it with their JSON kind.
    struct Route: CustomStringConvertible {
        var method: HTTPRequest.Method
        var uri: String
        var token: String?
        var fields: [(name: String, kind: Kind, required: Bool, valid: String)]
        var description: String { "\(method) \(uri)" }

        func body(replacing name: String? = nil, with raw: String? = nil) -> String {
            "{" + fields.map { field in "\"\(field.name)\":\(field.name == name ? raw! : field.valid)" }.joined(separator: ",") + "}"
        }
    }

    /// The routes, with a facilitator, a user and a session to act on.
    static func routes(_ api: APIClient) async throws -> [Route] {
        let host = try await api.register("host@example.com", role: "facilitator")
        let guest = try await api.register("guest@example.com")
        let created = try await api.call(
            .post, "/api/sessions", token: host,
            json: #"{"title":"Yoga","start_time":"2099-05-01T07:00:00Z","end_time":"2099-05-01T08:00:00Z","capacity":5}"#)
        let session = try #require(created["session_id"] as? Int, "\(created.text)")
        let sessionFields: [(String, Kind, Bool, String)] = [
            ("title", .string, true, #""Dawn yoga""#), ("description", .string, false, #""Bring a mat""#),
            ("session_type", .string, false, #""retreat""#), ("start_time", .time, true, #""2099-06-01T07:00:00Z""#),
            ("end_time", .time, true, #""2099-06-01T08:00:00Z""#), ("capacity", .integer, true, "12"), ("price", .number, false, "19.99"),
            ("location", .string, false, #""Studio 2""#),
        ]
        return [
            Route(
                method: .post, uri: "/api/auth/register",
                fields: [
                    ("email", .string, true, #""new@example.com""#), ("password", .string, true, #""a long enough passphrase""#),
                    ("name", .string, true, #""New Person""#), ("role", .string, false, #""user""#), ("bio", .string, false, #""Hi""#),
                    ("specialization", .string, false, #""Yoga""#),
                ]),
            Route(
                method: .post, uri: "/api/auth/login",
                fields: [("email", .string, true, #""guest@example.com""#), ("password", .string, true, #""a long enough passphrase""#)]),
            Route(method: .post, uri: "/api/auth/google", fields: [("id_token", .string, true, #""eyJhbGciOiJSUzI1NiJ9.e30.c2ln""#)]),
            Route(method: .post, uri: "/api/sessions", token: host, fields: sessionFields.map { ($0.0, $0.1, $0.2, $0.3) }),
            // Every field of an update is optional; each is still type-checked.
            Route(method: .put, uri: "/api/sessions/\(session)", token: host, fields: sessionFields.map { ($0.0, $0.1, false, $0.3) }),
            Route(
                method: .post, uri: "/api/bookings", token: guest,
                fields: [("session_id", .integer, true, "\(session)"), ("notes", .string, false, #""Vegetarian""#)]),
            Route(method: .post, uri: "/api/notifications/ack", token: host, fields: [("position", .integer, true, "0")]),
        ]
    }

    static func head(_ api: APIClient) async throws -> Int {
        let health = try await api.call(.get, "/health")
        return try #require((health["store"] as? [String: Any])?["last_position"] as? Int, "\(health.text)")
    }

    /// Sends `body` raw and expects `status` with a JSON `{"error": "..."}` body; returns the message.
    @discardableResult
    static func expect(
        _ api: APIClient, _ route: Route, body: some Sequence<UInt8>, status: HTTPResponse.Status = .badRequest, mentioning: String? = nil,
        contentType: String = "application/json", sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        var headers: HTTPFields = [.contentType: contentType]
        if let token = route.token { headers[.authorization] = "Bearer \(token)" }
        let bytes = Array(body)
        let reply = try await api.client.execute(uri: route.uri, method: route.method, headers: headers, body: ByteBuffer(bytes: bytes)) {
            response in
            (response.status, String(buffer: response.body))
        }
        let preview = String(decoding: bytes.prefix(80), as: UTF8.self)
        #expect(reply.0 == status, "\(route) \(preview): \(reply.1.prefix(300))", sourceLocation: sourceLocation)
        let object = try? JSONSerialization.jsonObject(with: Data(reply.1.utf8)) as? [String: Any]
        let message = object?["error"] as? String
        #expect(
            message != nil && object?.count == 1, "\(route) \(preview): not an error body: \(reply.1.prefix(300))", sourceLocation: sourceLocation)
        if let mentioning {
            #expect(message?.contains(mentioning) == true, "\(route) \(preview): \(reply.1.prefix(300))", sourceLocation: sourceLocation)
        }
        return message ?? ""
    }

    static func expect(
        _ api: APIClient, _ route: Route, _ body: String, status: HTTPResponse.Status = .badRequest, mentioning: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await expect(api, route, body: Array(body.utf8), status: status, mentioning: mentioning, sourceLocation: sourceLocation)
    }

    /// Runs `check` on every route and asserts the log head did not move.
    static func onEveryRoute(_ check: @escaping @Sendable (APIClient, Route) async throws -> Void) async throws {
        try await withLiveApplication(APIFlowTests.noLimits) { client in
            let api = APIClient(client: client)
            let routes = try await routes(api)
            let before = try await head(api)
            for route in routes { try await check(api, route) }
            #expect(try await head(api) == before, "a malformed body wrote to the log")
        }
    }

    @Test func theValidBodiesAreAccepted() async throws {
        // The malformed variants below are derived from these: they must work, or the tests prove nothing.
        try await withLiveApplication(APIFlowTests.noLimits) { client in
            let api = APIClient(client: client)
            for route in try await Self.routes(api) where route.uri != "/api/auth/google" {
                let reply = try await api.call(route.method, route.uri, token: route.token, json: route.body())
                #expect((200..<300).contains(reply.status.code), "\(route): \(reply.text)")
            }
        }
    }

    @Test func truncatedBodiesAre400() async throws {
        try await Self.onEveryRoute { api, route in
            let body = Array(route.body().utf8)
            for cut in Set([0, 1, body.count / 3, body.count / 2, body.count - 1]) {
                let message = try await Self.expect(api, route, body: body.prefix(cut))
                #expect(message == "Request body is not valid JSON", "\(route) cut at \(cut): \(message)")
            }
        }
    }

    @Test func wrongTypesAre400NamingTheField() async throws {
        try await Self.onEveryRoute { api, route in
            for field in route.fields {
                var wrong = ["true", "[]", "{}", #"[\#(field.valid)]"#, #"{"value":\#(field.valid)}"#]
                switch field.kind {
                case .string, .time: wrong += ["42", "-1.5"]
                case .integer, .number: wrong += [#""\#(field.valid)""#, #""""#]
                }
                if field.required { wrong.append("null") }
                for value in wrong {
                    try await Self.expect(api, route, route.body(replacing: field.name, with: value), mentioning: field.name)
                }
            }
            // Not an object at all.
            for body in ["[]", "[\(route.body())]", "\"text\"", "42", "null", "true"] {
                try await Self.expect(api, route, body, mentioning: "must be a JSON object")
            }
        }
    }

    @Test func hugeBodiesAre413AndHugeFieldsAre400NamingTheField() async throws {
        let limit = 64 * 1024
        try await Self.onEveryRoute { api, route in
            // Just over the limit: 413 before any parsing. At the limit: read, then refused for the field.
            let first = route.fields[0]
            for (size, status) in [(limit + 1, HTTPResponse.Status.contentTooLarge), (limit, .badRequest)] {
                let frame = route.body(replacing: first.name, with: #""""#)
                let padded = route.body(replacing: first.name, with: "\"" + String(repeating: "x", count: size - frame.utf8.count) + "\"")
                #expect(padded.utf8.count == size)
                try await Self.expect(api, route, padded, status: status, mentioning: status == .badRequest ? first.name : "too large")
            }
            // 2 MB: still a clean 413, not a dropped connection.
            try await Self.expect(api, route, "{\"a\":\"" + String(repeating: "y", count: 2 << 20) + "\"}", status: .contentTooLarge)
            for field in route.fields {
                // A 60 KiB string in each field, and a 400-digit number: each refused naming the field.
                let huge = "\"" + String(repeating: "z", count: 60 * 1024) + "\""
                if route.uri == "/api/auth/login" && field.name == "password" {
                    // Login doesn't bound a password's length (accounts made under older rules must still
                    // sign in): a long one is merely wrong. With an unknown e-mail nothing is recorded.
                    try await Self.expect(api, route, #"{"email":"nobody@example.com","password":\#(huge)}"#, status: .unauthorized)
                } else {
                    try await Self.expect(api, route, route.body(replacing: field.name, with: huge), mentioning: field.name)
                }
                let digits = "9" + String(repeating: "0", count: 399)
                try await Self.expect(api, route, route.body(replacing: field.name, with: digits), mentioning: field.name)
                try await Self.expect(api, route, route.body(replacing: field.name, with: "-1e999999"), mentioning: field.name)
            }
        }
    }

    @Test func deeplyNestedBodiesAre4xxWithoutCrashing() async throws {
        try await Self.onEveryRoute { api, route in
            func status(_ body: String) -> HTTPResponse.Status { body.utf8.count > 64 * 1024 ? .contentTooLarge : .badRequest }
            // 100,000 levels is over the size limit (413, never parsed); 10,000 is under it and reaches the parser.
            for depth in [100_000, 10_000] {
                let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                let openers = String(repeating: "[", count: depth)
                let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
                let halfDeep = String(repeating: "[", count: depth / 2) + String(repeating: "]", count: depth / 2)
                let inField = route.body(replacing: route.fields[0].name, with: halfDeep)
                for body in [arrays, openers, objects, inField] {
                    try await Self.expect(api, route, body, status: status(body))
                }
                #expect(status(objects) == (depth == 100_000 ? .contentTooLarge : .badRequest), "the sizes test what they say")
            }
            // Shallow enough for the JSON parser, still the wrong type: named.
            let nested = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
            try await Self.expect(api, route, route.body(replacing: route.fields[0].name, with: nested), mentioning: route.fields[0].name)
        }
    }

    @Test func invalidUTF8AndNULBytesAre400() async throws {
        try await Self.onEveryRoute { api, route in
            let badSequences: [[UInt8]] = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82]]
            // Inside a string: the first string field, else a string in place of the first field.
            let field = route.fields.first(where: { $0.kind == .string }) ?? route.fields[0]
            let marker = "\u{1}MARK\u{1}"
            let parts = route.body(replacing: field.name, with: "\"abc\(marker)def\"").components(separatedBy: marker)
            let (before, after) = (Array(parts[0].utf8), Array(parts[1].utf8))
            for bad in badSequences {
                try await Self.expect(api, route, body: before + bad + after)  // inside a string
                try await Self.expect(api, route, body: bad + Array(route.body().utf8))  // a bare byte before the object
                try await Self.expect(api, route, body: Array(route.body().utf8.dropLast()) + bad + [UInt8(ascii: "}")])  // between members
            }
            // A raw NUL inside a string, and as a bare byte after the object.
            try await Self.expect(api, route, body: before + [0] + after)
            try await Self.expect(api, route, body: Array(route.body().utf8) + [0])
            // UTF-16 and UTF-32 without a byte-order mark (Foundation would guess and read them).
            try await Self.expect(api, route, body: route.body().utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
            try await Self.expect(api, route, body: route.body().unicodeScalars.flatMap { [UInt8($0.value & 0xFF), 0, 0, 0] })
            // UTF-16 is not UTF-8.
            try await Self.expect(api, route, body: [0xFF, 0xFE] + route.body().utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        }
    }

    @Test func duplicateKeysTrailingCommasAndByteOrderMarksAre400() async throws {
        try await Self.onEveryRoute { api, route in
            // Which of two values counts is parser-dependent; a proxy and we could disagree. Refused.
            let first = route.fields[0]
            let duplicated = "{\"\(first.name)\":\(first.valid)," + route.body().dropFirst()
            try await Self.expect(api, route, duplicated, mentioning: first.name)
            // Trailing commas, which Foundation's decoder would take.
            try await Self.expect(api, route, String(route.body().dropLast()) + ",}", mentioning: "trailing comma")
            try await Self.expect(api, route, route.body(replacing: first.name, with: "[\(first.valid),]"), mentioning: "trailing comma")
            // RFC 8259 §8.1: JSON text is UTF-8 without a byte-order mark.
            try await Self.expect(api, route, body: [0xEF, 0xBB, 0xBF] + Array(route.body().utf8))
        }
    }

    @Test func nonJSONContentTypesAre415() async throws {
        try await Self.onEveryRoute { api, route in
            for type in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "multipart/form-data; boundary=x"] {
                try await Self.expect(api, route, body: Array(route.body().utf8), status: .unsupportedMediaType, contentType: type)
            }
        }
    }
}
