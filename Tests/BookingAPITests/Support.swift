import BookingAPI
import BookingEngine
import Foundation
import Hummingbird
import HummingbirdTesting

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "api") throws {
        path = NSTemporaryDirectory() + "booking-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `body` against the real application on a real socket (port 0), over a fresh store.
func withLiveApplication<Value: Sendable>(
    _ configuration: APIConfiguration = APIConfiguration(port: 0),
    secrets: SecretsConfiguration = SecretsConfiguration(jwtSecret: String(repeating: "s", count: 40)),
    _ body: @Sendable (any TestClientProtocol) async throws -> Value
) async throws -> Value {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let service = try BookingService.open(dataDirectory: directory.path)
    let application = try await buildApplication(configuration: configuration, secrets: secrets, service: service)
    return try await application.test(.live) { client in try await body(client) }
}

extension ByteBuffer {
    var text: String { String(buffer: self) }
}
