import ConveneCore
import ConveneStore
import Foundation

/// A session handed to a client: the token exists only here and in the client's hands.
struct IssuedSession: Sendable {
    var token: String
    var session: Session
}

/// Register, sign in, sign out, and resolving a token to a user. One function per operation,
/// shared by every door.
struct Accounts: Sendable {
    let store: any ConveneStore
    let settings: Settings
    let hasher: PasswordHasher
    /// See `PasswordHasher.makeDecoyHash()`.
    let decoyHash: String
    let throttle: LoginThrottle
    let commonPasswords: Set<String>
    let now: @Sendable () -> Date

    func register(email rawEmail: String, password: String, displayName rawName: String, organization: String?, invite: String?) async throws
        -> (User, IssuedSession)
    {
        let email = try Validation.email(rawEmail)
        try Validation.password(password, commonPasswords: commonPasswords)
        let displayName = try Validation.displayName(rawName)
        let organizationID = try await organizationID(slug: organization)
        if !settings.allowedEmailDomains.isEmpty && !settings.allowedEmailDomains.contains(Validation.domain(ofEmail: email)) {
            throw ConveneError.invalid("email", "Registration is open to addresses at \(settings.allowedEmailDomains.joined(separator: ", ")) only.")
        }
        let invite = invite?.trimmingCharacters(in: .whitespacesAndNewlines)
        if settings.registrationMode == .invite && (invite ?? "").isEmpty {
            throw ConveneError.invalid("invite", "Registration is by invitation: enter your invite code.")
        }
        let hash = try await hasher.hash(password)
        let user = try await store.createUser(
            NewUser(
                email: email, passwordHash: hash, displayName: displayName, organizationID: organizationID,
                inviteCodeHash: invite.flatMap { $0.isEmpty ? nil : Tokens.hash($0) }),
            now: now())
        return (user, try await issueSession(for: user))
    }

    func login(email rawEmail: String, password: String, address: String) async throws -> (User, IssuedSession) {
        let email = (try? Validation.email(rawEmail)) ?? rawEmail.lowercased()
        try throttle.check(email: email, address: address, now: now())
        let credentials = try await store.credentials(email: email)
        let matches = try await hasher.verify(password, hash: credentials?.passwordHash ?? decoyHash)
        guard let credentials, matches else {
            throttle.failed(email: email, address: address, now: now())
            throw ConveneError(.unauthenticated, "That email and password do not match an account.")
        }
        throttle.succeeded(email: email)
        return (credentials.user, try await issueSession(for: credentials.user))
    }

    /// Changes the caller's name or organization; an empty organization clears it.
    func updateProfile(_ auth: Authenticated, displayName rawName: String?, organization: String?) async throws -> User {
        let displayName = try rawName.map { name throws(ConveneError) in try Validation.displayName(name) }
        var organizationID: Int64??
        if let organization {
            organizationID = .some(organization.isEmpty ? nil : try await self.organizationID(slug: organization))
        }
        return try await store.updateUser(id: auth.user.id, displayName: displayName, organizationID: organizationID)
    }

    private func organizationID(slug: String?) async throws -> Int64? {
        guard let slug else { return nil }
        guard let organization = try await store.organization(slug: slug) else {
            throw ConveneError.invalid("organization", "There is no organization \(slug); see /api/v1/organizations.")
        }
        return organization.id
    }

    func logout(_ auth: Authenticated) async throws {
        try await store.deleteSession(tokenHash: auth.tokenHash)
    }

    /// The signed-in user for a token, or nil when it is unknown, idle too long or expired.
    func authenticate(token: String, via: Authenticated.Via) async throws -> Authenticated? {
        guard !token.isEmpty, token.utf8.count <= 128 else { return nil }
        return try await authenticate(tokenHash: Tokens.hash(token), via: via)
    }

    /// The signed-in user for a stored token hash (a stream ticket carries one).
    func authenticate(tokenHash hash: String, via: Authenticated.Via) async throws -> Authenticated? {
        guard let (session, user, principal) = try await store.session(tokenHash: hash, now: now(), idleTimeout: Double(settings.sessionIdleMinutes) * 60)
        else { return nil }
        return Authenticated(user: user, session: session, tokenHash: hash, via: via, principal: principal)
    }

    /// The caller's principal as the request found it (read with its session).
    func principal(_ auth: Authenticated?) async throws -> Principal {
        guard let auth else { return .anonymous }
        return auth.principal.asOf(now())
    }

    private func issueSession(for user: User) async throws -> IssuedSession {
        let token = Tokens.random()
        let start = now()
        let session = try await store.createSession(
            userID: user.id, tokenHash: Tokens.hash(token), csrfToken: Tokens.random(bytes: 18), now: start,
            expiresAt: start.addingTimeInterval(Double(settings.sessionAbsoluteDays) * 86_400))
        return IssuedSession(token: token, session: session)
    }
}
