import BookingDomain
import EventSourcing

extension BookingDecider: Decider {
    public typealias State = BookingState
    public typealias Command = BookingCommand
    public typealias Event = BookingEvent
    public typealias Rejection = DomainError

    public static func evolve(_ state: inout BookingState, _ event: BookingEvent) {
        state.evolve(event)
    }
}
