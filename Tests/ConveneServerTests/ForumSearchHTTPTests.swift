import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("forum search and the knowledge base over HTTP", .timeLimit(.minutes(2)))
struct ForumSearchHTTPTests {
    static func ids(_ reply: Reply, _ key: String = "questions") -> [Int] {
        reply.array(key).compactMap { $0["id"] as? Int }
    }

    /// A day `days` after the test clock's now, as `YYYY-MM-DD`.
    static func day(_ app: TestApp, plus days: Int) -> String {
        let date = app.clock.now().addingTimeInterval(Double(days) * 86_400)
        return String(date.formatted(.iso8601).prefix(10))
    }

    @Test("questions are found by words in their title, body or answers, stemmed; a solved question ranks above an equal unsolved one; tag and community narrow; bad input is 422",
        arguments: TestApp.StoreKind.allCases)
    func searchQuestions(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let tags = try await app.store.tags(communityID: ohio.id).map(\.slug)
                try #require(tags.count >= 2)
                func ask(_ title: String, _ body: String, tag: String) async throws -> Int {
                    let reply = try await client.call(
                        .post, "/api/v1/communities/ohio/questions", json: ["title": title, "body": body, "tags": [tag]], token: ann)
                    return try #require(reply.object["id"] as? Int, "\(reply.body)")
                }
                func search(_ query: String, token: String? = nil) async throws -> Reply {
                    try await client.call(.get, "/api/v1/search?kind=question&\(query)", token: token)
                }
                let older = try await ask("Morning circles", "Ideas for morning circles?", tag: tags[0])
                let newer = try await ask("Morning circles", "Ideas for morning circles?", tag: tags[1])
                let other = try await ask("Advisory periods", "How long are yours?", tag: tags[0])
                let answer = try #require(
                    try await client.call(.post, "/api/v1/questions/\(other)/answers", json: ["body": "We added journaling to ours."], token: bob)
                        .object["id"] as? Int)

                #expect(Self.ids(try await search("q=circle")) == [newer, older], "stemmed; equal matches newest first")
                let olderAnswer = try #require(
                    try await client.call(.post, "/api/v1/questions/\(older)/answers", json: ["body": "Start small."], token: bob).object["id"] as? Int)
                #expect(try await client.call(.post, "/api/v1/answers/\(olderAnswer)/accept", token: ann).status == .ok)
                let ranked = try await search("q=morning+circles")
                #expect(Self.ids(ranked) == [older, newer], "the solved question ranks above the equal unsolved one")
                #expect(ranked.object["kind"] as? String == "question")
                #expect(ranked.object["has_more"] as? Bool == false)
                #expect(Self.ids(try await search("q=journaling")) == [other], "found by its answer")
                #expect(Self.ids(try await search("q=journ")) == [other], "the last word is a prefix")
                #expect(Self.ids(try await search("q=circles&tag=\(tags[1])")) == [newer])
                #expect(Self.ids(try await search("q=circles&community=ohio", token: tex)) == [older, newer], "a public forum is searchable by anyone")
                #expect(Self.ids(try await search("q=circles&community=texas")).isEmpty)
                let paged = try await search("q=circles&limit=1")
                #expect(Self.ids(paged) == [older])
                #expect(paged.object["has_more"] as? Bool == true)

                _ = try await client.call(.patch, "/api/v1/answers/\(answer)", json: ["body": "We added reflection time."], token: bob)
                #expect(Self.ids(try await search("q=journaling")).isEmpty, "an edit leaves the index in step")
                #expect(Self.ids(try await search("q=reflection")) == [other])

                #expect(try await search("q=").errorField == "q")
                #expect(try await client.call(.get, "/api/v1/search?kind=answer&q=x").errorField == "kind")
                #expect(try await client.call(.get, "/api/v1/search?q=x&tag=\(tags[0])").errorField == "tag")
                #expect(try await search("q=x&community=No+Such").errorField == "community")
                #expect(try await search("q=x&community=nowhere").status == .notFound)
                #expect(try await search("q=\"OR(*)\"+NEAR").status == .ok, "query syntax is only words")
            }
        }
    }

    @Test("a private community's questions are found only by its members")
    func searchPrivate() async throws {
        let app = try await TestApp.make(private: true)
        try await app.test { client async throws in
            let (_, ann, _, tex) = try await StreamTests.setUp(app, client)
            let circle = try #require(try await app.store.community(slug: "steering-circle"))
            let (member, memberToken) = try await app.user(client, "Pat")
            _ = try await app.store.createGrant(userID: member.id, role: .member, scope: .community(circle.id), grantedBy: nil, now: app.clock.now())
            let tag = try #require(try await app.store.tags(communityID: circle.id).first?.slug)
            let asked = try await client.call(
                .post, "/api/v1/communities/steering-circle/questions", json: ["title": "Budget zebras", "body": "Private.", "tags": [tag]],
                token: memberToken)
            let id = try #require(asked.object["id"] as? Int, "\(asked.body)")
            #expect(Self.ids(try await client.call(.get, "/api/v1/search?kind=question&q=zebras", token: memberToken)) == [id])
            for token in [ann, tex, nil] {
                #expect(Self.ids(try await client.call(.get, "/api/v1/search?kind=question&q=zebras", token: token)).isEmpty)
            }
            #expect(try await client.call(.get, "/api/v1/search?kind=question&q=zebras&community=steering-circle", token: ann).status == .notFound)
            #expect(try await client.call(.get, "/api/v1/knowledge?community=steering-circle", token: ann).status == .notFound)
        }
    }

    @Test("the knowledge base lists accepted answers of every readable community with source, accepter and curation; q and tag narrow; moderators and leads list what is past its review day, others are refused",
        arguments: TestApp.StoreKind.allCases)
    func knowledgeBase(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                func solved(_ slug: String, _ title: String, _ answer: String, asker: String, answerer: String, acceptor: String? = nil) async throws
                    -> (question: Int, answer: Int)
                {
                    let community = try #require(try await app.store.community(slug: slug))
                    let tag = try #require(try await app.store.tags(communityID: community.id).first?.slug)
                    let asked = try await client.call(
                        .post, "/api/v1/communities/\(slug)/questions", json: ["title": title, "body": "What works?", "tags": [tag]], token: asker)
                    let question = try #require(asked.object["id"] as? Int, "\(asked.body)")
                    let answered = try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": answer], token: answerer)
                    let id = try #require(answered.object["id"] as? Int)
                    app.clock.advance(60)
                    #expect(try await client.call(.post, "/api/v1/answers/\(id)/accept", token: acceptor ?? asker).status == .ok)
                    return (question, id)
                }
                _ = try await client.call(.post, "/api/v1/communities/texas/join", token: bob)
                let first = try await solved("ohio", "Circles for advisory", "Use talking pieces.", asker: ann, answerer: bob)
                let second = try await solved("texas", "Family nights", "Serve dinner first.", asker: tex, answerer: bob)
                let third = try await solved("ohio", "Calm corners", "Keep them stocked.", asker: ann, answerer: bob, acceptor: modToken)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let ohioTag = try #require(try await app.store.tags(communityID: ohio.id).first?.slug)
                let unsolved = try await client.call(
                    .post, "/api/v1/communities/ohio/questions", json: ["title": "Talking pieces?", "body": "Which?", "tags": [ohioTag]], token: ann)
                #expect(unsolved.status == .created)

                let all = try await client.call(.get, "/api/v1/knowledge")
                #expect(all.status == .ok, "\(all.body)")
                let entries = all.array("entries")
                #expect(entries.compactMap { ($0["question"] as? [String: Any])?["id"] as? Int } == [third.question, second.question, first.question])
                let texas = try #require(entries.first { ($0["question"] as? [String: Any])?["id"] as? Int == second.question })
                #expect((texas["community"] as? [String: Any])?["slug"] as? String == "texas")
                #expect((texas["answer"] as? [String: Any])?["id"] as? Int == second.answer)
                #expect((texas["accepted_by"] as? [String: Any])?["display_name"] as? String == "Tex")
                #expect(texas["accepted_at"] as? String != nil)
                #expect(texas["past_review"] as? Bool == false)
                let calm = try #require(entries.first)
                #expect((calm["accepted_by"] as? [String: Any])?["display_name"] as? String == "Mo", "a moderator accepted it")

                func questions(_ reply: Reply) -> [Int] {
                    reply.array("entries").compactMap { ($0["question"] as? [String: Any])?["id"] as? Int }
                }
                #expect(questions(try await client.call(.get, "/api/v1/knowledge?community=ohio")) == [third.question, first.question])
                #expect(questions(try await client.call(.get, "/api/v1/knowledge?q=talking+piece")) == [first.question], "answers only: not the unsolved question")
                #expect(questions(try await client.call(.get, "/api/v1/knowledge?q=dinner&community=ohio")).isEmpty)
                #expect(questions(try await client.call(.get, "/api/v1/knowledge?tag=no-such-tag")).isEmpty)
                #expect(try await client.call(.get, "/api/v1/knowledge?limit=0").errorField == "limit")

                // Curation shows, and the review day comes.
                let curated = try await client.call(
                    .post, "/api/v1/answers/\(first.answer)/curate",
                    json: ["outdated": true, "note": "The district changed its schedule.", "review_by": Self.day(app, plus: 2)], token: modToken)
                #expect(curated.status == .ok, "\(curated.body)")
                _ = try await client.call(.post, "/api/v1/answers/\(third.answer)/curate", json: ["review_by": Self.day(app, plus: 30)], token: modToken)
                #expect(questions(try await client.call(.get, "/api/v1/knowledge?due=true", token: modToken)).isEmpty, "nothing due yet")
                app.clock.advance(3 * 86_400)
                let due = try await client.call(.get, "/api/v1/knowledge?due=true", token: modToken)
                #expect(questions(due) == [first.question], "\(due.body)")
                let entry = try #require(due.array("entries").first)
                #expect(entry["past_review"] as? Bool == true)
                #expect(entry["outdated"] as? Bool == true)
                #expect((entry["answer"] as? [String: Any])?["outdated_note"] as? String == "The district changed its schedule.")
                #expect(try await client.call(.get, "/api/v1/knowledge?due=true&community=ohio", token: modToken).array("entries").count == 1)
                let pastInAll = try await client.call(.get, "/api/v1/knowledge?community=ohio").array("entries")
                #expect(pastInAll.first { ($0["question"] as? [String: Any])?["id"] as? Int == first.question }?["past_review"] as? Bool == true)

                #expect(try await client.call(.get, "/api/v1/knowledge?due=true", token: ann).status == .forbidden, "a member")
                #expect(try await client.call(.get, "/api/v1/knowledge?due=true&community=ohio", token: tex).status == .forbidden, "another community's member")
                #expect(try await client.call(.get, "/api/v1/knowledge?due=true&community=texas", token: modToken).status == .forbidden, "Ohio's moderator in Texas")
                #expect(try await client.call(.get, "/api/v1/knowledge?due=true").status == .unauthorized)
                #expect(try await client.call(.get, "/api/v1/knowledge?due=maybe", token: modToken).errorField == "due")
            }
        }
    }
}
