import BookingDomain
import HTTPTypes

extension DomainError {
    /// The status a refusal is answered with: 409 for conflicts with the current state, 400 for
    /// invalid input, 404 where the object is missing or its existence is private, 403 for roles.
    var status: HTTPResponse.Status {
        switch self {
        case .emailAlreadyRegistered: .badRequest  // the predecessor's status; its clients check it
        case .userNotFound: .unauthorized
        case .notAFacilitator, .notSessionOwner: .forbidden
        case .googleNotAuthoritativeForEmail, .accountLinkedToAnotherGoogleIdentity: .conflict
        case .sessionNotFound, .bookingNotFound: .notFound
        case .sessionCancelled, .sessionAlreadyStarted, .sessionFull, .alreadyBooked, .capacityBelowConfirmedBookings,
            .bookingAlreadyCancelled:
            .conflict
        case .endNotAfterStart, .startInPast, .invalidCapacity, .negativePrice: .badRequest
        }
    }

    var apiError: APIError { APIError(status, description) }
}
