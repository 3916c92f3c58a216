import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

/// Flags, the review queue and the content actions (hide, unhide, pin, delete, lock) over HTTP and
/// the stream, on every store.
@Suite("Review queue", .timeLimit(.minutes(2)))
struct ReviewQueueHTTPTests {
    static func flag(_ type: String, _ id: Int, _ reason: String, note: String? = nil, community: String? = nil) -> [String: Any] {
        var body: [String: Any] = ["target": ["type": type, "id": id], "reason": reason]
        if let note { body["note"] = note }
        if let community { body["community"] = community }
        return body
    }

    /// A moderator of Ohio and a third Ohio member besides Ann and Bob.
    static func staff(_ app: TestApp, _ client: any TestClientProtocol) async throws -> (mod: User, modToken: String, cy: String) {
        let (mod, modToken) = try await app.user(client, "Mo")
        let (_, cy) = try await app.user(client, "Cy")
        _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: cy)
        let ohio = try #require(try await app.store.community(slug: "ohio"))
        _ = try await app.store.createGrant(userID: mod.id, role: .moderator, scope: .community(ohio.id), grantedBy: nil, now: app.clock.now())
        return (mod, modToken, cy)
    }

    @Test("flags from distinct members hide a message at the threshold; the item appears once in the queue with its context, count and reasons; rejecting it shows the message again",
        arguments: TestApp.StoreKind.allCases)
    func flagsHideAndQueue(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store, { $0.flagHideThreshold = 2 }) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let (_, modToken, cy) = try await Self.staff(app, client)
                var ids: [Int] = []
                for index in 1...5 {
                    let reply = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "note \(index) zebra\(index)"], token: ann)
                    ids.append(try #require(reply.object["id"] as? Int))
                }
                let watcher = StreamClient(port: port, headers: StreamClient.bearer(bob))
                _ = await watcher.next()
                try watcher.send(["op": "subscribe", "channel": general, "since": 5])
                _ = await watcher.frames(until: "caught_up")

                let first = try await client.call(.post, "/api/v1/flags", json: Self.flag("message", ids[2], "spam"), token: bob)
                #expect(first.status == .created, "\(first.body)")
                #expect(first.object["hidden"] as? Bool == false)
                #expect(try await client.call(.post, "/api/v1/flags", json: Self.flag("message", ids[2], "harassment"), token: bob).status == .conflict)
                #expect(try await client.call(.post, "/api/v1/flags", json: Self.flag("message", ids[2], "spam"), token: ann).errorField == "target.id")
                #expect(try await client.call(.post, "/api/v1/flags", json: Self.flag("message", ids[2], "spam"), token: tex).status == .forbidden)

                let second = try await client.call(.post, "/api/v1/flags", json: Self.flag("message", ids[2], "harassment", note: "insults"), token: cy)
                #expect(second.object["hidden"] as? Bool == true, "\(second.body)")
                let hidden = await watcher.next(timeout: 10)
                #expect(hidden?["type"] as? String == "message.hidden")
                #expect(hidden?["seq"] as? Int == 6)
                #expect((hidden?["data"] as? [String: Any])?["body"] as? String == "", "a hidden message's text went out live")

                let history = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: bob).array("messages")
                let shown = try #require(history.first { $0["id"] as? Int == ids[2] })
                #expect(shown["hidden"] as? Bool == true)
                #expect(shown["body"] as? String == "")
                #expect(try await client.call(.get, "/api/v1/search?q=zebra3&community=ohio", token: bob).array("messages").isEmpty)

                #expect(try await client.call(.get, "/api/v1/moderation/queue?community=ohio", token: bob).status == .forbidden)
                let queue = try await client.call(.get, "/api/v1/moderation/queue?community=ohio", token: modToken)
                #expect(queue.status == .ok, "\(queue.body)")
                let items = queue.array("items")
                #expect(items.count == 1)
                let entry = try #require(items.first)
                let item = try #require(entry["item"] as? [String: Any])
                #expect(item["flag_count"] as? Int == 2)
                #expect(item["state"] as? String == "open")
                #expect(entry["reasons"] as? [String: Int] == ["spam": 1, "harassment": 1])
                #expect((entry["message"] as? [String: Any])?["body"] as? String == "note 3 zebra3", "the reviewer sees the text")
                #expect((entry["context"] as? [[String: Any]])?.map { $0["id"] as? Int } == [ids[0], ids[1], ids[3], ids[4]])
                #expect((entry["flags"] as? [[String: Any]])?.compactMap { $0["note"] as? String } == ["insults"])
                #expect(try await client.call(.get, "/api/v1/moderation/queue", token: modToken).array("items").count == 1, "every community moderated")

                let itemID = try #require(item["id"] as? Int)
                let rejected = try await client.call(
                    .post, "/api/v1/moderation/actions",
                    json: ["action": "resolve_flag", "target": ["type": "review_item", "id": itemID], "reason": "Sharp, not abusive", "outcome": "rejected"],
                    token: modToken)
                #expect(rejected.status == .created, "\(rejected.body)")
                #expect((rejected.object["review_item"] as? [String: Any])?["state"] as? String == "rejected")
                let unhidden = await watcher.next(timeout: 10)
                #expect(unhidden?["type"] as? String == "message.unhidden")
                #expect((unhidden?["data"] as? [String: Any])?["body"] as? String == "note 3 zebra3")
                _ = await watcher.close()

                #expect(try await client.call(.get, "/api/v1/moderation/queue?community=ohio", token: modToken).array("items").isEmpty)
                #expect(try await client.call(.get, "/api/v1/moderation/queue?community=ohio&state=rejected", token: modToken).array("items").count == 1)
                let again = try await client.call(
                    .post, "/api/v1/moderation/actions",
                    json: ["action": "resolve_flag", "target": ["type": "review_item", "id": itemID], "reason": "twice"], token: modToken)
                #expect(again.status == .conflict)
                #expect(try await ConveneNode.verifyAudit(app.store) == .intact(rows: 1))
            }
        }
    }

    @Test("hide, unhide, pin and delete by a moderator reach live subscribers as events, each audited; a resume replays them; a hide settles the open item",
        arguments: TestApp.StoreKind.allCases)
    func contentActions(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await Self.staff(app, client)
                let reply = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "@Bob a student's phone number"], token: ann)
                let id = try #require(reply.object["id"] as? Int)
                _ = try await client.call(.post, "/api/v1/flags", json: Self.flag("message", id, "privacy"), token: bob)
                func act(_ action: String, target: Int) async throws -> Reply {
                    try await client.call(
                        .post, "/api/v1/moderation/actions", json: ["action": action, "target": ["type": "message", "id": target], "reason": "Privacy"],
                        token: modToken)
                }
                let hid = try await act("hide", target: id)
                #expect(hid.status == .created, "\(hid.body)")
                #expect((hid.object["message"] as? [String: Any])?["hidden"] as? Bool == true)
                #expect((hid.object["audit"] as? [String: Any])?["action"] as? String == "hide")
                #expect(try await act("hide", target: id).status == .conflict)
                let excerpts = try await client.call(.get, "/api/v1/notifications", token: bob).array("notifications").map { $0["excerpt"] as? String }
                #expect(excerpts == [""], "a hidden message's text stayed in a notification")
                #expect(try await client.call(.get, "/api/v1/moderation/queue?community=ohio", token: modToken).array("items").isEmpty, "the hide settled the item")
                _ = try await act("unhide", target: id)
                _ = try await act("pin", target: id)
                _ = try await act("delete", target: id)
                let unauthorised = try await client.call(
                    .post, "/api/v1/moderation/actions", json: ["action": "hide", "target": ["type": "message", "id": id], "reason": "x"], token: ann)
                #expect(unauthorised.status == .forbidden)

                let resumed = StreamClient(port: port, headers: StreamClient.bearer(bob))
                _ = await resumed.next()
                try resumed.send(["op": "subscribe", "channel": general, "since": 1])
                let replayed = await resumed.frames(until: "caught_up").filter { $0["op"] as? String == "event" }
                #expect(replayed.map { $0["type"] as? String } == ["message.hidden", "message.unhidden", "message.pinned", "message.deleted"])
                _ = await resumed.close()
                let actions = try await app.store.auditEntries(communityID: nil, afterID: nil, limit: 10).map(\.action)
                #expect(actions == ["hide", "unhide", "pin", "delete"])
            }
        }
    }

    @Test("a locked channel takes posts only from its moderators, on HTTP and the stream, until unlocked", arguments: TestApp.StoreKind.allCases)
    func lock(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, _, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await Self.staff(app, client)
                let body: (String) -> [String: Any] = { ["action": $0, "target": ["type": "channel", "id": general], "reason": "Cooling off"] }
                let locked = try await client.call(.post, "/api/v1/moderation/actions", json: body("lock"), token: modToken)
                #expect(locked.status == .created, "\(locked.body)")
                #expect((locked.object["channel"] as? [String: Any])?["locked"] as? Bool == true)
                #expect(try await client.call(.post, "/api/v1/moderation/actions", json: body("lock"), token: modToken).status == .conflict)
                let refused = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "hello?"], token: ann)
                #expect(refused.status == .forbidden)
                #expect(refused.body.contains("locked"))
                #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "Paused for today"], token: modToken).status == .created)
                let channels = try await client.call(.get, "/api/v1/communities/ohio/channels", token: ann).array("channels")
                #expect(channels.first { $0["id"] as? Int == general }?["locked"] as? Bool == true)

                let stream = StreamClient(port: port, headers: StreamClient.bearer(ann))
                _ = await stream.next()
                try stream.send(["op": "send", "ref": "s", "channel": general, "body": "from the stream", "nonce": "lock-1"])
                let error = await stream.next()
                #expect(error?["op"] as? String == "error")
                #expect(error?["code"] as? String == "forbidden")
                _ = await stream.close()

                #expect(try await client.call(.post, "/api/v1/moderation/actions", json: body("unlock"), token: modToken).status == .created)
                #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "back"], token: ann).status == .created)
                #expect(try await client.call(.post, "/api/v1/moderation/actions", json: body("lock"), token: ann).status == .forbidden)
            }
        }
    }

    @Test("a privacy flag escalates its item to the community's leads live and puts it first in the queue")
    func privacyEscalates() async throws {
        let app = try await TestApp.make()
        try await app.live { client, port async throws in
            let (general, ann, bob, _) = try await StreamTests.setUp(app, client)
            let (_, modToken, _) = try await Self.staff(app, client)
            let (lead, leadToken) = try await app.user(client, "Lee")
            let ohio = try #require(try await app.store.community(slug: "ohio"))
            _ = try await app.store.createGrant(userID: lead.id, role: .lead, scope: .community(ohio.id), grantedBy: nil, now: app.clock.now())
            let spam = try #require(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "buy now"], token: ann).object["id"] as? Int)
            let data = try #require(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "Sam's IEP notes"], token: ann).object["id"] as? Int)
            _ = try await client.call(.post, "/api/v1/flags", json: Self.flag("message", spam, "spam"), token: bob)

            let leadStream = StreamClient(port: port, headers: StreamClient.bearer(leadToken))
            let modStream = StreamClient(port: port, headers: StreamClient.bearer(modToken))
            _ = await leadStream.next()
            _ = await modStream.next()
            let filed = try await client.call(.post, "/api/v1/flags", json: Self.flag("message", data, "privacy", note: "a student's IEP"), token: bob)
            #expect((filed.object["review_item"] as? [String: Any])?["escalated"] as? Bool == true)
            let told = await leadStream.next(timeout: 10)
            #expect(told?["op"] as? String == "review_item")
            #expect((told?["item"] as? [String: Any])?["target_id"] as? Int == data)
            try modStream.send(["op": "ping", "ref": "p"])
            #expect(await modStream.next(timeout: 10)?["op"] as? String == "pong", "a moderator who is not a lead was told first")
            _ = await leadStream.close()
            _ = await modStream.close()

            let queue = try await client.call(.get, "/api/v1/moderation/queue?community=ohio", token: modToken).array("items")
            #expect(queue.compactMap { ($0["item"] as? [String: Any])?["target_id"] as? Int } == [data, spam])
        }
    }

    @Test("bad flags and review actions get a clear error and change nothing; nobody settles an item about themselves; only moderators take items")
    func refusals() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, bob, tex) = try await StreamTests.setUp(app, client)
            let (mod, modToken, _) = try await Self.staff(app, client)
            let annID = Int(try #require(try await app.store.user(email: "ann@example.org")?.id))
            let message = try #require(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "hi"], token: ann).object["id"] as? Int)
            func flag(_ body: [String: Any], _ token: String) async throws -> Reply { try await client.call(.post, "/api/v1/flags", json: body, token: token) }
            #expect(try await flag(Self.flag("message", message, "rude"), bob).errorField == "reason")
            #expect(try await flag(Self.flag("message", message, "other"), bob).errorField == "note")
            #expect(try await flag(Self.flag("message", message, "spam", note: String(repeating: "x", count: 1001)), bob).errorField == "note")
            #expect(try await flag(Self.flag("comment", 1, "spam"), bob).errorField == "target.type")
            #expect(try await flag(Self.flag("planet", 1, "spam"), bob).errorField == "target.type")
            #expect(try await flag(Self.flag("message", 987_654, "spam"), bob).status == .notFound)
            #expect(try await flag(Self.flag("user", annID, "harassment"), bob).errorField == "community")
            #expect(try await flag(Self.flag("user", annID, "harassment", community: "texas"), tex).errorField == "target.id", "not a member there")
            #expect(try await client.call(.post, "/api/v1/flags", json: Self.flag("message", message, "spam")).status == .unauthorized)
            #expect(try await app.store.reviewItems(communityIDs: nil, state: .open, offset: 0, limit: 10).isEmpty, "a refused flag was filed")

            let onUser = try await flag(Self.flag("user", Int(mod.id), "harassment", community: "ohio"), bob)
            #expect(onUser.status == .created, "\(onUser.body)")
            let itemID = try #require((onUser.object["review_item"] as? [String: Any])?["id"] as? Int)
            let settle = try await client.call(
                .post, "/api/v1/moderation/actions", json: ["action": "resolve_flag", "target": ["type": "review_item", "id": itemID], "reason": "mine"],
                token: modToken)
            #expect(settle.status == .forbidden, "a moderator settled an item about themselves")
            let badOutcome = try await client.call(
                .post, "/api/v1/moderation/actions",
                json: ["action": "resolve_flag", "target": ["type": "review_item", "id": itemID], "reason": "x", "outcome": "open"], token: modToken)
            #expect(badOutcome.errorField == "outcome")
            let stray = try await client.call(
                .post, "/api/v1/moderation/actions",
                json: ["action": "hide", "target": ["type": "message", "id": message], "reason": "x", "outcome": "rejected"], token: modToken)
            #expect(stray.errorField == "outcome")

            #expect(try await client.call(.post, "/api/v1/moderation/queue/\(itemID)/assign", json: ["user_id": annID], token: modToken).errorField == "user_id")
            #expect(try await client.call(.post, "/api/v1/moderation/queue/\(itemID)/assign", json: ["user_id": Int(mod.id)], token: bob).status == .forbidden)
            let taken = try await client.call(.post, "/api/v1/moderation/queue/\(itemID)/assign", json: ["user_id": Int(mod.id)], token: modToken)
            #expect((taken.object["review_item"] as? [String: Any])?["assignee_id"] as? Int == Int(mod.id), "\(taken.body)")
            let one = try await client.call(.get, "/api/v1/moderation/queue/\(itemID)", token: modToken)
            #expect((one.object["user"] as? [String: Any])?["id"] as? Int == Int(mod.id))
            #expect(try await client.call(.get, "/api/v1/moderation/queue/\(itemID)", token: bob).status == .forbidden)
            #expect(try await client.call(.get, "/api/v1/moderation/queue?state=closed", token: modToken).errorField == "state")
            #expect(try await client.call(.get, "/api/v1/moderation/queue", token: bob).status == .forbidden)
            #expect(try await app.store.auditEntries(communityID: nil, afterID: nil, limit: 10).isEmpty, "a refused action was audited")
        }
    }
}
