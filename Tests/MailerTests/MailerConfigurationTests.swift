import MailTestSupport
import Mailer
import Testing

@Suite("Mailer configuration from the environment")
struct MailerConfigurationTests {
    @Test("no SMTP_SERVER: the outbox in the data directory, the default sender")
    func outboxByDefault() throws {
        let configuration = try MailerConfiguration(environment: [:], dataDirectory: "/data")
        #expect(configuration.transport == .outbox(directory: "/data/outbox"))
        #expect(configuration.sender == MailAddress("no-reply@localhost", displayName: "Booking Engine"))
        #expect(configuration.makeMailer() is OutboxMailer)
    }

    @Test("SMTP_SERVER alone: port 587, STARTTLS, no AUTH")
    func smtpDefaults() throws {
        let configuration = try MailerConfiguration(environment: ["SMTP_SERVER": "mail.example.com"], dataDirectory: "/data")
        #expect(configuration.transport == .smtp(SMTPConfiguration(host: "mail.example.com", port: 587, security: .startTLS)))
        #expect(configuration.makeMailer() is SMTPMailer)
    }

    @Test("SMTP_PORT 465 means implicit TLS; any other port STARTTLS")
    func ports() throws {
        for (port, security) in [("465", SMTPConfiguration.Security.implicitTLS), ("25", .startTLS), ("2525", .startTLS)] {
            let configuration = try MailerConfiguration(environment: ["SMTP_SERVER": "mail.example.com", "SMTP_PORT": port], dataDirectory: "/d")
            guard case .smtp(let smtp) = configuration.transport else {
                Issue.record("expected SMTP")
                continue
            }
            #expect(smtp.security == security)
            #expect(smtp.port == Int(port))
        }
    }

    @Test("AUTH only when EMAIL_ADDRESS and EMAIL_PASSWORD are both set; the address is the sender")
    func credentials() throws {
        let both = try MailerConfiguration(
            environment: [
                "SMTP_SERVER": "mail.example.com", "EMAIL_ADDRESS": "bookings@example.com", "EMAIL_PASSWORD": "app-password-123",
                "EMAIL_FROM_NAME": "Zoë's Retreats", "SMTP_CA_FILE": "/etc/ca.pem",
            ],
            dataDirectory: "/d"
        )
        guard case .smtp(let smtp) = both.transport else { throw Unexpected() }
        #expect(smtp.credentials == SMTPConfiguration.Credentials(username: "bookings@example.com", password: "app-password-123"))
        #expect(smtp.caFile == "/etc/ca.pem")
        #expect(both.sender == MailAddress("bookings@example.com", displayName: "Zoë's Retreats"))
        #expect(!both.description.contains("app-password-123") && !both.description.contains("bookings@example.com"), "safe to log")
        #expect(!String(describing: smtp).contains("app-password-123"))

        let addressOnly = try MailerConfiguration(
            environment: ["SMTP_SERVER": "mail.example.com", "EMAIL_ADDRESS": "bookings@example.com"], dataDirectory: "/d")
        guard case .smtp(let relay) = addressOnly.transport else { throw Unexpected() }
        #expect(relay.credentials == nil)
    }

    struct Unexpected: Error {}

    @Test(
        "unusable values are errors naming the variable",
        arguments: [
            (["EMAIL_PASSWORD": "secret-without-user"], "EMAIL_PASSWORD"),
            (["EMAIL_ADDRESS": "a@b.c", "EMAIL_PASSWORD": "your-app-password"], "EMAIL_PASSWORD"),
            (["EMAIL_ADDRESS": "not an address"], "EMAIL_ADDRESS"),
            (["EMAIL_FROM_NAME": "Evil\r\nBcc: x@y"], "EMAIL_FROM_NAME"),
            (["SMTP_SERVER": "mail.example.com", "SMTP_PORT": "0"], "SMTP_PORT"),
            (["SMTP_SERVER": "mail.example.com", "SMTP_PORT": "smtp"], "SMTP_PORT"),
            (["SMTP_SERVER": "smtp://mail.example.com"], "SMTP_SERVER"),
        ]
    )
    func invalid(environment: [String: String], variable: String) {
        #expect(throws: MailerConfigurationError.self) { try MailerConfiguration(environment: environment, dataDirectory: "/d") }
        do {
            _ = try MailerConfiguration(environment: environment, dataDirectory: "/d")
        } catch {
            #expect(error.variable == variable)
            #expect(!error.description.contains("secret-without-user"))
        }
    }
}
