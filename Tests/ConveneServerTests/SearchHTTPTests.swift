import ConveneCore
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("Search over HTTP")
struct SearchHTTPTests {
    @Test("search finds only what the caller may read: channels of joined communities, private ones for their members, one community when asked")
    func readableOnly() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, mo, tex) = try await ChannelsHTTPTests.setUp(app, client)
            let (_, admin) = try await app.user(client, "Root", admin: true)
            _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "Restorative circles worked well"], token: ann)
            let hidden = try await client.call(.post, "/api/v1/communities/ohio/channels", json: ["name": "leads", "private": true], token: admin)
            let leads = try #require(hidden.object["id"] as? Int)
            _ = try await client.call(.post, "/api/v1/channels/\(leads)/messages", json: ["body": "Restorative budget talk"], token: mo)
            let texas = try await client.call(.get, "/api/v1/communities/texas/channels", token: tex).array("channels")
            let texasGeneral = try #require(texas.first { $0["name"] as? String == "general" }?["id"] as? Int)
            let texPost = try await client.call(.post, "/api/v1/channels/\(texasGeneral)/messages", json: ["body": "Restorative practice in Austin"], token: tex)
            #expect(texPost.status == .created, "\(texPost.body)")

            func bodies(_ query: String, token: String?) async throws -> [String] {
                let reply = try await client.call(.get, "/api/v1/search?\(query)", token: token)
                #expect(reply.status == .ok, "\(query): \(reply.body)")
                return reply.array("messages").compactMap { $0["body"] as? String }.sorted()
            }
            #expect(try await bodies("q=restorative", token: ann) == ["Restorative circles worked well"], "a community Ann has not joined")
            _ = try await client.call(.post, "/api/v1/communities/texas/join", token: ann)
            #expect(try await bodies("q=restorative", token: ann) == ["Restorative circles worked well", "Restorative practice in Austin"])
            #expect(try await bodies("q=restorative&community=ohio", token: ann) == ["Restorative circles worked well"])
            #expect(try await bodies("q=restorative", token: mo) == ["Restorative budget talk", "Restorative circles worked well"], "a moderator reads the private channel")
            #expect(try await bodies("q=budget", token: ann).isEmpty, "a private channel leaked")
            #expect(try await bodies("q=restor", token: nil).isEmpty, "a guest read channels")
            let page = try await client.call(.get, "/api/v1/search?q=restorative&limit=1", token: ann)
            #expect(page.array("messages").count == 1)
            #expect(page.object["has_more"] as? Bool == true)
            #expect(page.array("messages").first?["community_id"] as? Int != nil)
        }
    }

    @Test("bad searches get 422 naming the field")
    func badInput() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, ann, _, _) = try await ChannelsHTTPTests.setUp(app, client)
            let cases: [(String, String)] = [
                ("", "q"), ("q=", "q"), ("q=%22%2A%28%29", "q"), ("q=" + String(repeating: "a", count: 201), "q"),
                ("q=a+b+c+d+e+f+g+h+i+j+k", "q"), ("q=x&kind=answer", "kind"), ("q=x&limit=0", "limit"), ("q=x&offset=-1", "offset"),
                ("q=x&community=Not+A+Slug", "community"),
            ]
            for (query, field) in cases {
                let reply = try await client.call(.get, "/api/v1/search?\(query)", token: ann)
                #expect(reply.status == .unprocessableContent, "\(query)")
                #expect(reply.errorField == field, "\(query)")
            }
            #expect(try await client.call(.get, "/api/v1/search?q=x&community=atlantis", token: ann).status == .notFound)
            #expect(try await client.call(.get, "/api/v1/search?q=NEAR%28a%20b%29%20OR%20%22", token: ann).status == .ok, "query syntax reached the engine")
        }
    }
}
