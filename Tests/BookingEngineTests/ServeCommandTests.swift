import Foundation
import Testing

@Suite struct ServeCommandTests {
    /// `serve` opens (creating) the store, rebuilds projections, reports it, and stops cleanly on SIGTERM.
    @Test func serveStartsAndStopsOnSIGTERM() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EngineBinary.path)
        process.arguments = ["serve", "--data-dir", directory.path, "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var seen = Data()
        let reader = output.fileHandleForReading
        while !String(decoding: seen, as: UTF8.self).contains("store open") {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        #expect(String(decoding: seen, as: UTF8.self).contains("log.position=0"))
        kill(process.processIdentifier, SIGTERM)
        seen.append(reader.readDataToEndOfFile())
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: seen, as: UTF8.self))")
        #expect(String(decoding: seen, as: UTF8.self).contains("stopped"))
        #expect(FileManager.default.fileExists(atPath: directory.path + "/data.mdb"))
    }
}
