import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOWebSocket
import HummingbirdWSClient
import Testing
@testable import ConveneServer

/// The live stream against a real server on a free port.
@Suite("The stream", .timeLimit(.minutes(2)))
struct StreamTests {
    /// Ohio's `general` channel and tokens: Ann and Bob members of Ohio, Tex a member of Texas only.
    static func setUp(_ app: TestApp, _ client: any TestClientProtocol) async throws -> (general: Int, ann: String, bob: String, tex: String) {
        let (_, ann) = try await app.user(client, "Ann")
        let (_, bob) = try await app.user(client, "Bob")
        let (_, tex) = try await app.user(client, "Tex")
        for token in [ann, bob] { _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: token) }
        _ = try await client.call(.post, "/api/v1/communities/texas/join", token: tex)
        let channels = try await client.call(.get, "/api/v1/communities/ohio/channels", token: ann).array("channels")
        return (try #require(channels.first { $0["name"] as? String == "general" }?["id"] as? Int), ann, bob, tex)
    }

    static func post(_ client: any TestClientProtocol, _ channel: Int, _ body: String, token: String) async throws -> Int {
        try #require(try await client.call(.post, "/api/v1/channels/\(channel)/messages", json: ["body": body], token: token).object["seq"] as? Int)
    }

    @Test("a client that disconnects, misses 1 000 messages and resumes receives exactly those, in order, once", arguments: TestApp.StoreKind.allCases)
    func resume(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store, { $0.messagesPerMinute = 10_000 }) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, _) = try await Self.setUp(app, client)
                let first = StreamClient(port: port, headers: StreamClient.bearer(ann))
                #expect(await first.next()?["op"] as? String == "ready")
                try first.send(["op": "subscribe", "ref": "s1", "channel": general])
                let subscribed = await first.frames(until: "caught_up")
                #expect(subscribed.first?["op"] as? String == "subscribed")
                #expect(subscribed.first?["ref"] as? String == "s1")
                for index in 1...3 { _ = try await Self.post(client, general, "before \(index)", token: bob) }
                var live: [Int] = []
                for _ in 1...3 { live.append((await first.next())?["seq"] as? Int ?? -1) }
                #expect(live == [1, 2, 3])
                _ = await first.close()

                // Straight into the store, 100 a transaction, as the group committer batches them: what
                // is tested is the resume, and 1 000 HTTP posts cost minutes on a loaded CI machine.
                let bobID = try #require(try await app.store.user(email: "bob@example.org")?.id)
                for batch in stride(from: 1, through: 1_000, by: 100) {
                    let messages = (batch..<batch + 100).map { index in
                        NewMessage(
                            channelID: Int64(general), authorID: bobID, body: "missed \(index)", bodyHTML: "<p>missed \(index)</p>", threadID: nil,
                            nonce: "missed-\(index)")
                    }
                    _ = try await app.store.append(messages, now: app.clock.now())
                }

                let second = StreamClient(port: port, headers: StreamClient.bearer(ann))
                #expect(await second.next()?["op"] as? String == "ready")
                try second.send(["op": "subscribe", "ref": 2, "channel": general, "since": 3])
                let frames = await second.frames(until: "caught_up", timeout: 30)
                #expect(frames.first?["op"] as? String == "subscribed")
                #expect(frames.first?["ref"] as? Int == 2)
                let events = frames.filter { $0["op"] as? String == "event" }
                #expect(events.map { $0["seq"] as? Int } == (4...1_003).map { Optional($0) })
                #expect(events.allSatisfy { $0["type"] as? String == "message.created" })
                #expect((events.first?["data"] as? [String: Any])?["body"] as? String == "missed 1")
                #expect(frames.last?["op"] as? String == "caught_up")
                #expect(frames.last?["seq"] as? Int == 1_003)

                _ = try await Self.post(client, general, "live again", token: bob)
                let next = await second.next()
                #expect(next?["seq"] as? Int == 1_004)
                _ = await second.close()
            }
        }
    }

    @Test("a send is acked after commit with its seq, delivered to subscribers once, and a repeated nonce returns the first ack", arguments: TestApp.StoreKind.allCases)
    func sendAndAck(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, _) = try await Self.setUp(app, client)
                let watcher = try await StreamClient.subscribed(port: port, token: bob, channel: general)

                let sender = StreamClient(port: port, headers: StreamClient.bearer(ann))
                _ = await sender.next()
                try sender.send(["op": "send", "ref": "a", "channel": general, "body": "Hello *Ohio*", "nonce": "n-1"])
                let ack = await sender.next()
                #expect(ack?["op"] as? String == "ack")
                #expect(ack?["ref"] as? String == "a")
                #expect(ack?["seq"] as? Int == 1)
                try sender.send(["op": "send", "ref": "b", "channel": general, "body": "Hello *Ohio*", "nonce": "n-1"])
                let again = await sender.next()
                #expect(again?["ref"] as? String == "b")
                #expect(again?["message"] as? Int == ack?["message"] as? Int)
                #expect(again?["seq"] as? Int == 1)

                let event = await watcher.next()
                #expect(event?["op"] as? String == "event")
                #expect((event?["data"] as? [String: Any])?["body_html"] as? String == "<p>Hello <em>Ohio</em></p>")
                try watcher.send(["op": "ping", "ref": "p"])
                #expect(await watcher.next()?["op"] as? String == "pong", "the duplicate send was delivered again")
                let history = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: ann).array("messages")
                #expect(history.count == 1)
                _ = await sender.close()
                _ = await watcher.close()
            }
        }
    }

    @Test("a member of another community can neither subscribe, send, edit, delete, react nor read history, and stays connected", arguments: TestApp.StoreKind.allCases)
    func otherCommunity(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, _, tex) = try await Self.setUp(app, client)
                let stream = StreamClient(port: port, headers: StreamClient.bearer(tex))
                _ = await stream.next()
                try stream.send(["op": "subscribe", "ref": "x", "channel": general])
                let refused = await stream.next()
                #expect(refused?["op"] as? String == "error")
                #expect(refused?["code"] as? String == "forbidden")
                #expect(refused?["ref"] as? String == "x")
                try stream.send(["op": "send", "ref": "y", "channel": general, "body": "hi", "nonce": "t-1"])
                #expect(await stream.next()?["code"] as? String == "forbidden")
                let ohioMessage = try await Self.post(client, general, "Ohio only", token: ann)
                let id = try #require(try await client.call(.get, "/api/v1/channels/\(general)/messages", token: ann).array("messages").first?["id"] as? Int)
                #expect(ohioMessage == 1)
                for frame: [String: Any] in [
                    ["op": "edit", "ref": "e", "message": id, "body": "rewritten"], ["op": "delete", "ref": "d", "message": id],
                    ["op": "react", "ref": "r", "message": id, "emoji": "👍"], ["op": "read", "ref": "m", "channel": general, "seq": 1],
                ] {
                    try stream.send(frame)
                    let refused = await stream.next()
                    #expect(refused?["op"] as? String == "error", "\(frame)")
                    #expect(refused?["code"] as? String == "forbidden", "\(frame)")
                }
                #expect(try await client.call(.get, "/api/v1/channels/\(general)/messages", token: tex).status == .forbidden)
                #expect(try await client.call(.get, "/api/v1/channels/\(general)/messages", token: ann).array("messages").first?["body"] as? String == "Ohio only")
                try stream.send(["op": "ping"])
                #expect(await stream.next()?["op"] as? String == "pong")
                _ = await stream.close()
                #expect(try await client.call(.get, "/api/v1/communities/texas", token: tex).status == .ok)
            }
        }
    }

    @Test("garbage, mistyped and unknown frames get error frames with their ref, and the connection stays open", arguments: TestApp.StoreKind.allCases)
    func badFrames(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, _, _) = try await Self.setUp(app, client)
                let stream = StreamClient(port: port, headers: StreamClient.bearer(ann))
                _ = await stream.next()
                let cases: [(String, String, String?, String?)] = [
                    ("not json at all", "bad_request", nil, nil),
                    ("[1,2,3]", "bad_request", nil, nil),
                    ("{\"op\": 5, \"ref\": \"r1\"}", "validation_failed", "r1", "op"),
                    ("{\"op\": \"fly\", \"ref\": \"r2\"}", "bad_request", "r2", "op"),
                    ("{\"op\": \"subscribe\", \"ref\": \"r3\", \"channel\": \"general\"}", "validation_failed", "r3", "channel"),
                    ("{\"op\": \"subscribe\", \"ref\": \"r4\"}", "validation_failed", "r4", "channel"),
                    ("{\"op\": \"send\", \"ref\": \"r5\", \"channel\": 1, \"body\": \"x\"}", "validation_failed", "r5", "nonce"),
                    ("{\"op\": \"subscribe\", \"ref\": \"r6\", \"channel\": 999999}", "not_found", "r6", nil),
                    ("{\"op\": \"subscribe\", \"ref\": \"r7\", \"channel\": \(general), \"since\": -1}", "validation_failed", "r7", "since"),
                    ("{\"op\": \"subscribe\", \"ref\": \"r8\", \"channel\": \(general), \"since\": 5}", "validation_failed", "r8", "since"),
                ]
                for (text, code, ref, field) in cases {
                    stream.sendRaw(text)
                    let reply = await stream.next()
                    #expect(reply?["op"] as? String == "error", "\(text)")
                    #expect(reply?["code"] as? String == code, "\(text): \(String(describing: reply))")
                    #expect(reply?["ref"] as? String == ref, "\(text)")
                    #expect(reply?["field"] as? String == field, "\(text)")
                }
                try stream.send(["op": "ping", "ref": 9])
                let pong = await stream.next()
                #expect(pong?["op"] as? String == "pong")
                #expect(pong?["ref"] as? Int == 9)
                _ = await stream.close()
            }
        }
    }

    @Test("slow mode holds on the stream as on HTTP, with the wait in the error frame", arguments: TestApp.StoreKind.allCases)
    func slowModeOnStream(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (_, ann, _, _) = try await Self.setUp(app, client)
                let (_, admin) = try await app.user(client, "Admin", admin: true)
                let created = try await client.call(.post, "/api/v1/communities/ohio/channels", json: ["name": "slow", "slow_mode_seconds": 30], token: admin)
                let slow = try #require(created.object["id"] as? Int)
                #expect(try await client.call(.post, "/api/v1/channels/\(slow)/messages", json: ["body": "via http"], token: ann).status == .created)
                let stream = StreamClient(port: port, headers: StreamClient.bearer(ann))
                _ = await stream.next()
                try stream.send(["op": "send", "ref": "s", "channel": slow, "body": "via stream", "nonce": "slow-1"])
                let held = await stream.next()
                #expect(held?["code"] as? String == "rate_limited")
                #expect(held?["ref"] as? String == "s")
                #expect(held?["retry_after"] as? Int == 30)
                _ = await stream.close()
            }
        }
    }

    @Test("an announcement-only channel takes members' sends on the stream as on HTTP: refused, while a moderator's go through", arguments: TestApp.StoreKind.allCases)
    func announcementOnlyOnStream(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (_, ann, _, _) = try await Self.setUp(app, client)
                let (_, admin) = try await app.user(client, "Admin", admin: true)
                let created = try await client.call(.post, "/api/v1/communities/ohio/channels", json: ["name": "news", "announcement_only": true], token: admin)
                let news = try #require(created.object["id"] as? Int)
                let member = StreamClient(port: port, headers: StreamClient.bearer(ann))
                _ = await member.next()
                try member.send(["op": "send", "ref": "m", "channel": news, "body": "may I?", "nonce": "a-1"])
                let refused = await member.next()
                #expect(refused?["code"] as? String == "forbidden")
                #expect(refused?["ref"] as? String == "m")
                #expect(try await client.call(.post, "/api/v1/channels/\(news)/messages", json: ["body": "may I?"], token: ann).status == .forbidden)
                let staff = StreamClient(port: port, headers: StreamClient.bearer(admin))
                _ = await staff.next()
                try staff.send(["op": "send", "ref": "s", "channel": news, "body": "Call moved to Thursday", "nonce": "a-2"])
                #expect(await staff.next()?["seq"] as? Int == 1)
                for stream in [member, staff] { _ = await stream.close() }
            }
        }
    }

    @Test("edits and deletes reach subscribers as events at the next seqs, and a resume replays them", arguments: TestApp.StoreKind.allCases)
    func editAndDeleteEvents(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, _) = try await Self.setUp(app, client)
                let watcher = try await StreamClient.subscribed(port: port, token: bob, channel: general)

                let author = StreamClient(port: port, headers: StreamClient.bearer(ann))
                _ = await author.next()
                try author.send(["op": "send", "ref": 1, "channel": general, "body": "draft", "nonce": "e-1"])
                let sent = await author.next()
                let id = try #require(sent?["message"] as? Int)
                try author.send(["op": "edit", "ref": 2, "message": id, "body": "final"])
                #expect(await author.next()?["seq"] as? Int == 2)
                try author.send(["op": "delete", "ref": 3, "message": id])
                #expect(await author.next()?["seq"] as? Int == 3)
                try author.send(["op": "edit", "ref": 4, "message": id, "body": "again"])
                #expect(await author.next()?["code"] as? String == "conflict")

                var seen: [(Int, String)] = []
                for _ in 0..<3 {
                    let frame = await watcher.next()
                    seen.append((frame?["seq"] as? Int ?? -1, frame?["type"] as? String ?? "?"))
                }
                #expect(seen.map(\.0) == [1, 2, 3])
                #expect(seen.map(\.1) == ["message.created", "message.edited", "message.deleted"])

                let resumed = StreamClient(port: port, headers: StreamClient.bearer(bob))
                _ = await resumed.next()
                try resumed.send(["op": "subscribe", "channel": general, "since": 1])
                let replay = await resumed.frames(until: "caught_up").filter { $0["op"] as? String == "event" }
                #expect(replay.map { $0["type"] as? String } == ["message.edited", "message.deleted"])
                #expect((replay.last?["data"] as? [String: Any])?["deleted"] as? Bool == true)
                for stream in [watcher, author, resumed] { _ = await stream.close() }
            }
        }
    }

    @Test("typing reaches the channel's other subscribers, not the typist, and only from those who may post", arguments: TestApp.StoreKind.allCases)
    func typing(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, tex) = try await Self.setUp(app, client)
                var streams: [StreamClient] = []
                for token in [ann, bob] {
                    let stream = try await StreamClient.subscribed(port: port, token: token, channel: general)
                    streams.append(stream)
                }
                try streams[0].send(["op": "typing", "channel": general])
                try streams[0].send(["op": "typing", "channel": general])
                try streams[0].send(["op": "ping", "ref": "after"])
                #expect(await streams[0].next()?["op"] as? String == "pong", "the typist got its own typing frame")
                let typing = await streams[1].next()
                #expect(typing?["op"] as? String == "typing")
                #expect(typing?["channel"] as? Int == general)
                #expect(typing?["name"] as? String == "Ann")
                try streams[1].send(["op": "ping"])
                #expect(await streams[1].next()?["op"] as? String == "pong", "a second typing within 3 s was not coalesced")

                let outsider = StreamClient(port: port, headers: StreamClient.bearer(tex))
                _ = await outsider.next()
                try outsider.send(["op": "typing", "ref": "t", "channel": general])
                #expect(await outsider.next()?["code"] as? String == "forbidden")
                for stream in streams + [outsider] { _ = await stream.close() }
            }
        }
    }

    @Test("an oversized message closes the socket with 1009, in one frame or in fragments", arguments: TestApp.StoreKind.allCases)
    func oversized(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store, { $0.maxFrameBytes = 4096 }) { app in
            try await app.live { client, port async throws in
                let (general, ann, _, _) = try await Self.setUp(app, client)
                for clientFrame in [1 << 16, 1024] {
                    let stream = StreamClient(port: port, headers: StreamClient.bearer(ann), maxFrame: clientFrame)
                    _ = await stream.next()
                    try stream.send(["op": "send", "channel": general, "body": String(repeating: "x", count: 5000), "nonce": "big"])
                    #expect(await stream.next() == nil)
                    #expect(await stream.closeCode() == .messageTooLarge, "client frames of \(clientFrame) bytes")
                }
                let history = try await client.call(.get, "/api/v1/channels/\(general)/messages", token: ann).array("messages")
                #expect(history.isEmpty)
            }
        }
    }

    @Test("the upgrade needs a credential and refuses a foreign Origin; a ticket opens it once", arguments: TestApp.StoreKind.allCases)
    func upgrade(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (_, ann, _, _) = try await Self.setUp(app, client)
                let anonymous = StreamClient(port: port)
                #expect(await anonymous.next() == nil)
                #expect(await anonymous.upgradeFailed())

                var foreign = StreamClient.bearer(ann)
                foreign[.origin] = "https://evil.example"
                let refused = StreamClient(port: port, headers: foreign)
                #expect(await refused.next() == nil)
                #expect(await refused.upgradeFailed())

                let ticket = try await client.call(.post, "/api/v1/stream/tickets", token: ann)
                #expect(ticket.status == .created)
                let code = try #require(ticket.string("ticket"))
                let withTicket = StreamClient(port: port, path: "/api/v1/stream?ticket=\(code)")
                #expect(await withTicket.next()?["op"] as? String == "ready")
                _ = await withTicket.close()
                let reused = StreamClient(port: port, path: "/api/v1/stream?ticket=\(code)")
                #expect(await reused.next() == nil)
                #expect(await reused.upgradeFailed())
            }
        }
    }

    @Test("a reaction from the stream reaches subscribers as reaction.changed at the next seq, and a resume replays it", arguments: TestApp.StoreKind.allCases)
    func reactions(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, tex) = try await Self.setUp(app, client)
                let watcher = try await StreamClient.subscribed(port: port, token: ann, channel: general)
                _ = try await Self.post(client, general, "Who is coming on Tuesday?", token: ann)
                let created = await watcher.next()
                let id = try #require((created?["data"] as? [String: Any])?["id"] as? Int)

                let reactor = StreamClient(port: port, headers: StreamClient.bearer(bob))
                _ = await reactor.next()
                try reactor.send(["op": "react", "ref": "r", "message": id, "emoji": "🙋"])
                let ack = await reactor.next()
                #expect(ack?["op"] as? String == "ack")
                #expect(ack?["seq"] as? Int == 2)
                try reactor.send(["op": "react", "ref": "bad", "message": id, "emoji": "no"])
                #expect(await reactor.next()?["field"] as? String == "emoji")

                let event = await watcher.next()
                #expect(event?["type"] as? String == "reaction.changed")
                #expect(event?["seq"] as? Int == 2)
                let reactions = (event?["data"] as? [String: Any])?["reactions"] as? [[String: Any]]
                #expect(reactions?.first?["emoji"] as? String == "🙋")

                let outsider = StreamClient(port: port, headers: StreamClient.bearer(tex))
                _ = await outsider.next()
                try outsider.send(["op": "react", "ref": "x", "message": id, "emoji": "🙋"])
                #expect(await outsider.next()?["code"] as? String == "forbidden")

                let replay = StreamClient(port: port, headers: StreamClient.bearer(bob))
                _ = await replay.next()
                try replay.send(["op": "subscribe", "channel": general, "since": 1])
                let frames = await replay.frames(until: "caught_up").filter { $0["op"] as? String == "event" }
                #expect(frames.map { $0["type"] as? String } == ["reaction.changed"])
                for stream in [watcher, reactor, outsider, replay] { _ = await stream.close() }
            }
        }
    }

    @Test("read on one connection answers it and moves the marker on the user's other connections, not on others'", arguments: TestApp.StoreKind.allCases)
    func readSync(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, _) = try await Self.setUp(app, client)
                app.clock.advance(60)
                for index in 1...2 { _ = try await Self.post(client, general, "note \(index)", token: bob) }
                let phone = StreamClient(port: port, headers: StreamClient.bearer(ann))
                let laptop = StreamClient(port: port, headers: StreamClient.bearer(ann))
                let other = StreamClient(port: port, headers: StreamClient.bearer(bob))
                for stream in [phone, laptop, other] { _ = await stream.next() }

                try phone.send(["op": "read", "ref": "r", "channel": general, "seq": 1])
                let answer = await phone.next()
                #expect(answer?["op"] as? String == "read")
                #expect(answer?["ref"] as? String == "r")
                #expect(answer?["read_seq"] as? Int == 1)
                #expect(answer?["unread_count"] as? Int == 1)
                let synced = await laptop.next()
                #expect(synced?["op"] as? String == "read")
                #expect(synced?["channel"] as? Int == general)
                #expect(synced?["read_seq"] as? Int == 1)
                #expect(synced?["ref"] == nil)
                try other.send(["op": "ping"])
                #expect(await other.next()?["op"] as? String == "pong", "another user saw Ann's marker")

                try phone.send(["op": "read", "ref": "late", "channel": general, "seq": 9])
                #expect(await phone.next()?["field"] as? String == "seq")
                for stream in [phone, laptop, other] { _ = await stream.close() }
            }
        }
    }

    @Test("a mention reaches the named user's open connections at once, and marking it read reaches them too", arguments: TestApp.StoreKind.allCases)
    func liveNotifications(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (general, ann, bob, _) = try await Self.setUp(app, client)
                let phone = StreamClient(port: port, headers: StreamClient.bearer(bob))
                let laptop = StreamClient(port: port, headers: StreamClient.bearer(bob))
                for stream in [phone, laptop] { _ = await stream.next() }
                _ = try await Self.post(client, general, "@Bob can you take notes?", token: ann)
                for stream in [phone, laptop] {
                    let frame = await stream.next()
                    #expect(frame?["op"] as? String == "notification")
                    #expect(frame?["unread_count"] as? Int == 1)
                    #expect((frame?["notification"] as? [String: Any])?["excerpt"] as? String == "@Bob can you take notes?")
                }
                let id = try #require(try await client.call(.get, "/api/v1/notifications", token: bob).array("notifications").first?["id"] as? Int)
                _ = try await client.call(.post, "/api/v1/notifications/read", json: ["ids": [id]], token: bob)
                for stream in [phone, laptop] {
                    let frame = await stream.next()
                    #expect(frame?["op"] as? String == "notifications_read")
                    #expect(frame?["ids"] as? [Int] == [id])
                    #expect(frame?["unread_count"] as? Int == 0)
                }
                for stream in [phone, laptop] { _ = await stream.close() }
            }
        }
    }

    @Test("presence: watchers of a community see a member come online, go away and go offline after the grace; outsiders may not watch", arguments: TestApp.StoreKind.allCases)
    func presence(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store, { $0.presenceGraceSeconds = 1 }) { app in
            try await app.live { client, port async throws in
                let (_, ann, bob, tex) = try await Self.setUp(app, client)
                let ohio = try #require((try await client.call(.get, "/api/v1/communities/ohio", token: ann).object["community"] as? [String: Any])?["id"] as? Int)
                let watcher = StreamClient(port: port, headers: StreamClient.bearer(ann))
                _ = await watcher.next()
                try await Task.sleep(for: .milliseconds(1_200))
                try watcher.send(["op": "watch_presence", "ref": "w", "community": ohio])
                let state = await watcher.next()
                #expect(state?["op"] as? String == "presence_state")
                #expect(state?["ref"] as? String == "w")
                let users = state?["users"] as? [[String: Any]]
                #expect(users?.map { $0["name"] as? String } == ["Ann"])

                let bobStream = StreamClient(port: port, headers: StreamClient.bearer(bob))
                _ = await bobStream.next()
                let online = await watcher.next()
                #expect(online?["op"] as? String == "presence")
                #expect(online?["community"] as? Int == ohio)
                #expect(online?["name"] as? String == "Bob")
                #expect(online?["status"] as? String == "online")

                try bobStream.send(["op": "presence", "ref": "p", "status": "away"])
                #expect(await bobStream.next()?["op"] as? String == "presence_set")
                #expect(await watcher.next()?["status"] as? String == "away")
                try bobStream.send(["op": "presence", "ref": "q", "status": "offline"])
                #expect(await bobStream.next()?["field"] as? String == "status")

                let texStream = StreamClient(port: port, headers: StreamClient.bearer(tex))
                _ = await texStream.next()
                try texStream.send(["op": "watch_presence", "ref": "t", "community": ohio])
                #expect(await texStream.next()?["code"] as? String == "forbidden")

                _ = await bobStream.close()
                let offline = await watcher.next()
                #expect(offline?["status"] as? String == "offline")
                #expect(offline?["name"] as? String == "Bob")
                try watcher.send(["op": "ping"])
                #expect(await watcher.next()?["op"] as? String == "pong", "Tex, a Texas member, showed up in Ohio")
                for stream in [watcher, texStream] { _ = await stream.close() }
            }
        }
    }

    @Test("the upgrade accepts permessage-deflate when the client offers it, and not otherwise", arguments: TestApp.StoreKind.allCases)
    func compression(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (_, ann, _, _) = try await Self.setUp(app, client)
                let offered = try RawSocket(port: port).upgrade(port: port, token: ann, headers: "Sec-WebSocket-Extensions: permessage-deflate\r\n")
                #expect(offered.hasPrefix("HTTP/1.1 101"), "\(offered)")
                #expect(offered.lowercased().contains("sec-websocket-extensions: permessage-deflate"), "\(offered)")
                let plain = try RawSocket(port: port).upgrade(port: port, token: ann)
                #expect(plain.hasPrefix("HTTP/1.1 101"))
                #expect(!plain.lowercased().contains("permessage-deflate"))
            }
        }
    }
}
