import Foundation
import Testing

/// Schemathesis against the built `serve` binary and the document it serves (`tools/fuzz_api.py`):
/// no 5xx, every response as documented, the server healthy afterwards. `tools/test` installs
/// Schemathesis into `.build-venv` first.
@Suite struct APIFuzzingTests {
    @Test func schemathesisFindsNoServerErrorAndNoUndocumentedResponse() async throws {
        let schemathesis = EngineBinary.packageRoot.appendingPathComponent(".build-venv/bin/schemathesis").path
        try #require(
            FileManager.default.isExecutableFile(atPath: schemathesis),
            "Schemathesis is missing: run tools/install-fuzz-deps.sh (tools/test does)")
        let (status, text) = try await EngineBinary.runTool(
            "fuzz_api.py", ["--binary", EngineBinary.path, "--schemathesis", schemathesis, "--max-examples", "15"])
        #expect(status == 0, "\(text)")
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
