import BookingEngine
import BookingProjections
import EventStoreLMDB
import Foundation
import Hummingbird

/// `GET /health`: whether the store is open, the last committed position and how far the read model
/// trails it. Open to anyone: it reveals counts, not data.
struct HealthController {
    let service: BookingService

    struct Health: Encodable {
        struct Store: Encodable {
            var open: Bool
            var lastPosition: Int64
            enum CodingKeys: String, CodingKey {
                case open
                case lastPosition = "last_position"
            }
        }
        struct Projection: Encodable {
            var position: Int64
            var lag: Int64
        }
        var status: String
        var store: Store
        var projection: Projection
    }

    func register(on router: Router<BookingRequestContext>, table: inout RouteTable) {
        table.add(.get, "/health")
        router.get("/health") { _, _ in
            let head = service.log.committedHead
            let position = service.projection.position
            return JSONBody.response(
                Health(
                    status: "ok", store: .init(open: true, lastPosition: head),
                    projection: .init(position: position, lag: max(0, head - position))))
        }
    }
}
