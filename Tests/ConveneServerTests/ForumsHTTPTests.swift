import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("Q&A forums over HTTP", .timeLimit(.minutes(2)))
struct ForumsHTTPTests {
    /// Asks a question in Ohio with its first tag; returns its id.
    static func ask(_ app: TestApp, _ client: any TestClientProtocol, _ title: String, body: String = "?", token: String) async throws -> Int {
        let ohio = try #require(try await app.store.community(slug: "ohio"))
        let tag = try #require(try await app.store.tags(communityID: ohio.id).first?.slug)
        let reply = try await client.call(.post, "/api/v1/communities/ohio/questions", json: ["title": title, "body": body, "tags": [tag]], token: token)
        return try #require(reply.object["id"] as? Int, "\(reply.body)")
    }
    @Test("members ask with the community's tags, answer and vote; the asker or a moderator accepts one answer at a time, audited; lists filter and sort",
        arguments: TestApp.StoreKind.allCases)
    func askAnswerVoteAccept(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let (_, modToken, cy) = try await ReviewQueueHTTPTests.staff(app, client)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let tags = try await app.store.tags(communityID: ohio.id).map(\.slug)
                let tag = try #require(tags.first)
                func ask(_ title: String, _ token: String, tags: [String]? = nil, body: String = "What has worked for you?") async throws -> Reply {
                    try await client.call(
                        .post, "/api/v1/communities/ohio/questions", json: ["title": title, "body": body, "tags": tags ?? [tag]], token: token)
                }
                #expect(try await ask(" ", ann).errorField == "title")
                #expect(try await ask(String(repeating: "x", count: 201), ann).errorField == "title")
                #expect(try await ask("Fine", ann, body: "  ").errorField == "body")
                #expect(try await ask("Fine", ann, tags: []).errorField == "tags")
                #expect(try await ask("Fine", ann, tags: ["not-a-tag"]).errorField == "tags")
                #expect(try await ask("Fine", tex).status == .forbidden, "another community's member asked")
                #expect(try await ask("Fine", ann, tags: Array(repeating: tag, count: 6)).status == .created, "repeated tags count once")

                let asked = try await ask("How do you start advisory periods?", ann)
                #expect(asked.status == .created, "\(asked.body)")
                let question = try #require(asked.object["id"] as? Int)
                let unanswered = try await ask("Who runs your SEL committee?", ann)
                func answer(_ body: String, _ token: String) async throws -> Int {
                    try #require(try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": body], token: token).object["id"] as? Int)
                }
                let first = try await answer("With a circle.", bob)
                let second = try await answer("With a check-in.", cy)
                #expect(try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": ""], token: bob).errorField == "body")

                func vote(_ path: String, _ value: Int, _ token: String) async throws -> Reply {
                    try await client.call(.post, path, json: ["value": value], token: token)
                }
                #expect(try await vote("/api/v1/answers/\(first)/vote", 1, ann).object["score"] as? Int == 1)
                #expect(try await vote("/api/v1/answers/\(first)/vote", 1, ann).object["score"] as? Int == 1, "voting twice counts once")
                #expect(try await vote("/api/v1/answers/\(second)/vote", 1, ann).object["score"] as? Int == 1)
                #expect(try await vote("/api/v1/answers/\(second)/vote", 1, bob).object["score"] as? Int == 2)
                #expect(try await vote("/api/v1/answers/\(first)/vote", 1, bob).status == .forbidden, "a vote on one's own answer")
                #expect(try await vote("/api/v1/questions/\(question)/vote", 2, bob).errorField == "value")
                #expect(try await vote("/api/v1/questions/\(question)/vote", -1, bob).object["score"] as? Int == -1)
                #expect(try await vote("/api/v1/questions/\(question)/vote", 0, bob).object["score"] as? Int == 0, "a vote taken back")
                #expect(try await vote("/api/v1/answers/987654/vote", 1, bob).status == .notFound)

                app.clock.advance(60)
                #expect(try await client.call(.post, "/api/v1/answers/\(first)/accept", token: cy).status == .forbidden, "a member accepted on another's question")
                let accepted = try await client.call(.post, "/api/v1/answers/\(first)/accept", token: ann)
                #expect(accepted.status == .ok, "\(accepted.body)")
                #expect((accepted.object["question"] as? [String: Any])?["accepted_answer_id"] as? Int == first)
                #expect(try await client.call(.post, "/api/v1/answers/\(first)/accept", token: ann).status == .conflict)
                #expect(try await client.call(.delete, "/api/v1/answers/\(second)/accept", token: ann).status == .conflict, "unaccepting an answer not accepted")

                let page = try await client.call(.get, "/api/v1/questions/\(question)", token: ann)
                #expect(page.status == .ok)
                let answers = page.array("answers")
                #expect(answers.map { $0["id"] as? Int } == [first, second], "the accepted answer comes first")
                #expect(answers.map { $0["accepted"] as? Bool } == [true, false])
                #expect(answers.map { $0["my_vote"] as? Int } == [1, 1])
                #expect(page.object["accepted_outscored"] as? Bool == true, "the other answer scores 2 against 1")
                #expect(try await client.call(.get, "/api/v1/questions/\(question)").status == .ok, "Ohio's forum is public")

                let moved = try await client.call(.post, "/api/v1/answers/\(second)/accept", token: modToken)
                #expect((moved.object["question"] as? [String: Any])?["accepted_answer_id"] as? Int == second, "a moderator moves the mark")
                let marks = try await client.call(.get, "/api/v1/questions/\(question)", token: ann).array("answers").map { $0["accepted"] as? Bool }
                #expect(marks == [true, false], "one accepted answer at a time")

                func list(_ query: String) async throws -> [Int?] {
                    try await client.call(.get, "/api/v1/communities/ohio/questions?\(query)", token: bob).array("questions").map { $0["id"] as? Int }
                }
                let other = try #require(unanswered.object["id"] as? Int)
                #expect(try await list("filter=solved") == [question])
                #expect(try await list("filter=unanswered").contains(other))
                #expect(try await !list("filter=unsolved").contains(question))
                #expect(try await list("sort=activity").first == question, "the accept moved its activity")
                #expect(try await list("sort=newest").first == other)
                #expect(try await list("tag=\(tag)").count == 3)
                #expect(try await client.call(.get, "/api/v1/communities/ohio/questions?sort=random", token: bob).errorField == "sort")
                #expect(try await client.call(.delete, "/api/v1/answers/\(second)/accept", token: ann).status == .ok)
                let actions = try await app.store.auditEntries(communityID: ohio.id, afterID: nil, limit: 10).map(\.action)
                #expect(actions == ["accept", "accept", "unaccept"])
            }
        }
    }

    @Test("members comment on questions and answers; the question page shows each comment under what it comments on; bad comments change nothing",
        arguments: TestApp.StoreKind.allCases)
    func comments(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let question = try await Self.ask(app, client, "Morning meetings?", body: "How long?", token: ann)
                let answer = try #require(
                    try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Fifteen minutes."], token: bob).object["id"] as? Int)
                let onQuestion = try await client.call(.post, "/api/v1/questions/\(question)/comments", json: ["body": "Which **grade**?"], token: bob)
                #expect(onQuestion.status == .created, "\(onQuestion.body)")
                #expect(onQuestion.object["body_html"] as? String == "<p>Which <strong>grade</strong>?</p>")
                #expect(try await client.call(.post, "/api/v1/answers/\(answer)/comments", json: ["body": "Thanks!"], token: ann).status == .created)
                #expect(try await client.call(.post, "/api/v1/answers/\(answer)/comments", json: ["body": " "], token: ann).errorField == "body")
                #expect(
                    try await client.call(.post, "/api/v1/answers/\(answer)/comments", json: ["body": String(repeating: "x", count: 2001)], token: ann)
                        .errorField == "body")
                #expect(try await client.call(.post, "/api/v1/answers/\(answer)/comments", json: ["body": "hi"], token: tex).status == .forbidden)
                #expect(try await client.call(.post, "/api/v1/answers/987654/comments", json: ["body": "hi"], token: ann).status == .notFound)
                let page = try await client.call(.get, "/api/v1/questions/\(question)", token: ann)
                #expect((page.object["comments"] as? [[String: Any]])?.map { $0["body"] as? String } == ["Which **grade**?"])
                #expect((page.array("answers").first?["comments"] as? [[String: Any]])?.map { $0["body"] as? String } == ["Thanks!"])
            }
        }
    }

    @Test("authors and moderators edit questions and answers; every version is kept with a line diff; moderators roll back, which is a revision too",
        arguments: TestApp.StoreKind.allCases)
    func revisions(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let tags = try await app.store.tags(communityID: ohio.id).map(\.slug)
                let question = try #require(
                    try await client.call(
                        .post, "/api/v1/communities/ohio/questions", json: ["title": "Circles", "body": "line one\nline two", "tags": [tags[0]]], token: ann
                    ).object["id"] as? Int)
                let edited = try await client.call(
                    .patch, "/api/v1/questions/\(question)",
                    json: ["title": "Restorative circles", "body": "line one\nline 2\nline three", "tags": Array(tags.prefix(2)), "reason": "clearer"], token: ann)
                #expect(edited.status == .ok, "\(edited.body)")
                #expect(edited.object["title"] as? String == "Restorative circles")
                #expect(try await client.call(.patch, "/api/v1/questions/\(question)", json: ["body": "mine now"], token: bob).status == .forbidden)
                #expect(try await client.call(.patch, "/api/v1/questions/\(question)", json: ["tags": ["nope"]], token: ann).errorField == "tags")
                #expect(try await client.call(.patch, "/api/v1/questions/\(question)", json: ["title": ""], token: ann).errorField == "title")
                let same = try await client.call(.patch, "/api/v1/questions/\(question)", json: ["body": "line one\nline 2\nline three"], token: ann)
                #expect(same.status == .ok, "an edit that changes nothing is no revision")

                let history = try await client.call(.get, "/api/v1/questions/\(question)/revisions", token: bob).array("revisions")
                #expect(history.map { $0["number"] as? Int } == [1, 2])
                #expect(history.last?["reason"] as? String == "clearer")
                let diff = (history.last?["diff"] as? [[String: Any]])?.map { "\($0["kind"] as? String ?? "?")\($0["text"] as? String ?? "")" }
                #expect(diff == [" line one", "-line two", "+line 2", "+line three"])

                #expect(try await client.call(.post, "/api/v1/questions/\(question)/rollback", json: ["revision": 1], token: ann).status == .forbidden)
                #expect(try await client.call(.post, "/api/v1/questions/\(question)/rollback", json: ["revision": 9], token: modToken).errorField == "revision")
                let rolled = try await client.call(.post, "/api/v1/questions/\(question)/rollback", json: ["revision": 1, "reason": "spam edit"], token: modToken)
                #expect(rolled.object["body"] as? String == "line one\nline two", "\(rolled.body)")
                #expect(rolled.object["title"] as? String == "Circles")
                #expect(rolled.object["tags"] as? [String] == [tags[0]])
                let after = try await client.call(.get, "/api/v1/questions/\(question)/revisions", token: bob).array("revisions")
                #expect(after.map { $0["number"] as? Int } == [1, 2, 3])
                #expect(after.last?["reason"] as? String == "Rolled back to revision 1: spam edit")

                let answer = try #require(
                    try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Try a talking piece."], token: bob).object["id"] as? Int)
                #expect(try await client.call(.patch, "/api/v1/answers/\(answer)", json: ["title": "x"], token: bob).errorField == "title")
                #expect(try await client.call(.patch, "/api/v1/answers/\(answer)", json: ["body": "Try a talking piece and a prompt."], token: modToken).status == .ok)
                let answerHistory = try await client.call(.get, "/api/v1/answers/\(answer)/revisions", token: ann).array("revisions")
                #expect(answerHistory.map { ($0["editor"] as? [String: Any])?["display_name"] as? String } == ["Bob", "Mo"])
            }
        }
    }

    @Test("moderators close questions — a duplicate points to the canonical, whose page lists it at once — and reopen them; a closed question takes no answers or comments",
        arguments: TestApp.StoreKind.allCases)
    func closeAndReopen(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let canonical = try await Self.ask(app, client, "How do we run circles?", token: ann)
                let first = try await Self.ask(app, client, "Running circles?", token: ann)
                let second = try await Self.ask(app, client, "Circles, how?", token: ann)
                func close(_ id: Int, _ body: [String: Any], _ token: String = modToken) async throws -> Reply {
                    try await client.call(.post, "/api/v1/questions/\(id)/close", json: body, token: token)
                }
                #expect(try await close(first, ["reason": "duplicate", "duplicate_of": canonical], bob).status == .forbidden)
                #expect(try await close(first, ["reason": "boring"]).errorField == "reason")
                #expect(try await close(first, ["reason": "duplicate"]).errorField == "duplicate_of")
                #expect(try await close(first, ["reason": "duplicate", "duplicate_of": first]).errorField == "duplicate_of")
                #expect(try await close(first, ["reason": "off_topic", "duplicate_of": canonical]).errorField == "duplicate_of")
                #expect(try await close(first, ["reason": "duplicate", "duplicate_of": 987_654]).errorField == "duplicate_of")
                // The canonical's page is read (and kept) before each change that it lists.
                func duplicates() async throws -> [String] {
                    let page = try await client.call(.get, "/api/v1/questions/\(canonical)", token: bob)
                    return (page.object["duplicates"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
                }
                #expect(try await duplicates().isEmpty)
                let closed = try await close(first, ["reason": "duplicate", "duplicate_of": canonical])
                #expect(closed.status == .ok, "\(closed.body)")
                #expect((closed.object["question"] as? [String: Any])?["duplicate_of"] as? Int == canonical)
                #expect(try await duplicates() == ["Running circles?"], "the canonical's page lists it at once")
                let chained = try await close(second, ["reason": "duplicate", "duplicate_of": first])
                #expect((chained.object["question"] as? [String: Any])?["duplicate_of"] as? Int == canonical, "a duplicate of a duplicate points to the canonical")
                #expect(try await close(first, ["reason": "off_topic"]).status == .conflict)

                let page = try await client.call(.get, "/api/v1/questions/\(canonical)", token: bob)
                #expect((page.object["duplicates"] as? [[String: Any]])?.map { $0["id"] as? Int } == [first, second])
                let retitled = try await client.call(.patch, "/api/v1/questions/\(second)", json: ["title": "Circles: how?"], token: ann)
                #expect(retitled.status == .ok, "\(retitled.body)")
                #expect(try await duplicates() == ["Running circles?", "Circles: how?"], "a duplicate's new title too")
                let answer = try await client.call(.post, "/api/v1/questions/\(first)/answers", json: ["body": "Like this."], token: bob)
                #expect(answer.status == .conflict, "a closed question took an answer")
                #expect(try await client.call(.post, "/api/v1/questions/\(first)/comments", json: ["body": "Hm"], token: bob).status == .conflict)

                #expect(try await client.call(.post, "/api/v1/questions/\(first)/reopen", token: bob).status == .forbidden)
                let reopened = try await client.call(.post, "/api/v1/questions/\(first)/reopen", token: modToken)
                #expect((reopened.object["question"] as? [String: Any])?["closed"] as? Bool == false)
                #expect(try await duplicates() == ["Circles: how?"], "a reopened question leaves the list at once")
                #expect(try await client.call(.post, "/api/v1/questions/\(first)/reopen", token: modToken).status == .conflict)
                #expect(try await client.call(.post, "/api/v1/questions/\(first)/answers", json: ["body": "Like this."], token: bob).status == .created)
                let actions = try await app.store.auditEntries(communityID: ohio.id, afterID: nil, limit: 10).map(\.action)
                #expect(actions == ["close", "close", "reopen"])
            }
        }
    }

    @Test("moderators mark the accepted answer outdated with a note and set a review-by day, both shown on the answer and audited; bad curations change nothing",
        arguments: TestApp.StoreKind.allCases)
    func curation(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, cy) = try await ReviewQueueHTTPTests.staff(app, client)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let question = try await Self.ask(app, client, "Which screener?", token: ann)
                let accepted = try #require(
                    try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "DESSA"], token: bob).object["id"] as? Int)
                let other = try #require(
                    try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "SDQ"], token: cy).object["id"] as? Int)
                _ = try await client.call(.post, "/api/v1/answers/\(accepted)/accept", token: ann)
                func curate(_ id: Int, _ body: [String: Any], _ token: String = modToken) async throws -> Reply {
                    try await client.call(.post, "/api/v1/answers/\(id)/curate", json: body, token: token)
                }
                #expect(try await curate(accepted, ["outdated": true, "note": "x"], ann).status == .forbidden, "the asker curated")
                #expect(try await curate(accepted, ["outdated": true]).errorField == "note")
                #expect(try await curate(accepted, ["note": "why"]).errorField == "note")
                #expect(try await curate(accepted, [:]).errorField == "outdated")
                #expect(try await curate(accepted, ["review_by": "2020-01-01"]).errorField == "review_by")
                #expect(try await curate(accepted, ["review_by": "next spring"]).errorField == "review_by")
                #expect(try await curate(other, ["outdated": true, "note": "old"]).status == .conflict, "a not-accepted answer marked outdated")
                let marked = try await curate(accepted, ["outdated": true, "note": "The district changed screeners in 2026.", "review_by": "2027-06-01"])
                #expect(marked.status == .ok, "\(marked.body)")
                #expect(try await curate(accepted, ["outdated": true, "note": "The district changed screeners in 2026."]).status == .conflict)
                let shown = try await client.call(.get, "/api/v1/questions/\(question)", token: bob).array("answers").first { $0["id"] as? Int == accepted }
                #expect(shown?["outdated"] as? Bool == true)
                #expect(shown?["outdated_note"] as? String == "The district changed screeners in 2026.")
                #expect((shown?["review_by"] as? String)?.hasPrefix("2027-06-01") == true)
                let cleared = try await curate(accepted, ["outdated": false, "review_by": NSNull()])
                #expect((cleared.object["answer"] as? [String: Any])?["outdated"] as? Bool == false)
                #expect((cleared.object["answer"] as? [String: Any])?["review_by"] == nil)
                let actions = try await app.store.auditEntries(communityID: ohio.id, afterID: nil, limit: 10).map(\.action)
                #expect(actions == ["accept", "curate", "curate"])
            }
        }
    }

    @Test("moderators add and rename a community's tags; a new tag is usable on questions at once; members cannot; bad slugs and names are 422",
        arguments: TestApp.StoreKind.allCases)
    func curateTags(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, _, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                #expect(try await client.call(.put, "/api/v1/communities/ohio/tags/coaching", json: ["name": "Coaching"], token: ann).status == .forbidden)
                let ask: [String: Any] = ["title": "Coaching cycles?", "body": "How long?", "tags": ["coaching"]]
                #expect(try await client.call(.post, "/api/v1/communities/ohio/questions", json: ask, token: ann).errorField == "tags")
                let added = try await client.call(.put, "/api/v1/communities/ohio/tags/coaching", json: ["name": "Coaching"], token: modToken)
                #expect(added.status == .created, "\(added.body)")
                #expect(try await client.call(.post, "/api/v1/communities/ohio/questions", json: ask, token: ann).status == .created)
                let renamed = try await client.call(.put, "/api/v1/communities/ohio/tags/coaching", json: ["name": "Instructional coaching"], token: modToken)
                #expect(renamed.status == .ok)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                #expect(try await app.store.tags(communityID: ohio.id).first { $0.slug == "coaching" }?.name == "Instructional coaching")
                #expect(try await client.call(.put, "/api/v1/communities/ohio/tags/Bad%20Tag", json: ["name": "x"], token: modToken).errorField == "tag")
                #expect(try await client.call(.put, "/api/v1/communities/ohio/tags/ok", json: ["name": " "], token: modToken).errorField == "name")
                #expect(try await client.call(.put, "/api/v1/communities/texas/tags/ok", json: ["name": "Ok"], token: modToken).status == .forbidden)
            }
        }
    }

    @Test("a preview renders markdown as a post will read, safely, and stores nothing; it needs an account and a body")
    func preview() async throws {
        try await TestApp.with(.sqlite) { app in
            try await app.test { client async throws in
                let (_, ann, _, _) = try await StreamTests.setUp(app, client)
                let shown = try await client.call(.post, "/api/v1/preview", json: ["body": "We meet **twice** <script>alert(1)</script>"], token: ann)
                #expect(shown.status == .ok)
                let html = try #require(shown.string("html"))
                #expect(html.contains("<strong>twice</strong>"), "\(html)")
                #expect(!html.contains("<script>"), "\(html)")
                #expect(try await client.call(.post, "/api/v1/preview", json: ["body": " "], token: ann).errorField == "body")
                #expect(try await client.call(.post, "/api/v1/preview", json: ["body": "x"]).status == .unauthorized)
            }
        }
    }
}
