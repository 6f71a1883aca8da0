import BookingDomain
import BookingProjections
import Synchronization
import Testing

@Suite("Shared projection", .timeLimit(.minutes(1)))
struct ProjectionTests {
    @Test("apply, apply(batch:) and read see the same model a plain fold builds")
    func applyAndRead() {
        let log = ReplayTests.simulation.log
        let projection = BookingProjection()
        let half = log.events.count / 2
        for event in log.events[..<half] { projection.apply(event.event, position: event.position, recordedAt: event.recordedAt) }
        projection.apply(batch: log.events[half...])
        #expect(projection.position == log.head)
        let model = log.model
        #expect(projection.read { $0 == model })
        #expect(projection.read { $0.user(forEmail: "PERSON1@example.com")?.id } == UserID(1))
    }

    @Test("read passes on the body's error")
    func readRethrows() {
        struct Refused: Error, Equatable {}
        let projection = BookingProjection()
        #expect(throws: Refused.self) {
            try projection.read { (_) throws(Refused) -> Int in throw Refused() }
        }
    }

    @Test("waitUntil returns at once when the position was already applied")
    func alreadyThere() async throws {
        let projection = BookingProjection()
        projection.apply(batch: Log(community).events)
        try await projection.waitUntil(position: 3)
        try await projection.waitUntil(position: 5)
        try await projection.waitUntil(position: 0)
        #expect(projection.position == 5)
    }

    @Test("waitUntil resumes when its position arrives, not before")
    func resumesOnArrival() async throws {
        let projection = BookingProjection()
        let events = Log(community).events
        let finished = Atomic<Bool>(false)
        let waiter = Task {
            try await projection.waitUntil(position: 4)
            finished.store(true, ordering: .sequentiallyConsistent)
            return projection.read { $0.user(UserID(4))?.email }
        }
        // Give the waiter time to register, so the early events meet a waiting task.
        try await Task.sleep(for: .milliseconds(50))
        projection.apply(batch: events[..<3])
        try await Task.sleep(for: .milliseconds(100))
        let finishedEarly = finished.load(ordering: .sequentiallyConsistent)
        #expect(!finishedEarly)

        projection.apply(events[3].event, position: events[3].position, recordedAt: events[3].recordedAt)
        // Read-your-writes: once resumed, the model holds the awaited event.
        #expect(try await waiter.value == "carol@example.com")
        let finishedAfterwards = finished.load(ordering: .sequentiallyConsistent)
        #expect(finishedAfterwards)
    }

    @Test("one batch wakes every waiter it satisfies and leaves the others waiting")
    func manyWaiters() async throws {
        let projection = BookingProjection()
        let events = Log(community).events
        let woken = Woken()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for target in [Int64(1), 2, 2, 3, 4, 5] {
                group.addTask {
                    try await projection.waitUntil(position: target)
                    woken.targets.withLock { $0.append(target) }
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            projection.apply(batch: events[..<3])
            // Wait (boundedly) for the four satisfied waiters to report, then a little longer so that
            // a wrongly woken fifth one would have time to show up.
            for _ in 0..<200 where woken.targets.withLock({ $0.count }) < 4 {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(woken.targets.withLock { $0.sorted() } == [1, 2, 2, 3])
            projection.apply(batch: events[3...])
            try await group.waitForAll()
        }
        #expect(woken.targets.withLock { $0.sorted() } == [1, 2, 2, 3, 4, 5])
    }

    /// The targets whose waiters have returned, shared with the waiting tasks.
    private final class Woken: Sendable {
        let targets = Mutex<[Int64]>([])
    }

    @Test("a cancelled waiter throws promptly and a later apply doesn't touch it")
    func cancellation() async throws {
        let projection = BookingProjection()
        let waiter = Task { try await projection.waitUntil(position: 10) }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        let outcome = await waiter.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        // Resuming a removed continuation twice would trap; applying past the target proves it is gone.
        projection.apply(batch: Log(community + community + community).events)
        #expect(projection.position == 15)
    }

    @Test("a task cancelled before it starts waiting doesn't wait at all")
    func cancelledBeforeWaiting() async {
        let projection = BookingProjection()
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await projection.waitUntil(position: 1)
        }
        let outcome = await waiter.result
        #expect(throws: CancellationError.self) { try outcome.get() }
    }
}
