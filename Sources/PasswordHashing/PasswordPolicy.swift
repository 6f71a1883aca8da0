/// Why a new password was refused. ``description`` is the message for a 400 `{"error": ...}` answer
/// and names the field, `password`; it never repeats the password itself.
public enum PasswordRejection: Error, Equatable, CustomStringConvertible {
    /// Fewer Unicode scalars than `minimum`.
    case tooShort(minimum: Int)
    /// More Unicode scalars than `maximum`.
    case tooLong(maximum: Int)
    /// In the common-password list (compared case-insensitively).
    case tooCommon

    /// The JSON field the rejection is about, for APIs that report it separately.
    public var field: String { "password" }

    /// A message for the client, e.g. `password must be at least 8 characters`.
    public var description: String {
        switch self {
        case .tooShort(let minimum): "password must be at least \(minimum) characters"
        case .tooLong(let maximum): "password must be at most \(maximum) characters"
        case .tooCommon: "password is too common; choose a less common one"
        }
    }
}

/// The rules a new password must meet (OWASP ASVS 5.0 §6.2, NIST SP 800-63B): a length of 8 to 128
/// characters, not one of the most common passwords, and nothing else: no composition rules
/// (digits, symbols, mixed case), which make passwords harder to remember and no harder to guess.
///
/// **Characters are Unicode scalars** (code points), as NIST SP 800-63B counts them: deterministic,
/// independent of the Unicode version's grapheme rules, and bounding the UTF-8 size (128 scalars ≤
/// 512 bytes). An emoji built from several scalars (👨‍👩‍👧 is five) counts as several, and since
/// passwords are not normalised, NFD `"e\u{301}"` counts two where NFC `"é"` counts one.
///
/// Apply it on registration and password change only, never on login: a login compares what was
/// typed against the stored hash, and an account created under older rules must still sign in.
public struct PasswordPolicy: Sendable {
    /// The smallest minimum allowed, ASVS §6.2.1's 8 characters (15 is recommended where possible).
    public static let defaultMinimumLength = 8
    /// The default maximum: ASVS §6.2.9 requires at least 64 to be allowed; 128 leaves room for
    /// passphrases while keeping the hashed input small.
    public static let defaultMaximumLength = 128

    /// The fewest Unicode scalars accepted.
    public let minimumLength: Int
    /// The most Unicode scalars accepted.
    public let maximumLength: Int
    /// The passwords refused whatever their length.
    public let commonPasswords: CommonPasswords

    /// Creates a policy. Lengths may only be made stricter than ASVS allows to relax: the minimum
    /// at least 8, the maximum at least 64 and not below the minimum; anything else is a
    /// configuration bug and traps at start rather than silently weakening the rule.
    public init(
        commonPasswords: CommonPasswords,
        minimumLength: Int = PasswordPolicy.defaultMinimumLength,
        maximumLength: Int = PasswordPolicy.defaultMaximumLength
    ) {
        precondition(minimumLength >= 8, "ASVS 6.2.1: a password minimum below 8 characters is not allowed")
        precondition(maximumLength >= 64 && maximumLength >= minimumLength, "ASVS 6.2.9: allow at least 64 characters")
        self.commonPasswords = commonPasswords
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
    }

    /// The first rule `password` breaks, checked in the order length, then commonness (so a short
    /// common password is reported as too short, the more useful advice), or `nil` when it is
    /// acceptable. Cheap; no hashing.
    public func rejection(for password: String) -> PasswordRejection? {
        let length = password.unicodeScalars.count
        if length < minimumLength { return .tooShort(minimum: minimumLength) }
        if length > maximumLength { return .tooLong(maximum: maximumLength) }
        if commonPasswords.contains(password) { return .tooCommon }
        return nil
    }

    /// Throws the ``rejection(for:)`` of `password`, if any.
    public func validate(_ password: String) throws(PasswordRejection) {
        if let rejection = rejection(for: password) { throw rejection }
    }
}
