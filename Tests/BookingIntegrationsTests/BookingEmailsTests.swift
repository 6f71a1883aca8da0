import BookingDomain
import BookingIntegrations
import Foundation
import Mailer
import Testing

@Suite("Booking e-mails")
struct BookingEmailsTests {
    static let sender = MailAddress("bookings@example.com", displayName: "Booking Engine")
    static let eventID = UUID(uuidString: "6F1C2D3E-0000-4000-8000-00000000ABCD")!

    /// Facts with markup and a line break in every user-supplied field.
    static func hostileFacts() -> BookingEmailFacts {
        BookingEmailFacts(
            eventID: eventID, position: 42, occurredAt: Date(timeIntervalSince1970: 1_796_024_378), bookingID: BookingID(7),
            user: EmailPerson(name: "<script>alert('u')</script>\r\nBcc: victim@example.com", email: "ada@example.org"),
            facilitator: EmailPerson(name: "Zoë & \"Co\"", email: "zoe@example.net"),
            sessionTitle: "<img src=x onerror=alert(1)> Yoga\nBcc: victim@example.com",
            sessionStart: Date(timeIntervalSince1970: 1_796_148_000), sessionEnd: Date(timeIntervalSince1970: 1_796_155_200),
            sessionLocation: "<b>Studio</b> 'A'"
        )
    }

    static func plainFacts() -> BookingEmailFacts {
        BookingEmailFacts(
            eventID: eventID, position: 42, occurredAt: Date(timeIntervalSince1970: 1_796_024_378), bookingID: BookingID(7),
            user: EmailPerson(name: "Ada Lovelace", email: "ada@example.org"),
            facilitator: EmailPerson(name: "Zoë Winter", email: "zoe@example.net"),
            sessionTitle: "Morning Yoga", sessionStart: Date(timeIntervalSince1970: 1_796_148_000),
            sessionEnd: Date(timeIntervalSince1970: 1_796_155_200), sessionLocation: "Studio A"
        )
    }

    static func all(_ facts: BookingEmailFacts) -> [(BookingEmailKind, MailMessage)] {
        let confirmed = BookingEmails.forConfirmedBooking(facts, from: sender)
        let cancelled = BookingEmails.forCancelledBooking(facts, cause: .byUser, from: sender)
        return [
            (.bookingConfirmation, confirmed[0]), (.newBookingNotice, confirmed[1]), (.cancellationToUser, cancelled[0]),
            (.cancellationToFacilitator, cancelled[1]),
        ]
    }

    @Test("four messages: the right recipient, subject and Message-ID <event-id.kind@booking-engine>")
    func recipientsSubjectsAndIDs() throws {
        let messages = Self.all(Self.plainFacts())
        let expected: [(String, String, String)] = [
            ("ada@example.org", "Booking confirmed: Morning Yoga", "booking-confirmation"),
            ("zoe@example.net", "New booking from Ada Lovelace for Morning Yoga", "new-booking"),
            ("ada@example.org", "Booking cancelled: Morning Yoga", "cancellation-user"),
            ("zoe@example.net", "Booking cancelled: Ada Lovelace for Morning Yoga", "cancellation-facilitator"),
        ]
        for ((kind, message), (address, subject, kindName)) in zip(messages, expected) {
            #expect(message.to.map(\.address) == [address])
            #expect(message.subject == subject)
            #expect(message.messageID == "6f1c2d3e-0000-4000-8000-00000000abcd.\(kindName)@booking-engine")
            #expect(message.messageID == BookingEmails.messageID(eventID: Self.eventID, kind: kind))
            #expect(message.from == Self.sender)
            #expect(message.date == Date(timeIntervalSince1970: 1_796_024_378), "dated by the event, not the clock")
            #expect(message.htmlBody != nil)
            #expect(message.textBody.contains("Morning Yoga"))
            #expect(message.textBody.contains("Tuesday, 1 December 2026, 18:00 – 20:00 UTC"))
            #expect(message.textBody.contains("Where: Studio A"))
            #expect(message.textBody.contains("Booking reference: 7"))
            #expect(message.extraHeaders.contains(MailHeader("Auto-Submitted", "auto-generated")))
            _ = try MIMERenderer().render(message)
        }
        #expect(Set(messages.map(\.1.messageID)).count == 4, "each kind has its own Message-ID")
        #expect(messages[1].1.textBody.contains("E-mail: ada@example.org"), "the facilitator learns who booked")
    }

    @Test("the same event gives byte-identical messages, so a resend is recognisable")
    func resendIsIdentical() throws {
        for ((_, first), (_, second)) in zip(Self.all(Self.plainFacts()), Self.all(Self.plainFacts())) {
            #expect(try MIMERenderer().render(first) == MIMERenderer().render(second))
        }
    }

    @Test("every user-supplied value is escaped in the HTML part")
    func htmlEscaping() throws {
        for (kind, message) in Self.all(Self.hostileFacts()) {
            let html = try #require(message.htmlBody)
            #expect(!html.contains("<script"), "\(kind): no script element")
            #expect(!html.contains("<img"), "\(kind): no injected element")
            #expect(!html.contains("<b>Studio"), "\(kind): no injected markup")
            #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "\(kind): the title is shown, escaped")
            if kind == .newBookingNotice || kind == .cancellationToFacilitator {
                #expect(html.contains("&lt;script&gt;alert(&#39;u&#39;)&lt;/script&gt;"), "\(kind): the user's name is shown, escaped")
            } else {
                #expect(html.contains("Zoë &amp; &quot;Co&quot;") || kind == .cancellationToUser, "\(kind): the facilitator's name, escaped")
            }
            #expect(html.contains("&lt;b&gt;Studio&lt;/b&gt; &#39;A&#39;"), "\(kind): the location, escaped")
            // The only tags are the template's own.
            let tags = Set(html.matches(of: /<\/?([a-zA-Z!]+)/).map { String($0.output.1).lowercased() })
            #expect(tags.isSubset(of: ["!doctype", "html", "head", "meta", "title", "body", "p", "strong", "table", "tr", "th", "td"]), "\(kind): \(tags)")
        }
    }

    @Test("line breaks in names and titles can't inject headers: they become spaces and the message renders")
    func noHeaderInjection() throws {
        for (kind, message) in Self.all(Self.hostileFacts()) {
            #expect(!message.subject.contains("\n") && !message.subject.contains("\r"), "\(kind)")
            #expect(message.to.allSatisfy { !($0.displayName ?? "").contains("\n") }, "\(kind)")
            let raw = String(decoding: try MIMERenderer().render(message), as: UTF8.self)
            let headerBlock = raw.components(separatedBy: "\r\n\r\n")[0]
            #expect(!headerBlock.split(separator: "\r\n").contains { $0.lowercased().hasPrefix("bcc:") }, "\(kind): no Bcc header")
        }
    }

    @Test("cancellation wording says who cancelled")
    func cancellationCause() {
        let facts = Self.plainFacts()
        let byUser = BookingEmails.forCancelledBooking(facts, cause: .byUser, from: Self.sender)
        let bySession = BookingEmails.forCancelledBooking(facts, cause: .sessionCancelled, from: Self.sender)
        #expect(byUser[0].textBody.contains("as you asked"))
        #expect(bySession[0].textBody.contains("cancelled by its facilitator"))
        #expect(byUser[1].textBody.contains("Ada Lovelace\" cancelled their booking"))
        #expect(bySession[1].textBody.contains("because the session was cancelled"))
    }

    @Test("a session spanning days shows both dates; no location, no Where line")
    func multiDaySession() {
        var facts = Self.plainFacts()
        facts.sessionEnd = facts.sessionStart.addingTimeInterval(2 * 86_400)
        facts.sessionLocation = nil
        let message = BookingEmails.bookingConfirmation(facts, from: Self.sender)
        #expect(message.textBody.contains("Tuesday, 1 December 2026, 18:00 UTC – Thursday, 3 December 2026, 18:00 UTC"))
        #expect(!message.textBody.contains("Where:"))
    }
}
