import BookingDomain
import BookingProjections
import Testing

@Suite("Users")
struct UserViewTests {
    @Test("registration builds the view with a lower-case e-mail and the envelope's time")
    func registration() throws {
        var log = Log()
        let registeredAt = t0 + 5 * minute
        log.append(
            .registered(fran, "Fran@Example.COM", role: .facilitator, profile: FacilitatorProfile(bio: "Breathwork", specialization: "Yin")),
            at: registeredAt)
        let model = log.model

        let user = try #require(model.user(fran))
        #expect(
            user
                == UserView(
                    id: fran, email: "fran@example.com", name: "Name 1", role: .facilitator,
                    profile: FacilitatorProfile(bio: "Breathwork", specialization: "Yin"), passwordHash: passwordHash,
                    googleIdentity: nil, createdAt: registeredAt, lastLoginAt: nil, failedLoginsSinceLastSuccess: 0,
                    tokensRevokedBefore: nil))
        #expect(model.userCount == 1)
        #expect(model.position == 1)
    }

    @Test("e-mail lookup ignores case", arguments: ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.Com"])
    func emailLookup(email: String) {
        let model = Log(community).model
        #expect(model.user(forEmail: email)?.id == alice)
        #expect(model.user(forEmail: "nobody@example.com") == nil)
    }

    @Test("a successful login records its time and clears the failure count; failures count up")
    func logins() throws {
        var log = Log(community)
        log.append(.loginFailed(LoginFailed(userID: alice, reason: .wrongPassword)))
        log.append(.loginFailed(LoginFailed(userID: alice, reason: .wrongPassword)))
        #expect(log.model.user(alice)?.failedLoginsSinceLastSuccess == 2)
        #expect(log.model.user(alice)?.lastLoginAt == nil)

        let loginAt = t0 + 3 * hour
        log.append(.loginSucceeded(LoginSucceeded(userID: alice, method: .password)), at: loginAt)
        log.append(.loginFailed(LoginFailed(userID: alice, reason: .wrongPassword)))
        let user = try #require(log.model.user(alice))
        #expect(user.lastLoginAt == loginAt)
        #expect(user.failedLoginsSinceLastSuccess == 1)
        #expect(log.model.user(bob)?.failedLoginsSinceLastSuccess == 0)
    }

    @Test("tokens issued at or before a revocation are revoked; a later revocation never moves back")
    func tokensRevoked() throws {
        var log = Log(community)
        let logout = t0 + 2 * hour
        log.append(.tokensRevoked(TokensRevoked(userID: alice, issuedNotAfter: logout)))
        var user = try #require(log.model.user(alice))
        #expect(user.tokensRevokedBefore == logout)
        #expect(user.isTokenRevoked(issuedAt: logout + -1))
        #expect(user.isTokenRevoked(issuedAt: logout))
        #expect(!user.isTokenRevoked(issuedAt: logout + 1))
        #expect(log.model.user(bob)?.isTokenRevoked(issuedAt: t0) == false)

        log.append(.tokensRevoked(TokensRevoked(userID: alice, issuedNotAfter: logout + -hour)))
        user = try #require(log.model.user(alice))
        #expect(user.tokensRevokedBefore == logout)
    }

    @Test("Google identities find their account, whether registered with it or linked later")
    func googleIdentities() throws {
        var log = Log(community)
        log.append(.registered(UserID(6), "gina@gmail.com", passwordHash: nil, google: google("g-6")))
        log.append(.googleAccountLinked(GoogleAccountLinked(userID: bob, identity: google("g-bob"))))
        let model = log.model

        let gina = try #require(model.user(for: google("g-6")))
        #expect(gina.id == UserID(6))
        #expect(gina.passwordHash == nil)
        #expect(model.user(for: google("g-bob"))?.id == bob)
        #expect(model.user(bob)?.googleIdentity == google("g-bob"))
        #expect(model.user(bob)?.passwordHash == passwordHash)
        #expect(model.user(for: google("nobody")) == nil)
        #expect(model.user(for: GoogleIdentity(issuer: "https://evil.example", subject: "g-bob")) == nil)
    }

    @Test("a second registration under a taken id is ignored rather than corrupting the e-mail index")
    func duplicateRegistration() {
        var log = Log(community)
        log.append(.registered(alice, "mallory@example.com"))
        let model = log.model
        #expect(model.user(alice)?.email == "alice@example.com")
        #expect(model.user(forEmail: "mallory@example.com") == nil)
        #expect(model.position == log.head)
    }
}
