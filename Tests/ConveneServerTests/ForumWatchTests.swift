import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("forum watches, notifications and live question pages", .timeLimit(.minutes(2)))
struct ForumWatchTests {
    static func notifications(_ client: any TestClientProtocol, _ token: String) async throws -> [[String: Any]] {
        try await client.call(.get, "/api/v1/notifications", token: token).array("notifications")
    }

    @Test("watchers of a forum or tag hear of new questions, a question's watchers (the asker and answerers too) of new answers, authors of comments and accepts, the named of mentions — stored, listed and pushed live; followers of a question page see answers, votes, comments and accepts as they happen",
        arguments: TestApp.StoreKind.allCases)
    func watchNotifyAndFollow(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (_, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let (_, cy) = try await app.user(client, "Cy")
                _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: cy)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let tags = try await app.store.tags(communityID: ohio.id).map(\.slug)
                try #require(tags.count >= 2)

                #expect(try await client.call(.post, "/api/v1/watches", json: ["community": "ohio"], token: bob).status == .created)
                #expect(try await client.call(.post, "/api/v1/watches", json: ["community": "ohio"], token: bob).status == .ok, "watching twice is one watch")
                #expect(try await client.call(.post, "/api/v1/watches", json: ["community": "ohio", "tag": tags[1]], token: cy).status == .created)

                // A new question: Bob watches the forum, Cy the tag; Ann's mention of Bob outranks his watch.
                let asked = try await client.call(
                    .post, "/api/v1/communities/ohio/questions",
                    json: ["title": "Restorative circles", "body": "@Bob how long do yours take?", "tags": [tags[1]]], token: ann)
                let question = try #require(asked.object["id"] as? Int, "\(asked.body)")
                let bobFirst = try #require(try await Self.notifications(client, bob).first)
                #expect(bobFirst["kind"] as? String == "mention")
                #expect(bobFirst["question_id"] as? Int == question)
                #expect(bobFirst["question_title"] as? String == "Restorative circles")
                #expect(bobFirst["post_type"] as? String == "question")
                #expect(bobFirst["excerpt"] as? String == "@Bob how long do yours take?")
                #expect(bobFirst["channel_id"] == nil)
                let cyFirst = try #require(try await Self.notifications(client, cy).first)
                #expect(cyFirst["kind"] as? String == "new_question")
                #expect(try await Self.notifications(client, ann).isEmpty, "nobody is told of their own post")
                #expect(try await Self.notifications(client, tex).isEmpty)

                // Streams: Ann (the asker, watching her question), Tex following the page.
                let annStream = StreamClient(port: port, headers: StreamClient.bearer(ann))
                let page = StreamClient(port: port, headers: StreamClient.bearer(tex))
                _ = await annStream.next()
                _ = await page.next()
                try page.send(["op": "follow_question", "ref": "f", "question": question])
                let followed = await page.frames(until: "question_followed")
                #expect(followed.last?["ref"] as? String == "f")

                let answered = try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "About twenty minutes."], token: cy)
                let answer = try #require(answered.object["id"] as? Int)
                let pushed = await annStream.framesCollecting(ops: ["notification"], count: 1)
                let told = try #require(pushed.first?["notification"] as? [String: Any])
                #expect(told["kind"] as? String == "new_answer")
                #expect(told["post_type"] as? String == "answer")
                #expect(told["post_id"] as? Int == answer)
                #expect(pushed.first?["unread_count"] as? Int == 1)
                let created = try #require(await page.framesCollecting(ops: ["question_event"], count: 1).first)
                #expect(created["type"] as? String == "answer.created")
                #expect(created["question"] as? Int == question)
                #expect((created["data"] as? [String: Any])?["id"] as? Int == answer)
                #expect((created["data"] as? [String: Any])?["body"] as? String == "About twenty minutes.")

                #expect(try await client.call(.post, "/api/v1/answers/\(answer)/vote", json: ["value": 1], token: ann).status == .ok)
                let vote = try #require(await page.framesCollecting(ops: ["question_event"], count: 1).first)
                #expect(vote["type"] as? String == "vote.changed")
                #expect((vote["data"] as? [String: Any])?["score"] as? Int == 1)
                #expect((vote["data"] as? [String: Any])?["target"] as? String == "answer")

                #expect(try await client.call(.post, "/api/v1/answers/\(answer)/accept", token: ann).status == .ok)
                let accept = try #require(await page.framesCollecting(ops: ["question_event"], count: 1).first)
                #expect(accept["type"] as? String == "answer.accepted")
                #expect((accept["data"] as? [String: Any])?["accepted_answer_id"] as? Int == answer)
                #expect(try await Self.notifications(client, cy).first?["kind"] as? String == "accepted")

                #expect(try await client.call(.post, "/api/v1/answers/\(answer)/comments", json: ["body": "Same here."], token: bob).status == .created)
                let comment = try #require(await page.framesCollecting(ops: ["question_event"], count: 1).first)
                #expect(comment["type"] as? String == "comment.created")
                #expect((comment["data"] as? [String: Any])?["target_type"] as? String == "answer")
                #expect((comment["data"] as? [String: Any])?["target_id"] as? Int == answer)
                let cyComment = try #require(try await Self.notifications(client, cy).first)
                #expect(cyComment["kind"] as? String == "comment")
                #expect(cyComment["excerpt"] as? String == "Same here.")

                // Cy answered, so Cy watches the question now: Bob's answer tells Cy and Ann.
                _ = try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Ours run long."], token: bob)
                #expect(try await Self.notifications(client, cy).first?["kind"] as? String == "new_answer")
                #expect(try await Self.notifications(client, ann).first?["kind"] as? String == "new_answer")
                _ = await page.framesCollecting(ops: ["question_event"], count: 1)

                // Unfollowed, the page hears nothing more.
                try page.send(["op": "unfollow_question", "question": question])
                _ = await page.frames(until: "question_unfollowed")
                _ = try await client.call(.post, "/api/v1/answers/\(answer)/vote", json: ["value": 1], token: bob)
                try page.send(["op": "ping"])
                #expect(await page.frames(until: "pong").compactMap { $0["op"] as? String } == ["pong"])
                _ = await page.close()
                _ = await annStream.close()

                // Unwatched, Ann hears of no new answer.
                let watches = try await client.call(.get, "/api/v1/watches", token: ann).array("watches")
                let watch = try #require(watches.first { $0["question_id"] as? Int == question })
                #expect(watch["kind"] as? String == "question")
                let watchID = try #require(watch["id"] as? Int)
                #expect(try await client.call(.delete, "/api/v1/watches/\(watchID)", token: bob).status == .notFound, "another's watch")
                #expect(try await client.call(.delete, "/api/v1/watches/\(watchID)", token: ann).status == .noContent)
                #expect(try await client.call(.delete, "/api/v1/watches/\(watchID)", token: ann).status == .notFound)
                let before = try await Self.notifications(client, ann).count
                _ = try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Late answer."], token: tex)
                #expect(try await Self.notifications(client, ann).count == before)
            }
        }
    }

    /// A question "Budget" asked in the private community `steering-circle` (`TestApp.make(private: true)`)
    /// by its member Pat, and Pat's token.
    static func privateQuestion(_ app: TestApp, _ client: any TestClientProtocol) async throws -> (question: Int, memberToken: String) {
        let circle = try #require(try await app.store.community(slug: "steering-circle"))
        let (member, memberToken) = try await app.user(client, "Pat")
        _ = try await app.store.createGrant(userID: member.id, role: .member, scope: .community(circle.id), grantedBy: nil, now: app.clock.now())
        let tag = try #require(try await app.store.tags(communityID: circle.id).first?.slug)
        let asked = try await client.call(
            .post, "/api/v1/communities/steering-circle/questions", json: ["title": "Budget", "body": "Private.", "tags": [tag]], token: memberToken)
        return (try #require(asked.object["id"] as? Int), memberToken)
    }

    @Test("a watch names a question, or a community (and a tag) the caller may read; bad or foreign targets are refused; a private community's page cannot be followed by outsiders")
    func watchInput() async throws {
        let app = try await TestApp.make(private: true)
        try await app.live { client, port async throws in
            let (_, ann, _, _) = try await StreamTests.setUp(app, client)
            let (question, memberToken) = try await Self.privateQuestion(app, client)

            #expect(try await client.call(.post, "/api/v1/watches", json: [String: Any](), token: ann).errorField == "community")
            #expect(try await client.call(.post, "/api/v1/watches", json: ["community": "ohio", "tag": "no-such-tag"], token: ann).errorField == "tag")
            #expect(try await client.call(.post, "/api/v1/watches", json: ["question_id": question, "community": "ohio"], token: ann).errorField == "question_id")
            #expect(try await client.call(.post, "/api/v1/watches", json: ["question_id": 999_999], token: ann).status == .notFound)
            #expect(try await client.call(.post, "/api/v1/watches", json: ["question_id": question], token: ann).status == .notFound, "a private question")
            #expect(try await client.call(.post, "/api/v1/watches", json: ["community": "steering-circle"], token: ann).status == .notFound)
            #expect(try await client.call(.post, "/api/v1/watches", json: ["community": "ohio"]).status == .unauthorized)
            #expect(try await client.call(.get, "/api/v1/watches").status == .unauthorized)
            #expect(try await client.call(.post, "/api/v1/watches", json: ["question_id": question], token: memberToken).status == .ok, "the asker watches it already")

            let outsider = StreamClient(port: port, headers: StreamClient.bearer(ann))
            _ = await outsider.next()
            try outsider.send(["op": "follow_question", "ref": 1, "question": question])
            let refused = try #require(await outsider.frames(until: "error").last)
            #expect(refused["code"] as? String == "not_found")
            try outsider.send(["op": "follow_question", "ref": 2])
            #expect(try #require(await outsider.frames(until: "error").last)["field"] as? String == "question")
            _ = await outsider.close()
        }
    }
}
