import Foundation

/// One mailbox: an address and an optional display name (`Ada Lovelace <ada@example.com>`).
///
/// Nothing is checked here; ``MIMERenderer`` validates every field when it renders, so a message
/// that would need escaping it can't express is refused in one place.
public struct MailAddress: Hashable, Sendable {
    /// The bare `local@domain` address (ASCII; no angle brackets).
    public var address: String
    /// Shown by mail clients; any Unicode, encoded per RFC 2047 when it isn't plain ASCII.
    public var displayName: String?

    /// A mailbox with an optional display name.
    public init(_ address: String, displayName: String? = nil) {
        self.address = address
        self.displayName = displayName
    }
}

/// An additional header line such as `Auto-Submitted: auto-generated`.
public struct MailHeader: Hashable, Sendable {
    /// The field name: printable ASCII without spaces or colons.
    public var name: String
    /// The unstructured value; non-ASCII is encoded per RFC 2047.
    public var value: String

    /// A header line `name: value`.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An e-mail ready to render: plain text, optionally an HTML alternative, and the caller's Message-ID.
///
/// The caller chooses `messageID` and `date` so that rendering the same message twice gives the same
/// bytes: a resend after a crash is recognisable (and de-duplicated by the outbox) rather than new.
public struct MailMessage: Hashable, Sendable {
    /// The author, also used as the SMTP envelope sender.
    public var from: MailAddress
    /// The recipients; at least one.
    public var to: [MailAddress]
    /// Any Unicode; CR or LF in it makes rendering fail (header injection).
    public var subject: String
    /// The `text/plain` part.
    public var textBody: String
    /// The `text/html` alternative; when present the message is `multipart/alternative`.
    public var htmlBody: String?
    /// `id-left@id-right` without the angle brackets, e.g. `6f1c….booking-confirmation@booking-engine`.
    public var messageID: String
    /// The `Date:` header.
    public var date: Date
    /// Further header lines; they may not replace the ones the renderer writes (From, To, Subject, Date,
    /// Message-ID, MIME-Version, Content-*).
    public var extraHeaders: [MailHeader]

    /// A message; see the properties for what each field may hold.
    public init(
        from: MailAddress, to: [MailAddress], subject: String, textBody: String, htmlBody: String? = nil, messageID: String,
        date: Date, extraHeaders: [MailHeader] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.messageID = messageID
        self.date = date
        self.extraHeaders = extraHeaders
    }
}

/// Why a message can't be rendered. Values are never quoted: they may be personal data.
public struct MailMessageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The header or part at fault, e.g. `Subject` or `To`.
    public var field: String
    /// What is wrong with it.
    public var problem: String

    /// A rendering refusal for `field`.
    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(field) \(problem)" }
}
