import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

/// Sanctions and the audit log over HTTP and the stream, on every store.
@Suite("Moderation", .timeLimit(.minutes(2)))
struct ModerationHTTPTests {
    static func action(_ action: String, _ type: String, _ id: Int, community: String? = "ohio", reason: String = "Off-topic again", until: Date? = nil)
        -> [String: Any]
    {
        var body: [String: Any] = ["action": action, "target": ["type": type, "id": id], "reason": reason]
        if let community { body["community"] = community }
        if let until { body["until"] = until.formatted(.iso8601) }
        return body
    }

    @Test("a moderator silences a member until a time: writes are refused with silenced on HTTP and the stream, reads go on, and it ends by itself",
        arguments: TestApp.StoreKind.allCases)
    func silence(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (mod, modToken) = try await app.user(client, "Mo")
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                _ = try await app.store.createGrant(userID: mod.id, role: .moderator, scope: .community(ohio.id), grantedBy: nil, now: app.clock.now())
                let bobID = try #require(try await app.store.user(email: "bob@example.org")?.id)

                let silenced = try await client.call(
                    .post, "/api/v1/moderation/actions", json: Self.action("silence", "user", Int(bobID), until: app.clock.now().addingTimeInterval(3600)),
                    token: modToken)
                #expect(silenced.status == .created, "\(silenced.body)")
                let sanction = try #require(silenced.object["sanction"] as? [String: Any])
                #expect(sanction["kind"] as? String == "silence")
                #expect(sanction["in_force"] as? Bool == true)
                #expect((silenced.object["audit"] as? [String: Any])?["action"] as? String == "silence")

                let post = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "still here"], token: bob)
                #expect(post.status == .forbidden)
                #expect(post.errorCode == "silenced")
                #expect(try await client.call(.get, "/api/v1/channels/\(general)/messages", token: bob).status == .ok, "a silenced member can read")
                #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "hi"], token: ann).status == .created)

                let stream = StreamClient(port: port, headers: StreamClient.bearer(bob))
                _ = await stream.next()
                try stream.send(["op": "send", "ref": "s", "channel": general, "body": "from the stream", "nonce": "n-1"])
                let refused = await stream.next()
                #expect(refused?["op"] as? String == "error")
                #expect(refused?["code"] as? String == "silenced")
                #expect(refused?["ref"] as? String == "s")
                _ = await stream.close()

                app.clock.advance(3601)
                #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "back"], token: bob).status == .created)
                var mine = try await client.call(.get, "/api/v1/me/sanctions", token: bob).array("sanctions")
                #expect(mine.map { $0["in_force"] as? Bool } == [false])
                // The member sees which action to appeal, and then their appeal.
                let actionID = try #require((silenced.object["audit"] as? [String: Any])?["id"] as? Int)
                #expect(mine.first?["action_id"] as? Int == actionID)
                #expect(mine.first?["appeal_id"] == nil)
                let appeal = try await client.call(.post, "/api/v1/appeals", json: ["action_id": actionID, "text": "I was answering a question."], token: bob)
                #expect(appeal.status == .created, "\(appeal.body)")
                mine = try await client.call(.get, "/api/v1/me/sanctions", token: bob).array("sanctions")
                let appealID = try #require((appeal.object["appeal"] as? [String: Any])?["id"] as? Int ?? appeal.object["id"] as? Int, "\(appeal.body)")
                #expect(mine.first?["appeal_id"] as? Int == appealID)
            }
        }
    }

    @Test("a suspension shuts a member out of the community until lifted; lifting twice conflicts; every step is in the chained audit log",
        arguments: TestApp.StoreKind.allCases)
    func suspendLiftAudit(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (general, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (lead, leadToken) = try await app.user(client, "Lee")
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                _ = try await app.store.createGrant(userID: lead.id, role: .lead, scope: .community(ohio.id), grantedBy: nil, now: app.clock.now())
                let bobID = Int(try #require(try await app.store.user(email: "bob@example.org")?.id))

                _ = try await client.call(.post, "/api/v1/moderation/actions", json: Self.action("warn", "user", bobID, reason: "Please stay on topic"), token: leadToken)
                let suspended = try await client.call(.post, "/api/v1/moderation/actions", json: Self.action("suspend", "user", bobID), token: leadToken)
                #expect(suspended.status == .created)
                let sanctionID = try #require((suspended.object["sanction"] as? [String: Any])?["id"] as? Int)
                let shut = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: bob)
                #expect(shut.status == .forbidden)
                #expect(shut.errorCode == "suspended")

                let lifted = try await client.call(.post, "/api/v1/moderation/actions", json: Self.action("lift", "sanction", sanctionID), token: leadToken)
                #expect(lifted.status == .created, "\(lifted.body)")
                #expect((lifted.object["sanction"] as? [String: Any])?["in_force"] as? Bool == false)
                #expect(try await client.call(.get, "/api/v1/channels/\(general)/messages", token: bob).status == .ok)
                let again = try await client.call(.post, "/api/v1/moderation/actions", json: Self.action("lift", "sanction", sanctionID), token: leadToken)
                #expect(again.status == .conflict)

                let audit = try await client.call(.get, "/api/v1/moderation/audit?community=ohio", token: leadToken)
                #expect(audit.status == .ok)
                let entries = audit.array("entries")
                #expect(entries.map { $0["action"] as? String } == ["warn", "suspend", "lift"])
                #expect(entries.map { $0["actor_id"] as? Int } == [Int(lead.id), Int(lead.id), Int(lead.id)])
                #expect(entries[1]["previous_hash"] as? String == entries[0]["hash"] as? String)
                #expect(entries[2]["previous_hash"] as? String == entries[1]["hash"] as? String)
                #expect((entries[2]["before"] as? String)?.contains("lifted_at") == false, "before the lift")
                #expect((entries[2]["after"] as? String)?.contains("lifted_at") == true, "after the lift")
                #expect(try await ConveneNode.verifyAudit(app.store) == .intact(rows: 3))

                let csv = try await client.call(.get, "/api/v1/moderation/audit?community=ohio&format=csv", token: leadToken)
                #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
                let lines = csv.body.split(separator: "\r\n")
                #expect(lines.count == 4)
                #expect(lines.first?.hasPrefix("id,created_at,community_id,actor_id,action") == true)

                #expect(try await client.call(.get, "/api/v1/moderation/audit?community=ohio", token: ann).status == .forbidden)
                #expect(try await client.call(.get, "/api/v1/moderation/audit", token: leadToken).status == .forbidden, "a community lead read the network's log")
                let (_, admin) = try await app.user(client, "Ada", admin: true)
                #expect(try await client.call(.get, "/api/v1/moderation/audit", token: admin).array("entries").count == 3)
            }
        }
    }

    @Test("who may sanction whom: not members, not in another community, not a higher role, not oneself; bad input names its field")
    func refusals() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, ann, _, tex) = try await StreamTests.setUp(app, client)
            let (mod, modToken) = try await app.user(client, "Mo")
            let (lead, _) = try await app.user(client, "Lee")
            let ohio = try #require(try await app.store.community(slug: "ohio"))
            _ = try await app.store.createGrant(userID: mod.id, role: .moderator, scope: .community(ohio.id), grantedBy: nil, now: app.clock.now())
            _ = try await app.store.createGrant(userID: lead.id, role: .lead, scope: .community(ohio.id), grantedBy: nil, now: app.clock.now())
            let bobID = Int(try #require(try await app.store.user(email: "bob@example.org")?.id))
            func act(_ body: [String: Any], _ token: String) async throws -> Reply {
                try await client.call(.post, "/api/v1/moderation/actions", json: body, token: token)
            }
            #expect(try await act(Self.action("silence", "user", bobID), ann).status == .forbidden, "a member silenced a member")
            #expect(try await act(Self.action("silence", "user", bobID, community: "texas"), modToken).status == .forbidden, "another community")
            #expect(try await act(Self.action("silence", "user", bobID, community: nil), modToken).status == .forbidden, "the network")
            #expect(try await act(Self.action("silence", "user", Int(lead.id)), modToken).status == .forbidden, "a lead, by a moderator")
            #expect(try await act(Self.action("silence", "user", Int(mod.id)), modToken).errorField == "target.id")
            #expect(try await act(Self.action("silence", "user", 999_999), modToken).status == .notFound)
            #expect(try await act(Self.action("silence", "user", bobID, reason: "  "), modToken).errorField == "reason")
            #expect(
                try await act(Self.action("silence", "user", bobID, until: app.clock.now().addingTimeInterval(-5)), modToken).errorField == "until")
            #expect(try await act(Self.action("warn", "user", bobID, until: app.clock.now().addingTimeInterval(60)), modToken).errorField == "until")
            #expect(try await act(Self.action("silence", "message", bobID), modToken).errorField == "target.type")
            #expect(try await act(Self.action("hide", "user", bobID), modToken).errorField == "target.type")
            #expect(try await act(Self.action("lock", "message", 1), modToken).errorField == "target.type")
            #expect(try await act(Self.action("banish", "user", bobID), modToken).errorField == "action")
            #expect(try await act(Self.action("lift", "sanction", 424_242), modToken).status == .notFound)
            #expect(try await client.call(.post, "/api/v1/moderation/actions", json: Self.action("silence", "user", bobID)).status == .unauthorized)
            #expect(try await client.call(.get, "/api/v1/moderation/audit?community=ohio&format=xml", token: tex).errorField == "format")
            #expect(try await app.store.auditEntries(communityID: nil, afterID: nil, limit: 10).isEmpty, "a refused action was audited")
        }
    }

    @Test("the member appeals an action once; a moderator who did not take it decides; overturning lifts the sanction, is audited and reaches the member live",
        arguments: TestApp.StoreKind.allCases)
    func appeals(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (lead, leadToken) = try await app.user(client, "Lee")
                let (other, otherToken) = try await app.user(client, "Mo")
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                for (user, role) in [(lead, Role.lead), (other, .moderator)] {
                    _ = try await app.store.createGrant(userID: user.id, role: role, scope: .community(ohio.id), grantedBy: nil, now: app.clock.now())
                }
                let bobID = Int(try #require(try await app.store.user(email: "bob@example.org")?.id))
                let silenced = try await client.call(.post, "/api/v1/moderation/actions", json: Self.action("silence", "user", bobID), token: leadToken)
                let actionID = try #require((silenced.object["audit"] as? [String: Any])?["id"] as? Int)

                #expect(try await client.call(.post, "/api/v1/appeals", json: ["action_id": actionID, "text": "I was on topic"], token: ann).status == .forbidden)
                #expect(try await client.call(.post, "/api/v1/appeals", json: ["action_id": actionID, "text": " "], token: bob).errorField == "text")
                #expect(try await client.call(.post, "/api/v1/appeals", json: ["action_id": 987_654, "text": "x"], token: bob).status == .notFound)
                let filed = try await client.call(.post, "/api/v1/appeals", json: ["action_id": actionID, "text": "I was on topic"], token: bob)
                #expect(filed.status == .created, "\(filed.body)")
                let appealID = try #require((filed.object["appeal"] as? [String: Any])?["id"] as? Int)
                #expect(try await client.call(.post, "/api/v1/appeals", json: ["action_id": actionID, "text": "again"], token: bob).status == .conflict)

                #expect(try await client.call(.get, "/api/v1/appeals/\(appealID)", token: bob).status == .ok)
                #expect(try await client.call(.get, "/api/v1/appeals/\(appealID)", token: ann).status == .forbidden)

                let byActor = try await client.call(.post, "/api/v1/appeals/\(appealID)/decide", json: ["outcome": "upheld"], token: leadToken)
                #expect(byActor.status == .forbidden, "the moderator who acted decided the appeal")
                #expect(try await client.call(.post, "/api/v1/appeals/\(appealID)/decide", json: ["outcome": "maybe"], token: otherToken).errorField == "outcome")
                #expect(try await client.call(.post, "/api/v1/appeals/\(appealID)/decide", json: ["outcome": "upheld"], token: ann).status == .forbidden)

                let stream = StreamClient(port: port, headers: StreamClient.bearer(bob))
                _ = await stream.next()
                let decided = try await client.call(
                    .post, "/api/v1/appeals/\(appealID)/decide", json: ["outcome": "overturned", "note": "Reviewed: on topic"], token: otherToken)
                #expect(decided.status == .ok, "\(decided.body)")
                #expect((decided.object["appeal"] as? [String: Any])?["outcome"] as? String == "overturned")
                let told = await stream.next(timeout: 10)
                #expect(told?["op"] as? String == "appeal_decided")
                #expect((told?["appeal"] as? [String: Any])?["outcome"] as? String == "overturned")
                _ = await stream.close()

                #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "thanks"], token: bob).status == .created)
                #expect(try await client.call(.post, "/api/v1/appeals/\(appealID)/decide", json: ["outcome": "upheld"], token: otherToken).status == .conflict)
                let actions = try await client.call(.get, "/api/v1/moderation/audit?community=ohio", token: leadToken).array("entries").map { $0["action"] as? String }
                #expect(actions == ["silence", "appeal.overturned"])
                #expect(try await ConveneNode.verifyAudit(app.store) == .intact(rows: 2))
            }
        }
    }

    @Test("the author appeals the hide of their message and a rejected held message; overturned by another moderator, the one is shown again and the other posted",
        arguments: TestApp.StoreKind.allCases)
    func appealsOfModeratedMessages(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (general, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                let (other, otherToken) = try await app.user(client, "Oz")
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                _ = try await app.store.createGrant(userID: other.id, role: .moderator, scope: .community(ohio.id), grantedBy: nil, now: app.clock.now())
                let message = try #require(
                    try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "my honest view"], token: ann).object["id"] as? Int)
                let hid = try await client.call(
                    .post, "/api/v1/moderation/actions", json: ["action": "hide", "target": ["type": "message", "id": message], "reason": "heated"],
                    token: modToken)
                let hideID = try #require((hid.object["audit"] as? [String: Any])?["id"] as? Int)
                #expect(try await client.call(.post, "/api/v1/appeals", json: ["action_id": hideID, "text": "not mine"], token: bob).status == .forbidden)
                let appeal = try await client.call(.post, "/api/v1/appeals", json: ["action_id": hideID, "text": "it was civil"], token: ann)
                #expect(appeal.status == .created, "\(appeal.body)")
                let appealID = try #require((appeal.object["appeal"] as? [String: Any])?["id"] as? Int)
                #expect(try await client.call(.post, "/api/v1/appeals/\(appealID)/decide", json: ["outcome": "overturned"], token: modToken).status == .forbidden)
                let overturned = try await client.call(.post, "/api/v1/appeals/\(appealID)/decide", json: ["outcome": "overturned"], token: otherToken)
                #expect(overturned.status == .ok, "\(overturned.body)")
                let shown = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: bob).array("messages").first { $0["id"] as? Int == message }
                #expect(shown?["hidden"] as? Bool == false)
                #expect(shown?["body"] as? String == "my honest view")

                _ = try await client.call(.post, "/api/v1/communities/ohio/watched-words", json: ["word": "fundraiser", "action": "approve"], token: modToken)
                let held = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "Fundraiser on Friday"], token: ann)
                let heldID = try #require((held.object["pending"] as? [String: Any])?["id"] as? Int)
                let rejected = try await client.call(
                    .post, "/api/v1/moderation/actions", json: ["action": "reject", "target": ["type": "pending_message", "id": heldID], "reason": "no ads"],
                    token: modToken)
                let rejectID = try #require((rejected.object["audit"] as? [String: Any])?["id"] as? Int)
                let second = try await client.call(.post, "/api/v1/appeals", json: ["action_id": rejectID, "text": "it is the PTA's"], token: ann)
                let secondID = try #require((second.object["appeal"] as? [String: Any])?["id"] as? Int)
                _ = try await client.call(.post, "/api/v1/appeals/\(secondID)/decide", json: ["outcome": "overturned"], token: otherToken)
                let bodies = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: bob).array("messages").map { $0["body"] as? String }
                #expect(bodies.contains("Fundraiser on Friday"))
                let actions = try await app.store.auditEntries(communityID: nil, afterID: nil, limit: 20).map(\.action)
                #expect(actions == ["hide", "appeal.overturned", "unhide", "watch_word", "reject", "appeal.overturned"])
            }
        }
    }
}
