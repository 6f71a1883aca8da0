import BookingDomain
import BookingEngine
import EventSourcing
import Foundation
import HTTPTypes

/// Submits commands for the routes and turns outcomes into answers: the events on success, the
/// domain's refusal as its HTTP error, and a failed commit as 503 (nothing was written; retry), saying
/// so when the store is out of space.
struct CommandRunner: Sendable {
    let service: BookingService

    func run(
        _ command: BookingCommand, actor: String, idempotencyKey: String? = nil
    ) async throws -> (events: [BookingEvent], isReplay: Bool) {
        let outcome: BookingService.Outcome
        do {
            outcome = try await service.execute(command, actor: actor, now: .now, idempotencyKey: idempotencyKey)
        } catch CommandProcessorError.outOfSpace {
            // The operator has to make room (disk or --max-map-size-mb); the server log says which.
            throw APIError(
                .serviceUnavailable, "The event store is out of storage space; nothing was saved, please retry later",
                headers: [.retryAfter: "30"])
        } catch {
            throw APIError(.serviceUnavailable, "The event store is unavailable; nothing was saved, please retry", headers: [.retryAfter: "1"])
        }
        switch outcome {
        case .accepted(let committed, let isReplay): return (committed.map(\.event), isReplay)
        case .rejected(let rejection): throw rejection.apiError
        }
    }
}
