/// Where and how ``SMTPMailer`` connects.
public struct SMTPConfiguration: Hashable, Sendable, CustomStringConvertible {
    /// How the connection is protected. There is deliberately no plaintext option: credentials and
    /// personal data never cross the network unencrypted.
    public enum Security: String, Hashable, Sendable {
        /// Plain connect, then STARTTLS, which is required: a server that doesn't offer it is refused
        /// (no silent downgrade). Port 587 and 25.
        case startTLS = "starttls"
        /// TLS from the first byte (`smtps://`). Port 465.
        case implicitTLS = "implicit-tls"
    }

    /// A user name and password for SMTP AUTH; `description` never shows them.
    public struct Credentials: Hashable, Sendable, CustomStringConvertible {
        public var username: String
        public var password: String
        /// Credentials for AUTH (libcurl picks PLAIN or LOGIN from what the server offers).
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
        public var description: String { "credentials(redacted)" }
    }

    /// Host name or address of the server.
    public var host: String
    /// TCP port.
    public var port: Int
    /// STARTTLS or implicit TLS.
    public var security: Security
    /// AUTH credentials; `nil` sends without AUTH.
    public var credentials: Credentials?
    /// A PEM file of certificate authorities to trust instead of the system's (a private relay, tests).
    public var caFile: String?
    /// Limit for TCP connect plus TLS handshake.
    public var connectTimeout: Duration
    /// Limit for the whole transfer, so a stalled server can't hold a pool thread forever.
    public var totalTimeout: Duration

    /// A server configuration; timeouts default to 10 s to connect and 60 s in all.
    public init(
        host: String, port: Int = 587, security: Security? = nil, credentials: Credentials? = nil, caFile: String? = nil,
        connectTimeout: Duration = .seconds(10), totalTimeout: Duration = .seconds(60)
    ) {
        self.host = host
        self.port = port
        self.security = security ?? (port == 465 ? .implicitTLS : .startTLS)
        self.credentials = credentials
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }

    /// The libcurl URL: `smtp://host:port` or `smtps://host:port`, IPv6 literals in brackets.
    var url: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart):\(port)"
    }

    /// Safe to log: host, port, security and whether AUTH is used, never the credentials.
    public var description: String {
        "smtp \(security.rawValue) \(host):\(port) auth=\(credentials == nil ? "off" : "on")"
    }
}
