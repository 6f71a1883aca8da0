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

@Suite struct SecretsCommandTests {
    @Test func secretsPrintsFreshStrongValuesThatProductionAccepts() throws {
        let first = try EngineBinary.run(["secrets"])
        let second = try EngineBinary.run(["secrets"])
        #expect(first.status == 0)
        func values(_ text: String) -> [String: String] {
            Dictionary(uniqueKeysWithValues: text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            })
        }
        let a = values(first.output)
        let b = values(second.output)
        #expect(a["BOOKING_ENV"] == "production")
        for name in ["JWT_SECRET_KEY", "CRM_BEARER_TOKEN"] {
            #expect((a[name]?.utf8.count ?? 0) >= 32, "\(name)")
            #expect(a[name] != b[name], "\(name) must be fresh each time")
        }
    }

    /// Production mode refuses to start without strong secrets, and says which one.
    @Test func productionRefusesMissingOrDefaultSecrets() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cases: [([String: String], String)] = [
            ([:], "JWT_SECRET_KEY"),
            (["JWT_SECRET_KEY": "your-secret-key-change-in-production"], "JWT_SECRET_KEY"),
            (["JWT_SECRET_KEY": String(repeating: "k", count: 40)], "CRM_BEARER_TOKEN"),
            (["JWT_SECRET_KEY": String(repeating: "k", count: 40), "CRM_BEARER_TOKEN": "short"], "CRM_BEARER_TOKEN"),
        ]
        for (environment, variable) in cases {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: EngineBinary.path)
            process.arguments = ["serve", "--data-dir", directory.path, "--port", "0"]
            process.environment = environment.merging(["BOOKING_ENV": "production", "PATH": "/usr/bin:/bin"]) { $1 }
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus != 0, "\(environment)")
            #expect(text.contains(variable), "\(text)")
        }
    }
}
