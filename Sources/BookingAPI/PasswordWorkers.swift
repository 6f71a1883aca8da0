import Foundation
import PasswordHashing

/// Runs Argon2id off the event loop, one hash at a time on its own thread: a login storm queues
/// behind itself instead of taking every core from the other requests (on the 2-core reference box,
/// one core stays free for everything else).
final class PasswordWorkers: Sendable {
    private let hasher: Argon2idHasher
    private let queue = DispatchQueue(label: "booking.password-hashing")

    init(hasher: Argon2idHasher) {
        self.hasher = hasher
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable (Argon2idHasher) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [hasher] in continuation.resume(with: Result { try work(hasher) }) }
        }
    }

    func hash(_ password: String) async throws -> String {
        try await run { try $0.hash(password) }
    }

    /// Verifies against the stored hash, or against a dummy when there is none, so an unknown e-mail
    /// costs what a known one does.
    func verify(_ password: String, against encoded: String?) async -> Bool {
        (try? await run { hasher in
            guard let encoded else {
                hasher.dummyVerify(password)
                return false
            }
            return hasher.verify(password, against: encoded)
        }) ?? false
    }
}
