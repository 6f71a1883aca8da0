import BookingDomain
import Testing

@Suite("Google sign-in")
struct GoogleSignInTests {
    private func signIn(_ identity: GoogleIdentity, _ email: String, authoritative: Bool = true, name: String = "Someone")
        -> BookingCommand
    {
        .signInWithGoogle(GoogleSignIn(identity: identity, email: email, name: name, isAuthoritativeForEmail: authoritative))
    }

    @Test func `a new identity with a new e-mail registers a user without a password and logs in`() throws {
        try given(community)
            .when(signIn(google("g-dana"), "Dana@Gmail.com", name: "Dana"))
            .then([
                .userRegistered(
                    UserRegistered(
                        userID: UserID(6), email: "dana@gmail.com", name: "Dana", role: .user, passwordHash: nil,
                        googleIdentity: google("g-dana"))),
                .loginSucceeded(LoginSucceeded(userID: UserID(6), method: .google)),
            ])
    }

    @Test func `a new e-mail registers even when Google is not authoritative for it`() throws {
        try given([])
            .when(signIn(google("g-dana"), "dana@corp.example", authoritative: false, name: "Dana"))
            .then([
                .userRegistered(
                    UserRegistered(
                        userID: UserID(1), email: "dana@corp.example", name: "Dana", role: .user, passwordHash: nil,
                        googleIdentity: google("g-dana"))),
                .loginSucceeded(LoginSucceeded(userID: UserID(1), method: .google)),
            ])
    }

    @Test func `a known identity only logs in, whatever e-mail the token carries now`() throws {
        let history = community + [.registered(UserID(6), "dana@gmail.com", passwordHash: nil, google: google("g-dana"))]
        try given(history)
            .when(signIn(google("g-dana"), "dana.renamed@gmail.com", authoritative: false))
            .then([.loginSucceeded(LoginSucceeded(userID: UserID(6), method: .google))])
    }

    @Test func `a known e-mail with an authoritative token links the identity and logs in`() throws {
        try given(community)
            .when(signIn(google("g-alice"), "ALICE@example.com"))
            .then([
                .googleAccountLinked(GoogleAccountLinked(userID: alice, identity: google("g-alice"))),
                .loginSucceeded(LoginSucceeded(userID: alice, method: .google)),
            ])
            .when(signIn(google("g-alice"), "alice@example.com"))
            .then([.loginSucceeded(LoginSucceeded(userID: alice, method: .google))])
    }

    @Test func `a known e-mail with a token that is not authoritative for it is refused`() {
        given(community)
            .when(signIn(google("g-mallory"), "alice@example.com", authoritative: false))
            .thenThrows(.googleNotAuthoritativeForEmail)
        given(community)
            .when(signIn(google("g-mallory"), "Alice@Example.com", authoritative: false))
            .thenThrows(.googleNotAuthoritativeForEmail)
    }

    @Test func `an account linked to another identity is not taken over by a second one`() throws {
        let linked = try given(community)
            .when(signIn(google("g-alice"), "alice@example.com"))
            .then([
                .googleAccountLinked(GoogleAccountLinked(userID: alice, identity: google("g-alice"))),
                .loginSucceeded(LoginSucceeded(userID: alice, method: .google)),
            ])
        linked.when(signIn(google("g-other"), "alice@example.com")).thenThrows(.accountLinkedToAnotherGoogleIdentity)
    }

    @Test func `an account created by Google is not taken over by a second identity`() {
        given([.registered(UserID(1), "dana@gmail.com", passwordHash: nil, google: google("g-dana"))])
            .when(signIn(google("g-other"), "Dana@gmail.com"))
            .thenThrows(.accountLinkedToAnotherGoogleIdentity)
    }

    @Test func `identities are keyed on issuer and subject together`() throws {
        let history: [BookingEvent] = [.registered(UserID(1), "dana@gmail.com", passwordHash: nil, google: google("shared-sub"))]
        let otherIssuer = GoogleIdentity(issuer: "https://other.example", subject: "shared-sub")
        try given(history)
            .when(signIn(otherIssuer, "eve@example.com", name: "Eve"))
            .then([
                .userRegistered(
                    UserRegistered(
                        userID: UserID(2), email: "eve@example.com", name: "Eve", role: .user, passwordHash: nil,
                        googleIdentity: otherIssuer)),
                .loginSucceeded(LoginSucceeded(userID: UserID(2), method: .google)),
            ])
    }

    @Test func `registration and Google sign-up share one id sequence`() throws {
        try given([])
            .when(signIn(google("g-1"), "one@gmail.com", name: "One"))
            .then([
                .registered(UserID(1), "one@gmail.com", passwordHash: nil, google: google("g-1")),
                .loginSucceeded(LoginSucceeded(userID: UserID(1), method: .google)),
            ])
            .when(.registerUser(RegisterUser(email: "two@example.com", name: "Two", role: .user, passwordHash: passwordHash)))
            .then([.registered(UserID(2), "two@example.com")])
            .when(signIn(google("g-3"), "three@gmail.com", name: "Three"))
            .then([
                .registered(UserID(3), "three@gmail.com", passwordHash: nil, google: google("g-3")),
                .loginSucceeded(LoginSucceeded(userID: UserID(3), method: .google)),
            ])
    }
}
