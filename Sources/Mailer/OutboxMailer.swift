import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// "Sends" mail by writing each message as an `.eml` file into a folder (by default `DATA-DIR/outbox`),
/// so the embedded default works without a mail server and shows exactly what would be sent.
///
/// The file is named from the Message-ID, so a resend after a crash overwrites instead of duplicating.
/// Each write is atomic and durable: a temporary file is written and fsync'd, renamed into place and the
/// folder fsync'd, before `send` returns. Files and folder are private (0600/0700): mail holds personal data.
public struct OutboxMailer: Mailer {
    /// The folder the `.eml` files go to; created on first send.
    public let directory: String
    private let renderer: MIMERenderer
    private let pool: BlockingPool

    /// An outbox in `directory`; file I/O runs on `pool`.
    public init(directory: String, renderer: MIMERenderer = MIMERenderer(), pool: BlockingPool = .mail) {
        self.directory = directory
        self.renderer = renderer
        self.pool = pool
    }

    /// The file name for a Message-ID: the id itself when it is made of safe characters, otherwise a
    /// sanitised form plus a hash of the original, so distinct ids never share a file.
    public static func fileName(forMessageID messageID: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@+".utf8)
        var safe = String(decoding: messageID.utf8.prefix(180).map { allowed.contains($0) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
        if safe != messageID || safe.hasPrefix(".") || safe.isEmpty {
            safe = "_" + safe + "-" + MIMERenderer.boundary(for: messageID).replacingOccurrences(of: "=_booking-engine_", with: "")
        }
        return safe + ".eml"
    }

    /// The path a message is (or would be) written to.
    public func path(forMessageID messageID: String) -> String {
        directory + "/" + Self.fileName(forMessageID: messageID)
    }

    /// Writes `message` to its `.eml` file, replacing an earlier copy of the same Message-ID.
    public func send(_ message: MailMessage) async throws(MailDeliveryError) {
        let bytes: [UInt8]
        do {
            bytes = try renderer.render(message)
        } catch {
            throw .invalid(error)
        }
        let directory = directory
        let target = path(forMessageID: message.messageID)
        let result = await pool.run { Self.writeDurably(bytes, to: target, in: directory) }
        try result.get()
    }

    /// Temp file, write, fsync, rename, fsync the folder. Failures are transient: a full disk or a
    /// permissions slip can be fixed and the delivery retried.
    private static func writeDurably(_ bytes: [UInt8], to target: String, in directory: String) -> Result<Void, MailDeliveryError> {
        func failure(_ step: String) -> Result<Void, MailDeliveryError> {
            .failure(MailDeliveryError(kind: .transient, reason: "outbox \(step) failed: \(String(cString: strerror(errno)))"))
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            return .failure(MailDeliveryError(kind: .transient, reason: "outbox folder could not be created"))
        }
        let temporary = directory + "/.tmp-" + UUID().uuidString
        let file = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard file >= 0 else { return failure("create") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(file, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                close(file)
                unlink(temporary)
                return failure("write")
            }
            written += count
        }
        guard fsync(file) == 0 else {
            close(file)
            unlink(temporary)
            return failure("fsync")
        }
        close(file)
        guard rename(temporary, target) == 0 else {
            unlink(temporary)
            return failure("rename")
        }
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { return failure("open folder") }
        defer { close(folder) }
        guard fsync(folder) == 0 else { return failure("fsync folder") }
        return .success(())
    }
}
