import Foundation
import PasswordHashing
import Testing

@Suite("Common-password list")
struct CommonPasswordsTests {
    @Test("the fixture loads: ≥ 10,000 entries of 8+ characters, lower-case, deduplicated, one per line")
    func fixtureLoads() throws {
        let list = try CommonPasswords(contentsOf: commonPasswordsURL)
        let text = try String(contentsOf: commonPasswordsURL, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(!lines.contains(""))
        #expect(!lines.contains { $0.contains("\r") || $0 != $0.trimmingCharacters(in: .whitespaces)[...] })
        #expect(lines.allSatisfy { $0 == $0.lowercased()[...] })
        #expect(Set(lines).count == lines.count)
        #expect(list.count == lines.count)
        #expect(list.count >= 10_000)
        let long = lines.filter { $0.unicodeScalars.count >= 8 }
        #expect(long.count >= 10_000, "only \(long.count) entries of 8+ characters")
        // Ranked: the file starts with the most common passwords.
        #expect(Array(lines.prefix(3)) == ["123456", "password", "12345678"])
        for entry in ["password123", "iloveyou", "qwertyuiop", "trustno1", "baseball"] {
            #expect(list.contains(entry), "\(entry)")
        }
    }

    @Test("matching is case-insensitive and exact (not substring)")
    func caseInsensitive() {
        let list = CommonPasswords(["Dragon", "letmein", "", "MiXeD"])
        #expect(list.count == 3)
        #expect(list.contains("dragon") && list.contains("DRAGON") && list.contains("dRaGoN"))
        #expect(list.contains("LETMEIN") && list.contains("mixed"))
        #expect(!list.contains("dragons"))
        #expect(!list.contains("letmein!"))
        #expect(!list.contains(""))
        #expect(!CommonPasswords.empty.contains("password"))
    }

    @Test("files with CRLF line ends and blank lines load; entries keep inner spaces and '#'")
    func fileFormats() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("common-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("Alpha\r\nbeta\r\n\r\n# not a comment\nwith space\n".utf8).write(to: url)
        let list = try CommonPasswords(contentsOf: url)
        #expect(list.count == 4)
        #expect(list.contains("ALPHA") && list.contains("beta") && list.contains("# NOT A COMMENT") && list.contains("with space"))
        #expect(!list.contains("alpha\r"))
    }

    @Test("a missing file or one that is not UTF-8 throws")
    func loadingErrors() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("missing-\(UUID().uuidString).txt")
        #expect(throws: (any Error).self) { try CommonPasswords(contentsOf: missing) }
        let binary = FileManager.default.temporaryDirectory.appendingPathComponent("binary-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: binary) }
        try Data([0x70, 0x61, 0x73, 0x73, 0xFF, 0xFE, 0x0A]).write(to: binary)
        #expect(throws: CommonPasswords.LoadingError.notUTF8(path: binary.path)) { try CommonPasswords(contentsOf: binary) }
        #expect(CommonPasswords.LoadingError.notUTF8(path: "/x").description == "common-password list /x is not valid UTF-8")
    }
}

@Suite struct EmbeddedCommonPasswordsTests {
    @Test func builtInListEqualsTheFixture() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/common-passwords.txt")
        let fromFile = try CommonPasswords(contentsOf: fixture)
        #expect(CommonPasswords.builtIn.count == fromFile.count)
        #expect(CommonPasswords.builtIn.count >= 10_000)
        #expect(CommonPasswords.builtIn.contains("Password123") == fromFile.contains("password123"))
    }
}
