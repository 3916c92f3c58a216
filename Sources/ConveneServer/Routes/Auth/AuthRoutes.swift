import Hummingbird
import HTTPTypes
import ConveneStore
import ConveneCore
import Foundation

/// `/api/v1/auth/*`, `/api/v1/me` and `/api/v1/invites`.
struct AuthRoutes {
    let accounts: Accounts
    let directory: NetworkDirectory
    let settings: Settings
    /// `security.trusted_proxies`, normalized.
    var trustedProxies: Set<String> { Set(settings.trustedProxies.compactMap(ClientAddress.normalized)) }

    struct RegisterBody: Decodable {
        var email: String
        var password: String
        var displayName: String
        var organization: String?
        var invite: String?
    }

    struct ProfileBody: Decodable {
        var displayName: String?
        var organization: String?
    }

    struct LoginBody: Decodable {
        var email: String
        var password: String
    }

    struct InviteBody: Decodable {
        var community: String?
        var email: String?
        var expiresInDays: Int?
    }

    struct SessionResponse: Encodable {
        var user: SelfUserView
        var token: String
        var csrfToken: String
        var expiresAt: Date
    }

    struct MeResponse: Encodable {
        struct Membership: Encodable {
            var slug: String
            var name: String
            var role: Role
        }
        var user: SelfUserView
        var grants: [GrantView]
        var communities: [Membership]
        var csrfToken: String
    }

    struct InviteResponse: Encodable {
        var code: String
        var community: String?
        var email: String?
        var expiresAt: Date
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.post("/api/v1/auth/register") { request, context in
            let body = try await request.decodeJSON(RegisterBody.self, limit: settings.maxBodyBytes)
            let (user, issued) = try await accounts.register(
                email: body.email, password: body.password, displayName: body.displayName, organization: body.organization,
                invite: body.invite)
            return try sessionResponse(user, issued, status: .created, request: request)
        }
        router.post("/api/v1/auth/login") { request, context in
            let body = try await request.decodeJSON(LoginBody.self, limit: settings.maxBodyBytes)
            let address = ClientAddress.resolve(
                peer: context.peerAddress, forwardedFor: request.headers[values: HTTPField.Name("X-Forwarded-For")!], trusted: trustedProxies)
            let (user, issued) = try await accounts.login(email: body.email, password: body.password, address: address)
            return try sessionResponse(user, issued, status: .ok, request: request)
        }
        router.post("/api/v1/auth/logout") { request, context in
            let auth = try context.requireAuth()
            try await accounts.logout(auth)
            var response = Response(status: .noContent)
            response.setCookie(
                Cookie(name: AuthenticationMiddleware.cookieName, value: "", maxAge: 0, path: "/", secure: request.reachedOverTLS(settings), httpOnly: true, sameSite: .lax))
            return response
        }
        router.get("/api/v1/me") { request, context in
            let auth = try context.requireAuth()
            let principal = try await accounts.principal(auth)
            var communities: [MeResponse.Membership] = []
            for community in try await directory.communities(for: principal) where principal.memberships.contains(community.id) {
                communities.append(.init(slug: community.slug, name: community.name, role: Policy.role(of: principal, in: .community(community.id))))
            }
            return try JSON.response(
                MeResponse(
                    user: SelfUserView(auth.user), grants: try await directory.grants(of: principal), communities: communities,
                    csrfToken: auth.session.csrfToken))
        }
        router.patch("/api/v1/me") { request, context in
            let auth = try context.requireAuth()
            let body = try await request.decodeJSON(ProfileBody.self, limit: settings.maxBodyBytes)
            let user = try await accounts.updateProfile(auth, displayName: body.displayName, organization: body.organization)
            return try JSON.response(["user": SelfUserView(user)])
        }
        router.post("/api/v1/invites") { request, context in
            let auth = try context.requireAuth()
            let body = try await request.decodeJSON(InviteBody.self, limit: settings.maxBodyBytes)
            let (code, invite) = try await directory.invite(
                communitySlug: body.community, email: body.email, days: body.expiresInDays, by: try await accounts.principal(auth))
            return try JSON.response(
                InviteResponse(code: code, community: body.community, email: invite.email, expiresAt: invite.expiresAt), status: .created)
        }
    }

    private func sessionResponse(_ user: User, _ issued: IssuedSession, status: HTTPResponse.Status, request: Request) throws -> Response {
        var response = try JSON.response(
            SessionResponse(user: SelfUserView(user), token: issued.token, csrfToken: issued.session.csrfToken, expiresAt: issued.session.expiresAt),
            status: status)
        response.setCookie(
            Cookie(
                name: AuthenticationMiddleware.cookieName, value: issued.token, maxAge: settings.sessionAbsoluteDays * 86_400, path: "/",
                secure: request.reachedOverTLS(settings), httpOnly: true, sameSite: .lax))
        return response
    }
}
