import ConveneCore
import ConveneStore
import Foundation
import Testing

@Suite("Forums in the store")
struct ForumStoreTests {
    @Test("concurrent votes on one answer all count, and changing or taking back a vote moves the score by the difference",
        arguments: StoreFixture.Kind.allCases)
    func concurrentVotes(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (_, ann, _) = try await MessageStoreTests.setUp(store)
            let ohio = try #require(try await store.community(slug: "ohio"))
            let tag = try #require(try await store.tags(communityID: ohio.id).first?.slug)
            let question = try await store.createQuestion(
                communityID: ohio.id, authorID: ann.id, title: "t", body: "b", bodyHTML: "b", tags: [tag], now: StoreFixture.now)
            let answer = try await store.createAnswer(questionID: question.id, authorID: ann.id, body: "a", bodyHTML: "a", now: StoreFixture.now)
            var voters: [User] = []
            for index in 0..<24 { voters.append(try await StoreFixture.user(store, "voter\(index)@example.org")) }
            try await withThrowingTaskGroup(of: Int.self) { group in
                for voter in voters { group.addTask { try await store.vote(.answer, id: answer.id, userID: voter.id, value: 1, now: StoreFixture.now) } }
                try await group.waitForAll()
            }
            #expect(try await store.answer(id: answer.id)?.score == 24)
            #expect(try await store.vote(.answer, id: answer.id, userID: voters[0].id, value: -1, now: StoreFixture.now) == 22)
            #expect(try await store.vote(.answer, id: answer.id, userID: voters[1].id, value: 0, now: StoreFixture.now) == 21)
            #expect(try await store.vote(.answer, id: answer.id, userID: voters[1].id, value: 0, now: StoreFixture.now) == 21)
            #expect(try await store.question(id: question.id)?.answerCount == 1)
            let votes = try await store.votes(userID: voters[0].id, questionID: question.id)
            #expect(votes.question == 0)
            #expect(votes.answers == [answer.id: -1])
        }
    }
}
