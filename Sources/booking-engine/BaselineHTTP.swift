import ArgumentParser
import Hummingbird
import Logging

/// `baseline-http`: a plain Hummingbird 2 server with two trivial routes and nothing else, so the HTTP
/// benchmark can measure the framework's own ceiling on the same box, in the same run, as the engine.
struct BaselineHTTP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline-http", abstract: "Serve GET/POST /plain and GET /plain/page with plain Hummingbird (benchmark baseline).",
        shouldDisplay: false)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8090

    func run() async throws {
        var logger = Logger(label: "booking.baseline")
        logger.logLevel = .warning
        let router = Router()
        // The same response shape as a small API answer: JSON with a content type.
        router.get("/plain") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        // A precomputed JSON array as large as a page of 100 sessions: the transport's share of a page,
        // without any rendering.
        let page = ByteBuffer(string: "[" + Array(repeating: #"{"padding":"\#(String(repeating: "x", count: 390))"}"#, count: 100).joined(separator: ",") + "]")
        router.get("/plain/page") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: page))
        }
        // Reads the body like the API does, answers 201.
        router.post("/plain") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            return Response(
                status: .created, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"received":\#(body.readableBytes)}"#)))
        }
        let application = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil), logger: logger)
        try await application.runService()
    }
}
