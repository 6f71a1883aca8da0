import BookingDomain

// The tables hand their values out in id order already, so these need no sort.
extension BookingReadModel {
    /// Every account, by id: for audits and rebuild checks, not for request paths.
    public var allUsers: [UserView] { users.values }
    /// Every session ever published, by id.
    public var allSessions: [SessionView] { sessions.values }
    /// Every booking ever made, by id.
    public var allBookings: [BookingView] { bookings.values }
}
