import BookingProjections
import HTTPTypes
import Hummingbird

/// `limit` (default 100, at most 1,000) and `cursor` (the last id of the previous page) from a list
/// request; the response keeps the plain JSON array the predecessor's clients expect and names the
/// next page in a `Link: <...>; rel="next"` header.
struct PageRequest {
    static let defaultLimit = 100
    static let maximumLimit = 1_000

    var limit: Int
    var after: Int64?

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query.get("limit") {
            guard let value = Int(text), (1...Self.maximumLimit).contains(value) else {
                throw APIError.badRequest("limit must be a whole number from 1 to \(Self.maximumLimit)")
            }
            limit = value
        } else {
            limit = Self.defaultLimit
        }
        if let text = query.get("cursor") {
            guard let value = Int64(text), value >= 0 else { throw APIError.badRequest("cursor must come from a previous page's Link header") }
            after = value
        }
    }

    /// The `Link` header for the page after one ending at `lastID`, when there is one.
    func nextLink(path: String, lastID: Int64?, hasMore: Bool) -> String? {
        guard hasMore, let lastID else { return nil }
        return "<\(path)?limit=\(limit)&cursor=\(lastID)>; rel=\"next\""
    }
}

extension HTTPField.Name {
    static let link = Self("Link")!
}

/// Reads one page from the read model and answers it as a JSON array with a `Link` to the next page.
func pagedList<Body: JSONWritable>(
    _ request: Request, path: String, projection: BookingProjection, id: (Body) -> Int64,
    query: (borrowing BookingReadModel, PageRequest) -> (items: [Body], hasMore: Bool)
) throws -> Response {
    let page = try PageRequest(request)
    let (items, hasMore) = projection.read { model in query(model, page) }
    return listResponse(items, page: page, path: path, lastID: items.last.map(id), hasMore: hasMore)
}
