import BookingDomain
import Testing

@Suite("Facilitator notification cursor")
struct NotificationTests {
    private func acknowledge(_ facilitatorID: UserID = fran, upTo position: Int64) -> BookingCommand {
        .acknowledgeNotifications(facilitatorID: facilitatorID, position: position)
    }

    private func acknowledged(_ facilitatorID: UserID = fran, upTo position: Int64) -> BookingEvent {
        .notificationsAcknowledged(NotificationsAcknowledged(facilitatorID: facilitatorID, position: position))
    }

    @Test func `a facilitator acknowledges up to a position`() throws {
        try given(community).when(acknowledge(upTo: 10)).then([acknowledged(upTo: 10)])
    }

    @Test func `the cursor moves forward`() throws {
        try given(community + [acknowledged(upTo: 10)])
            .when(acknowledge(upTo: 11))
            .then([acknowledged(upTo: 11)])
            .when(acknowledge(upTo: 500))
            .then([acknowledged(upTo: 500)])
    }

    @Test(arguments: [10, 9, 1, 0, -1] as [Int64])
    func `the same or an older position is nothing happening`(position: Int64) {
        given(community + [acknowledged(upTo: 10)]).when(acknowledge(upTo: position)).thenNothingHappened()
    }

    @Test func `with no cursor yet, position zero is nothing happening`() {
        given(community).when(acknowledge(upTo: 0)).thenNothingHappened()
    }

    @Test func `each facilitator has its own cursor`() throws {
        try given(community + [acknowledged(upTo: 10)])
            .when(acknowledge(oscar, upTo: 3))
            .then([acknowledged(oscar, upTo: 3)])
            .when(acknowledge(upTo: 3))
            .thenNothingHappened()
    }

    @Test func `a user who is not a facilitator is refused`() {
        given(community).when(acknowledge(alice, upTo: 1)).thenThrows(.notAFacilitator)
    }

    @Test func `an unknown account is refused`() {
        given(community).when(acknowledge(UserID(99), upTo: 1)).thenThrows(.userNotFound)
    }
}
