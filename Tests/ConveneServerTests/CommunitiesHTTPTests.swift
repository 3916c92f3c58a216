import ConveneCore
import ConveneStore
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("Communities over HTTP")
struct CommunitiesHTTPTests {
    @Test("a new server lists the national and state communities, the 35 organizations and the states")
    func seededNetwork() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let communities = try await client.call(.get, "/api/v1/communities").array("communities")
            let organizations = try await client.call(.get, "/api/v1/organizations").array("organizations")
            let status = try await client.call(.get, "/api/v1/status")
            let states = status.array("states")
            #expect(organizations.count == 35)
            #expect(communities.contains { $0["slug"] as? String == "national" })
            #expect(communities.count == states.count + 1)
            #expect(states.reduce(0) { $0 + ($1["organizations"] as? Int ?? 0) } == 35)
            #expect(states.allSatisfy { ["Initiating", "Improving", "Innovating"].contains($0["readiness"] as? String ?? "") })
            let detail = try await client.call(.get, "/api/v1/communities/north-carolina")
            #expect((detail.object["organizations"] as? [[String: Any]])?.count == 2)
            #expect((detail.object["committees"] as? [[String: Any]])?.count == 5)
            #expect(detail.object["your_role"] as? String == "guest")
        }
    }

    @Test("joining needs an account, is idempotent, and counts once")
    func join() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            #expect(try await client.call(.post, "/api/v1/communities/ohio/join").status == .unauthorized)
            let (_, token) = try await app.user(client, "Ann")
            let first = try await client.call(.post, "/api/v1/communities/ohio/join", token: token)
            let second = try await client.call(.post, "/api/v1/communities/ohio/join", token: token)
            #expect(first.object["newly_joined"] as? Bool == true)
            #expect(second.object["newly_joined"] as? Bool == false)
            #expect((second.object["community"] as? [String: Any])?["member_count"] as? Int == 1)
            let me = try await client.call(.get, "/api/v1/me", token: token)
            #expect((me.object["communities"] as? [[String: Any]])?.map { $0["slug"] as? String } == ["ohio"])
        }
    }

    @Test("members are listed to members only, with their roles, in pages")
    func members() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, ann) = try await app.user(client, "Ann")
            let (_, bob) = try await app.user(client, "Bob")
            let (_, cid) = try await app.user(client, "Cid")
            for token in [ann, bob] { _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: token) }
            #expect(try await client.call(.get, "/api/v1/communities/ohio/members", token: cid).status == .forbidden)
            #expect(try await client.call(.get, "/api/v1/communities/ohio/members").status == .unauthorized)
            let page = try await client.call(.get, "/api/v1/communities/ohio/members?limit=1", token: ann)
            #expect(page.array("members").count == 1)
            let next = try #require(page.object["next_after"] as? Int)
            let rest = try await client.call(.get, "/api/v1/communities/ohio/members?limit=1&after=\(next)", token: ann)
            #expect(rest.array("members").count == 1)
            #expect(rest.array("members").first?["role"] as? String == "member")
            #expect((rest.array("members").first?["user"] as? [String: Any])?["email"] == nil)
        }
    }

    @Test("grants follow the roles: an admin makes a lead, a lead makes a moderator, nobody grants above themselves")
    func grants() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, admin) = try await app.user(client, "Admin", admin: true)
            let (ann, annToken) = try await app.user(client, "Ann")
            let (bob, bobToken) = try await app.user(client, "Bob")
            let (cid, cidToken) = try await app.user(client, "Cid")

            let lead = try await client.call(.post, "/api/v1/communities/texas/grants", json: ["user_id": ann.id, "role": "lead"], token: admin)
            #expect(lead.status == .created)
            let moderator = try await client.call(.post, "/api/v1/communities/texas/grants", json: ["user_id": bob.id, "role": "moderator"], token: annToken)
            #expect(moderator.status == .created)
            let moderatorGrant = try #require(moderator.object["id"] as? Int)

            #expect(try await client.call(.post, "/api/v1/communities/texas/grants", json: ["user_id": cid.id, "role": "member"], token: bobToken).status == .forbidden)
            #expect(try await client.call(.post, "/api/v1/communities/texas/grants", json: ["user_id": cid.id, "role": "admin"], token: annToken).status == .forbidden)
            #expect(try await client.call(.post, "/api/v1/communities/texas/grants", json: ["user_id": cid.id, "role": "admin"], token: admin).status == .forbidden)
            #expect(try await client.call(.post, "/api/v1/communities/ohio/grants", json: ["user_id": cid.id, "role": "member"], token: annToken).status == .forbidden)

            let steering = try await client.call(
                .post, "/api/v1/communities/texas/grants", json: ["user_id": cid.id, "role": "member", "committee": "steering"], token: annToken)
            #expect(steering.status == .created)
            #expect(steering.object["committee"] as? String == "steering")
            let cidMe = try await client.call(.get, "/api/v1/me", token: cidToken)
            #expect((cidMe.object["communities"] as? [[String: Any]])?.first { $0["slug"] as? String == "texas" }?["role"] as? String == "lead")

            let bobRole = { () async throws -> String? in
                let members = try await client.call(.get, "/api/v1/communities/texas/members", token: annToken).array("members")
                return members.first { ($0["user"] as? [String: Any])?["id"] as? Int == Int(bob.id) }?["role"] as? String
            }
            #expect(try await bobRole() == "moderator")
            #expect(try await client.call(.delete, "/api/v1/communities/texas/grants/\(moderatorGrant)", token: bobToken).status == .forbidden)
            #expect(try await client.call(.delete, "/api/v1/communities/ohio/grants/\(moderatorGrant)", token: admin).status == .notFound)
            #expect(try await client.call(.delete, "/api/v1/communities/texas/grants/\(moderatorGrant)", token: annToken).status == .noContent)
            #expect(try await bobRole() == "member")
        }
    }

    @Test("a private community is invisible to outsiders and visible to admins")
    func privateCommunity() async throws {
        let app = try await TestApp.make(private: true)
        try await app.test { client async throws in
            let (_, admin) = try await app.user(client, "Admin", admin: true)
            let (_, ann) = try await app.user(client, "Ann")
            #expect(try await client.call(.get, "/api/v1/communities/steering-circle").status == .notFound)
            #expect(try await client.call(.get, "/api/v1/communities/steering-circle", token: ann).status == .notFound)
            #expect(try await client.call(.post, "/api/v1/communities/steering-circle/join", token: ann).status == .notFound)
            #expect(!(try await client.call(.get, "/api/v1/communities", token: ann).array("communities").contains { $0["slug"] as? String == "steering-circle" }))
            #expect(try await client.call(.get, "/api/v1/communities/steering-circle", token: admin).status == .ok)
            #expect(try await client.call(.get, "/api/v1/communities", token: admin).array("communities").contains { $0["slug"] as? String == "steering-circle" })
        }
    }

    @Test("health, readiness, the OpenAPI document and the front page are served")
    func system() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            #expect(try await client.call(.get, "/healthz").status == .ok)
            #expect(try await client.call(.get, "/readyz").object["status"] as? String == "ready")
            let spec = try await client.call(.get, "/api/v1/openapi.yaml")
            #expect(spec.headers[.contentType]?.hasPrefix("application/yaml") == true)
            #expect(spec.body.hasPrefix("openapi: 3.1"))
            let page = try await client.call(.get, "/")
            #expect(page.body.contains("<h1>Convene</h1>"))
        }
    }
}
