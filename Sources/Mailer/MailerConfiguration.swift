import Foundation

/// How mail leaves the engine, read from the predecessor's environment variables.
///
/// - `SMTP_SERVER`: the server's host. Unset or empty → no SMTP: messages are written to
///   `DATA-DIR/outbox/` (``OutboxMailer``). The predecessor defaulted to `smtp.gmail.com` with a
///   placeholder account, which could only fail; the outbox makes the embedded default work instead.
/// - `SMTP_PORT`: default 587. 465 → implicit TLS (`smtps://`); any other port → STARTTLS, required.
/// - `EMAIL_ADDRESS`: the sender address and the AUTH user name (the predecessor used it for both).
/// - `EMAIL_PASSWORD`: the AUTH password. AUTH is used only when both are set; a password without an
///   address is an error, and the predecessor's published placeholder `your-app-password` is refused.
/// - `EMAIL_FROM_NAME`: the sender's display name, default `Booking Engine`.
/// - `SMTP_CA_FILE`: optional PEM bundle of authorities to trust instead of the system's (private relays).
///
/// `description` is safe to log: it names the transport, never addresses or the password.
public struct MailerConfiguration: Sendable, CustomStringConvertible {
    /// Where messages go.
    public enum Transport: Sendable, Hashable {
        /// An SMTP server.
        case smtp(SMTPConfiguration)
        /// `.eml` files in a folder.
        case outbox(directory: String)
    }

    /// Where messages go.
    public var transport: Transport
    /// The `From:` of every message (and the SMTP envelope sender).
    public var sender: MailAddress

    /// The sender address when `EMAIL_ADDRESS` is unset (outbox mode, or a relay that needs no AUTH).
    public static let defaultSenderAddress = "no-reply@localhost"
    /// The sender's display name when `EMAIL_FROM_NAME` is unset.
    public static let defaultSenderName = "Booking Engine"
    /// Placeholder passwords the predecessor published; never accepted.
    public static let publishedDefaultPasswords: Set<String> = ["your-app-password"]

    /// A configuration given directly (tests, embedding).
    public init(transport: Transport, sender: MailAddress) {
        self.transport = transport
        self.sender = sender
    }

    /// Reads the variables above; `dataDirectory` holds the outbox.
    public init(environment: [String: String], dataDirectory: String) throws(MailerConfigurationError) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        let address = value("EMAIL_ADDRESS")
        if let address, !MIMERenderer.isAddress(address) {
            throw MailerConfigurationError(variable: "EMAIL_ADDRESS", problem: "must be a plain ASCII address like bookings@example.com")
        }
        let name = environment["EMAIL_FROM_NAME"] ?? Self.defaultSenderName
        do {
            try MIMERenderer.checkHeaderText(name, field: "EMAIL_FROM_NAME")
        } catch {
            throw MailerConfigurationError(variable: "EMAIL_FROM_NAME", problem: "must not contain line breaks or control characters")
        }
        sender = MailAddress(address ?? Self.defaultSenderAddress, displayName: name.isEmpty ? nil : name)

        let password = environment["EMAIL_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        if let password, Self.publishedDefaultPasswords.contains(password) {
            throw MailerConfigurationError(variable: "EMAIL_PASSWORD", problem: "is a published default of the old system")
        }
        if password != nil && address == nil {
            throw MailerConfigurationError(variable: "EMAIL_PASSWORD", problem: "is set but EMAIL_ADDRESS (the AUTH user name) is not")
        }

        guard let host = value("SMTP_SERVER") else {
            transport = .outbox(directory: dataDirectory + "/outbox")
            return
        }
        guard !host.contains("/"), !host.contains(" "), !host.contains("@") else {
            throw MailerConfigurationError(variable: "SMTP_SERVER", problem: "must be a host name or address, not a URL")
        }
        var port = 587
        if let text = value("SMTP_PORT") {
            guard let number = Int(text), (1...65_535).contains(number) else {
                throw MailerConfigurationError(variable: "SMTP_PORT", problem: "must be a port number from 1 to 65535")
            }
            port = number
        }
        let credentials = address.flatMap { user in password.map { SMTPConfiguration.Credentials(username: user, password: $0) } }
        transport = .smtp(SMTPConfiguration(host: host, port: port, credentials: credentials, caFile: value("SMTP_CA_FILE")))
    }

    /// The mailer this configuration describes.
    public func makeMailer() -> any Mailer {
        switch transport {
        case .smtp(let configuration): return SMTPMailer(configuration: configuration)
        case .outbox(let directory): return OutboxMailer(directory: directory)
        }
    }

    /// `smtp starttls mail.example.com:587 auth=on` or `outbox DIR`; no addresses, no password.
    public var description: String {
        switch transport {
        case .smtp(let configuration): return configuration.description
        case .outbox(let directory): return "outbox \(directory)"
        }
    }
}

/// A mail setting that can't be used, naming the variable (never echoing its value).
public struct MailerConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The environment variable at fault.
    public var variable: String
    /// What is wrong with it.
    public var problem: String
    /// An error for `variable`.
    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }
    public var description: String { "\(variable) \(problem)" }
}
