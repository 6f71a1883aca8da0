import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The repository's root, from this file's location (Tests/MailerTests/SMTPTestServer.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The test certificate authority that signed Fixtures/smtp-tls/server.pem (localhost, 127.0.0.1).
let testCAFile = repositoryRoot + "/Fixtures/smtp-tls/ca.pem"

/// A fresh directory under the system's temporary directory.
func makeTemporaryDirectory(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "booking-\(label)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Polls `condition` every 10 ms until it holds; fails with `what` after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

struct WaitTimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// What tools/smtp-test-server.py records for an accepted message.
struct ReceivedMail: Decodable {
    var mail_from: String
    var rcpt_tos: [String]
    var tls: Bool
    var auth_login: String?
    var auth_mechanism: String?
    var parsed: InspectedMessage
}

/// A message as Python's `email` package (policy.default) reads it: the independent referee.
struct InspectedMessage: Decodable {
    struct Part: Decodable {
        var content_type: String
        var charset: String?
        var transfer_encoding: String?
        var body: String
        var defects: [String]
    }
    var headers: [[String]]
    var subject: String?
    var from: String?
    var to: String?
    var message_id: String?
    var date: String?
    var content_type: String
    var parts: [Part]
    var defects: [String]
    var bare_line_feeds: Int
    var bare_carriage_returns: Int
    var longest_line: Int

    /// Header names in order, e.g. ["Date", "From", …].
    var headerNames: [String] { headers.map { $0[0] } }
}

/// Runs `tools/smtp-test-server.py inspect` on raw message bytes.
func inspect(_ bytes: [UInt8]) throws -> InspectedMessage {
    let directory = try makeTemporaryDirectory("inspect")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let file = directory + "/message.eml"
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", repositoryRoot + "/tools/smtp-test-server.py", "inspect", file]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw InspectFailed() }
    return try JSONDecoder().decode(InspectedMessage.self, from: data)
}

struct InspectFailed: Error {}

/// A real SMTP server (aiosmtpd) in a subprocess, on a free port of 127.0.0.1.
final class SMTPTestServer: @unchecked Sendable {
    let port: Int
    let directory: String
    private let process: Process

    struct Ready: Decodable {
        var port: Int
    }

    /// Starts the server and waits until it listens. `tls`: starttls, implicit or none.
    init(tls: String = "starttls", user: String? = nil, password: String? = nil, rcptReply: String? = nil, stall: Bool = false) async throws {
        directory = try makeTemporaryDirectory("smtp")
        var arguments = ["python3", repositoryRoot + "/tools/smtp-test-server.py", "serve", "--directory", directory, "--tls", tls]
        if let user, let password { arguments += ["--user", user, "--password", password] }
        if let rcptReply { arguments += ["--rcpt-reply", rcptReply] }
        if stall { arguments.append("--stall") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        try process.run()
        let readyFile = directory + "/ready.json"
        let process = process
        try await waitUntil("the SMTP test server to listen (is aiosmtpd installed? tools/install-test-deps.sh)") {
            guard process.isRunning else { throw ServerExited(status: process.terminationStatus) }
            return FileManager.default.fileExists(atPath: readyFile)
        }
        port = try JSONDecoder().decode(Ready.self, from: Data(contentsOf: URL(fileURLWithPath: readyFile))).port
    }

    struct ServerExited: Error, CustomStringConvertible {
        var status: Int32
        var description: String { "the SMTP test server exited with status \(status)" }
    }

    /// The messages accepted so far, in order.
    func messages() throws -> [ReceivedMail] {
        var result: [ReceivedMail] = []
        var index = 1
        while let data = FileManager.default.contents(atPath: directory + "/message-\(index).json") {
            result.append(try JSONDecoder().decode(ReceivedMail.self, from: data))
            index += 1
        }
        return result
    }

    /// Waits until at least `count` messages were accepted.
    func waitForMessages(_ count: Int) async throws -> [ReceivedMail] {
        try await waitUntil("\(count) message(s) at the SMTP test server") { try messages().count >= count }
        return try messages()
    }

    /// Stops the server (SIGKILL: a child of the test process may inherit a blocked SIGTERM) and waits
    /// for it to exit, so its port is closed afterwards.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
