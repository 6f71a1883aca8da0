import Foundation

/// The built `booking-engine` executable, for tests that run it as a user would.
///
/// `tools/test` builds it before the tests run and passes its path in `BOOKING_ENGINE_BIN`; otherwise
/// the debug build next to the package is used.
enum EngineBinary {
    /// The package's root folder.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var path: String {
        if let path = ProcessInfo.processInfo.environment["BOOKING_ENGINE_BIN"] { return path }
        return packageRoot.appendingPathComponent(".build/debug/booking-engine").path
    }

    struct Result {
        var status: Int32
        var output: String
        var errorOutput: String
    }

    /// Runs `python3 tools/<script>` with `arguments`, output and errors interleaved. The tools take a
    /// while, so this waits on a thread of its own, not on the cooperative pool other suites share.
    static func runTool(_ script: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot.appendingPathComponent("tools/\(script)").path] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = await withCheckedContinuation { continuation in
            Thread {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }.start()
        }
        return (process.terminationStatus, text)
    }

    /// Runs the engine with `arguments` to completion.
    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read before waiting, so a large output can't fill the pipe and stall the child.
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errorOutput = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
            errorOutput: String(decoding: errorOutput, as: UTF8.self))
    }
}
