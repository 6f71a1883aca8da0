import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The repository's root, from this file's location (Tests/MailTestSupport/SMTPTestServer.swift).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The test certificate authority that signed Fixtures/smtp-tls/server.pem (localhost, 127.0.0.1).
public let testCAFile = repositoryRoot + "/Fixtures/smtp-tls/ca.pem"

/// A fresh directory under the system's temporary directory.
public func makeTemporaryDirectory(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "booking-\(label)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Polls `condition` every 10 ms until it holds; fails with `what` after `timeout`.
public func waitForCondition(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

public struct WaitTimedOut: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// What tools/smtp-test-server.py records for an accepted message.
public struct ReceivedMail: Decodable {
    public var mail_from: String
    public var rcpt_tos: [String]
    public var tls: Bool
    public var auth_login: String?
    public var auth_mechanism: String?
    public var parsed: InspectedMessage
}

/// A message as Python's `email` package (policy.default) reads it: the independent referee.
public struct InspectedMessage: Decodable {
    public struct Part: Decodable {
        public var content_type: String
        public var charset: String?
        public var transfer_encoding: String?
        public var body: String
        public var defects: [String]
    }
    public var headers: [[String]]
    public var subject: String?
    public var from: String?
    public var to: String?
    public var message_id: String?
    public var date: String?
    public var content_type: String
    public var parts: [Part]
    public var defects: [String]
    public var bare_line_feeds: Int
    public var bare_carriage_returns: Int
    public var longest_line: Int

    /// Header names in order, e.g. ["Date", "From", …].
    public var headerNames: [String] { headers.map { $0[0] } }
}

/// Runs `tools/smtp-test-server.py inspect` on raw message bytes.
public func inspect(_ bytes: [UInt8]) throws -> InspectedMessage {
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

public struct InspectFailed: Error {}

/// A real SMTP server (aiosmtpd) in a subprocess, on a free port of 127.0.0.1.
public final class SMTPTestServer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private let process: Process

    public struct Ready: Decodable {
        public var port: Int
    }

    /// Starts the server and waits until it listens. `tls`: starttls, implicit or none.
    public init(
        tls: String = "starttls", user: String? = nil, password: String? = nil, rcptReply: String? = nil, stall: Bool = false, listenPort: Int? = nil
    ) async throws {
        directory = try makeTemporaryDirectory("smtp")
        var arguments = ["python3", repositoryRoot + "/tools/smtp-test-server.py", "serve", "--directory", directory, "--tls", tls]
        if let user, let password { arguments += ["--user", user, "--password", password] }
        if let rcptReply { arguments += ["--rcpt-reply", rcptReply] }
        if stall { arguments.append("--stall") }
        if let listenPort { arguments += ["--port", String(listenPort)] }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        try process.run()
        let readyFile = directory + "/ready.json"
        let process = process
        try await waitForCondition("the SMTP test server to listen (is aiosmtpd installed? tools/install-test-deps.sh)") {
            guard process.isRunning else { throw ServerExited(status: process.terminationStatus) }
            return FileManager.default.fileExists(atPath: readyFile)
        }
        port = try JSONDecoder().decode(Ready.self, from: Data(contentsOf: URL(fileURLWithPath: readyFile))).port
    }

    public struct ServerExited: Error, CustomStringConvertible {
        public var status: Int32
        public var description: String { "the SMTP test server exited with status \(status)" }
    }

    /// The messages accepted so far, in order.
    public func messages() throws -> [ReceivedMail] {
        var result: [ReceivedMail] = []
        var index = 1
        while let data = FileManager.default.contents(atPath: directory + "/message-\(index).json") {
            result.append(try JSONDecoder().decode(ReceivedMail.self, from: data))
            index += 1
        }
        return result
    }

    /// Waits until at least `count` messages were accepted.
    public func waitForMessages(_ count: Int) async throws -> [ReceivedMail] {
        try await waitForCondition("\(count) message(s) at the SMTP test server") { try messages().count >= count }
        return try messages()
    }

    /// Stops the server (SIGKILL: a child of the test process may inherit a blocked SIGTERM) and waits
    /// for it to exit, so its port is closed afterwards.
    public func stop() {
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
