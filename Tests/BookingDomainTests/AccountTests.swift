import BookingDomain
import Testing

@Suite("Accounts: registration, login, logout")
struct AccountTests {
    @Test func `registering a user stores a lower-cased e-mail and the password hash`() throws {
        try given([])
            .when(.registerUser(RegisterUser(email: "Alice@Example.COM", name: "Alice", role: .user, passwordHash: passwordHash)))
            .then([
                .userRegistered(
                    UserRegistered(
                        userID: UserID(1), email: "alice@example.com", name: "Alice", role: .user, passwordHash: passwordHash))
            ])
    }

    @Test func `a facilitator keeps its profile`() throws {
        let profile = FacilitatorProfile(bio: "Ten years of yoga", specialization: "Yin")
        try given([])
            .when(
                .registerUser(
                    RegisterUser(email: "fran@example.com", name: "Fran", role: .facilitator, passwordHash: passwordHash, profile: profile)))
            .then([
                .userRegistered(
                    UserRegistered(
                        userID: UserID(1), email: "fran@example.com", name: "Fran", role: .facilitator,
                        passwordHash: passwordHash, profile: profile))
            ])
    }

    @Test func `a facilitator profile is dropped for role user`() throws {
        try given([])
            .when(
                .registerUser(
                    RegisterUser(
                        email: "alice@example.com", name: "Alice", role: .user, passwordHash: passwordHash,
                        profile: FacilitatorProfile(bio: "Not a facilitator"))))
            .then([
                .userRegistered(
                    UserRegistered(
                        userID: UserID(1), email: "alice@example.com", name: "Alice", role: .user, passwordHash: passwordHash,
                        profile: nil))
            ])
    }

    @Test func `user ids are allocated sequentially from the state`() throws {
        try given([])
            .when(.registerUser(RegisterUser(email: "a@example.com", name: "A", role: .user, passwordHash: passwordHash)))
            .then([.registered(UserID(1), "a@example.com", passwordHash: passwordHash)])
            .when(.registerUser(RegisterUser(email: "b@example.com", name: "B", role: .facilitator, passwordHash: passwordHash)))
            .then([.registered(UserID(2), "b@example.com", role: .facilitator)])
            .when(.registerUser(RegisterUser(email: "c@example.com", name: "C", role: .user, passwordHash: passwordHash)))
            .then([.registered(UserID(3), "c@example.com")])
    }

    @Test func `user ids continue above the highest id in the history`() throws {
        try given([.registered(UserID(7), "seven@example.com")])
            .when(.registerUser(RegisterUser(email: "eight@example.com", name: "Eight", role: .user, passwordHash: passwordHash)))
            .then([.registered(UserID(8), "eight@example.com")])
    }

    @Test(arguments: ["alice@x.com", "Alice@X.com", "ALICE@X.COM"])
    func `e-mails are unique regardless of case`(email: String) {
        given([.registered(UserID(1), "alice@x.com")])
            .when(.registerUser(RegisterUser(email: email, name: "Impostor", role: .user, passwordHash: passwordHash)))
            .thenThrows(.emailAlreadyRegistered)
    }

    @Test func `an e-mail registered in mixed case blocks its lower-case form`() throws {
        let scenario = try given([])
            .when(.registerUser(RegisterUser(email: "Alice@X.com", name: "Alice", role: .user, passwordHash: passwordHash)))
            .then([.registered(UserID(1), "alice@x.com")])
        scenario
            .when(.registerUser(RegisterUser(email: "alice@x.com", name: "Alice", role: .facilitator, passwordHash: passwordHash)))
            .thenThrows(.emailAlreadyRegistered)
    }

    @Test(arguments: [LoginMethod.password, .google])
    func `a login of a known account is recorded`(method: LoginMethod) throws {
        try given(community)
            .when(.recordLogin(userID: alice, method: method))
            .then([.loginSucceeded(LoginSucceeded(userID: alice, method: method))])
    }

    @Test func `a login of an unknown account is refused`() {
        given(community).when(.recordLogin(userID: UserID(99), method: .password)).thenThrows(.userNotFound)
    }

    @Test(arguments: [LoginFailureReason.wrongPassword, .noPassword])
    func `a failed login of a known account is recorded`(reason: LoginFailureReason) throws {
        try given(community)
            .when(.recordFailedLogin(userID: bob, reason: reason))
            .then([.loginFailed(LoginFailed(userID: bob, reason: reason))])
    }

    @Test func `a failed login of an unknown account is refused, never recorded`() {
        given(community).when(.recordFailedLogin(userID: UserID(99), reason: .wrongPassword)).thenThrows(.userNotFound)
    }

    @Test func `logging out revokes every token issued up to now`() throws {
        try given(community)
            .when(.revokeTokens(userID: carol, now: now))
            .then([.tokensRevoked(TokensRevoked(userID: carol, issuedNotAfter: now))])
    }

    @Test func `logging out an unknown account is refused`() {
        given(community).when(.revokeTokens(userID: UserID(99), now: now)).thenThrows(.userNotFound)
    }
}

