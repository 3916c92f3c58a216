import ConveneCore
import ConveneStore
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("Accounts over HTTP")
struct AccountsHTTPTests {
    static let password = "correct horse battery"

    @Test("register returns a user and a token, sets an HttpOnly SameSite=Lax cookie, and /me answers to the token")
    func registerAndMe() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let reply = try await client.call(
                .post, "/api/v1/auth/register", json: ["email": " Ann@Example.ORG ", "password": Self.password, "display_name": "Ann Lee"])
            #expect(reply.status == .created)
            let user = try #require(reply.object["user"] as? [String: Any])
            #expect(user["email"] as? String == "ann@example.org")
            let token = try #require(reply.string("token"))
            #expect(token.count >= 43)
            let cookie = try #require(reply.headers[.setCookie])
            #expect(cookie.contains("convene_session=\(token)"))
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"))
            let me = try await client.call(.get, "/api/v1/me", token: token)
            #expect(me.status == .ok)
            #expect((me.object["user"] as? [String: Any])?["display_name"] as? String == "Ann Lee")
        }
        let stored = try #require(try await app.store.credentials(email: "ann@example.org"))
        #expect(stored.passwordHash.hasPrefix("$2b$04$"))
        #expect(!stored.passwordHash.contains(Self.password))
    }

    @Test("a user names their organization at registration and changes it, or their name, later")
    func organizationAndProfile() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let tulsa = try #require(try await app.store.organization(slug: "tulsa-public-schools"))
            let reply = try await client.call(
                .post, "/api/v1/auth/register",
                json: ["email": "ann@example.org", "password": Self.password, "display_name": "Ann", "organization": "tulsa-public-schools"])
            #expect((reply.object["user"] as? [String: Any])?["organization_id"] as? Int == Int(tulsa.id))
            let token = try #require(reply.string("token"))
            let renamed = try await client.call(.patch, "/api/v1/me", json: ["display_name": "Ann Lee", "organization": "nassau-boces"], token: token)
            #expect(renamed.status == .ok)
            let nassau = try #require(try await app.store.organization(slug: "nassau-boces"))
            #expect(try await app.store.user(email: "ann@example.org")?.organizationID == nassau.id)
            #expect(try await app.store.user(email: "ann@example.org")?.displayName == "Ann Lee")
            let unknown = try await client.call(.patch, "/api/v1/me", json: ["organization": "atlantis"], token: token)
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.errorField == "organization")
            #expect(try await app.store.user(email: "ann@example.org")?.organizationID == nassau.id)
            #expect(try await client.call(.patch, "/api/v1/me", json: ["organization": ""], token: token).status == .ok)
            #expect(try await app.store.user(email: "ann@example.org")?.organizationID == nil)
            #expect(try await client.call(.patch, "/api/v1/me", json: ["display_name": "x"]).status == .unauthorized)
        }
    }

    @Test("behind a TLS proxy the session cookie is Secure")
    func secureCookie() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let reply = try await client.call(
                .post, "/api/v1/auth/register", json: ["email": "ann@example.org", "password": Self.password, "display_name": "Ann"],
                headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            #expect(reply.headers[.setCookie]?.contains("Secure") == true)
        }
    }

    @Test("an email registers once, whatever its case")
    func duplicateEmail() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let body = ["email": "ann@example.org", "password": Self.password, "display_name": "Ann"]
            #expect(try await client.call(.post, "/api/v1/auth/register", json: body).status == .created)
            var again = body
            again["email"] = "ANN@example.org"
            let reply = try await client.call(.post, "/api/v1/auth/register", json: again)
            #expect(reply.status == .conflict)
            #expect(reply.errorCode == "conflict")
        }
    }

    @Test("password rules: too short and common passwords are refused naming the field")
    func passwordRules() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            for password in ["short", "1234567890", "qwertyuiop"] {
                let reply = try await client.call(
                    .post, "/api/v1/auth/register", json: ["email": "ann@example.org", "password": password, "display_name": "Ann"])
                #expect(reply.status == .unprocessableContent)
                #expect(reply.errorField == "password")
            }
        }
        #expect(try await app.store.user(email: "ann@example.org") == nil)
    }

    @Test("a wrong password and an unknown email get the same 401")
    func wrongCredentials() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            _ = try await app.user(client, "Ann")
            let wrong = try await client.call(.post, "/api/v1/auth/login", json: ["email": "ann@example.org", "password": "not the password"])
            let unknown = try await client.call(.post, "/api/v1/auth/login", json: ["email": "zed@example.org", "password": "not the password"])
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            #expect(wrong.body == unknown.body)
        }
    }

    @Test("each login issues a new token; logout invalidates only its own")
    func loginAndLogout() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, first) = try await app.user(client, "Ann")
            let second = try #require(
                try await client.call(.post, "/api/v1/auth/login", json: ["email": "ann@example.org", "password": Self.password]).string("token"))
            #expect(first != second)
            #expect(try await client.call(.post, "/api/v1/auth/logout", token: first).status == .noContent)
            #expect(try await client.call(.get, "/api/v1/me", token: first).status == .unauthorized)
            #expect(try await client.call(.get, "/api/v1/me", token: second).status == .ok)
            #expect(try await client.call(.post, "/api/v1/auth/logout").status == .unauthorized)
        }
    }

    @Test("after five failures an account waits, even with the right password, until the window passes")
    func accountThrottling() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            _ = try await app.user(client, "Ann")
            for _ in 0..<5 {
                let reply = try await client.call(.post, "/api/v1/auth/login", json: ["email": "ann@example.org", "password": "guess guess guess"])
                #expect(reply.status == .unauthorized)
            }
            let blocked = try await client.call(.post, "/api/v1/auth/login", json: ["email": "ann@example.org", "password": Self.password])
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.errorCode == "rate_limited")
            let retryAfter = try #require(blocked.headers[.retryAfter].flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 900)
            app.clock.advance(901)
            #expect(try await client.call(.post, "/api/v1/auth/login", json: ["email": "ann@example.org", "password": Self.password]).status == .ok)
        }
    }

    @Test("failures from one address across many accounts are throttled too")
    func addressThrottling() async throws {
        let app = try await TestApp.make { $0.loginFailuresPerAddress = 3 }
        try await app.test { client async throws in
            for index in 0..<3 {
                let reply = try await client.call(.post, "/api/v1/auth/login", json: ["email": "u\(index)@example.org", "password": "guess guess guess"])
                #expect(reply.status == .unauthorized)
            }
            let reply = try await client.call(.post, "/api/v1/auth/login", json: ["email": "new@example.org", "password": "guess guess guess"])
            #expect(reply.status == .tooManyRequests)
        }
    }

    @Test("behind a trusted proxy, throttling counts the client named by X-Forwarded-For; from anyone else the header changes nothing")
    func forwardedFor() async throws {
        let forwarded = HTTPField.Name("X-Forwarded-For")!
        for trusted in [true, false] {
            let app = try await TestApp.make {
                $0.loginFailuresPerAddress = 3
                $0.trustedProxies = trusted ? ["127.0.0.1"] : []
            }
            try await app.live { client, _ async throws in
                _ = try await app.user(client, "Ann")
                for index in 0..<3 {
                    let reply = try await client.call(
                        .post, "/api/v1/auth/login", json: ["email": "u\(index)@example.org", "password": "guess guess guess"],
                        headers: [forwarded: "198.51.100.7, 203.0.113.\(trusted ? 5 : index)"])
                    #expect(reply.status == .unauthorized)
                }
                let again = try await client.call(
                    .post, "/api/v1/auth/login", json: ["email": "x@example.org", "password": "guess guess guess"],
                    headers: [forwarded: "203.0.113.5"])
                #expect(again.status == .tooManyRequests, "the throttled address tried again")
                let other = try await client.call(
                    .post, "/api/v1/auth/login", json: ["email": "ann@example.org", "password": Self.password],
                    headers: [forwarded: "203.0.113.6"])
                #expect(other.status == (trusted ? .ok : .tooManyRequests), "trusted: \(trusted)")
            }
        }
    }

    @Test("the client address is the last forwarded entry that is not a trusted proxy, and only a trusted peer is believed")
    func clientAddressResolution() {
        let trusted: Set<String> = ["10.0.0.2", "10.0.0.3"]
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: ["1.2.3.4, 5.6.7.8"], trusted: trusted) == "5.6.7.8")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: ["1.2.3.4", "5.6.7.8, 10.0.0.3"], trusted: trusted) == "5.6.7.8")
        #expect(ClientAddress.resolve(peer: "10.0.0.9", forwardedFor: ["5.6.7.8"], trusted: trusted) == "10.0.0.9", "an untrusted peer")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: [], trusted: trusted) == "10.0.0.2")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: ["1.2.3.4, not-an-address"], trusted: trusted) == "10.0.0.2")
        #expect(ClientAddress.resolve(peer: "10.0.0.2", forwardedFor: ["2001:DB8::1"], trusted: trusted) == "2001:db8::1")
        #expect(ClientAddress.normalized("nginx") == nil)
    }

    @Test("a session ends after the idle limit and at its absolute expiry")
    func sessionExpiry() async throws {
        let app = try await TestApp.make {
            $0.sessionIdleMinutes = 60
            $0.sessionAbsoluteDays = 1
        }
        try await app.test { client async throws in
            let (_, idle) = try await app.user(client, "Ann")
            app.clock.advance(59 * 60)
            #expect(try await client.call(.get, "/api/v1/me", token: idle).status == .ok)
            app.clock.advance(61 * 60)
            #expect(try await client.call(.get, "/api/v1/me", token: idle).status == .unauthorized)

            let active = try #require(
                try await client.call(.post, "/api/v1/auth/login", json: ["email": "ann@example.org", "password": Self.password]).string("token"))
            for _ in 0..<23 {
                app.clock.advance(55 * 60)
                #expect(try await client.call(.get, "/api/v1/me", token: active).status == .ok)
            }
            app.clock.advance(80 * 60)
            #expect(try await client.call(.get, "/api/v1/me", token: active).status == .unauthorized)
        }
    }

    @Test("invite-only registration needs a valid, unused invite, which joins its community")
    func inviteOnly() async throws {
        let app = try await TestApp.make { $0.registrationMode = .invite }
        try await app.test { client async throws in
            let (_, admin) = try await app.user(client, "Admin", admin: true)
            let body: [String: Any] = ["email": "ann@example.org", "password": Self.password, "display_name": "Ann"]
            let refused = try await client.call(.post, "/api/v1/auth/register", json: body)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.errorField == "invite")

            let invite = try await client.call(.post, "/api/v1/invites", json: ["community": "ohio"], token: admin)
            #expect(invite.status == .created)
            let code = try #require(invite.string("code"))
            var withInvite = body
            withInvite["invite"] = code
            let registered = try await client.call(.post, "/api/v1/auth/register", json: withInvite)
            #expect(registered.status == .created)
            let me = try await client.call(.get, "/api/v1/me", token: try #require(registered.string("token")))
            #expect((me.object["communities"] as? [[String: Any]])?.first?["slug"] as? String == "ohio")

            var reuse = withInvite
            reuse["email"] = "bob@example.org"
            let reused = try await client.call(.post, "/api/v1/auth/register", json: reuse)
            #expect(reused.status == .unprocessableContent)
            #expect(reused.errorField == "invite")
        }
        #expect(try await app.store.user(email: "bob@example.org") == nil)
    }

    @Test("only leads and admins create invites")
    func whoInvites() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, member) = try await app.user(client, "Ann")
            #expect(try await client.call(.post, "/api/v1/invites", json: ["community": "ohio"], token: member).status == .forbidden)
            #expect(try await client.call(.post, "/api/v1/invites", json: [String: String](), token: member).status == .forbidden)
            #expect(try await client.call(.post, "/api/v1/invites", json: ["community": "ohio"]).status == .unauthorized)
        }
    }

    @Test("when email domains are listed, other domains cannot register")
    func allowedDomains() async throws {
        let app = try await TestApp.make { $0.allowedEmailDomains = ["district.k12.us"] }
        try await app.test { client async throws in
            let other = try await client.call(
                .post, "/api/v1/auth/register", json: ["email": "ann@example.org", "password": Self.password, "display_name": "Ann"])
            #expect(other.status == .unprocessableContent)
            #expect(other.errorField == "email")
            let allowed = try await client.call(
                .post, "/api/v1/auth/register", json: ["email": "ann@district.k12.us", "password": Self.password, "display_name": "Ann"])
            #expect(allowed.status == .created)
        }
    }
}
