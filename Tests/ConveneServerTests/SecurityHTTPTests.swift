import ConveneCore
import ConveneStore
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("HTTP security")
struct SecurityHTTPTests {
    @Test("every response carries the security headers and a request id", arguments: ["/", "/healthz", "/api/v1/communities", "/nowhere"])
    func securityHeaders(path: String) async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let reply = try await client.call(.get, path)
            let csp = try #require(reply.headers[.contentSecurityPolicy])
            #expect(csp.contains("default-src 'self'"))
            #expect(csp.contains("frame-ancestors 'none'"))
            #expect(reply.headers[.xContentTypeOptions] == "nosniff")
            #expect(reply.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(reply.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
        }
    }

    @Test("a cookie-authenticated write needs the session's CSRF token and changes nothing without it")
    func csrf() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let login = try await {
                _ = try await app.user(client, "Ann")
                return try await client.call(.post, "/api/v1/auth/login", json: ["email": "ann@example.org", "password": "correct horse battery"])
            }()
            let token = try #require(login.string("token"))
            let csrf = try #require(login.string("csrf_token"))
            let cookie: HTTPFields = [.cookie: "convene_session=\(token)"]
            #expect(try await client.call(.get, "/api/v1/me", headers: cookie).status == .ok)

            let refused = try await client.call(.post, "/api/v1/communities/ohio/join", headers: cookie)
            #expect(refused.status == .forbidden)
            #expect(try await app.store.community(slug: "ohio")?.memberCount == 0)

            var wrong = cookie
            wrong[HTTPField.Name("X-CSRF-Token")!] = "not-the-token"
            #expect(try await client.call(.post, "/api/v1/communities/ohio/join", headers: wrong).status == .forbidden)

            var right = cookie
            right[HTTPField.Name("X-CSRF-Token")!] = csrf
            #expect(try await client.call(.post, "/api/v1/communities/ohio/join", headers: right).status == .ok)
            #expect(try await client.call(.post, "/api/v1/communities/texas/join", token: token).status == .ok)
        }
    }

    @Test("a write from a foreign Origin is refused unless the origin is allowed")
    func foreignOrigin() async throws {
        let app = try await TestApp.make { $0.allowedOrigins = ["https://partner.example"] }
        try await app.test { client async throws in
            _ = try await app.user(client, "Ann")
            let body = ["email": "ann@example.org", "password": "correct horse battery"]
            let foreign = try await client.call(.post, "/api/v1/auth/login", json: body, headers: [.origin: "https://evil.example"])
            #expect(foreign.status == .forbidden)
            let allowed = try await client.call(.post, "/api/v1/auth/login", json: body, headers: [.origin: "https://partner.example"])
            #expect(allowed.status == .ok)
        }
    }

    @Test("same-origin checks compare the Origin with the request's host")
    func sameOrigin() {
        #expect(AuthenticationMiddleware.isAllowed(origin: "http://localhost:8080", host: "localhost:8080", allowed: []))
        #expect(!AuthenticationMiddleware.isAllowed(origin: "http://localhost:8081", host: "localhost:8080", allowed: []))
        #expect(!AuthenticationMiddleware.isAllowed(origin: "null", host: "localhost:8080", allowed: []))
        #expect(!AuthenticationMiddleware.isAllowed(origin: "http://evil.example", host: nil, allowed: []))
    }

    @Test("a malformed or unknown bearer token is refused, never treated as anonymous")
    func badBearer() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            #expect(try await client.call(.get, "/api/v1/communities", headers: [.authorization: "Basic abc"]).status == .unauthorized)
            #expect(try await client.call(.get, "/api/v1/communities", token: "not-a-token").status == .unauthorized)
            #expect(try await client.call(.get, "/api/v1/communities").status == .ok)
        }
    }
}
