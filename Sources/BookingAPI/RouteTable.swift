import HTTPTypes

/// Every route the API serves, as (method, pattern). The router is built from handlers registered
/// against these patterns, 405 answers come from it, and the OpenAPI test compares it with the document.
public struct RouteTable: Sendable {
    public struct Route: Hashable, Sendable {
        public var method: HTTPRequest.Method
        /// `/api/sessions/{id}`: segments in braces match any single segment.
        public var pattern: String
    }

    public private(set) var routes: [Route] = []

    mutating func add(_ method: HTTPRequest.Method, _ pattern: String) {
        routes.append(Route(method: method, pattern: pattern))
    }

    /// The methods served at a concrete path.
    public func methods(forPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.filter { route in
            let pattern = route.pattern.split(separator: "/", omittingEmptySubsequences: true)
            return pattern.count == segments.count
                && zip(pattern, segments).allSatisfy { expected, actual in expected.hasPrefix("{") || expected == actual }
        }.map(\.method)
    }
}
