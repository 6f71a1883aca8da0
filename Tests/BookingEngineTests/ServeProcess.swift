import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built `booking-engine serve` on a free port, its output going to a log file (so a long test
/// can't stall it on a full pipe, and the test can read what the operator would see).
final class ServeProcess {
    let process = Process()
    let logPath: String
    private(set) var port = 0

    /// Starts `serve` on `dataDirectory` with `arguments` added, and waits (without blocking a
    /// cooperative thread) until it listens.
    static func start(
        dataDirectory: String, logPath: String, arguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> ServeProcess {
        let server = try ServeProcess(dataDirectory: dataDirectory, logPath: logPath, arguments: arguments, environment: environment)
        let deadline = ContinuousClock.now + .seconds(120)
        while server.port == 0 {
            let text = server.log
            if let range = text.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                server.port = Int(text[range].split(separator: ":").last!)!
            } else if !server.process.isRunning || ContinuousClock.now > deadline {
                server.stop()
                throw TestFailure("serve did not start: \(text)")
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return server
    }

    private init(dataDirectory: String, logPath: String, arguments: [String], environment: [String: String]) throws {
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: EngineBinary.path)
        process.arguments = ["serve", "--data-dir", dataDirectory, "--port", "0"] + arguments
        process.environment = ["RATE_LIMIT_ENABLED": "false", "PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// Everything the server printed so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Graceful stop (SIGTERM), as an operator's service manager would.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    /// One request; answers the status, the JSON object (if the body is one), the decoded body and the headers.
    func call(
        _ method: String, _ path: String, token: String? = nil, json: String? = nil
    ) async throws -> (status: Int, object: [String: Any]?, body: Any?, headers: [AnyHashable: Any]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let decoded = try? JSONSerialization.jsonObject(with: data)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, decoded as? [String: Any], decoded, http?.allHeaderFields ?? [:])
    }
}
