import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("flags and hiding on questions and answers", .timeLimit(.minutes(2)))
struct ForumModerationTests {
    @Test("members flag others' questions and answers; at the threshold an answer is hidden — its text withheld from all but its author and the moderators, gone from search and the knowledge base, its followers told — until a moderator rejects the flags; moderators hide and unhide questions, audited",
        arguments: TestApp.StoreKind.allCases)
    func flagAndHidePosts(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store, { $0.flagHideThreshold = 2 }) { app in
            try await app.live { client, port async throws in
                let (_, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let (_, modToken, cy) = try await ReviewQueueHTTPTests.staff(app, client)
                let (_, dee) = try await app.user(client, "Dee")
                _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: dee)
                let question = try await ForumsHTTPTests.ask(app, client, "Quiet corners", body: "Where do you put them?", token: ann)
                let answered = try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Beside the zebra mural."], token: bob)
                let answer = try #require(answered.object["id"] as? Int)
                #expect(try await client.call(.post, "/api/v1/answers/\(answer)/accept", token: ann).status == .ok)
                func flag(_ type: String, _ id: Int, _ token: String, reason: String = "spam") async throws -> Reply {
                    try await client.call(.post, "/api/v1/flags", json: ["target": ["type": type, "id": id], "reason": reason], token: token)
                }
                func page(_ token: String?) async throws -> [String: Any] {
                    try #require(try await client.call(.get, "/api/v1/questions/\(question)", token: token).array("answers").first)
                }
                #expect(try await flag("answer", answer, bob).errorField == "target.id", "one's own answer")
                #expect(try await flag("answer", answer, tex).status == .forbidden, "another community's member")
                #expect(try await flag("comment", 1, cy).errorField == "target.type")
                #expect(try await flag("answer", 999_999, cy).status == .notFound)

                let follower = StreamClient(port: port, headers: StreamClient.bearer(tex))
                _ = await follower.next()
                try follower.send(["op": "follow_question", "question": question])
                _ = await follower.frames(until: "question_followed")

                #expect(try await flag("answer", answer, cy).status == .created)
                #expect(try await flag("answer", answer, cy).status == .conflict, "a member flags a thing once")
                #expect(try await page(ann)["hidden"] as? Bool == false, "below the threshold")
                #expect(try await flag("answer", answer, dee).status == .created)
                let hidden = try #require(await follower.framesCollecting(ops: ["question_event"], count: 1).first)
                #expect(hidden["type"] as? String == "answer.hidden")
                #expect((hidden["data"] as? [String: Any])?["id"] as? Int == answer)
                #expect((hidden["data"] as? [String: Any])?["body"] == nil)

                let seen = try await page(ann)
                #expect(seen["hidden"] as? Bool == true)
                #expect(seen["body"] as? String == "")
                #expect(try await page(nil)["body"] as? String == "")
                #expect(try await page(bob)["body"] as? String == "Beside the zebra mural.", "its author")
                #expect(try await page(modToken)["body"] as? String == "Beside the zebra mural.", "a moderator")
                #expect(try await client.call(.get, "/api/v1/answers/\(answer)/revisions", token: ann).status == .notFound)
                #expect(try await flag("answer", answer, ann).status == .notFound, "a hidden answer is not there for others")
                #expect(try await client.call(.post, "/api/v1/answers/\(answer)/vote", json: ["value": 1], token: ann).status == .notFound)
                #expect(try await client.call(.get, "/api/v1/search?kind=question&q=zebra").array("questions").isEmpty)
                #expect(try await client.call(.get, "/api/v1/knowledge?community=ohio").array("entries").isEmpty)
                let excerpt = try await client.call(.get, "/api/v1/notifications", token: ann).array("notifications").first { $0["kind"] as? String == "new_answer" }
                #expect(excerpt?["excerpt"] as? String == "")

                let queue = try await client.call(.get, "/api/v1/moderation/queue?community=ohio", token: modToken).array("items")
                let entry = try #require(queue.first { ($0["item"] as? [String: Any])?["target_type"] as? String == "answer" })
                #expect((entry["answer"] as? [String: Any])?["body"] as? String == "Beside the zebra mural.")
                #expect((entry["question"] as? [String: Any])?["id"] as? Int == question)
                let itemID = try #require((entry["item"] as? [String: Any])?["id"] as? Int)
                let rejected = try await client.call(
                    .post, "/api/v1/moderation/actions",
                    json: ["action": "resolve_flag", "target": ["type": "review_item", "id": itemID], "outcome": "rejected", "reason": "Fine."],
                    token: modToken)
                #expect(rejected.status == .created, "\(rejected.body)")
                let shown = try #require(await follower.framesCollecting(ops: ["question_event"], count: 1).first)
                #expect(shown["type"] as? String == "answer.shown")
                #expect((shown["data"] as? [String: Any])?["body"] as? String == "Beside the zebra mural.")
                #expect(try await page(ann)["body"] as? String == "Beside the zebra mural.")
                #expect(try await client.call(.get, "/api/v1/search?kind=question&q=zebra").array("questions").count == 1)

                // A moderator hides the question itself.
                func act(_ action: String, _ token: String) async throws -> Reply {
                    try await client.call(
                        .post, "/api/v1/moderation/actions", json: ModerationHTTPTests.action(action, "question", question, reason: "Names a student."),
                        token: token)
                }
                #expect(try await act("hide", cy).status == .forbidden)
                let hid = try await act("hide", modToken)
                #expect(hid.status == .created, "\(hid.body)")
                #expect((hid.object["question"] as? [String: Any])?["hidden"] as? Bool == true)
                #expect((hid.object["audit"] as? [String: Any])?["action"] as? String == "hide")
                #expect((hid.object["audit"] as? [String: Any])?["target_type"] as? String == "question")
                #expect(try await act("hide", modToken).status == .conflict)
                #expect(try await client.call(.get, "/api/v1/questions/\(question)", token: tex).status == .notFound)
                #expect(try await client.call(.get, "/api/v1/questions/\(question)", token: ann).status == .ok, "its author")
                #expect(try await client.call(.get, "/api/v1/questions/\(question)", token: modToken).status == .ok)
                #expect(try await client.call(.get, "/api/v1/communities/ohio/questions").array("questions").isEmpty)
                #expect(!(try await client.call(.get, "/api/v1/communities/ohio/questions.atom").body.contains("Quiet corners")))
                #expect(try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Late."], token: cy).status == .notFound)
                #expect(try await act("unhide", modToken).status == .created)
                #expect(try await client.call(.get, "/api/v1/communities/ohio/questions").array("questions").count == 1)
                _ = await follower.close()
            }
        }
    }
}
