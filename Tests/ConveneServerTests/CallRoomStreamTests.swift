import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

/// The live call room over the stream, against a real server on a free port.
@Suite("call rooms over the stream", .timeLimit(.minutes(3)))
struct CallRoomStreamTests {
    struct Cast {
        var occurrence: String
        var fac: String
        var facID: Int
        var ann: String
        var annID: Int
        var bob: String
        var bobID: Int
        var tex: String
        var texID: Int
    }

    /// Ohio's October call, its lobby open (the clock set 10 minutes before the start): Mo (a
    /// moderator, so facilitator), Ann (said going), Bob (did not answer), Tex (of Texas only).
    static func cast(_ app: TestApp, _ client: any TestClientProtocol) async throws -> Cast {
        // The clock first: sessions made before a three-week jump would have expired.
        let start = try #require(ISO8601DateFormatter().date(from: "2026-10-13T20:00:00Z"))
        app.clock.advance(start.timeIntervalSince(app.clock.now()) - 600)
        let (_, ann, bob, tex) = try await StreamTests.setUp(app, client)
        let (mod, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
        let fall = try #require(try await CallsHTTPTests.ohioSeries(client).first?["id"] as? Int)
        let occurrence = "\(fall)-20261013T1600"
        let rsvp = try await client.call(.post, "/api/v1/occurrences/\(occurrence)/rsvp", json: ["status": "going"], token: ann)
        #expect(rsvp.status == .ok, "\(rsvp.body)")
        func id(_ token: String) async throws -> Int {
            try #require((try await client.call(.get, "/api/v1/me", token: token).object["user"] as? [String: Any])?["id"] as? Int)
        }
        return Cast(
            occurrence: occurrence, fac: modToken, facID: Int(mod.id), ann: ann, annID: try await id(ann), bob: bob, bobID: try await id(bob), tex: tex,
            texID: try await id(tex))
    }

    /// A ready client of `token`'s user.
    static func connect(_ port: Int, _ token: String) async throws -> StreamClient {
        let client = StreamClient(port: port, headers: StreamClient.bearer(token))
        #expect(await client.next()?["op"] as? String == "ready")
        return client
    }

    /// Sends `frame` with a ref and returns the reply carrying that ref (other frames skipped).
    static func ask(_ client: StreamClient, _ frame: [String: Any], ref: String = UUID().uuidString) async throws -> [String: Any] {
        var frame = frame
        frame["ref"] = ref
        try client.send(frame)
        while let reply = await client.next(timeout: 20) {
            if reply["ref"] as? String == ref { return reply }
        }
        Issue.record("no reply to \(frame)")
        return [:]
    }

    /// The next `call.event` of `type` (others skipped).
    static func event(_ client: StreamClient, _ type: String, timeout: Double = 20) async -> [String: Any]? {
        while let frame = await client.next(timeout: timeout) {
            if frame["op"] as? String == "call.event", frame["type"] as? String == type { return frame }
        }
        return nil
    }

    /// The next frame with `op` (others skipped).
    static func frame(_ client: StreamClient, _ op: String, timeout: Double = 20) async -> [String: Any]? {
        while let frame = await client.next(timeout: timeout) {
            if frame["op"] as? String == op { return frame }
        }
        return nil
    }

    static func code(_ reply: [String: Any]) -> String? { reply["op"] as? String == "error" ? reply["code"] as? String : nil }

    @Test("members who said going enter, others knock and are admitted; two participants exchange offer, answer and ICE as sent, and nobody outside the room can signal them",
        arguments: TestApp.StoreKind.allCases)
    func joinKnockAndSignal(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store, {
            $0.callSTUNURLs = ["stun:stun.example.org:3478"]
            $0.callTURNURLs = ["turn:turn.example.org:3478?transport=udp"]
            $0.callTURNSecret = "shared-secret"
        }) { app in
            try await app.live { client, port async throws in
                let cast = try await Self.cast(app, client)
                let occ = cast.occurrence
                let fac = try await Self.connect(port, cast.fac)
                let facState = try await Self.ask(fac, ["op": "call.join", "occurrence": occ])
                #expect(facState["op"] as? String == "call.state", "\(facState)")
                #expect(facState["phase"] as? String == "lobby")
                #expect((facState["you"] as? [String: Any])?["role"] as? String == "facilitator")
                let chat = try #require(facState["chat_channel"] as? Int)
                let ice = facState["ice_servers"] as? [[String: Any]] ?? []
                #expect(ice.count == 2)
                let turn = try #require(ice.last)
                #expect((turn["username"] as? String)?.hasSuffix(":\(cast.facID)") == true, "TURN credentials are the user's own")
                #expect(turn["credential"] as? String != nil)

                let ann = try await Self.connect(port, cast.ann)
                let annState = try await Self.ask(ann, ["op": "call.join", "occurrence": occ])
                #expect((annState["you"] as? [String: Any])?["status"] as? String == "in_room")
                #expect((annState["participants"] as? [[String: Any]])?.count == 2)
                let entered = await Self.event(fac, "entered")
                #expect((entered?["data"] as? [String: Any])?["user"] as? Int == cast.annID)

                // Bob did not answer: he knocks, and only a host lets him in.
                let bob = try await Self.connect(port, cast.bob)
                #expect(Self.code(try await Self.ask(bob, ["op": "call.join", "occurrence": occ])) == "forbidden")
                let knocking = try await Self.ask(bob, ["op": "call.knock", "occurrence": occ])
                #expect((knocking["you"] as? [String: Any])?["status"] as? String == "knocking")
                #expect((knocking["participants"] as? [[String: Any]])?.isEmpty == true, "a knocker does not see who is inside")
                #expect((await Self.event(fac, "knocked"))?["data"].flatMap { ($0 as? [String: Any])?["user"] as? Int } == cast.bobID)
                #expect(Self.code(try await Self.ask(ann, ["op": "call.admit", "occurrence": occ, "user": cast.bobID])) == "forbidden")
                #expect(try await Self.ask(fac, ["op": "call.admit", "occurrence": occ, "user": cast.bobID])["op"] as? String == "call.ack")
                let admittedState = await Self.frame(bob, "call.state")
                #expect((admittedState?["you"] as? [String: Any])?["status"] as? String == "in_room")
                #expect(admittedState?["chat_channel"] as? Int == chat)

                // Tex is no member of Ohio: he can neither join nor signal anyone in the room.
                let tex = try await Self.connect(port, cast.tex)
                #expect(Self.code(try await Self.ask(tex, ["op": "call.join", "occurrence": occ])) == "forbidden")
                let offer: [String: Any] = ["type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"]
                #expect(Self.code(try await Self.ask(tex, ["op": "call.signal", "occurrence": occ, "to": cast.bobID, "kind": "offer", "data": offer])) == "conflict")

                // Media starts when the facilitator starts the call.
                #expect(Self.code(try await Self.ask(ann, ["op": "call.signal", "occurrence": occ, "to": cast.bobID, "kind": "offer", "data": offer])) == "conflict")
                #expect(Self.code(try await Self.ask(ann, ["op": "call.start", "occurrence": occ])) == "forbidden")
                _ = try await Self.ask(fac, ["op": "call.start", "occurrence": occ])
                #expect((await Self.event(bob, "phase"))?["data"].flatMap { ($0 as? [String: Any])?["phase"] as? String } == "live")

                try ann.send(["op": "call.signal", "occurrence": occ, "to": cast.bobID, "kind": "offer", "data": offer])
                let relayed = try #require(await Self.frame(bob, "call.signal"))
                #expect(relayed["from"] as? Int == cast.annID)
                #expect(relayed["kind"] as? String == "offer")
                #expect(relayed["data"] as? [String: String] == offer as? [String: String])
                try bob.send(["op": "call.signal", "occurrence": occ, "to": cast.annID, "kind": "answer", "data": ["type": "answer", "sdp": "v=0\r\n"]])
                #expect((await Self.frame(ann, "call.signal"))?["kind"] as? String == "answer")
                let candidate: [String: Any] = ["candidate": "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host", "sdpMid": "0", "sdpMLineIndex": 0]
                try bob.send(["op": "call.signal", "occurrence": occ, "to": cast.annID, "kind": "ice", "data": candidate])
                let ice2 = try #require(await Self.frame(ann, "call.signal"))
                let carried = try #require(ice2["data"] as? [String: Any])
                #expect(carried["sdpMid"] as? String == "0", "keys arrive as sent, not snake_cased")
                #expect(carried["sdpMLineIndex"] as? Int == 0)

                // Refusals: a bad kind, data too large, someone not in the room, oneself.
                #expect(Self.code(try await Self.ask(ann, ["op": "call.signal", "occurrence": occ, "to": cast.bobID, "kind": "hello", "data": 1])) == "validation_failed")
                let huge = String(repeating: "a", count: 20_000)
                #expect(Self.code(try await Self.ask(ann, ["op": "call.signal", "occurrence": occ, "to": cast.bobID, "kind": "offer", "data": huge])) == "payload_too_large")
                #expect(Self.code(try await Self.ask(ann, ["op": "call.signal", "occurrence": occ, "to": cast.texID, "kind": "offer", "data": offer])) == "not_found")
                #expect(Self.code(try await Self.ask(ann, ["op": "call.signal", "occurrence": occ, "to": cast.annID, "kind": "offer", "data": offer])) == "not_found")
                #expect(Self.code(try await Self.ask(ann, ["op": "call.signal", "occurrence": occ, "to": cast.bobID, "kind": "offer"])) == "validation_failed")

                // Nobody outside the room got anything of it.
                try tex.send(["op": "ping"])
                #expect(await tex.next()?["op"] as? String == "pong")

                // A dropped connection leaves the room.
                _ = await bob.close()
                #expect((await Self.event(ann, "left"))?["data"].flatMap { ($0 as? [String: Any])?["user"] as? Int } == cast.bobID)
                for stream in [fac, ann, tex] { _ = await stream.close() }
            }
        }
    }

    @Test("in-call chat is acked after commit and reaches the room's chat channel; hands are seen by hosts; the removed are out until let in again; a dropped participant rejoins; the end closes the room",
        arguments: TestApp.StoreKind.allCases)
    func chatHandsRemoveEnd(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let cast = try await Self.cast(app, client)
                let occ = cast.occurrence
                let fac = try await Self.connect(port, cast.fac)
                _ = try await Self.ask(fac, ["op": "call.join", "occurrence": occ])
                var ann = try await Self.connect(port, cast.ann)
                let state = try await Self.ask(ann, ["op": "call.join", "occurrence": occ])
                let chat = try #require(state["chat_channel"] as? Int)
                let bob = try await Self.connect(port, cast.bob)
                _ = try await Self.ask(bob, ["op": "call.knock", "occurrence": occ])
                _ = try await Self.ask(fac, ["op": "call.admit", "occurrence": occ, "user": cast.bobID])
                #expect((await Self.frame(bob, "call.state"))?["chat_channel"] as? Int == chat)

                // Chat: Bob follows the chat channel like any channel; Ann's message is acked with its seq.
                let subscribed = try await Self.ask(bob, ["op": "subscribe", "channel": chat])
                #expect(subscribed["op"] as? String == "subscribed", "\(subscribed)")
                let ack = try await Self.ask(ann, ["op": "call.chat", "occurrence": occ, "body": "Hello all", "nonce": "n-1"])
                #expect(ack["op"] as? String == "ack", "\(ack)")
                let seq = try #require(ack["seq"] as? Int)
                let again = try await Self.ask(ann, ["op": "call.chat", "occurrence": occ, "body": "Hello all", "nonce": "n-1"])
                #expect(again["seq"] as? Int == seq, "a repeated nonce returns the first ack")
                let event = try #require(await Self.frame(bob, "event"))
                #expect((event["data"] as? [String: Any])?["body"] as? String == "Hello all")
                #expect(event["seq"] as? Int == seq)
                let tex = try await Self.connect(port, cast.tex)
                #expect(Self.code(try await Self.ask(tex, ["op": "call.chat", "occurrence": occ, "body": "hi", "nonce": "t"])) == "conflict")
                #expect(["forbidden", "not_found"].contains(Self.code(try await Self.ask(tex, ["op": "subscribe", "channel": chat]))), "the chat is the room's")

                // Hands: once live; hosts see them all, a participant only their own.
                _ = try await Self.ask(fac, ["op": "call.start", "occurrence": occ])
                _ = try await Self.ask(bob, ["op": "call.hand", "occurrence": occ, "raised": true])
                #expect((await Self.event(fac, "hand"))?["data"].flatMap { ($0 as? [String: Any])?["user"] as? Int } == cast.bobID)
                let annView = try await Self.ask(ann, ["op": "call.join", "occurrence": occ])
                #expect(annView["hands"] as? [Int] == [], "Ann does not see Bob's hand")
                let facView = try await Self.ask(fac, ["op": "call.join", "occurrence": occ])
                #expect(facView["hands"] as? [Int] == [cast.bobID])

                // Ann drops and comes back: she said going, so she is let straight in again.
                _ = await ann.close()
                #expect((await Self.event(fac, "left"))?["data"].flatMap { ($0 as? [String: Any])?["user"] as? Int } == cast.annID)
                ann = try await Self.connect(port, cast.ann)
                #expect((try await Self.ask(ann, ["op": "call.join", "occurrence": occ])["you"] as? [String: Any])?["status"] as? String == "in_room")

                // Removed: out, and refused until let in again.
                #expect(Self.code(try await Self.ask(ann, ["op": "call.remove", "occurrence": occ, "user": cast.bobID])) == "forbidden")
                _ = try await Self.ask(fac, ["op": "call.remove", "occurrence": occ, "user": cast.bobID])
                #expect((await Self.event(bob, "removed"))?["data"].flatMap { ($0 as? [String: Any])?["user"] as? Int } == cast.bobID)
                #expect(Self.code(try await Self.ask(bob, ["op": "call.hand", "occurrence": occ, "raised": true])) != nil)
                #expect(Self.code(try await Self.ask(bob, ["op": "call.join", "occurrence": occ])) == "forbidden")

                // Mute all, lock, end.
                _ = try await Self.ask(fac, ["op": "call.mute_all", "occurrence": occ])
                #expect((await Self.event(ann, "muted"))?["data"].flatMap { ($0 as? [String: Any])?["muted"] as? Bool } == true)
                #expect(Self.code(try await Self.ask(fac, ["op": "call.mute", "occurrence": occ, "user": cast.annID, "muted": false])) == "forbidden")
                _ = try await Self.ask(ann, ["op": "call.mute", "occurrence": occ, "muted": false])
                _ = try await Self.ask(fac, ["op": "call.lock", "occurrence": occ, "locked": true])
                #expect((await Self.event(ann, "locked")) != nil)
                _ = try await Self.ask(fac, ["op": "call.end", "occurrence": occ])
                #expect((await Self.event(ann, "phase"))?["data"].flatMap { ($0 as? [String: Any])?["phase"] as? String } == "ended")
                #expect(Self.code(try await Self.ask(ann, ["op": "call.join", "occurrence": occ])) == "conflict")
                for stream in [fac, ann, bob, tex] { _ = await stream.close() }
            }
        }
    }

    @Test("attendance comes from the room's log: minutes while the call was on, each stay counted, per person and organization, in JSON and CSV, for facilitators only; a series tallies calls attended per organization",
        arguments: TestApp.StoreKind.allCases)
    func attendance(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let cast = try await Self.cast(app, client)
                let occ = cast.occurrence
                #expect(try await client.call(.patch, "/api/v1/me", json: ["organization": "nassau-boces"], token: cast.ann).status == .ok)
                let fac = try await Self.connect(port, cast.fac)
                _ = try await Self.ask(fac, ["op": "call.join", "occurrence": occ])
                var ann = try await Self.connect(port, cast.ann)
                _ = try await Self.ask(ann, ["op": "call.join", "occurrence": occ])
                app.clock.advance(600)  // the start: lobby time does not count
                _ = try await Self.ask(fac, ["op": "call.start", "occurrence": occ])
                app.clock.advance(20 * 60)
                _ = await ann.close()  // a dropped connection is a leave
                #expect(await Self.event(fac, "left") != nil)
                app.clock.advance(5 * 60)
                ann = try await Self.connect(port, cast.ann)
                _ = try await Self.ask(ann, ["op": "call.join", "occurrence": occ])
                app.clock.advance(15 * 60)
                _ = try await Self.ask(fac, ["op": "call.end", "occurrence": occ])
                app.clock.advance(60 * 60)  // long after: nothing more counts

                #expect(try await client.call(.get, "/api/v1/occurrences/\(occ)/attendance", token: cast.ann).status == .forbidden)
                let report = try await client.call(.get, "/api/v1/occurrences/\(occ)/attendance", token: cast.fac)
                #expect(report.status == .ok, "\(report.body)")
                let people = report.array("people")
                let annRow = try #require(people.first { $0["user"] as? Int == cast.annID })
                #expect(annRow["minutes"] as? Int == 35, "20 + 15 minutes while live")
                #expect(annRow["name"] as? String == "Ann")
                #expect((annRow["organization"] as? [String: Any])?["slug"] as? String == "nassau-boces")
                #expect(annRow["first_join"] as? String == "2026-10-13T19:50:00Z")
                #expect(annRow["last_leave"] as? String == "2026-10-13T20:40:00Z")
                #expect(people.first { $0["user"] as? Int == cast.facID }?["minutes"] as? Int == 40)
                let organizations = report.array("organizations")
                #expect(organizations.first { ($0["organization"] as? [String: Any])?["slug"] as? String == "nassau-boces" }?["minutes"] as? Int == 35)
                #expect((report.object["window"] as? [String: Any])?["from"] as? String == "2026-10-13T20:00:00Z")

                let csv = try await client.call(.get, "/api/v1/occurrences/\(occ)/attendance.csv", token: cast.fac)
                #expect(csv.status == .ok)
                #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
                let lines = csv.body.components(separatedBy: "\r\n")
                #expect(lines.first == "user_id,name,organization,first_join,last_leave,minutes")
                #expect(lines.contains { $0.hasPrefix("\(cast.annID),Ann,") && $0.hasSuffix(",35") }, "\(lines)")

                let series = occ.split(separator: "-").first.map(String.init) ?? ""
                let tally = try await client.call(
                    .get, "/api/v1/call-series/\(series)/attendance?from=2026-09-01T00:00:00Z&to=2026-12-31T00:00:00Z", token: cast.fac)
                #expect(tally.status == .ok, "\(tally.body)")
                #expect(tally.array("calls").count == 1)
                let nassau = tally.array("organizations").first { ($0["organization"] as? [String: Any])?["slug"] as? String == "nassau-boces" }
                #expect(nassau?["calls_attended"] as? Int == 1)
                #expect(nassau?["people"] as? Int == 1)
                #expect(try await client.call(.get, "/api/v1/call-series/\(series)/attendance?from=nope", token: cast.fac).errorField == "from")
                let tallyCSV = try await client.call(.get, "/api/v1/call-series/\(series)/attendance.csv?from=2026-09-01T00:00:00Z", token: cast.fac)
                #expect(tallyCSV.body.components(separatedBy: "\r\n").contains { $0.hasPrefix("Nassau") && $0.contains(",1,1,1,35") }, "\(tallyCSV.body)")
                for stream in [fac, ann] { _ = await stream.close() }
            }
        }
    }

    @Test("★ when a call ends, the questions it left unanswered become forum questions by their askers, tagged and linked to the call, each once",
        arguments: TestApp.StoreKind.allCases)
    func unansweredBecomeForumQuestions(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let cast = try await Self.cast(app, client)
                let occ = cast.occurrence
                let fac = try await Self.connect(port, cast.fac)
                _ = try await Self.ask(fac, ["op": "call.join", "occurrence": occ])
                let ann = try await Self.connect(port, cast.ann)
                _ = try await Self.ask(ann, ["op": "call.join", "occurrence": occ])
                #expect(Self.code(try await Self.ask(ann, ["op": "call.ask", "occurrence": occ, "text": " "])) == "validation_failed")
                _ = try await Self.ask(ann, ["op": "call.ask", "occurrence": occ, "text": "How do we keep SEL going over the summer?"])
                _ = try await Self.ask(ann, ["op": "call.ask", "occurrence": occ, "text": "Where are the slides?"])
                #expect((await Self.event(fac, "asked"))?["data"].flatMap { ($0 as? [String: Any])?["id"] as? Int } == 1)
                _ = try await Self.ask(fac, ["op": "call.upvote", "occurrence": occ, "question": 1])
                #expect(Self.code(try await Self.ask(ann, ["op": "call.answered", "occurrence": occ, "question": 2])) == "forbidden")
                _ = try await Self.ask(fac, ["op": "call.answered", "occurrence": occ, "question": 2])
                let state = try await Self.ask(ann, ["op": "call.join", "occurrence": occ])
                #expect((state["questions"] as? [[String: Any]])?.compactMap { $0["upvotes"] as? Int } == [1, 0])
                _ = try await Self.ask(fac, ["op": "call.start", "occurrence": occ])
                _ = try await Self.ask(fac, ["op": "call.end", "occurrence": occ])

                let listed = try await client.call(.get, "/api/v1/communities/ohio/questions?tag=best-practices-call").array("questions")
                #expect(listed.count == 1, "only the unanswered one: \(listed)")
                let carried = try #require(listed.first)
                #expect(carried["title"] as? String == "How do we keep SEL going over the summer?")
                #expect(carried["source_occurrence_id"] as? String == occ)
                #expect((carried["author"] as? [String: Any])?["id"] as? Int == cast.annID)
                let page = try await client.call(.get, "/api/v1/questions/\(try #require(carried["id"] as? Int))")
                let body = try #require((page.object["question"] as? [String: Any])?["body"] as? String ?? page.object["body"] as? String)
                #expect(body.contains("Asked during **"), "\(body)")
                #expect(body.contains("1 other participant wanted it answered too."), "\(body)")
                // Carried once: the store refuses the same call question again.
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                await #expect(throws: ConveneError.self) {
                    _ = try await app.store.createQuestion(
                        communityID: ohio.id, authorID: Int64(cast.annID), title: "again", body: "again", bodyHTML: "again", tags: ["best-practices-call"],
                        source: .call(occurrence: occ, question: 1), heldBy: nil, notify: [:], now: app.clock.now())
                }
                for stream in [fac, ann] { _ = await stream.close() }
            }
        }
    }

    @Test("past the mesh limit the room says so and offers audio only and the configured SFU; back under it, mesh again")
    func meshLimit() async throws {
        try await TestApp.with(.sqlite, {
            $0.callMeshLimit = 2
            $0.callSFUURL = "https://sfu.example.org/join"
        }) { app in
            try await app.live { client, port async throws in
                let cast = try await Self.cast(app, client)
                let occ = cast.occurrence
                let fac = try await Self.connect(port, cast.fac)
                _ = try await Self.ask(fac, ["op": "call.join", "occurrence": occ])
                let ann = try await Self.connect(port, cast.ann)
                let two = try await Self.ask(ann, ["op": "call.join", "occurrence": occ])
                #expect((two["media"] as? [String: Any])?["mode"] as? String == "mesh")
                #expect((two["media"] as? [String: Any])?["sfu_url"] == nil)
                let bob = try await Self.connect(port, cast.bob)
                _ = try await Self.ask(bob, ["op": "call.knock", "occurrence": occ])
                _ = try await Self.ask(fac, ["op": "call.admit", "occurrence": occ, "user": cast.bobID])
                let media = try #require(await Self.event(ann, "media")?["data"] as? [String: Any])
                #expect(media["mode"] as? String == "audio_only")
                #expect(media["sfu_url"] as? String == "https://sfu.example.org/join")
                #expect(media["participants"] as? Int == 3)
                #expect(media["mesh_limit"] as? Int == 2)
                let bobState = try #require(await Self.frame(bob, "call.state"))
                #expect((bobState["media"] as? [String: Any])?["mode"] as? String == "audio_only")
                _ = try await Self.ask(bob, ["op": "call.leave", "occurrence": occ])
                #expect((await Self.event(ann, "media")?["data"] as? [String: Any])?["mode"] as? String == "mesh")
                for stream in [fac, ann, bob] { _ = await stream.close() }
            }
        }
    }
}
