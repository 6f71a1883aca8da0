import BookingDomain
import NIOWebSocket
import Testing

@testable import BookingAPI

/// The per-socket queue without sockets: bounded, ordered, first close reason wins.
@Suite(.timeLimit(.minutes(1))) struct NotifierConnectionTests {
    @Test func queuedMessagesComeOutInOrderAsOneBatch() async {
        let connection = NotifierConnection(id: 1, facilitatorID: UserID(1), tokenIssuedAt: 0, limit: 3)
        connection.push("a")
        connection.push("b")
        guard case .messages(let batch)? = await connection.next() else { Issue.record("expected messages"); return }
        #expect(batch == ["a", "b"])
    }

    @Test func overflowingTheBoundClosesAsSlowAndDropsTheQueue() async {
        let connection = NotifierConnection(id: 1, facilitatorID: UserID(1), tokenIssuedAt: 0, limit: 3)
        for text in ["a", "b", "c", "d"] { connection.push(text) }
        guard case .close(let reason)? = await connection.next() else { Issue.record("expected a close"); return }
        #expect(reason == .slowConsumer)
        #expect(reason.code == .unknown(4000))
        connection.close(.shutdown)
        guard case .close(let still)? = await connection.next() else { Issue.record("expected a close"); return }
        #expect(still == .slowConsumer, "the first reason wins")
    }

    @Test func aWaitingWriterWakesForAPushAndForCancellation() async {
        let connection = NotifierConnection(id: 1, facilitatorID: UserID(1), tokenIssuedAt: 0, limit: 3)
        let waiting = Task { await connection.next() }
        connection.push("late")
        guard case .messages(let batch)? = await waiting.value else { Issue.record("expected messages"); return }
        #expect(batch == ["late"])
        let cancelled = Task { await connection.next() }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
    }
}
