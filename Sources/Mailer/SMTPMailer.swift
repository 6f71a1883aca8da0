/// Sends mail through an SMTP server with libcurl: STARTTLS required (or implicit TLS on 465), AUTH
/// when credentials are configured, certificate and host name verified.
///
/// libcurl's SMTP client is used rather than a hand-written one: it is maintained, handles TLS, AUTH
/// mechanisms and dot-stuffing, and is in Debian. Its calls block, so each transfer runs on a
/// ``BlockingPool`` thread, bounded by the configured connect and total timeouts.
public struct SMTPMailer: Mailer {
    /// The server and how to reach it.
    public let configuration: SMTPConfiguration
    private let renderer: MIMERenderer
    private let pool: BlockingPool

    /// A mailer for `configuration`; transfers run on `pool`.
    public init(configuration: SMTPConfiguration, renderer: MIMERenderer = MIMERenderer(), pool: BlockingPool = .mail) {
        self.configuration = configuration
        self.renderer = renderer
        self.pool = pool
    }

    /// Renders and sends `message` (envelope sender = From, envelope recipients = To).
    public func send(_ message: MailMessage) async throws(MailDeliveryError) {
        let payload: [UInt8]
        do {
            payload = try renderer.render(message)
        } catch {
            throw .invalid(error)
        }
        let configuration = configuration
        let sender = message.from.address
        let recipients = message.to.map(\.address)
        let result = await pool.run {
            CurlSMTPTransfer.send(configuration: configuration, sender: sender, recipients: recipients, payload: payload)
        }
        try result.get()
    }
}
