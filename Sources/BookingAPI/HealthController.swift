import BookingEngine
import BookingIntegrations
import BookingProjections
import EventStoreLMDB
import Foundation
import Hummingbird

/// `GET /health`: whether the store is open, the last committed position, how far the read model
/// trails it, and each side-effect subscriber's state (on or off, checkpoint, backlog, dead letters).
/// Open to anyone: it reveals counts, not data.
struct HealthController {
    let service: BookingService
    var sideEffects = SideEffects()

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
        struct Subscriber: Encodable {
            /// `on` or `off`.
            var state: String
            var reason: String?
            var checkpoint: Int64
            var backlog: Int64
            var deadLetters: Int
            enum CodingKeys: String, CodingKey {
                case state, reason, checkpoint, backlog
                case deadLetters = "dead_letters"
            }
        }
        var status: String
        var store: Store
        var projection: Projection
        var sideEffects: [String: Subscriber]
        enum CodingKeys: String, CodingKey {
            case status, store, projection
            case sideEffects = "side_effects"
        }
    }

    func register(on router: Router<BookingRequestContext>, table: inout RouteTable) {
        table.add(.get, "/health")
        router.get("/health") { _, _ in
            let head = service.log.committedHead
            let position = service.projection.position
            var subscribers: [String: Health.Subscriber] = [:]
            for status in sideEffects.statuses() {
                subscribers[status.name] = Health.Subscriber(
                    state: status.isOn ? "on" : "off", reason: status.reason, checkpoint: status.checkpoint,
                    backlog: status.isOn ? max(0, head - status.checkpoint) : 0, deadLetters: status.deadLetters)
            }
            return JSONBody.response(
                Health(
                    status: "ok", store: .init(open: true, lastPosition: head),
                    projection: .init(position: position, lag: max(0, head - position)), sideEffects: subscribers))
        }
    }
}
