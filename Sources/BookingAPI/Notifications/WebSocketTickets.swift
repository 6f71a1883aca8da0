import BookingDomain
import Crypto
import Foundation
import Synchronization

/// Single-use tickets that let a browser open the notifier socket: browsers can't set an
/// `Authorization` header on a WebSocket, and a token in the URL would end up in logs and history.
///
/// A ticket is 32 random bytes (base64url), valid for at most 60 s and redeemable once. Only its
/// SHA-256 is kept, so a lookup can't leak a stored ticket through timing and a memory dump holds no
/// usable ticket. Tickets live in memory only: a restart voids the outstanding ones, which costs a
/// client one more `POST /api/notifications/ticket`.
final class WebSocketTickets: Sendable {
    /// Who a ticket was issued to, and the credential it stands for.
    struct Grant: Sendable {
        var facilitatorID: UserID
        /// `iat` of the token used to get the ticket (ms), so a later logout also voids the socket.
        var tokenIssuedAt: Int64
        /// `exp` of that token: the socket closes then, as with a bearer token.
        var tokenExpiresAt: Date
        var expiresAt: Int64
    }

    private struct State {
        var grants: [Data: Grant] = [:]
    }

    private let lifetime: Int64
    private let perFacilitator: Int
    private let clock: @Sendable () -> Int64
    private let state = Mutex(State())

    init(configuration: NotifierConfiguration, clock: @escaping @Sendable () -> Int64) {
        lifetime = min(configuration.ticketLifetimeMilliseconds, 60_000)
        perFacilitator = max(1, configuration.ticketsPerFacilitator)
        self.clock = clock
    }

    /// A new ticket and its lifetime in seconds.
    func issue(facilitatorID: UserID, tokenIssuedAt: Int64, tokenExpiresAt: Date) -> (ticket: String, expiresIn: Int64) {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let ticket = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let now = clock()
        let grant = Grant(facilitatorID: facilitatorID, tokenIssuedAt: tokenIssuedAt, tokenExpiresAt: tokenExpiresAt, expiresAt: now + lifetime)
        state.withLock { state in
            state.grants = state.grants.filter { $0.value.expiresAt > now }
            let mine = state.grants.filter { $0.value.facilitatorID == facilitatorID }.sorted { $0.value.expiresAt < $1.value.expiresAt }
            for (key, _) in mine.prefix(max(0, mine.count - perFacilitator + 1)) { state.grants[key] = nil }
            state.grants[Self.key(ticket)] = grant
        }
        return (ticket, (lifetime + 999) / 1000)
    }

    /// The grant of a valid ticket, which is used up by this call; `nil` for an unknown, used or
    /// expired one.
    func redeem(_ ticket: String) -> Grant? {
        let now = clock()
        let key = Self.key(ticket)
        guard let grant = state.withLock({ $0.grants.removeValue(forKey: key) }), grant.expiresAt > now else { return nil }
        return grant
    }

    private static func key(_ ticket: String) -> Data { Data(SHA256.hash(data: Data(ticket.utf8))) }
}
