import BookingEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import BookingAPI

@Suite struct OpenAPITests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/openapi.json")

    static func documentedRoutes() throws -> Set<String> {
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: documentURL)) as? [String: Any]
        let paths = try #require(document?["paths"] as? [String: [String: Any]])
        var routes = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys { routes.insert("\(method.uppercased()) \(path)") }
        }
        return routes
    }

    /// The document and the router describe exactly the same routes.
    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let service = try BookingService.open(dataDirectory: directory.path)
        let (_, table) = try await makeRouter(
            configuration: APIConfiguration(port: 0), secrets: SecretsConfiguration(jwtSecret: String(repeating: "s", count: 40)), service: service,
            logger: Logger(label: "test"))
        let served = Set(table.routes.map { "\($0.method.rawValue) \($0.pattern)" })
        let documented = try Self.documentedRoutes()
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 20)
    }

    @Test func theServedDocumentIsTheOneInTheRepository() async throws {
        let file = try String(contentsOf: Self.documentURL, encoding: .utf8)
        #expect(OpenAPIDocument.json + "\n" == file || OpenAPIDocument.json == file, "run tools/embed-openapi.sh")
        try await withLiveApplication { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                let served = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                #expect(served?["openapi"] as? String == "3.1.0")
            }
        }
    }
}
