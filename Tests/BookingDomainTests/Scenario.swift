import BookingDomain
import Testing

/// Starts a scenario: the state folded with ``BookingState/evolve(_:)`` from `history`, in one append.
func given(_ history: [BookingEvent] = []) -> Scenario {
    Scenario(appends: history.isEmpty ? [] : [history])
}

/// A history of appends and the state folded from it.
struct Scenario {
    /// The appends so far, oldest first.
    let appends: [[BookingEvent]]
    /// The state folded from `appends`.
    let state: BookingState

    init(appends: [[BookingEvent]]) {
        var state = BookingDecider.initialState
        for events in appends { state.evolve(events) }
        self.appends = appends
        self.state = state
    }

    /// The command to decide against this scenario's state.
    func when(_ command: BookingCommand) -> Decision { Decision(scenario: self, command: command) }
}

/// One command meeting one state, waiting for what the test expects of it.
struct Decision {
    let scenario: Scenario
    let command: BookingCommand

    private var outcome: Result<[BookingEvent], DomainError> {
        Result { () throws(DomainError) in try BookingDecider.decide(command, scenario.state) }
    }

    /// Expects exactly `expected`, in order; then checks that the history plus these events keeps
    /// every invariant, both in the evolved state and recomputed from the events alone.
    ///
    /// Returns the scenario with these events appended, so a test can go on with another `when`.
    @discardableResult
    func then(_ expected: [BookingEvent], sourceLocation: SourceLocation = #_sourceLocation) throws -> Scenario {
        let outcome = outcome
        let produced = try #require(
            try? outcome.get(), "expected \(expected.count) event(s), but the command was rejected: \(outcome)",
            sourceLocation: sourceLocation)
        #expect(produced == expected, sourceLocation: sourceLocation)
        #expect(outcome == self.outcome, "decide is not deterministic", sourceLocation: sourceLocation)

        var ledger = EventLedger(appends: scenario.appends)
        #expect(ledger.violations == [], "the given history breaks an invariant", sourceLocation: sourceLocation)
        let before = ledger.violations.count
        ledger.apply(append: produced)
        #expect(
            Array(ledger.violations.dropFirst(before)) == [], "the produced events break an invariant",
            sourceLocation: sourceLocation)

        let next = Scenario(appends: scenario.appends + [produced])
        var evolved = scenario.state
        evolved.evolve(produced)
        #expect(evolved == next.state, "evolving the new events differs from a replay", sourceLocation: sourceLocation)
        expectInvariants(next.state, matching: ledger, sourceLocation: sourceLocation)
        return next
    }

    /// Expects the command to be refused with exactly `expected`.
    func thenThrows(_ expected: DomainError, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) {
            try BookingDecider.decide(command, scenario.state)
        }
    }

    /// Expects the command to be accepted with no events: it asked for what already is.
    func thenNothingHappened(sourceLocation: SourceLocation = #_sourceLocation) {
        switch outcome {
        case .success(let events):
            #expect(events == [], "expected nothing to happen", sourceLocation: sourceLocation)
        case .failure(let error):
            Issue.record("expected nothing to happen, but the command was rejected: \(error)", sourceLocation: sourceLocation)
        }
    }
}
