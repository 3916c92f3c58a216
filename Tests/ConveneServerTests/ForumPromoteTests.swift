import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("promoting a chat thread to a question", .timeLimit(.minutes(2)))
struct ForumPromoteTests {
    @Test("the first message's author (or a moderator) turns a thread into a question: quoted and attributed, linked both ways, its participants told; once per thread; others refused; bad input changes nothing",
        arguments: TestApp.StoreKind.allCases)
    func promoteThread(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (general, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let (_, modToken, cy) = try await ReviewQueueHTTPTests.staff(app, client)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let tag = try #require(try await app.store.tags(communityID: ohio.id).first?.slug)
                func post(_ body: String, thread: Int? = nil, _ token: String) async throws -> Int {
                    var json: [String: Any] = ["body": body]
                    if let thread { json["thread_id"] = thread }
                    return try #require(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: json, token: token).object["id"] as? Int)
                }
                let root = try await post("How do you run morning circles?\nWe have 20 minutes.", ann)
                let first = try await post("A talking piece helps.", thread: root, bob)
                _ = try await post("Keep it short.", thread: root, cy)
                let gone = try await post("Never mind this one.", thread: root, bob)
                #expect(try await client.call(.delete, "/api/v1/messages/\(gone)", token: bob).status == .noContent)
                func promote(_ id: Int, _ token: String, title: String = "Running morning circles", tags: [String]? = nil) async throws -> Reply {
                    try await client.call(.post, "/api/v1/messages/\(id)/promote", json: ["title": title, "tags": tags ?? [tag]], token: token)
                }

                #expect(try await promote(root, bob).status == .forbidden, "not the first message's author")
                #expect(try await promote(root, tex).status == .forbidden, "another community's member")
                #expect(try await promote(root, ann, title: " ").errorField == "title")
                #expect(try await promote(root, ann, tags: ["no-such-tag"]).errorField == "tags")
                #expect(try await promote(999_999, ann).status == .notFound)
                #expect(try await client.call(.post, "/api/v1/messages/\(root)/promote", json: ["title": "x"], token: ann).errorField == "tags")

                let promoted = try await promote(first, ann)
                #expect(promoted.status == .created, "\(promoted.body)")
                let question = try #require(promoted.object["question"] as? [String: Any])
                let questionID = try #require(question["id"] as? Int)
                #expect(question["source_message_id"] as? Int == root, "a reply's id promotes its thread")
                #expect(question["source_channel_id"] as? Int == general)
                #expect(question["title"] as? String == "Running morning circles")
                #expect((question["author"] as? [String: Any])?["display_name"] as? String == "Ann")
                let body = try #require(question["body"] as? String)
                #expect(body.contains("> **Ann** wrote in #general"))
                #expect(body.contains("> How do you run morning circles?\n> We have 20 minutes."))
                #expect(body.contains("> **Bob** replied"))
                #expect(body.contains("> **Cy** replied"))
                #expect(body.contains("> Keep it short."))
                #expect(!body.contains("Never mind"), "a deleted reply is not quoted")
                #expect(body.contains("*Promoted from a thread in #general by Ann.*"))
                #expect((question["body_html"] as? String)?.contains("<blockquote>") == true)

                let backLink = try #require(promoted.object["back_link"] as? [String: Any])
                #expect(backLink["thread_id"] as? Int == root)
                #expect((backLink["body"] as? String)?.contains("question \(questionID)") == true)
                let latest = try await client.call(.get, "/api/v1/channels/\(general)/messages?limit=1", token: bob).array("messages")
                #expect(latest.first?["id"] as? Int == backLink["id"] as? Int, "the thread points to the question")

                for token in [bob, cy] {
                    let told = try await client.call(.get, "/api/v1/notifications", token: token).array("notifications").first
                    #expect(told?["kind"] as? String == "promoted")
                    #expect(told?["question_id"] as? Int == questionID)
                }
                #expect(try await client.call(.get, "/api/v1/notifications", token: ann).array("notifications").isEmpty)
                #expect(try await client.call(.get, "/api/v1/watches", token: ann).array("watches").contains { $0["question_id"] as? Int == questionID })

                let again = try await promote(root, modToken)
                #expect(again.status == .conflict, "a thread becomes one question")
                #expect(again.errorMessage?.contains("question \(questionID)") == true)

                // A moderator promotes another's thread; a deleted first message is not promoted.
                let other = try await post("Who keeps the SEL calendar?", bob)
                #expect(try await promote(other, modToken, title: "Keeping the SEL calendar").status == .created)
                let deleted = try await post("Oops.", ann)
                _ = try await client.call(.delete, "/api/v1/messages/\(deleted)", token: ann)
                #expect(try await promote(deleted, ann).status == .conflict)
            }
        }
    }

    @Test("a private channel's thread reaches the forum only through a moderator")
    func privateChannel() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, ann, _, _) = try await StreamTests.setUp(app, client)
            let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
            let annID = try #require(try await client.call(.get, "/api/v1/me", token: ann).object["user"] as? [String: Any])["id"] as? Int
            let created = try await client.call(.post, "/api/v1/communities/ohio/channels", json: ["name": "leads-only", "private": true], token: modToken)
            let channel = try #require(created.object["id"] as? Int, "\(created.body)")
            #expect(try await client.call(.post, "/api/v1/channels/\(channel)/members", json: ["user_id": try #require(annID)], token: modToken).status == .created)
            let root = try #require(
                try await client.call(.post, "/api/v1/channels/\(channel)/messages", json: ["body": "Budget worries."], token: ann).object["id"] as? Int)
            let ohio = try #require(try await app.store.community(slug: "ohio"))
            let tag = try #require(try await app.store.tags(communityID: ohio.id).first?.slug)
            let body: [String: Any] = ["title": "Budget", "tags": [tag]]
            #expect(try await client.call(.post, "/api/v1/messages/\(root)/promote", json: body, token: ann).status == .forbidden)
            #expect(try await client.call(.post, "/api/v1/messages/\(root)/promote", json: body, token: modToken).status == .created)
        }
    }
}
