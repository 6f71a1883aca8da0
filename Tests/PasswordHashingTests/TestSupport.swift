import Foundation
import PasswordHashing

/// The project's common-password list, found from this file's location like the other fixtures
/// (Tests/PasswordHashingTests/ → the package root → Fixtures/).
let commonPasswordsURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/common-passwords.txt")

/// Small, fast parameters for tests that hash many times or only check behaviour that does not
/// depend on cost (m = 1 MiB, t = 1). The default-parameter tests use `Argon2idHasher()`.
let fastHasher = Argon2idHasher(parameters: .init(memoryKiB: 1_024, iterations: 1, parallelism: 1))

/// `count` characters drawn uniformly from letters, digits and a few symbols with the system CSPRNG:
/// such a string is, with overwhelming probability, in no common-password list.
func randomPassword(count: Int) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%+-.:=?@_~")
    var generator = SystemRandomNumberGenerator()
    return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
}
