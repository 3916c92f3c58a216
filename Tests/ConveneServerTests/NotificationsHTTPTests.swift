import ConveneCore
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("Mentions and notifications")
struct NotificationsHTTPTests {
    @Test("a mention notifies the named member who may read the channel, never the author, an outsider or someone the channel is hidden from")
    func mentionsNotify() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, mo, tex) = try await ChannelsHTTPTests.setUp(app, client)
            let (_, bob) = try await app.user(client, "Bob Stone")
            _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: bob)
            _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: mo)

            let posted = try await client.call(
                .post, "/api/v1/channels/\(general)/messages", json: ["body": "@**Bob Stone** and @Tex and @Ann: agenda is up"], token: ann)
            #expect(posted.status == .created)
            let listed = try await client.call(.get, "/api/v1/notifications", token: bob)
            #expect(listed.status == .ok)
            #expect(listed.object["unread_count"] as? Int == 1)
            let notification = try #require(listed.array("notifications").first)
            #expect(notification["kind"] as? String == "mention")
            #expect(notification["channel_id"] as? Int == general)
            #expect(notification["message_id"] as? Int == posted.object["id"] as? Int)
            #expect(notification["excerpt"] as? String == "@**Bob Stone** and @Tex and @Ann: agenda is up")
            #expect((notification["actor"] as? [String: Any])?["display_name"] as? String == "Ann")
            #expect(notification["read"] as? Bool == false)
            #expect(try await client.call(.get, "/api/v1/notifications", token: tex).array("notifications").isEmpty, "Texas member told of Ohio's channel")
            #expect(try await client.call(.get, "/api/v1/notifications", token: ann).array("notifications").isEmpty, "the author was notified")

            let (_, admin) = try await app.user(client, "Root", admin: true)
            let hidden = try await client.call(.post, "/api/v1/communities/ohio/channels", json: ["name": "steering", "private": true], token: admin)
            let steering = try #require(hidden.object["id"] as? Int)
            let annID = try #require((posted.object["author"] as? [String: Any])?["id"] as? Int)
            _ = try await client.call(.post, "/api/v1/channels/\(steering)/members", json: ["user_id": annID], token: admin)
            _ = try await client.call(.post, "/api/v1/channels/\(steering)/messages", json: ["body": "@BobStone should not hear of this"], token: ann)
            #expect(try await client.call(.get, "/api/v1/notifications", token: bob).object["unread_count"] as? Int == 1, "a private channel leaked")
            _ = try await client.call(.post, "/api/v1/channels/\(steering)/messages", json: ["body": "@Mo please look"], token: ann)
            #expect(try await client.call(.get, "/api/v1/notifications?unread=true", token: mo).array("notifications").count == 1, "a moderator reads private channels")
        }
    }

    @Test("notifications page newest first and are marked read by id or all at once; bad input changes nothing")
    func listAndMarkRead() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, _, tex) = try await ChannelsHTTPTests.setUp(app, client)
            let (_, bob) = try await app.user(client, "Bob")
            _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: bob)
            for index in 1...3 {
                _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "@Bob item \(index)"], token: ann)
            }
            let first = try await client.call(.get, "/api/v1/notifications?limit=2", token: bob)
            #expect(first.array("notifications").map { $0["excerpt"] as? String } == ["@Bob item 3", "@Bob item 2"])
            #expect(first.object["has_more"] as? Bool == true)
            let last = try #require(first.array("notifications").last?["id"] as? Int)
            let rest = try await client.call(.get, "/api/v1/notifications?limit=2&before_id=\(last)", token: bob)
            #expect(rest.array("notifications").map { $0["excerpt"] as? String } == ["@Bob item 1"])
            #expect(rest.object["has_more"] as? Bool == false)

            let newest = try #require(first.array("notifications").first?["id"] as? Int)
            #expect(try await client.call(.post, "/api/v1/notifications/read", json: ["ids": [newest]], token: tex).object["unread_count"] as? Int == 0)
            #expect(try await client.call(.get, "/api/v1/notifications", token: bob).object["unread_count"] as? Int == 3, "another user marked Bob's")
            #expect(try await client.call(.post, "/api/v1/notifications/read", json: ["ids": [newest]], token: bob).object["unread_count"] as? Int == 2)
            for bad in [["ids": "x"], [:], ["ids": [newest], "all": true], ["all": false]] as [[String: Any]] {
                let refused = try await client.call(.post, "/api/v1/notifications/read", json: bad, token: bob)
                #expect(refused.status == .unprocessableContent, "\(bad)")
            }
            #expect(try await client.call(.get, "/api/v1/notifications?unread=maybe", token: bob).errorField == "unread")
            #expect(try await client.call(.get, "/api/v1/notifications?unread=true", token: bob).array("notifications").count == 2)
            #expect(try await client.call(.post, "/api/v1/notifications/read", json: ["all": true], token: bob).object["unread_count"] as? Int == 0)
            #expect(try await client.call(.get, "/api/v1/notifications").status == .unauthorized)
        }
    }

    @Test("an edit that adds a mention notifies the newly named member once; editing again notifies nobody twice")
    func mentionsAddedByEdits() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, mo, tex) = try await ChannelsHTTPTests.setUp(app, client)
            let (_, bob) = try await app.user(client, "Bob")
            _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: bob)
            let posted = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "Agenda is up"], token: ann)
            let id = try #require(posted.object["id"] as? Int)
            func unread(_ token: String) async throws -> Int? {
                try await client.call(.get, "/api/v1/notifications", token: token).object["unread_count"] as? Int
            }
            #expect(try await unread(bob) == 0)
            _ = try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "Agenda is up, @Bob please review"], token: ann)
            #expect(try await unread(bob) == 1)
            let notification = try await client.call(.get, "/api/v1/notifications", token: bob).array("notifications").first
            #expect(notification?["excerpt"] as? String == "Agenda is up, @Bob please review")
            _ = try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "Agenda is up, @Bob please review, and @Tex"], token: ann)
            #expect(try await unread(bob) == 1, "a mention already made notified again")
            #expect(try await unread(tex) == 0, "an edit told a member of another community")
            _ = try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "Agenda is up, @Bob and @Mo please review"], token: ann)
            #expect(try await unread(mo) == 1)
            #expect(try await unread(ann) == 0)
        }
    }
}
