import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The built `booking-engine` executable (`BOOKING_ENGINE_BIN`, or the debug build beside the package).
enum EngineBinary {
    static var path: String {
        if let path = ProcessInfo.processInfo.environment["BOOKING_ENGINE_BIN"] { return path }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/booking-engine").path
    }

    /// Runs a subcommand to completion; returns its status and standard output.
    ///
    /// Waits on a thread of its own: the child often talks to a server inside this test process, whose
    /// handlers need the cooperative pool (two threads on a 2-core machine) that a blocking wait would hold.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try runBlocking(arguments, environment: environment) }) }.start()
        }
    }

    private static func runBlocking(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { current, _ in current }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// `booking-engine serve` running as its own process, its output in a file (so it never blocks on a pipe).
final class ServeProcess {
    let process = Process()
    let port: Int
    let logPath: String

    init(dataDirectory: String, environment: [String: String]) async throws {
        logPath = dataDirectory + "/serve-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: EngineBinary.path)
        process.arguments = ["serve", "--data-dir", dataDirectory, "--port", "0"]
        process.environment = environment.merging(["RATE_LIMIT_ENABLED": "false", "PATH": "/usr/bin:/bin"]) { current, _ in current }
        process.standardOutput = log
        process.standardError = log
        try process.run()
        var found: Int?
        let path = logPath
        let process = self.process
        try await waitUntil("serve to listen; its output: \((try? String(contentsOfFile: path, encoding: .utf8)) ?? "")") {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(text[range].split(separator: ":").last!)
            }
            if found == nil, !process.isRunning { throw TestFailure("serve exited: \(text)") }
            return found != nil
        }
        port = found!
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGKILL: no shutdown code runs.
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits for the exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// `GET /health` as JSON.
    func health() async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
        return try (JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// `/health`'s `side_effects.crm`.
    func crmHealth() async throws -> [String: Any] {
        (try await health()["side_effects"] as? [String: Any])?["crm"] as? [String: Any] ?? [:]
    }
}
