import Foundation
import Testing

/// The scenario harness (`tools/harness.py`), short version: the built `serve` under a mixed workload
/// for a few seconds, SIGKILLed and restarted twice, with the CRM receiver and the SMTP server stopped
/// and restarted mid-run; every check of the harness must pass. `tools/test` installs its Python
/// dependencies (aiosmtpd, websockets) first.
@Suite struct ScenarioHarnessTests {
    @Test func shortRunWithCrashRoundsAndOutageLosesNothing() async throws {
        let (status, text) = try await EngineBinary.runTool(
            "harness.py",
            ["--binary", EngineBinary.path, "--seconds", "8", "--users", "8", "--facilitators", "3", "--crash-rounds", "2", "--outage"])
        #expect(status == 0, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.hasPrefix("FAIL ") }, "\(text)")
        // Every check ran (a harness that stopped early must not pass for a clean one), and the
        // workload really booked, crashed and recovered.
        let summary = lines.last { $0.hasSuffix(" failed") } ?? ""
        #expect(summary.hasPrefix("16 passed, 0 failed"), "\(text)")
        #expect(lines.contains("PASS crash rounds done"), "\(text)")
        let ran = lines.first { $0.hasPrefix("ran ") } ?? ""
        #expect(ran.contains("2 crash rounds, 1 outages"), "\(text)")
        let confirmed = ran.split(separator: ",").first { $0.contains("bookings confirmed") }
            .flatMap { $0.split(separator: " ").compactMap { Int($0) }.first } ?? 0
        #expect(confirmed > 0, "\(text)")
    }
}
