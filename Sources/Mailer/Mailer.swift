/// Sends e-mail. ``SMTPMailer`` talks to a mail server, ``OutboxMailer`` writes `.eml` files.
///
/// A send returns only once the message is accepted (the server's 250 after DATA, or the file durably
/// renamed into place), so a caller that records progress afterwards delivers at least once.
public protocol Mailer: Sendable {
    /// Delivers one message; throws ``MailDeliveryError`` saying whether a retry can help.
    func send(_ message: MailMessage) async throws(MailDeliveryError)
}

/// A failed delivery, classified so a worker knows whether to retry or park the message.
///
/// The reason names the failure, never the message's addresses or the credentials.
public struct MailDeliveryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Whether trying again later can succeed.
    public enum Kind: String, Hashable, Sendable {
        /// The server is down, slow or answered 4xx ("try again later"); the disk was full.
        case transient
        /// The server answered 5xx, refused our credentials or TLS requirement, or the message is malformed.
        case permanent
    }

    /// Transient or permanent.
    public var kind: Kind
    /// What went wrong, without personal data.
    public var reason: String
    /// The last SMTP reply code when there was one (e.g. 535, 450).
    public var replyCode: Int?

    /// A classified failure.
    public init(kind: Kind, reason: String, replyCode: Int? = nil) {
        self.kind = kind
        self.reason = reason
        self.replyCode = replyCode
    }

    /// True when a retry may succeed.
    public var isTransient: Bool { kind == .transient }

    public var description: String {
        "\(kind.rawValue) mail delivery failure: \(reason)" + (replyCode.map { " (SMTP \($0))" } ?? "")
    }

    /// A message the renderer refused: retrying the same input can't help.
    static func invalid(_ error: MailMessageError) -> MailDeliveryError {
        MailDeliveryError(kind: .permanent, reason: "message refused before sending: \(error)")
    }
}
