import BookingDomain
import BookingProjections
import Synchronization

/// Sessions rendered as JSON list items, reused until something shown in them changes.
///
/// A sessions page is read far more often than any one session changes, and rendering it (times,
/// prices, escaping, a facilitator per item) was most of its cost. An entry is valid while the
/// session's details, status and booked count and its facilitator's public fields equal those it was
/// rendered from, so a hit gives exactly the bytes a fresh render would. Bounded: past `capacity`
/// entries the cache starts over.
final class SessionRenderCache: Sendable {
    private struct Entry {
        var details: SessionDetails
        var status: SessionStatus
        var confirmedCount: Int
        var facilitatorName: String?
        var facilitatorProfile: FacilitatorProfile?
        var rendered: RenderedJSON

        func matches(_ session: SessionView, _ facilitator: UserView?) -> Bool {
            confirmedCount == session.confirmedCount && status == session.status && facilitatorName == facilitator?.name
                && facilitatorProfile == facilitator?.profile && details == session.details
        }
    }

    private let entries = Mutex<[SessionID: Entry]>([:])
    let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    /// How many sessions are cached now.
    var count: Int { entries.withLock { $0.count } }

    /// The list items for `sessions`, rendering only those not cached or changed since.
    func render(_ sessions: [SessionView], facilitator: (UserID) -> UserView?) -> [RenderedJSON] {
        entries.withLock { entries in
            sessions.map { session in
                let owner = facilitator(session.facilitatorID)
                if let entry = entries[session.id], entry.matches(session, owner) { return entry.rendered }
                var writer = JSONWriter(capacity: 512)
                ResponseBodies.Session(session, facilitator: owner).write(to: &writer)
                let rendered = RenderedJSON(id: session.id.rawValue, bytes: writer.bytes)
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[session.id] = Entry(
                    details: session.details, status: session.status, confirmedCount: session.confirmedCount,
                    facilitatorName: owner?.name, facilitatorProfile: owner?.profile, rendered: rendered)
                return rendered
            }
        }
    }
}

/// A list item already written as JSON.
struct RenderedJSON: JSONWritable, Sendable {
    var id: Int64
    var bytes: [UInt8]

    func write(to writer: inout JSONWriter) { writer.writeRaw(bytes) }
}
