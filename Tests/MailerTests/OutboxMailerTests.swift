import MailTestSupport
import Foundation
import Mailer
import Testing

@Suite("Outbox mailer")
struct OutboxMailerTests {
    @Test("writes the rendered message as <Message-ID>.eml, private, with no temporary files left")
    func writesEML() async throws {
        let directory = try makeTemporaryDirectory("outbox") + "/outbox"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let message = sampleMessage()
        let outbox = OutboxMailer(directory: directory)
        try await outbox.send(message)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files == [message.messageID + ".eml"])
        let bytes = try #require(FileManager.default.contents(atPath: outbox.path(forMessageID: message.messageID)))
        #expect(Array(bytes) == (try MIMERenderer().render(message)))
        let parsed = try inspect(Array(bytes))
        #expect(parsed.subject == message.subject)
        #expect(parsed.parts.count == 2)
        let attributes = try FileManager.default.attributesOfItem(atPath: outbox.path(forMessageID: message.messageID))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: directory)
        #expect((folder[.posixPermissions] as? Int) == 0o700)
    }

    @Test("a resend with the same Message-ID overwrites; another Message-ID is another file")
    func resendOverwrites() async throws {
        let directory = try makeTemporaryDirectory("outbox")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = OutboxMailer(directory: directory)
        var message = sampleMessage()
        try await outbox.send(message)
        message.textBody = "second attempt"
        try await outbox.send(message)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 1)
        let parsed = try inspect(Array(try #require(FileManager.default.contents(atPath: outbox.path(forMessageID: message.messageID)))))
        #expect(parsed.parts.first?.body == "second attempt")
        try await outbox.send(sampleMessage(messageID: "another@booking-engine"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["another@booking-engine.eml", message.messageID + ".eml"].sorted())
    }

    @Test("file names can't escape the folder or collide after sanitising")
    func fileNames() {
        let sneaky = OutboxMailer.fileName(forMessageID: "../../etc/passwd@x")
        #expect(!sneaky.contains("/"))
        #expect(!sneaky.hasPrefix("."))
        #expect(sneaky.hasSuffix(".eml"))
        #expect(OutboxMailer.fileName(forMessageID: "a/b@x") != OutboxMailer.fileName(forMessageID: "a_b@x"))
        #expect(OutboxMailer.fileName(forMessageID: "plain.id@booking-engine") == "plain.id@booking-engine.eml")
    }

    @Test("an unwritable outbox is a transient failure")
    func unwritable() async throws {
        let directory = try makeTemporaryDirectory("outbox")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let blocker = directory + "/not-a-folder"
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        let error = try await #require(throws: MailDeliveryError.self) { try await OutboxMailer(directory: blocker + "/outbox").send(sampleMessage()) }
        #expect(error.kind == .transient)
    }

    @Test("an invalid message is refused permanently and writes nothing")
    func invalidMessage() async throws {
        let directory = try makeTemporaryDirectory("outbox")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var message = sampleMessage()
        message.subject = "a\nBcc: victim@example.com"
        let error = try await #require(throws: MailDeliveryError.self) { try await OutboxMailer(directory: directory).send(message) }
        #expect(error.kind == .permanent)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}
