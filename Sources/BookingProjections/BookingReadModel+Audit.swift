import BookingDomain

extension BookingReadModel {
    /// Every account, by id: for audits and rebuild checks, not for request paths.
    public var allUsers: [UserView] { users.values.sorted { $0.id < $1.id } }
    /// Every session ever published, by id.
    public var allSessions: [SessionView] { sessions.values.sorted { $0.id < $1.id } }
    /// Every booking ever made, by id.
    public var allBookings: [BookingView] { bookings.values.sorted { $0.id < $1.id } }
}
