import Foundation
import PasswordHashing
import Testing

@Suite("Password policy")
struct PasswordPolicyTests {
    /// The policy as the façade will use it: the project's list, default lengths.
    let policy: PasswordPolicy

    init() throws {
        policy = PasswordPolicy(commonPasswords: try CommonPasswords(contentsOf: commonPasswordsURL))
    }

    @Test("length bounds: 7 refused, 8 accepted, 128 accepted, 129 refused")
    func lengthBounds() {
        let base = randomPassword(count: 129)
        #expect(policy.rejection(for: String(base.prefix(7))) == .tooShort(minimum: 8))
        #expect(policy.rejection(for: String(base.prefix(8))) == nil)
        #expect(policy.rejection(for: String(base.prefix(64))) == nil)
        #expect(policy.rejection(for: String(base.prefix(128))) == nil)
        #expect(policy.rejection(for: base) == .tooLong(maximum: 128))
        #expect(policy.rejection(for: "") == .tooShort(minimum: 8))
        #expect(policy.minimumLength == 8 && policy.maximumLength == 128)
    }

    @Test("length is counted in Unicode scalars, as documented")
    func countsUnicodeScalars() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"  // 👨‍👩‍👧: one Character, five scalars
        #expect(family.count == 1 && family.unicodeScalars.count == 5)
        #expect(policy.rejection(for: family + "xyz") == nil)  // 8 scalars
        #expect(policy.rejection(for: family + "xy") == .tooShort(minimum: 8))  // 7 scalars
        let nfc = String(repeating: "\u{E9}", count: 7)  // 7 × é, one scalar each
        let nfd = String(repeating: "e\u{301}", count: 7)  // the same text decomposed: 14 scalars
        #expect(nfc == nfd)
        #expect(policy.rejection(for: nfc) == .tooShort(minimum: 8))
        #expect(policy.rejection(for: nfd) == nil)
        // 128 four-byte emoji: 128 scalars (512 UTF-8 bytes) are fine, 129 are not.
        #expect(policy.rejection(for: String(repeating: "\u{1F511}", count: 128)) == nil)
        #expect(policy.rejection(for: String(repeating: "\u{1F511}", count: 129)) == .tooLong(maximum: 128))
    }

    @Test(
        "common passwords are refused in any case",
        arguments: ["password123", "PASSWORD123", "Password123", "pAsSwOrD123", "password", "iloveyou", "trustno1", "QWERTYUIOP", "1qaz2wsx", "baseball1"]
    )
    func commonRefused(password: String) {
        #expect(policy.rejection(for: password) == .tooCommon)
        #expect(throws: PasswordRejection.tooCommon) { try policy.validate(password) }
    }

    @Test("length is checked before commonness: a short common password is reported as too short")
    func lengthFirst() {
        #expect(policy.commonPasswords.contains("123456"))
        #expect(policy.rejection(for: "123456") == .tooShort(minimum: 8))
    }

    @Test("random 12-character strings are accepted; no composition rules (all lower-case or all digits is fine)")
    func randomAccepted() throws {
        for _ in 0..<20 {
            let password = randomPassword(count: 12)
            #expect(policy.rejection(for: password) == nil, "\(password)")
            try policy.validate(password)
        }
        #expect(policy.rejection(for: "correct horse battery staple") == nil)
        #expect(policy.rejection(for: "zq8mv3kx0pwt") == nil)
        #expect(policy.rejection(for: "507193284615") == nil)
    }

    @Test("rejections read well in a 400 {\"error\": ...} and name the field password")
    func messages() {
        #expect(PasswordRejection.tooShort(minimum: 8).description == "password must be at least 8 characters")
        #expect(PasswordRejection.tooLong(maximum: 128).description == "password must be at most 128 characters")
        #expect(PasswordRejection.tooCommon.description == "password is too common; choose a less common one")
        for rejection in [PasswordRejection.tooShort(minimum: 8), .tooLong(maximum: 128), .tooCommon] {
            #expect(rejection.field == "password")
            #expect(rejection.description.hasPrefix("password "))
        }
        #expect(throws: PasswordRejection.tooShort(minimum: 8)) { try policy.validate("short") }
    }

    @Test("stricter lengths can be configured")
    func stricterLengths() {
        let strict = PasswordPolicy(commonPasswords: .empty, minimumLength: 15, maximumLength: 64)
        #expect(strict.rejection(for: String(repeating: "k", count: 14)) == .tooShort(minimum: 15))
        #expect(strict.rejection(for: String(repeating: "k", count: 15)) == nil)
        #expect(strict.rejection(for: String(repeating: "k", count: 65)) == .tooLong(maximum: 64))
        // With the empty list, nothing is refused for being common.
        #expect(strict.rejection(for: "password1234567") == nil)
    }

    @Test("lengths weaker than ASVS allows are a configuration bug and stop the process")
    func weakerLengthsTrap() async {
        await #expect(processExitsWith: .failure) {
            _ = PasswordPolicy(commonPasswords: .empty, minimumLength: 6)
        }
        await #expect(processExitsWith: .failure) {
            _ = PasswordPolicy(commonPasswords: .empty, maximumLength: 32)
        }
    }
}
