import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("Watched words over HTTP and the stream", .timeLimit(.minutes(2)))
struct WatchedWordsHTTPTests {
    @Test("a community's watched words block, censor, flag and hold messages; moderators approve or reject held ones, which reach their authors live; every change is audited",
        arguments: TestApp.StoreKind.allCases)
    func watchedWords(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, _, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                func watch(_ word: String, _ action: String, _ token: String) async throws -> Reply {
                    try await client.call(.post, "/api/v1/communities/ohio/watched-words", json: ["word": word, "action": action], token: token)
                }
                func post(_ body: String, _ token: String, key: String? = nil) async throws -> Reply {
                    try await client.call(
                        .post, "/api/v1/channels/\(general)/messages", json: ["body": body], token: token,
                        headers: key.map { [HTTPField.Name("Idempotency-Key")!: $0] } ?? [:])
                }
                for (word, action) in [("Casino", "block"), ("raffle", "approve"), ("bet*", "flag"), ("darn", "censor")] {
                    let added = try await watch(word, action, modToken)
                    #expect(added.status == .created, "\(added.body)")
                }
                #expect(try await watch("casino", "flag", modToken).status == .conflict)
                #expect(try await watch("(x)", "flag", modToken).errorField == "word")
                #expect(try await watch("dice", "ban", modToken).errorField == "action")
                #expect(try await watch("dice", "block", ann).status == .forbidden)
                #expect(try await client.call(.get, "/api/v1/communities/ohio/watched-words", token: ann).status == .forbidden)
                let listed = try await client.call(.get, "/api/v1/communities/ohio/watched-words", token: modToken).array("watched_words")
                #expect(listed.map { $0["word"] as? String } == ["casino", "raffle", "bet*", "darn"])

                let blocked = try await post("Casino night on Friday", ann)
                #expect(blocked.errorField == "body")
                #expect(blocked.body.contains("casino"))
                #expect(try await post("Casino night", modToken).errorField == "body", "a block holds for moderators too")
                let censored = try await post("Darn, the projector again", ann)
                #expect(censored.object["body"] as? String == "■■■■, the projector again")
                let flagged = try await post("Anyone betting on snow days?", ann)
                #expect(flagged.status == .created)
                let queue = try await client.call(.get, "/api/v1/moderation/queue?community=ohio", token: modToken).array("items")
                #expect(queue.compactMap { ($0["item"] as? [String: Any])?["watched_word"] as? String } == ["bet*"])
                #expect((queue.first?["message"] as? [String: Any])?["id"] as? Int == flagged.object["id"] as? Int)

                let stream = StreamClient(port: port, headers: StreamClient.bearer(ann))
                _ = await stream.next()
                let held = try await post("Raffle tickets for the PBIS store", ann, key: "raffle-1")
                #expect(held.status == .accepted, "\(held.body)")
                let pending = try #require(held.object["pending"] as? [String: Any])
                let heldID = try #require(pending["id"] as? Int)
                #expect(pending["state"] as? String == "open")
                #expect(pending["watched_word"] as? String == "raffle")
                #expect((try await post("Raffle tickets for the PBIS store", ann, key: "raffle-1").object["pending"] as? [String: Any])?["id"] as? Int == heldID)
                try stream.send(["op": "send", "ref": "r2", "channel": general, "body": "Second raffle", "nonce": "raffle-2"])
                let heldFrame = await stream.next()
                #expect(heldFrame?["op"] as? String == "held")
                #expect(heldFrame?["ref"] as? String == "r2")
                let secondID = try #require((heldFrame?["pending"] as? [String: Any])?["id"] as? Int)
                #expect(try await post("Raffle for staff", modToken).status == .created, "a moderator's message was held")
                let bodies = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: ann).array("messages").map { $0["body"] as? String }
                #expect(!bodies.contains("Raffle tickets for the PBIS store"), "a held message was posted")
                let list = try await client.call(.get, "/api/v1/moderation/pending?community=ohio", token: modToken).array("pending")
                #expect(list.map { $0["id"] as? Int } == [heldID, secondID])
                #expect(try await client.call(.get, "/api/v1/moderation/pending?community=ohio", token: ann).status == .forbidden)

                func decide(_ action: String, _ id: Int) async throws -> Reply {
                    try await client.call(
                        .post, "/api/v1/moderation/actions", json: ["action": action, "target": ["type": "pending_message", "id": id], "reason": "reviewed"],
                        token: modToken)
                }
                let approved = try await decide("approve", heldID)
                #expect(approved.status == .created, "\(approved.body)")
                #expect((approved.object["message"] as? [String: Any])?["body"] as? String == "Raffle tickets for the PBIS store")
                #expect((approved.object["pending"] as? [String: Any])?["state"] as? String == "approved")
                let told = await stream.next(timeout: 10)
                #expect(told?["op"] as? String == "pending_decided")
                #expect((told?["pending"] as? [String: Any])?["state"] as? String == "approved")
                #expect(try await decide("approve", heldID).status == .conflict)
                let replay = try await post("Raffle tickets for the PBIS store", ann, key: "raffle-1")
                #expect(replay.status == .created, "the author's retry after approval gets the posted message")
                #expect(replay.object["id"] as? Int == (approved.object["message"] as? [String: Any])?["id"] as? Int)
                #expect((try await decide("reject", secondID).object["pending"] as? [String: Any])?["state"] as? String == "rejected")
                #expect((await stream.next(timeout: 10))?["op"] as? String == "pending_decided")
                #expect(try await decide("approve", 987_654).status == .notFound)
                #expect(try await decide("approve", secondID).status == .conflict)
                _ = await stream.close()

                let id = try #require(censored.object["id"] as? Int)
                #expect(try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "a raffle instead"], token: ann).errorField == "body")
                let edited = try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "darn darn"], token: ann)
                #expect(edited.object["body"] as? String == "■■■■ ■■■■")

                let words = try await client.call(.get, "/api/v1/communities/ohio/watched-words", token: modToken).array("watched_words")
                let raffle = try #require(words.first { $0["word"] as? String == "raffle" }?["id"] as? Int)
                #expect(try await client.call(.delete, "/api/v1/communities/ohio/watched-words/\(raffle)", token: modToken).status == .ok)
                #expect(try await client.call(.delete, "/api/v1/communities/ohio/watched-words/\(raffle)", token: modToken).status == .notFound)
                #expect(try await post("Raffle is fine now", ann).status == .created)
                let actions = try await app.store.auditEntries(communityID: nil, afterID: nil, limit: 50).map(\.action)
                #expect(actions == ["watch_word", "watch_word", "watch_word", "watch_word", "approve", "reject", "unwatch_word"])
            }
        }
    }
}
