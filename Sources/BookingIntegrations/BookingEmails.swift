import BookingDomain
import Foundation
import Mailer

/// The four booking e-mails, as pure functions of ``BookingEmailFacts``: a confirmation to the user and
/// a notice to the facilitator when a booking is confirmed, and a notice to each when it is cancelled.
///
/// Every message is plain text plus an HTML alternative. Every user-supplied value (names, addresses,
/// title, location) is HTML-escaped in the HTML part and stripped of line breaks in headers. The
/// Message-ID is `<event-id.kind@booking-engine>`, so a resend of the same event is recognisable as
/// the same message (and overwrites itself in the outbox); the `Date:` is the event's, so the bytes match.
public enum BookingEmails {
    /// The right-hand side of every Message-ID.
    public static let messageIDDomain = "booking-engine"

    /// `event-id.kind@booking-engine` (lower-case UUID), without angle brackets.
    public static func messageID(eventID: UUID, kind: BookingEmailKind) -> String {
        "\(eventID.uuidString.lowercased()).\(kind.rawValue)@\(messageIDDomain)"
    }

    /// Both messages for a confirmed booking: the user's confirmation, then the facilitator's notice.
    public static func forConfirmedBooking(_ facts: BookingEmailFacts, from sender: MailAddress) -> [MailMessage] {
        [bookingConfirmation(facts, from: sender), newBookingNotice(facts, from: sender)]
    }

    /// Both messages for a cancelled booking: the user's notice, then the facilitator's.
    public static func forCancelledBooking(_ facts: BookingEmailFacts, cause: BookingCancellationCause, from sender: MailAddress)
        -> [MailMessage]
    {
        [cancellationToUser(facts, cause: cause, from: sender), cancellationToFacilitator(facts, cause: cause, from: sender)]
    }

    /// To the user: the booking is confirmed, with when, where and who.
    public static func bookingConfirmation(_ facts: BookingEmailFacts, from sender: MailAddress) -> MailMessage {
        let title = facts.sessionTitle
        return message(
            .bookingConfirmation, facts, to: facts.user, from: sender,
            subject: "Booking confirmed: \(title)",
            greeting: facts.user.name,
            lead: [.text("Your booking for "), .value(title), .text(" is confirmed.")],
            details: sessionDetails(facts) + [("Facilitator", facts.facilitator.name)],
            closing: "To cancel, sign in and open your bookings."
        )
    }

    /// To the facilitator: someone booked their session (the predecessor's "New booking from X for Y").
    public static func newBookingNotice(_ facts: BookingEmailFacts, from sender: MailAddress) -> MailMessage {
        message(
            .newBookingNotice, facts, to: facts.facilitator, from: sender,
            subject: "New booking from \(facts.user.name) for \(facts.sessionTitle)",
            greeting: facts.facilitator.name,
            lead: [.text("New booking from "), .value(facts.user.name), .text(" for "), .value(facts.sessionTitle), .text(".")],
            details: [("Participant", facts.user.name), ("E-mail", facts.user.email)] + sessionDetails(facts),
            closing: "You can see all bookings of this session on your dashboard."
        )
    }

    /// To the user: their booking is cancelled, saying whether they or the facilitator cancelled.
    public static func cancellationToUser(_ facts: BookingEmailFacts, cause: BookingCancellationCause, from sender: MailAddress)
        -> MailMessage
    {
        let title = facts.sessionTitle
        let lead: [Fragment] =
            switch cause {
            case .byUser: [.text("Your booking for "), .value(title), .text(" is cancelled, as you asked.")]
            case .sessionCancelled:
                [.text("The session "), .value(title), .text(" was cancelled by its facilitator, so your booking is cancelled.")]
            }
        return message(
            .cancellationToUser, facts, to: facts.user, from: sender,
            subject: "Booking cancelled: \(title)",
            greeting: facts.user.name, lead: lead, details: sessionDetails(facts),
            closing: "You can book another session at any time."
        )
    }

    /// To the facilitator: a booking of their session is cancelled and the seat is free again.
    public static func cancellationToFacilitator(_ facts: BookingEmailFacts, cause: BookingCancellationCause, from sender: MailAddress)
        -> MailMessage
    {
        let lead: [Fragment] =
            switch cause {
            case .byUser:
                [.value(facts.user.name), .text(" cancelled their booking for "), .value(facts.sessionTitle), .text("; the seat is free again.")]
            case .sessionCancelled:
                [.text("The booking of "), .value(facts.user.name), .text(" for "), .value(facts.sessionTitle),
                 .text(" was released because the session was cancelled.")]
            }
        return message(
            .cancellationToFacilitator, facts, to: facts.facilitator, from: sender,
            subject: "Booking cancelled: \(facts.user.name) for \(facts.sessionTitle)",
            greeting: facts.facilitator.name, lead: lead,
            details: [("Participant", facts.user.name), ("E-mail", facts.user.email)] + sessionDetails(facts),
            closing: "You can see all bookings of this session on your dashboard."
        )
    }

    /// A piece of a sentence: fixed wording, or a user-supplied value (escaped in HTML, emphasised).
    enum Fragment {
        case text(String)
        case value(String)
    }

    private static func sessionDetails(_ facts: BookingEmailFacts) -> [(String, String)] {
        var rows = [("Session", facts.sessionTitle), ("When", EmailText.timeRange(from: facts.sessionStart, to: facts.sessionEnd))]
        if let location = facts.sessionLocation, !location.isEmpty { rows.append(("Where", location)) }
        rows.append(("Booking reference", String(facts.bookingID.rawValue)))
        return rows
    }

    /// Assembles one message: the same content as plain text and as escaped HTML.
    private static func message(
        _ kind: BookingEmailKind, _ facts: BookingEmailFacts, to recipient: EmailPerson, from sender: MailAddress, subject: String,
        greeting: String, lead: [Fragment], details: [(String, String)], closing: String
    ) -> MailMessage {
        let plainLead = lead.map { fragment in
            switch fragment {
            case .text(let text): text
            case .value(let value): "\"\(value)\""
            }
        }.joined()
        var text = "Hello \(greeting),\n\n\(plainLead)\n\n"
        for (label, value) in details { text += "\(label): \(value)\n" }
        text += "\n\(closing)\n"

        let htmlLead = lead.map { fragment in
            switch fragment {
            case .text(let text): EmailText.html(text)
            case .value(let value): "<strong>\(EmailText.html(value))</strong>"
            }
        }.joined()
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(EmailText.html(EmailText.singleLine(subject)))</title></head>
            <body style="font-family: sans-serif; line-height: 1.5">
            <p>Hello \(EmailText.html(greeting)),</p>
            <p>\(htmlLead)</p>
            <table role="presentation" cellpadding="4">

            """
        for (label, value) in details {
            html += "<tr><th align=\"left\">\(EmailText.html(label))</th><td>\(EmailText.html(value))</td></tr>\n"
        }
        html += "</table>\n<p>\(EmailText.html(closing))</p>\n</body></html>"

        return MailMessage(
            from: sender,
            to: [MailAddress(recipient.email, displayName: EmailText.singleLine(recipient.name))],
            subject: EmailText.singleLine(subject),
            textBody: text,
            htmlBody: html,
            messageID: messageID(eventID: facts.eventID, kind: kind),
            date: facts.occurredAt,
            extraHeaders: [
                // RFC 3834: an automatic message, so auto-responders don't answer it.
                MailHeader("Auto-Submitted", "auto-generated"),
                MailHeader("X-Booking-Log-Position", String(facts.position)),
            ]
        )
    }
}
