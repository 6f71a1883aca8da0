import BookingEngine
import BookingIntegrations
import BookingProjections
import EventSourcing
import EventStoreLMDB
import Foundation
import Hummingbird

/// `GET /health`: whether the store is open and writable (`degraded` while commits fail, e.g. on a
/// full disk; reads still work then), the last committed position, how far the read model trails it,
/// how many notifier sockets are open, and each side-effect subscriber's state (on or off, checkpoint,
/// backlog, dead letters).
/// Open to anyone: it reveals counts, not data.
struct HealthController {
    let service: BookingService
    var sideEffects = SideEffects()
    /// Open notifier WebSockets, read at each request.
    var notifierSockets: @Sendable () -> Int = { 0 }

    struct Health: Encodable {
        struct Store: Encodable {
            var open: Bool
            var lastPosition: Int64
            /// False while the last commit failed (and none has succeeded since).
            var writable: Bool
            /// `out_of_space` or `commit_failed` while `writable` is false.
            var lastFailure: String?
            enum CodingKeys: String, CodingKey {
                case open, writable
                case lastPosition = "last_position"
                case lastFailure = "last_failure"
            }
        }
        struct Projection: Encodable {
            var position: Int64
            var lag: Int64
        }
        struct Notifier: Encodable {
            var sockets: Int
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
        var notifier: Notifier
        var sideEffects: [String: Subscriber]
        enum CodingKeys: String, CodingKey {
            case status, store, projection, notifier
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
            let failure = service.processor.currentMetrics.lastCommitFailure?.kind
            return JSONBody.response(
                Health(
                    status: failure == nil ? "ok" : "degraded",
                    store: .init(open: true, lastPosition: head, writable: failure == nil, lastFailure: failure),
                    projection: .init(position: position, lag: max(0, head - position)),
                    notifier: .init(sockets: notifierSockets()), sideEffects: subscribers))
        }
    }
}
