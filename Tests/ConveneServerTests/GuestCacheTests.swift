import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import ConveneServer

@Suite("the guest cache", .timeLimit(.minutes(2)))
struct GuestCacheTests {
    @Test("an entry is served until its lifetime ends or its question changes (which drops every list too); past capacity the expired go first")
    func lifetimeAndInvalidation() {
        let cache = GuestCache()
        let start = ContinuousClock.now
        cache.store(.page(7), body: ByteBuffer(string: "page"), now: start)
        cache.store(.page(8), body: ByteBuffer(string: "other"), now: start)
        cache.store(.list("ohio"), body: ByteBuffer(string: "list"), now: start)
        #expect(cache.body(.page(7), now: start + .milliseconds(900)) == ByteBuffer(string: "page"))
        #expect(cache.body(.list("ohio"), now: start + GuestCache.lifetime) == nil, "expired")
        cache.store(.list("ohio"), body: ByteBuffer(string: "list"), now: start)
        cache.invalidate(question: 7)
        #expect(cache.body(.page(7), now: start) == nil, "the page changed")
        #expect(cache.body(.list("ohio"), now: start) == nil, "and so may every list")
        #expect(cache.body(.page(8), now: start) == ByteBuffer(string: "other"), "other pages stay")
        for index in 0..<GuestCache.capacity { cache.store(.list("old \(index)"), body: ByteBuffer(string: "x"), now: start) }
        cache.store(.list("fresh"), body: ByteBuffer(string: "y"), now: start + .seconds(5))
        #expect(cache.body(.list("fresh"), now: start + .seconds(5)) == ByteBuffer(string: "y"))
        #expect(cache.body(.list("old 1"), now: start + .seconds(5)) == nil)
    }

    @Test("guests get question pages and lists that follow every change at once; signed-in readers always read fresh",
        arguments: TestApp.StoreKind.allCases)
    func guestsReadFresh(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, _) = try await StreamTests.setUp(app, client)
                let question = try await ForumsHTTPTests.ask(app, client, "Cached?", token: ann)
                func answers(_ token: String?) async throws -> Int {
                    try await client.call(.get, "/api/v1/questions/\(question)", token: token).array("answers").count
                }
                #expect(try await answers(nil) == 0)
                let answer = try #require(
                    try await client.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Yes."], token: bob).object["id"] as? Int)
                #expect(try await answers(nil) == 1, "the new answer dropped the guests' page")
                _ = try await client.call(.post, "/api/v1/answers/\(answer)/vote", json: ["value": 1], token: ann)
                let page = try await client.call(.get, "/api/v1/questions/\(question)")
                #expect(page.array("answers").first?["score"] as? Int == 1, "a vote too")
                #expect(page.headers[.contentType] == "application/json; charset=utf-8")
                let mine = try await client.call(.get, "/api/v1/questions/\(question)", token: ann)
                #expect(mine.array("answers").first?["my_vote"] as? Int == 1, "a signed-in reader gets their own page")

                func listed(_ token: String?) async throws -> Int {
                    try await client.call(.get, "/api/v1/communities/ohio/questions", token: token).array("questions").count
                }
                #expect(try await listed(nil) == 1)
                _ = try await ForumsHTTPTests.ask(app, client, "Another", token: ann)
                #expect(try await listed(ann) == 2, "signed in: fresh")
                #expect(try await listed(nil) == 2, "a new question dropped the guests' lists")
                let feed = try await client.call(.get, "/api/v1/communities/ohio/questions.atom")
                #expect(feed.headers[.contentType] == "application/atom+xml; charset=utf-8")
                _ = try await ForumsHTTPTests.ask(app, client, "A third, for the feed", token: ann)
                #expect(try await client.call(.get, "/api/v1/communities/ohio/questions.atom").body.contains("A third, for the feed"), "and the feed")
                #expect(try await client.call(.get, "/api/v1/questions/999999").status == .notFound, "errors are not kept")
                #expect(try await client.call(.get, "/api/v1/questions/999999").status == .notFound)
            }
        }
    }
}
