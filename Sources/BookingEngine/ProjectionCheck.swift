import BookingDomain
import BookingProjections
import EventSourcing
import EventStoreLMDB

/// What `rebuild` checks: the read model rebuilt from zero agrees with the write model folded from the
/// same events (the two are maintained by different code, so agreement is evidence both are right),
/// and folding the log in small batches gives exactly the model folded in one pass.
public enum ProjectionCheck {
    /// The result of one check.
    public struct Report: Sendable {
        public var position: Int64
        public var digest: String
        public var mismatches: [String]
    }

    /// Rebuilds and compares.
    public static func run(_ log: LMDBEventLog, progress: ((Int64, Int64) -> Void)? = nil) throws -> Report {
        let head = log.committedHead
        let (state, model) = try Replay.fold(log, through: head, progress: progress)
        var mismatches = compare(state, model)

        // The incremental path: what the live server does, batch by batch as events commit.
        let codec = BookingEventCodec()
        let incremental = BookingProjection(BookingReadModel())
        var batch: [PositionedEvent] = []
        try log.scanSync(after: 0, through: head) { _, bytes in
            let view = try RecordView(parsing: bytes)
            batch.append(PositionedEvent(try codec.decode(view), position: view.position, recordedAt: Timestamp(rawValue: view.recordedAt)))
            if batch.count == 97 {
                incremental.apply(batch: batch)
                batch.removeAll(keepingCapacity: true)
            }
            return true
        }
        incremental.apply(batch: batch)
        if incremental.read({ $0 }) != model {
            mismatches.append("read model folded in batches differs from the read model folded in one pass")
        }
        let digest = try digest(of: model)
        return Report(position: model.position, digest: digest, mismatches: mismatches)
    }

    /// The digest `rebuild` prints, of any read model (the live server's, at shutdown).
    public static func digest(of model: BookingReadModel) throws -> String {
        try Auditor.digest(of: ReplayedState(model))
    }

    /// Differences between the write model and the read model.
    public static func compare(_ state: BookingState, _ model: BookingReadModel) -> [String] {
        var mismatches: [String] = []
        if state.accounts.count != model.userCount {
            mismatches.append("users: write model has \(state.accounts.count), read model \(model.userCount)")
        }
        for (id, account) in state.accounts {
            guard let user = model.user(id) else {
                mismatches.append("\(id): missing from the read model")
                continue
            }
            if user.email != account.email || user.role != account.role || user.googleIdentity != account.googleIdentity {
                mismatches.append("\(id): e-mail, role or Google identity differ")
            }
        }
        if state.sessions.count != model.sessionCount {
            mismatches.append("sessions: write model has \(state.sessions.count), read model \(model.sessionCount)")
        }
        for (id, session) in state.sessions {
            guard let view = model.session(id) else {
                mismatches.append("\(id): missing from the read model")
                continue
            }
            if view.status != session.status || view.details != session.details || view.facilitatorID != session.facilitatorID {
                mismatches.append("\(id): status, details or facilitator differ")
            }
            if view.confirmedCount != session.confirmedBookings.count || view.availableSpots != session.availableSpots {
                mismatches.append(
                    "\(id): confirmed \(view.confirmedCount) vs \(session.confirmedBookings.count), available \(view.availableSpots) vs \(session.availableSpots)")
            }
            if session.confirmedBookings.count > session.details.capacity {
                mismatches.append("\(id): \(session.confirmedBookings.count) confirmed bookings exceed capacity \(session.details.capacity)")
            }
        }
        if state.bookings.count != model.bookingCount {
            mismatches.append("bookings: write model has \(state.bookings.count), read model \(model.bookingCount)")
        }
        for (id, booking) in state.bookings {
            guard let view = model.booking(id) else {
                mismatches.append("\(id): missing from the read model")
                continue
            }
            if view.status != booking.status || view.userID != booking.userID || view.sessionID != booking.sessionID {
                mismatches.append("\(id): status, user or session differ")
            }
        }
        return mismatches
    }
}
