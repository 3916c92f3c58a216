import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("watched words in the forums", .timeLimit(.minutes(2)))
struct ForumWatchedWordsTests {
    @Test("watched words screen questions, answers, comments and edits: a block refuses naming the field, a censor replaces, an approve word holds the post hidden in the queue until a moderator shows it, a flag word files it for review; moderators are neither held nor flagged",
        arguments: TestApp.StoreKind.allCases)
    func screenPosts(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                for (word, action) in [("scam", "block"), ("darn", "censor"), ("fundraiser", "approve"), ("lawsuit", "flag")] {
                    let added = try await client.call(.post, "/api/v1/communities/ohio/watched-words", json: ["word": word, "action": action], token: modToken)
                    #expect(added.status == .created, "\(added.body)")
                }
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let tag = try #require(try await app.store.tags(communityID: ohio.id).first?.slug)
                func ask(_ title: String, _ body: String, _ token: String) async throws -> Reply {
                    try await client.call(.post, "/api/v1/communities/ohio/questions", json: ["title": title, "body": body, "tags": [tag]], token: token)
                }
                func queue() async throws -> [[String: Any]] {
                    try await client.call(.get, "/api/v1/moderation/queue?community=ohio", token: modToken).array("items")
                }
                func item(_ type: String, _ id: Int) async throws -> [String: Any]? {
                    try await queue().compactMap { $0["item"] as? [String: Any] }.first { $0["target_type"] as? String == type && $0["target_id"] as? Int == id }
                }

                #expect(try await ask("A scam?", "Hello.", ann).errorField == "title")
                #expect(try await ask("Fine", "Is this a scam?", ann).errorField == "body")
                #expect(try await client.call(.get, "/api/v1/communities/ohio/questions").array("questions").isEmpty, "nothing was stored")

                let censored = try await ask("Darn schedules", "The darn bell rings early.", ann)
                #expect(censored.object["title"] as? String == "■■■■ schedules")
                #expect(censored.object["body"] as? String == "The ■■■■ bell rings early.")
                let question = try #require(censored.object["id"] as? Int)

                // Held: hidden, in the queue with its word, not in the list, until a moderator shows it.
                let held = try await ask("Our fundraiser", "Ideas?", bob)
                #expect(held.status == .created)
                #expect(held.object["hidden"] as? Bool == true)
                let heldID = try #require(held.object["id"] as? Int)
                #expect(try await client.call(.get, "/api/v1/communities/ohio/questions").array("questions").count == 1)
                #expect(try await client.call(.get, "/api/v1/questions/\(heldID)", token: ann).status == .notFound)
                let heldItem = try #require(try await item("question", heldID))
                #expect(heldItem["watched_word"] as? String == "fundraiser")
                let shown = try await client.call(
                    .post, "/api/v1/moderation/actions", json: ModerationHTTPTests.action("unhide", "question", heldID, reason: "Approved."), token: modToken)
                #expect(shown.status == .created, "\(shown.body)")
                #expect(try await client.call(.get, "/api/v1/questions/\(heldID)", token: ann).status == .ok)

                let heldAnswer = try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Try a fundraiser."], token: bob)
                #expect(heldAnswer.object["hidden"] as? Bool == true)
                let flagged = try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Mind the lawsuit risk."], token: bob)
                let flaggedID = try #require(flagged.object["id"] as? Int)
                #expect(flagged.object["hidden"] as? Bool == false)
                #expect(try await item("answer", flaggedID)?["watched_word"] as? String == "lawsuit")

                #expect(try await client.call(.post, "/api/v1/questions/\(question)/comments", json: ["body": "A scam."], token: bob).errorField == "body")
                #expect(try await client.call(.post, "/api/v1/questions/\(question)/comments", json: ["body": "A fundraiser!"], token: bob).errorField == "body")
                let comment = try await client.call(.post, "/api/v1/questions/\(question)/comments", json: ["body": "Darn."], token: bob)
                #expect(comment.object["body"] as? String == "■■■■.")

                #expect(try await client.call(.patch, "/api/v1/questions/\(question)", json: ["body": "A scam."], token: ann).errorField == "body")
                #expect(try await client.call(.patch, "/api/v1/questions/\(question)", json: ["title": "Fundraiser time"], token: ann).errorField == "title")
                let edited = try await client.call(.patch, "/api/v1/questions/\(question)", json: ["body": "Darn it, a lawsuit."], token: ann)
                #expect(edited.object["body"] as? String == "■■■■ it, a lawsuit.")
                #expect(try await item("question", question)?["watched_word"] as? String == "lawsuit")

                // Moderators: censored and blocked like everyone, never held or flagged.
                let modPost = try await ask("Fundraiser rules", "About the lawsuit.", modToken)
                #expect(modPost.object["hidden"] as? Bool == false)
                let modID = try #require(modPost.object["id"] as? Int)
                #expect(try await item("question", modID) == nil)
                #expect(try await ask("A scam", "x", modToken).errorField == "title")
            }
        }
    }
}
