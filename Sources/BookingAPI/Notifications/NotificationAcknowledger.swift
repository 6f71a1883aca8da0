import BookingDomain
import BookingEngine
import BookingProjections
import EventStoreLMDB

/// Records a facilitator's notification cursor (`notificationsAcknowledged`, an event, so it
/// survives restarts), for the socket's `ack` message and `POST /api/notifications/ack` alike.
struct NotificationAcknowledger: Sendable {
    let commands: CommandRunner
    let service: BookingService

    /// Moves the cursor to `position` (never back) and returns the cursor afterwards. A position
    /// beyond the log's head is refused (400): it would silently skip notifications not yet written.
    func acknowledge(facilitatorID: UserID, position: Int64) async throws -> Int64 {
        guard position <= service.log.committedHead else {
            throw APIError.badRequest("position is beyond the last event (\(service.log.committedHead))")
        }
        _ = try await commands.run(.acknowledgeNotifications(facilitatorID: facilitatorID, position: position), actor: "\(facilitatorID.rawValue)")
        return service.projection.read { $0.acknowledgedPosition(of: facilitatorID) }
    }
}
