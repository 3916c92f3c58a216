import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
@testable import ConveneServer

@Suite("the read cache", .timeLimit(.minutes(2)))
struct ReadCacheTests {
    static func shared(_ body: String) -> ReadCache.Shared {
        ReadCache.Shared(
            community: Community(
                id: 1, slug: "ohio", name: "Ohio", description: "", states: ["OH"], timezone: "America/New_York", readiness: .initiating,
                visibility: .public, memberCount: 0, createdAt: Date()),
            body: ByteBuffer(string: body))
    }

    @Test("an entry is served until its lifetime ends or its question changes (which drops every list too); a copy made while a change landed is not kept; past capacity the expired go first")
    func lifetimeAndInvalidation() {
        let cache = ReadCache()
        let start = ContinuousClock.now
        cache.store("ohio", Self.shared("list"), since: cache.mark(), now: start)
        cache.store("texas", Self.shared("other"), since: cache.mark(), now: start)
        #expect(cache.shared("ohio", now: start + .milliseconds(900))?.body == ByteBuffer(string: "list"))
        #expect(cache.shared("ohio", now: start + ReadCache.lifetime) == nil, "expired")
        cache.store("ohio", Self.shared("list"), since: cache.mark(), now: start)
        cache.invalidate(question: 7)
        #expect(cache.shared("ohio", now: start) == nil, "a question changed, and so may every list")
        #expect(cache.shared("texas", now: start) == nil)

        let mark = cache.mark()
        cache.invalidate(question: 8)
        cache.store("ohio", Self.shared("made before the change"), since: mark, now: start)
        #expect(cache.shared("ohio", now: start) == nil, "made from reads older than the change")

        for index in 0..<ReadCache.capacity { cache.store("old \(index)", Self.shared("x"), since: cache.mark(), now: start) }
        cache.store("fresh", Self.shared("y"), since: cache.mark(), now: start + .seconds(5))
        #expect(cache.shared("fresh", now: start + .seconds(5))?.body == ByteBuffer(string: "y"))
        #expect(cache.shared("old 1", now: start + .seconds(5)) == nil)
    }

    static func page(_ id: Int64) throws -> ReadCache.Page {
        let community = shared("").community
        let question = Question(
            id: id, communityID: community.id, authorID: 1, authorName: "Ann", title: "Q", body: "b", bodyHTML: "<p>b</p>", tags: [], score: 0,
            answerCount: 0, acceptedAnswerID: nil, createdAt: Date(), lastActivityAt: Date())
        let template = try #require(JSONTemplate(try JSON.encoder.encode(["my_vote": JSONTemplate.marker(0)]), key: "my_vote", slots: 1))
        return ReadCache.Page(question: question, community: community, hiddenAnswerAuthors: [], answerIDs: [], template: template)
    }

    @Test("readers who miss a page at once wait for one read of it; a change while it is read lets the next reader read again, and the older read is not kept")
    func oneReadPerMiss() async throws {
        let cache = ReadCache()
        let reads = Mutex(0)
        let page = try Self.page(5)
        let load: @Sendable () async throws -> ReadCache.Page? = {
            reads.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(200))
            return page
        }
        try await withThrowingTaskGroup(of: ReadCache.Page?.self) { group in
            for _ in 0..<20 { group.addTask { try await cache.page(5, orLoad: load) } }
            for try await found in group { #expect(found?.question.id == 5) }
        }
        #expect(reads.withLock { $0 } == 1, "one read for twenty readers")
        #expect(cache.page(5) != nil, "and kept")

        cache.invalidate(question: 5)
        async let first = cache.page(5, orLoad: load)
        try await Task.sleep(for: .milliseconds(50))
        cache.invalidate(question: 5)
        async let second = cache.page(5, orLoad: load)
        _ = try await (first, second)
        #expect(reads.withLock { $0 } == 3, "the reader after the change read again")
        #expect(cache.page(5) != nil, "the read begun after the change is kept")
        cache.invalidate(question: 5)
        async let third = cache.page(5, orLoad: load)
        try await Task.sleep(for: .milliseconds(50))
        cache.invalidate(question: 5)
        _ = try await third
        #expect(cache.page(5) == nil, "a read begun before a change is not kept")
    }

    struct Post: Encodable {
        var id: Int
        var body: String
        var myVote: Int
    }

    struct Doc: Encodable {
        var myVote: Int
        var posts: [Post]
    }

    @Test("a template renders the same bytes as encoding with each reader's numbers; a marker missing or found twice is refused")
    func template() throws {
        let bodies = ["plain", "a quote \" and \"my_vote\":8765432100001 inside a string", "ünïcödé", ""]
        func doc(_ vote: (Int) -> Int) -> Doc {
            Doc(myVote: vote(0), posts: bodies.enumerated().map { Post(id: $0 + 1, body: $1, myVote: vote($0 + 1)) })
        }
        let template = try #require(JSONTemplate(try JSON.encoder.encode(doc(JSONTemplate.marker)), key: "my_vote", slots: bodies.count + 1))
        for votes in [[0, 0, 0, 0, 0], [1, -1, 0, 1, -1], [-1, 1, 1, -1, 0]] {
            #expect(template.render(votes) == ByteBuffer(bytes: try JSON.encoder.encode(doc { votes[$0] })))
        }
        #expect(JSONTemplate(try JSON.encoder.encode(doc(JSONTemplate.marker)), key: "my_vote", slots: bodies.count + 2) == nil, "a slot not there")
        #expect(JSONTemplate(try JSON.encoder.encode(doc { _ in JSONTemplate.marker(0) }), key: "my_vote", slots: 1) == nil, "a marker twice")
    }

    @Test("question pages and lists follow every change at once, for guests and signed-in readers alike; each reader gets their own votes on the shared page",
        arguments: TestApp.StoreKind.allCases)
    func readersReadFresh(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, _) = try await StreamTests.setUp(app, client)
                let question = try await ForumsHTTPTests.ask(app, client, "Cached?", token: ann)
                func answers(_ token: String?) async throws -> Int {
                    try await client.call(.get, "/api/v1/questions/\(question)", token: token).array("answers").count
                }
                #expect(try await answers(nil) == 0)
                #expect(try await answers(ann) == 0)
                let answer = try #require(
                    try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Yes."], token: bob).object["id"] as? Int)
                #expect(try await answers(nil) == 1, "the new answer dropped the page")
                #expect(try await answers(ann) == 1)
                _ = try await client.call(.post, "/api/v1/answers/\(answer)/vote", json: ["value": 1], token: ann)
                _ = try await client.call(.post, "/api/v1/questions/\(question)/vote", json: ["value": -1], token: bob)
                let page = try await client.call(.get, "/api/v1/questions/\(question)")
                #expect(page.array("answers").first?["score"] as? Int == 1, "a vote too")
                #expect(page.array("answers").first?["my_vote"] as? Int == 0, "a guest's vote is none")
                #expect(page.object["my_vote"] as? Int == 0)
                #expect(page.headers[.contentType] == "application/json; charset=utf-8")
                for _ in 0..<2 {
                    let mine = try await client.call(.get, "/api/v1/questions/\(question)", token: ann)
                    #expect(mine.array("answers").first?["my_vote"] as? Int == 1, "each reader's own votes")
                    #expect(mine.object["my_vote"] as? Int == 0)
                    #expect((mine.object["question"] as? [String: Any])?["score"] as? Int == -1)
                    let bobs = try await client.call(.get, "/api/v1/questions/\(question)", token: bob)
                    #expect(bobs.array("answers").first?["my_vote"] as? Int == 0)
                    #expect(bobs.object["my_vote"] as? Int == -1)
                }
                _ = try await client.call(.post, "/api/v1/answers/\(answer)/vote", json: ["value": 0], token: ann)
                let after = try await client.call(.get, "/api/v1/questions/\(question)", token: ann)
                #expect(after.array("answers").first?["my_vote"] as? Int == 0, "one's own vote taken back, read at once")
                #expect(after.array("answers").first?["score"] as? Int == 0)

                func listed(_ token: String?) async throws -> Int {
                    try await client.call(.get, "/api/v1/communities/ohio/questions", token: token).array("questions").count
                }
                #expect(try await listed(nil) == 1)
                #expect(try await listed(ann) == 1)
                _ = try await ForumsHTTPTests.ask(app, client, "Another", token: ann)
                #expect(try await listed(ann) == 2, "a new question dropped the lists")
                #expect(try await listed(nil) == 2)
                let feed = try await client.call(.get, "/api/v1/communities/ohio/questions.atom")
                #expect(feed.headers[.contentType] == "application/atom+xml; charset=utf-8")
                _ = try await ForumsHTTPTests.ask(app, client, "A third, for the feed", token: ann)
                #expect(try await client.call(.get, "/api/v1/communities/ohio/questions.atom", token: bob).body.contains("A third, for the feed"), "and the feed")
                #expect(try await client.call(.get, "/api/v1/questions/999999").status == .notFound, "errors are not kept")
                #expect(try await client.call(.get, "/api/v1/questions/999999").status == .notFound)
            }
        }
    }

    @Test("a private community's page, list and feed, kept after a member read them, stay closed to guests and outsiders")
    func privateStaysPrivate() async throws {
        let app = try await TestApp.make(private: true)
        try await app.test { client async throws in
            let (_, ann, _, _) = try await StreamTests.setUp(app, client)
            let (question, memberToken) = try await ForumWatchTests.privateQuestion(app, client)
            let paths = ["/api/v1/questions/\(question)", "/api/v1/communities/steering-circle/questions", "/api/v1/communities/steering-circle/questions.atom"]
            var refused: [String: [HTTPResponse.Status]] = [:]
            for path in paths {
                refused[path] = [try await client.call(.get, path).status, try await client.call(.get, path, token: ann).status]
                #expect(refused[path]!.allSatisfy { $0 == .notFound || $0 == .forbidden || $0 == .unauthorized }, "\(path): \(refused[path]!)")
            }
            for path in paths {
                #expect(try await client.call(.get, path, token: memberToken).status == .ok, "\(path)")
                #expect(try await client.call(.get, path, token: memberToken).body.contains("Budget"), "\(path), kept")
                #expect([try await client.call(.get, path).status, try await client.call(.get, path, token: ann).status] == refused[path], "\(path)")
                #expect(!(try await client.call(.get, path, token: ann).body.contains("Budget")), "\(path)")
            }
        }
    }
}
