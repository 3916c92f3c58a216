import ConveneCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("New-member limits over HTTP", .timeLimit(.minutes(2)))
struct NewMemberHTTPTests {
    @Test("in their first days a member posts fewer links and sends more slowly, on posts and edits; moderators never; the limits end by themselves",
        arguments: TestApp.StoreKind.allCases)
    func newMembers(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store, { $0.newMemberDays = 3; $0.newMemberLinks = 1; $0.newMemberMessagesPerMinute = 2 }) { app in
            try await app.test { client async throws in
                let (general, ann, _, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: modToken)
                func post(_ body: String, _ token: String) async throws -> Reply {
                    try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": body], token: token)
                }
                let tooMany = try await post("see https://casel.org and www.example.org", ann)
                #expect(tooMany.status == .unprocessableContent)
                #expect(tooMany.errorField == "body")
                #expect(tooMany.body.contains("first 3 days"))
                let first = try await post("see https://casel.org", ann)
                #expect(first.status == .created)
                #expect(try await post("and another", ann).status == .created)
                let third = try await post("a third within the minute", ann)
                #expect(third.status == .tooManyRequests)
                #expect(third.headers[.retryAfter] != nil)
                #expect(third.body.contains("New members"))
                for index in 1...3 {
                    #expect(try await post("links \(index): https://a.org https://b.org", modToken).status == .created, "a moderator was held to the new-member rules")
                }
                let id = try #require(first.object["id"] as? Int)
                let edit = try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "https://a.org https://b.org"], token: ann)
                #expect(edit.errorField == "body")

                app.clock.advance(3 * 86_400)
                #expect(try await post("settled in: https://a.org https://b.org", ann).status == .created)
                #expect(try await post("and fast", ann).status == .created)
                #expect(try await post("and faster", ann).status == .created)
            }
        }
    }
}
