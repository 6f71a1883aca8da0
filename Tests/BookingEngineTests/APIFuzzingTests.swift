import Foundation
import Testing

/// Schemathesis against the built `serve` binary and the document it serves (`tools/fuzz_api.py`):
/// no 5xx, every response as documented, the server healthy afterwards. `tools/test` installs
/// Schemathesis into `.build-venv` first.
@Suite struct APIFuzzingTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func schemathesisFindsNoServerErrorAndNoUndocumentedResponse() async throws {
        let schemathesis = Self.packageRoot.appendingPathComponent(".build-venv/bin/schemathesis").path
        try #require(
            FileManager.default.isExecutableFile(atPath: schemathesis),
            "Schemathesis is missing: run tools/install-fuzz-deps.sh (tools/test does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.packageRoot.appendingPathComponent("tools/fuzz_api.py").path, "--binary", EngineBinary.path,
            "--schemathesis", schemathesis, "--max-examples", "15",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // The run takes a while: wait on a thread of its own, not on the cooperative pool other suites share.
        let text = await withCheckedContinuation { continuation in
            Thread {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }.start()
        }
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("fuzzing passed"), "\(text)")
        // Every run generated cases: a run that tested nothing must not pass for a clean one.
        let counts = text.split(separator: "\n").filter { $0.hasPrefix("schemathesis ") }
        #expect(counts.count == 3, "\(text)")
        for line in counts {
            let generated = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            #expect(generated > 0, "\(line)")
        }
    }
}
