import Foundation

/// Shows "done / total, rate" on a terminal for long runs, and nothing when stderr is piped.
final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let started = ContinuousClock.now
    private var lastDrawn = ContinuousClock.now
    private var drewSomething = false

    init(label: String) { self.label = label }

    /// The closure to hand to long operations; nil when progress would not be shown anyway.
    var callback: ((Int64, Int64) -> Void)? {
        isTerminal ? { [self] done, total in self.report(done: done, total: total) } : nil
    }

    private func report(done: Int64, total: Int64) {
        let now = ContinuousClock.now
        guard now - lastDrawn > .milliseconds(200) || done >= total else { return }
        lastDrawn = now
        let elapsed = max((now - started).seconds, 0.001)
        let rate = Int(Double(done) / elapsed)
        FileHandle.standardError.write(Data("\r\(label): \(done) / \(total) events, \(rate) events/s   ".utf8))
        drewSomething = true
    }

    /// Ends the progress line so later output starts on a fresh one.
    func finish() {
        if drewSomething { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    deinit { finish() }
}

/// Reads the process environment.
enum ProcessEnvironment {
    static func value(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
}
