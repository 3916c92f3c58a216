import Hummingbird
import HTTPTypes
import Foundation
import ConveneCore

/// Resolves the caller from a bearer token or the session cookie, and guards writes against
/// cross-site requests: a foreign `Origin` is refused, and a cookie-authenticated write must echo the
/// session's CSRF token in `X-CSRF-Token`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let cookieName = "convene_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    let accounts: Accounts
    let allowedOrigins: [String]
    let tickets: StreamTickets

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
                throw ConveneError(.unauthenticated, "Send the token as Authorization: Bearer <token>.")
            }
            guard let auth = try await accounts.authenticate(token: String(header.dropFirst(7)), via: .bearer) else {
                throw ConveneError(.unauthenticated, "That token is unknown or has expired; sign in again.")
            }
            context.auth = auth
        } else if request.uri.path == "/api/v1/stream", let ticket = request.uri.queryParameters.get("ticket") {
            guard let hash = try await tickets.redeem(ticket, now: accounts.now()), let auth = try await accounts.authenticate(tokenHash: hash, via: .ticket) else {
                throw ConveneError(.unauthenticated, "That stream ticket is unknown, used or expired.")
            }
            context.auth = auth
        } else if let cookie = request.cookies[Self.cookieName] {
            context.auth = try await accounts.authenticate(token: cookie.value, via: .cookie)
        }
        if !Self.isSafe(request.method) {
            if context.auth?.via != .bearer, let origin = request.headers[.origin],
                !Self.isAllowed(origin: origin, host: request.head.authority, allowed: allowedOrigins)
            {
                throw ConveneError.forbidden("Requests from \(origin) are not accepted.")
            }
            if let auth = context.auth, auth.via == .cookie, request.headers[Self.csrfHeader] != auth.session.csrfToken {
                throw ConveneError.forbidden("This write needs the X-CSRF-Token header of your session.")
            }
        }
        return try await next(request, context)
    }

    static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }

    /// Same origin as the request's host, or listed in `security.allowed_origins`.
    static func isAllowed(origin: String, host: String?, allowed: [String]) -> Bool {
        if allowed.contains(origin) { return true }
        guard let host, let schemeEnd = origin.range(of: "://") else { return false }
        return origin[schemeEnd.upperBound...].lowercased() == host.lowercased()
    }
}

extension AppRequestContext {
    /// The signed-in user, or 401.
    func requireAuth() throws(ConveneError) -> Authenticated {
        guard let auth else { throw ConveneError(.unauthenticated, "Sign in to do that.") }
        return auth
    }
}
