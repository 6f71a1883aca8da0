import Crypto
import Foundation

/// Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` is
/// `v1,` + base64(HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")), where the key is the
/// base64 part of a `whsec_...` secret. Receivers verify it with any Standard Webhooks library and
/// reject stale timestamps, which is why each attempt is signed afresh.
public struct WebhookSigner: Sendable {
    private let key: SymmetricKey

    /// The shortest key accepted, in bytes (the specification asks for 24 to 64).
    public static let minimumKeyBytes = 24

    /// A signer for a `whsec_<base64>` secret; `nil` when it isn't one or its key is under 24 bytes.
    public init?(secret: String) {
        guard secret.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(secret.dropFirst("whsec_".count))),
            bytes.count >= Self.minimumKeyBytes
        else { return nil }
        key = SymmetricKey(data: bytes)
    }

    /// A fresh secret in the `whsec_` form: 32 random bytes.
    public static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    /// The `webhook-signature` header value for one message.
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }
}
