import ConveneCore
import ConveneStore
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("Channels over HTTP")
struct ChannelsHTTPTests {
    static let key = HTTPField.Name("Idempotency-Key")!

    /// Ohio's `general` channel id, and tokens: Ann a member of Ohio, Mo its moderator, Tex a member of Texas only.
    static func setUp(_ app: TestApp, _ client: any TestClientProtocol) async throws -> (general: Int, ann: String, mo: String, tex: String) {
        let (_, admin) = try await app.user(client, "Admin", admin: true)
        let (_, ann) = try await app.user(client, "Ann")
        let (mo, moToken) = try await app.user(client, "Mo")
        let (_, tex) = try await app.user(client, "Tex")
        _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: ann)
        _ = try await client.call(.post, "/api/v1/communities/texas/join", token: tex)
        _ = try await client.call(.post, "/api/v1/communities/ohio/grants", json: ["user_id": mo.id, "role": "moderator"], token: admin)
        let channels = try await client.call(.get, "/api/v1/communities/ohio/channels", token: ann).array("channels")
        let general = try #require(channels.first { $0["name"] as? String == "general" }?["id"] as? Int)
        return (general, ann, moToken, tex)
    }

    @Test("a member posts, the message is rendered safely, and history pages through it")
    func postAndRead() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, _, _) = try await Self.setUp(app, client)
            let posted = try await client.call(
                .post, "/api/v1/channels/\(general)/messages", json: ["body": "Our **SEL** plan <script>alert(1)</script>"], token: ann)
            #expect(posted.status == .created)
            #expect(posted.object["seq"] as? Int == 1)
            #expect(posted.string("body_html") == "<p>Our <strong>SEL</strong> plan &lt;script&gt;alert(1)&lt;/script&gt;</p>")
            #expect((posted.object["author"] as? [String: Any])?["display_name"] as? String == "Ann")
            for index in 2...5 {
                _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "message \(index)"], token: ann)
            }
            let latest = try await client.call(.get, "/api/v1/channels/\(general)/messages?limit=2", token: ann)
            #expect(latest.array("messages").map { $0["seq"] as? Int } == [4, 5])
            #expect(latest.object["has_more"] as? Bool == true)
            let earlier = try await client.call(.get, "/api/v1/channels/\(general)/messages?before_seq=4&limit=10", token: ann)
            #expect(earlier.array("messages").map { $0["seq"] as? Int } == [1, 2, 3])
            #expect(earlier.object["has_more"] as? Bool == false)
            let after = try await client.call(.get, "/api/v1/channels/\(general)/messages?after_seq=3", token: ann)
            #expect(after.array("messages").map { $0["seq"] as? Int } == [4, 5])
        }
    }

    @Test("a repeated Idempotency-Key returns the first message and stores one; reused for another body it is refused")
    func idempotency() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, _, _) = try await Self.setUp(app, client)
            let first = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "once"], token: ann, headers: [Self.key: "k-1"])
            let again = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "once"], token: ann, headers: [Self.key: "k-1"])
            #expect(first.status == .created)
            #expect(again.status == .created)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(again.object["id"] as? Int == first.object["id"] as? Int)
            let other = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "different"], token: ann, headers: [Self.key: "k-1"])
            #expect(other.status == .conflict)
            let history = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: ann)
            #expect(history.array("messages").count == 1)
            let bad = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "x"], token: ann, headers: [Self.key: "has spaces"])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.errorField == "Idempotency-Key")
        }
    }

    @Test("fifty concurrent sends get seq 1…50, each once")
    func concurrentSends() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, mo, _) = try await Self.setUp(app, client)
            let seqs = try await withThrowingTaskGroup(of: Int?.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let reply = try await client.call(
                            .post, "/api/v1/channels/\(general)/messages", json: ["body": "burst \(index)"], token: index % 2 == 0 ? ann : mo)
                        return reply.object["seq"] as? Int
                    }
                }
                var seqs: [Int] = []
                for try await seq in group { seqs.append(try #require(seq)) }
                return seqs
            }
            #expect(seqs.sorted() == Array(1...50))
            let stored = try await client.call(.get, "/api/v1/channels/\(general)/messages?after_seq=0&limit=200", token: ann).array("messages")
            #expect(stored.map { $0["seq"] as? Int } == Array(1...50).map { Optional($0) })
        }
    }

    @Test("a member of another community cannot read or post; a guest must sign in")
    func otherCommunity() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, _, tex) = try await Self.setUp(app, client)
            _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "ohio only"], token: ann)
            #expect(try await client.call(.get, "/api/v1/channels/\(general)/messages", token: tex).status == .forbidden)
            #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "hi"], token: tex).status == .forbidden)
            #expect(try await client.call(.get, "/api/v1/channels/\(general)/messages").status == .unauthorized)
            #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "hi"]).status == .unauthorized)
            #expect(try await client.call(.get, "/api/v1/channels/999999/messages", token: ann).status == .notFound)
            #expect(try await client.call(.get, "/api/v1/channels/\(general)/messages", token: ann).array("messages").count == 1)
        }
    }

    @Test("only moderators post in an announcement-only channel")
    func announcements() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, ann, mo, _) = try await Self.setUp(app, client)
            let channels = try await client.call(.get, "/api/v1/communities/ohio/channels", token: ann).array("channels")
            let announcements = try #require(channels.first { $0["announcement_only"] as? Bool == true }?["id"] as? Int)
            #expect(try await client.call(.post, "/api/v1/channels/\(announcements)/messages", json: ["body": "hear ye"], token: ann).status == .forbidden)
            #expect(try await client.call(.post, "/api/v1/channels/\(announcements)/messages", json: ["body": "hear ye"], token: mo).status == .created)
            #expect(try await client.call(.get, "/api/v1/channels/\(announcements)/messages", token: ann).array("messages").count == 1)
        }
    }

    @Test("moderators create channels; a private one is hidden until its moderator adds a member")
    func privateChannels() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, ann, mo, _) = try await Self.setUp(app, client)
            #expect(try await client.call(.post, "/api/v1/communities/ohio/channels", json: ["name": "leads"], token: ann).status == .forbidden)
            let created = try await client.call(
                .post, "/api/v1/communities/ohio/channels", json: ["name": "leads", "topic": "Leads only", "private": true], token: mo)
            #expect(created.status == .created)
            let id = try #require(created.object["id"] as? Int)
            #expect(try await client.call(.post, "/api/v1/communities/ohio/channels", json: ["name": "leads"], token: mo).status == .conflict)
            #expect(try await client.call(.post, "/api/v1/communities/ohio/channels", json: ["name": "Bad Name!"], token: mo).errorField == "name")

            #expect(try await client.call(.get, "/api/v1/channels/\(id)/messages", token: ann).status == .notFound)
            #expect(try await client.call(.post, "/api/v1/channels/\(id)/messages", json: ["body": "let me in"], token: ann).status == .notFound)
            #expect(!(try await client.call(.get, "/api/v1/communities/ohio/channels", token: ann).array("channels").contains { $0["id"] as? Int == id }))

            let me = try await client.call(.get, "/api/v1/me", token: ann)
            let annID = try #require((me.object["user"] as? [String: Any])?["id"] as? Int)
            #expect(try await client.call(.post, "/api/v1/channels/\(id)/members", json: ["user_id": annID], token: ann).status == .notFound)
            #expect(try await client.call(.post, "/api/v1/channels/\(id)/members", json: ["user_id": annID], token: mo).status == .created)
            #expect(try await client.call(.post, "/api/v1/channels/\(id)/messages", json: ["body": "thanks"], token: ann).status == .created)
            #expect(try await client.call(.get, "/api/v1/communities/ohio/channels", token: ann).array("channels").contains { $0["id"] as? Int == id })
        }
    }

    @Test("bad message input gets 422 naming the field and stores nothing")
    func badInput() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, _, _) = try await Self.setUp(app, client)
            let cases: [([String: any Sendable], String)] = [
                (["body": "   "], "body"),
                (["body": String(repeating: "x", count: 8001)], "body"),
                (["body": 5], "body"),
                (["body": "reply", "thread_id": 424_242], "thread_id"),
                (["thread_id": 1], "body"),
            ]
            for (body, field) in cases {
                let reply = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: body, token: ann)
                #expect(reply.status == .unprocessableContent, "\(body)")
                #expect(reply.errorField == field, "\(reply.body)")
            }
            for query in ["limit=0", "after_seq=-1", "before_seq=x", "after_seq=1&before_seq=5"] {
                #expect(try await client.call(.get, "/api/v1/channels/\(general)/messages?\(query)", token: ann).status == .unprocessableContent)
            }
            #expect(try await client.call(.get, "/api/v1/channels/\(general)/messages", token: ann).array("messages").isEmpty)
        }
    }
}

@Suite("Send pace over HTTP")
struct SendPaceHTTPTests {
    @Test("slow mode holds a member to one message per interval; moderators are exempt; a retry of a stored message is not held")
    func slowMode() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (_, ann, mo, _) = try await ChannelsHTTPTests.setUp(app, client)
            let created = try await client.call(
                .post, "/api/v1/communities/ohio/channels", json: ["name": "slow", "slow_mode_seconds": 60], token: mo)
            let id = try #require(created.object["id"] as? Int)
            let key = ChannelsHTTPTests.key
            #expect(try await client.call(.post, "/api/v1/channels/\(id)/messages", json: ["body": "one"], token: ann, headers: [key: "s-1"]).status == .created)
            let held = try await client.call(.post, "/api/v1/channels/\(id)/messages", json: ["body": "two"], token: ann)
            #expect(held.status == .tooManyRequests)
            #expect(held.errorCode == "rate_limited")
            #expect(held.headers[.retryAfter] == "60")
            #expect(try await client.call(.post, "/api/v1/channels/\(id)/messages", json: ["body": "one"], token: ann, headers: [key: "s-1"]).status == .created)
            #expect(try await client.call(.post, "/api/v1/channels/\(id)/messages", json: ["body": "mod 1"], token: mo).status == .created)
            #expect(try await client.call(.post, "/api/v1/channels/\(id)/messages", json: ["body": "mod 2"], token: mo).status == .created)
            app.clock.advance(61)
            #expect(try await client.call(.post, "/api/v1/channels/\(id)/messages", json: ["body": "two"], token: ann).status == .created)
            #expect(try await client.call(.get, "/api/v1/channels/\(id)/messages", token: ann).array("messages").count == 4)
        }
    }

    @Test("a member sending faster than the per-minute limit is answered 429 until the window passes")
    func rateLimit() async throws {
        let app = try await TestApp.make { $0.messagesPerMinute = 3 }
        try await app.test { client async throws in
            let (general, ann, mo, _) = try await ChannelsHTTPTests.setUp(app, client)
            for index in 1...3 {
                #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "m\(index)"], token: ann).status == .created)
            }
            let limited = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "m4"], token: ann)
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
            for index in 1...5 {
                #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "mod \(index)"], token: mo).status == .created)
            }
            app.clock.advance(60)
            #expect(try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "m4"], token: ann).status == .created)
        }
    }
}

@Suite("Editing and deleting messages over HTTP")
struct MessageChangesHTTPTests {
    @Test("the author edits; others cannot; moderators delete anything; revisions are for moderators and the author")
    func rules() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, mo, _) = try await ChannelsHTTPTests.setUp(app, client)
            let (_, bob) = try await app.user(client, "Bob")
            _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: bob)
            let posted = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "first *draft*"], token: ann)
            let id = try #require(posted.object["id"] as? Int)

            let edited = try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "final **text**"], token: ann)
            #expect(edited.status == .ok)
            #expect(edited.string("body_html") == "<p>final <strong>text</strong></p>")
            #expect(edited.string("edited_at") != nil)
            #expect(try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "hijack"], token: bob).status == .forbidden)
            #expect(try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "hijack"], token: mo).status == .forbidden)
            #expect(try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "  "], token: ann).errorField == "body")

            #expect(try await client.call(.get, "/api/v1/messages/\(id)/revisions", token: bob).status == .forbidden)
            let revisions = try await client.call(.get, "/api/v1/messages/\(id)/revisions", token: mo).array("revisions")
            #expect(revisions.map { $0["body"] as? String } == ["first *draft*"])
            #expect(revisions.first?["replaced_at"] as? String != nil)
            #expect(revisions.first?["replaced_by"] as? Int == (posted.object["author"] as? [String: Any])?["id"] as? Int)
            #expect(try await client.call(.get, "/api/v1/messages/\(id)/revisions", token: ann).status == .ok)

            #expect(try await client.call(.delete, "/api/v1/messages/\(id)", token: bob).status == .forbidden)
            #expect(try await client.call(.delete, "/api/v1/messages/\(id)", token: mo).status == .noContent)
            #expect(try await client.call(.delete, "/api/v1/messages/\(id)", token: mo).status == .conflict)
            #expect(try await client.call(.patch, "/api/v1/messages/\(id)", json: ["body": "undo"], token: ann).status == .conflict)
            let history = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: bob).array("messages")
            #expect(history.first?["deleted"] as? Bool == true)
            #expect(history.first?["body"] as? String == "")
            #expect(try await client.call(.delete, "/api/v1/messages/424242", token: mo).status == .notFound)
        }
    }

    @Test("members react and take reactions back; moderators pin and unpin; the pins list follows; bad emoji get 422")
    func reactionsAndPins() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, mo, tex) = try await ChannelsHTTPTests.setUp(app, client)
            let posted = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "Agenda for Tuesday"], token: ann)
            let id = try #require(posted.object["id"] as? Int)
            #expect(posted.object["reactions"] as? [Any] != nil)
            #expect(posted.object["pinned"] as? Bool == false)

            let reacted = try await client.call(.post, "/api/v1/messages/\(id)/reactions", json: ["emoji": "👍"], token: mo)
            #expect(reacted.status == .ok)
            let reactions = reacted.object["reactions"] as? [[String: Any]]
            #expect(reactions?.first?["emoji"] as? String == "👍")
            #expect(reactions?.first?["count"] as? Int == 1)
            _ = try await client.call(.post, "/api/v1/messages/\(id)/reactions", json: ["emoji": "👍"], token: ann)
            let again = try await client.call(.post, "/api/v1/messages/\(id)/reactions", json: ["emoji": "👍"], token: ann)
            #expect((again.object["reactions"] as? [[String: Any]])?.first?["count"] as? Int == 2, "a repeated reaction counted twice")
            let back = try await client.call(.post, "/api/v1/messages/\(id)/reactions", json: ["emoji": "👍", "on": false], token: mo)
            #expect((back.object["reactions"] as? [[String: Any]])?.first?["users"] as? [Int] != nil)
            #expect((back.object["reactions"] as? [[String: Any]])?.first?["count"] as? Int == 1)

            for bad in ["", "thumbs", "👍👍", "<b>", ":Upper:", "1"] {
                let refused = try await client.call(.post, "/api/v1/messages/\(id)/reactions", json: ["emoji": bad], token: ann)
                #expect(refused.status == .unprocessableContent, "\(bad)")
                #expect(refused.errorField == "emoji", "\(bad)")
            }
            #expect(try await client.call(.post, "/api/v1/messages/\(id)/reactions", json: ["emoji": "👍"], token: tex).status == .forbidden)
            #expect(try await client.call(.post, "/api/v1/messages/\(id)/reactions", json: ["emoji": "👍"]).status == .unauthorized)

            #expect(try await client.call(.put, "/api/v1/messages/\(id)/pin", token: ann).status == .forbidden)
            let pinned = try await client.call(.put, "/api/v1/messages/\(id)/pin", token: mo)
            #expect(pinned.status == .ok)
            #expect(pinned.object["pinned"] as? Bool == true)
            let pins = try await client.call(.get, "/api/v1/channels/\(general)/pins", token: ann).array("messages")
            #expect(pins.map { $0["id"] as? Int } == [id])
            #expect(try await client.call(.get, "/api/v1/channels/\(general)/pins", token: tex).status == .forbidden)
            #expect(try await client.call(.delete, "/api/v1/messages/\(id)/pin", token: mo).object["pinned"] as? Bool == false)
            #expect(try await client.call(.get, "/api/v1/channels/\(general)/pins", token: ann).array("messages").isEmpty)

            let history = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: ann).array("messages")
            #expect(history.count == 1, "reactions and pins are not messages")
            #expect(try await client.call(.post, "/api/v1/messages/999999/reactions", json: ["emoji": "👍"], token: ann).status == .notFound)
        }
    }

    @Test("the channel list shows each member's unread count; marking read moves it forward only, within the channel's seqs")
    func readMarkers() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, mo, tex) = try await ChannelsHTTPTests.setUp(app, client)
            app.clock.advance(60)
            for index in 1...3 {
                _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "note \(index)"], token: mo)
            }
            _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "mine"], token: ann)
            func generalRow() async throws -> [String: Any]? {
                try await client.call(.get, "/api/v1/communities/ohio/channels", token: ann).array("channels").first { $0["id"] as? Int == general }
            }
            var row = try await generalRow()
            #expect(row?["last_seq"] as? Int == 4)
            #expect(row?["unread_count"] as? Int == 3)
            #expect(row?["read_seq"] as? Int == 0)

            let read = try await client.call(.post, "/api/v1/channels/\(general)/read", json: ["seq": 2], token: ann)
            #expect(read.status == .ok)
            #expect(read.object["read_seq"] as? Int == 2)
            #expect(read.object["unread_count"] as? Int == 1)
            #expect(try await client.call(.post, "/api/v1/channels/\(general)/read", json: ["seq": 1], token: ann).object["read_seq"] as? Int == 2)
            row = try await generalRow()
            #expect(row?["unread_count"] as? Int == 1)

            let past = try await client.call(.post, "/api/v1/channels/\(general)/read", json: ["seq": 5], token: ann)
            #expect(past.status == .unprocessableContent)
            #expect(past.errorField == "seq")
            #expect(try await client.call(.post, "/api/v1/channels/\(general)/read", json: ["seq": -1], token: ann).errorField == "seq")
            #expect(try await client.call(.post, "/api/v1/channels/\(general)/read", json: ["seq": "4"], token: ann).errorField == "seq")
            #expect(try await client.call(.post, "/api/v1/channels/\(general)/read", json: ["seq": 4], token: tex).status == .forbidden)
            let guest = try await client.call(.get, "/api/v1/communities/ohio/channels").array("channels")
            #expect(guest.first?["unread_count"] == nil, "a guest has no unread counts")
        }
    }
}
