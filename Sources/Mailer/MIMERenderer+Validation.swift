extension MIMERenderer {
    /// Refuses anything that could change the message's structure: CR, LF or other control characters
    /// in a header value, malformed addresses or Message-ID, extra headers that would replace ours.
    static func validate(_ message: MailMessage) throws(MailMessageError) {
        try checkMailbox(message.from, field: "From")
        guard !message.to.isEmpty else { throw MailMessageError(field: "To", problem: "needs at least one recipient") }
        for recipient in message.to { try checkMailbox(recipient, field: "To") }
        try checkHeaderText(message.subject, field: "Subject")
        guard isDotAtomPair(message.messageID) else {
            throw MailMessageError(field: "Message-ID", problem: "must be id-left@id-right of printable ASCII without brackets or spaces")
        }
        for header in message.extraHeaders {
            let name = header.name
            guard (1...76).contains(name.utf8.count), name.utf8.allSatisfy({ (33...126).contains($0) && $0 != UInt8(ascii: ":") }) else {
                throw MailMessageError(field: "extra header", problem: "has a name that isn't printable ASCII without spaces or colons")
            }
            guard !reservedHeaders.contains(name.lowercased()) else {
                throw MailMessageError(field: name, problem: "is written by the renderer and can't be given as an extra header")
            }
            try checkHeaderText(header.value, field: name)
        }
    }

    /// No control characters other than tab: CR or LF would start a new header line.
    static func checkHeaderText(_ text: String, field: String) throws(MailMessageError) {
        for scalar in text.unicodeScalars where (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
            throw MailMessageError(
                field: field, problem: scalar == "\r" || scalar == "\n" ? "contains a line break (header injection refused)" : "contains a control character"
            )
        }
    }

    private static func checkMailbox(_ mailbox: MailAddress, field: String) throws(MailMessageError) {
        if let name = mailbox.displayName { try checkHeaderText(name, field: field) }
        guard isAddress(mailbox.address) else {
            throw MailMessageError(field: field, problem: "has an address that isn't a plain ASCII local@domain")
        }
    }

    /// `local@domain`: a dot-atom local part (≤ 64 bytes) and a host name of letters, digits and hyphens.
    /// Quoted local parts, address literals and internationalised addresses are refused, not guessed at.
    static func isAddress(_ address: String) -> Bool {
        let halves = address.split(separator: "@", omittingEmptySubsequences: false)
        guard halves.count == 2, isDotAtom(halves[0]), halves[0].utf8.count <= 64 else { return false }
        let domain = halves[1]
        guard (1...253).contains(domain.utf8.count) else { return false }
        return domain.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { isASCIILetterOrDigit($0) || $0 == UInt8(ascii: "-") }
        }
    }

    /// `left@right`, both dot-atoms (RFC 5322 msg-id without the brackets).
    static func isDotAtomPair(_ text: String) -> Bool {
        let halves = text.split(separator: "@", omittingEmptySubsequences: false)
        return halves.count == 2 && isDotAtom(halves[0]) && isDotAtom(halves[1]) && text.utf8.count <= 250
    }

    private static func isDotAtom(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.first != ".", text.last != ".", !text.contains("..") else { return false }
        return text.utf8.allSatisfy { $0 == UInt8(ascii: ".") || isAtext($0) }
    }

    /// RFC 5322 `atext`: letters, digits and ``!#$%&'*+-/=?^_`{|}~``.
    static func isAtext(_ byte: UInt8) -> Bool {
        isASCIILetterOrDigit(byte) || Array("!#$%&'*+-/=?^_`{|}~".utf8).contains(byte)
    }

    static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
