import ConveneCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Logging
import Testing
@testable import ConveneServer
@testable import ConveneStore

/// Two nodes on one PostgreSQL database, as in a scaled-out deployment: what one commits reaches
/// the other's stream clients through LISTEN/NOTIFY. Runs when `POSTGRES_URL` is set.
@Suite("Two nodes", .enabled(if: ProcessInfo.processInfo.environment["POSTGRES_URL"] != nil), .timeLimit(.minutes(2)))
struct TwoNodeTests {
    /// A fresh database on the `POSTGRES_URL` server, and two stores (two pools, as two processes would have) on it.
    static func withTwoStores(_ body: @Sendable (PostgresStore, PostgresStore) async throws -> Void) async throws {
        let base = try #require(ProcessInfo.processInfo.environment["POSTGRES_URL"])
        var components = try #require(URLComponents(string: base))
        let name = "convene_nodes_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        var logger = Logger(label: "two-nodes")
        logger.logLevel = .warning
        try await PostgresStore.createDatabase(named: name, serverURL: base, logger: logger)
        components.path = "/\(name)"
        let url = try #require(components.string)
        let first = try PostgresStore(url: url, logger: logger, maximumConnections: 4)
        let second = try PostgresStore(url: url, logger: logger, maximumConnections: 4)
        try await first.whileRunning {
            try await second.whileRunning {
                try await first.waitUntilReachable(timeout: .seconds(30))
                try await body(first, second)
            }
        }
    }

    /// Two nodes' apps (settings from `configure`) on two stores of one fresh database, and the first store.
    static func withTwoApps(
        _ configure: @escaping @Sendable (inout Settings) -> Void = { _ in }, _ body: @Sendable (TestApp, TestApp, PostgresStore) async throws -> Void
    ) async throws {
        try await withTwoStores { first, second in
            try await body(try await TestApp.make(store: first, configure), try await TestApp.make(store: second, configure), first)
        }
    }

    /// Two live nodes on two stores of one fresh database: node A (set up the network through
    /// it), its client and port, node B's client and port, and node A's store.
    static func withTwoNodes(
        _ body: @Sendable (TestApp, any TestClientProtocol, Int, any TestClientProtocol, Int, PostgresStore) async throws -> Void
    ) async throws {
        try await withTwoApps { nodeA, nodeB, first in
            try await nodeA.live { clientA, portA async throws in
                try await nodeB.live { clientB, portB async throws in
                    try await body(nodeA, clientA, portA, clientB, portB, first)
                }
            }
        }
    }

    @Test("a question page followed on one node sees answers and votes made on the other; an answer too long for NOTIFY arrives whole, and the forum notification crosses too")
    func questionPageAcrossNodes() async throws {
        try await Self.withTwoNodes { nodeA, clientA, _, clientB, portB, _ in
            let (_, ann, bob, _) = try await StreamTests.setUp(nodeA, clientA)
            let question = try await ForumsHTTPTests.ask(nodeA, clientA, "Across nodes?", token: ann)
            let page = StreamClient(port: portB, headers: StreamClient.bearer(ann))
            _ = await page.next()
            try page.send(["op": "follow_question", "question": question])
            _ = await page.frames(until: "question_followed")

            #expect(try await clientB.call(.get, "/api/v1/questions/\(question)").array("answers").isEmpty, "a guest's page, kept on node B")
            let answered = try await clientA.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": "Yes, on node A."], token: bob)
            let answer = try #require(answered.object["id"] as? Int)
            let frames = await page.framesCollecting(ops: ["question_event", "notification"], count: 2)
            let event = try #require(frames.first { $0["op"] as? String == "question_event" })
            #expect(event["type"] as? String == "answer.created")
            #expect((event["data"] as? [String: Any])?["id"] as? Int == answer)
            #expect((frames.first { $0["op"] as? String == "notification" }?["notification"] as? [String: Any])?["kind"] as? String == "new_answer")

            // A guest's page on node B was dropped by the note from node A: fresh well within the cache's lifetime.
            #expect(try await clientB.call(.get, "/api/v1/questions/\(question)").array("answers").count == 1)
            _ = try await clientB.call(.post, "/api/v1/answers/\(answer)/vote", json: ["value": 1], token: ann)
            #expect(try #require(await page.framesCollecting(ops: ["question_event"], count: 1).first)["type"] as? String == "vote.changed")

            let long = String(repeating: "A long answer. ", count: 700)
            _ = try await clientA.call(.post, "/api/v1/questions/\(question)/answers", json: ["body": long], token: bob)
            let whole = try #require(await page.framesCollecting(ops: ["question_event"], count: 1).first)
            #expect(whole["type"] as? String == "answer.created")
            #expect((whole["data"] as? [String: Any])?["body"] as? String == long.trimmingCharacters(in: .whitespaces), "too long for NOTIFY, it crossed through the store")
            _ = await page.close()
        }
    }

    @Test("a message, a mention and typing on one node reach subscribers connected to the other")
    func crossNode() async throws {
        try await Self.withTwoNodes { nodeA, clientA, portA, clientB, portB, _ in
            let (general, ann, bob, _) = try await StreamTests.setUp(nodeA, clientA)
            let onB = try await StreamClient.subscribed(port: portB, token: ann, channel: general)
            let onA = try await StreamClient.subscribed(port: portA, token: bob, channel: general)

            _ = try await StreamTests.post(clientA, general, "posted on node A", token: bob)
            let event = await onB.next()
            #expect(event?["op"] as? String == "event")
            #expect(event?["seq"] as? Int == 1)
            #expect((event?["data"] as? [String: Any])?["body"] as? String == "posted on node A")
            #expect(await onA.next()?["seq"] as? Int == 1, "node A's own subscriber")

            _ = try await StreamTests.post(clientB, general, "@Bob answered on node B", token: ann)
            var onASaw: [String] = []
            for _ in 0..<2 { onASaw.append((await onA.next())?["op"] as? String ?? "nothing") }
            #expect(onASaw.sorted() == ["event", "notification"], "\(onASaw)")
            #expect(await onB.next()?["seq"] as? Int == 2, "node B's own subscriber")

            try onA.send(["op": "typing", "channel": general])
            let typing = await onB.next()
            #expect(typing?["op"] as? String == "typing")
            #expect(typing?["name"] as? String == "Bob")

            let resumed = StreamClient(port: portB, headers: StreamClient.bearer(ann))
            _ = await resumed.next()
            try resumed.send(["op": "subscribe", "channel": general, "since": 0])
            let replay = await resumed.frames(until: "caught_up").filter { $0["op"] as? String == "event" }
            #expect(replay.map { $0["seq"] as? Int } == [1, 2])
            for stream in [onA, onB, resumed] { _ = await stream.close() }
        }
    }

    @Test("a note missed while a node's listening connection was down still reaches its subscribers, through the sweep after it listens again")
    func missedNote() async throws {
        try await Self.withTwoNodes { nodeA, clientA, _, _, portB, first in
            let (general, ann, bob, _) = try await StreamTests.setUp(nodeA, clientA)
            let onB = try await StreamClient.subscribed(port: portB, token: ann, channel: general)
            // Every listening connection cut; the nodes listen again a second later.
            try await first.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
            )
            for _ in 0..<100 {
                let listening = try await first.rows(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
                )[0]["n"].decode(Int.self)
                if listening == 0 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            _ = try await StreamTests.post(clientA, general, "while nobody listened", token: bob)
            let event = await onB.next(timeout: 10)
            #expect(event?["seq"] as? Int == 1)
            #expect((event?["data"] as? [String: Any])?["body"] as? String == "while nobody listened")
            _ = await onB.close()
        }
    }

    @Test("presence crosses nodes: a user online on either node shows online on both, and offline once gone from both")
    func presenceAcrossNodes() async throws {
        try await Self.withTwoApps({ $0.presenceGraceSeconds = 1 }) { nodeA, nodeB, _ in
            try await nodeA.live { clientA, portA async throws in
                let (_, ann, bob, _) = try await StreamTests.setUp(nodeA, clientA)
                let ohio = try #require(
                    (try await clientA.call(.get, "/api/v1/communities/ohio", token: ann).object["community"] as? [String: Any])?["id"] as? Int)
                // Bob is online on node A before node B starts: B learns of him from A's answer to its hello.
                let bobOnA = StreamClient(port: portA, headers: StreamClient.bearer(bob))
                _ = await bobOnA.next()
                try await Task.sleep(for: .milliseconds(1_200))
                try await nodeB.live { _, portB async throws in
                    let watcher = StreamClient(port: portB, headers: StreamClient.bearer(ann))
                    _ = await watcher.next()
                    var names: [String] = []
                    for _ in 0..<30 where !names.contains("Bob") {
                        try await Task.sleep(for: .milliseconds(200))
                        try watcher.send(["op": "watch_presence", "community": ohio])
                        let state = await watcher.frames(until: "presence_state").last
                        names = (state?["users"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
                    }
                    #expect(names.contains("Bob"), "node B never heard that Bob is online on node A")

                    // Bob also on node B, then gone from B only: still online (he is on A).
                    let bobOnB = StreamClient(port: portB, headers: StreamClient.bearer(bob))
                    _ = await bobOnB.next()
                    _ = await bobOnB.close()
                    try await Task.sleep(for: .milliseconds(3_000))
                    try watcher.send(["op": "watch_presence", "ref": "again", "community": ohio])
                    let again = await watcher.next()
                    #expect(again?["op"] as? String == "presence_state", "a presence change came first: \(again ?? [:])")
                    let users = (again?["users"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
                    #expect(users.contains("Bob"), "Bob left node B but is still on node A")

                    // Gone from node A too: offline everywhere.
                    _ = await bobOnA.close()
                    let offline = await watcher.next(timeout: 10)
                    #expect(offline?["op"] as? String == "presence")
                    #expect(offline?["name"] as? String == "Bob")
                    #expect(offline?["status"] as? String == "offline")
                    _ = await watcher.close()
                }
            }
        }
    }

    @Test("a stream ticket issued by one node opens the stream on the other, once")
    func ticketOnOtherNode() async throws {
        try await Self.withTwoNodes { nodeA, clientA, _, _, portB, _ in
            let (_, ann, _, _) = try await StreamTests.setUp(nodeA, clientA)
            let code = try #require(try await clientA.call(.post, "/api/v1/stream/tickets", token: ann).string("ticket"))
            let opened = StreamClient(port: portB, path: "/api/v1/stream?ticket=\(code)")
            #expect(await opened.next()?["op"] as? String == "ready")
            let again = StreamClient(port: portB, path: "/api/v1/stream?ticket=\(code)")
            #expect(await again.upgradeFailed(), "a used ticket opened the stream again")
            _ = await opened.close()
        }
    }

    @Test("a client of node B that drops resumes on node A with exactly what it missed; what node A acked outlives node A")
    func resumeOnOtherNodeAndAckedOutlivesNode() async throws {
        try await Self.withTwoApps({ $0.messagesPerMinute = 10_000 }) { nodeA, nodeB, _ in
            try await nodeB.live { clientB, portB async throws in
                let (general, ann, bob, _) = try await StreamTests.setUp(nodeB, clientB)
                let onB = try await StreamClient.subscribed(port: portB, token: ann, channel: general)
                let acked = try await nodeA.live { clientA, portA async throws -> [Int] in
                    for index in 1...5 { _ = try await StreamTests.post(clientA, general, "first \(index)", token: bob) }
                    var seen: [Int] = []
                    for _ in 1...5 { seen.append(await onB.next()?["seq"] as? Int ?? -1) }
                    #expect(seen == [1, 2, 3, 4, 5], "node B's subscriber missed messages posted on node A")
                    _ = await onB.close()

                    // Posted on node A while the client is away, then it resumes on node A.
                    for index in 1...7 { _ = try await StreamTests.post(clientA, general, "missed \(index)", token: bob) }
                    let resumed = StreamClient(port: portA, headers: StreamClient.bearer(ann))
                    _ = await resumed.next()
                    try resumed.send(["op": "subscribe", "channel": general, "since": 5])
                    let replay = await resumed.frames(until: "caught_up").filter { $0["op"] as? String == "event" }
                    #expect(replay.map { $0["seq"] as? Int } == Array(6...12))
                    _ = await resumed.close()

                    // Sent over node A's stream with nonces; node A stops once the acks are in.
                    let sender = StreamClient(port: portA, headers: StreamClient.bearer(bob))
                    _ = await sender.next()
                    for index in 1...20 {
                        try sender.send(["op": "send", "ref": "r\(index)", "nonce": "n\(index)", "channel": general, "body": "acked \(index)"])
                    }
                    let acks = await sender.framesCollecting(ops: ["ack"], count: 20).compactMap { $0["seq"] as? Int }
                    _ = await sender.close()
                    return acks
                }
                #expect(acked.count == 20)
                let resumed = StreamClient(port: portB, headers: StreamClient.bearer(ann))
                _ = await resumed.next()
                try resumed.send(["op": "subscribe", "channel": general, "since": 12])
                let replay = await resumed.frames(until: "caught_up").filter { $0["op"] as? String == "event" }
                #expect(replay.map { $0["seq"] as? Int ?? -1 } == Array(13...32))
                #expect(Set(replay.map { $0["seq"] as? Int ?? -1 }) == Set(acked), "an acked message is missing after node A stopped")
                #expect(replay.compactMap { ($0["data"] as? [String: Any])?["body"] as? String } == (1...20).map { "acked \($0)" })
                _ = await resumed.close()
            }
        }
    }

    @Test("a call room spans two nodes: who enters or knocks on one is seen and admitted from the other, and a WebRTC offer too long for NOTIFY reaches a participant on the other node whole and in order")
    func callRoomAcrossNodes() async throws {
        try await Self.withTwoApps { nodeA, nodeB, _ in
            try await nodeA.live { clientA, portA async throws in
                try await nodeB.live { _, portB async throws in
                    let before = nodeA.clock.now()
                    let cast = try await CallRoomStreamTests.cast(nodeA, clientA)
                    nodeB.clock.advance(nodeA.clock.now().timeIntervalSince(before))
                    let occ = cast.occurrence
                    let fac = try await CallRoomStreamTests.connect(portA, cast.fac)
                    _ = try await CallRoomStreamTests.ask(fac, ["op": "call.join", "occurrence": occ])
                    // Ann enters on node B: the facilitator on node A sees her.
                    let ann = try await CallRoomStreamTests.connect(portB, cast.ann)
                    let annState = try await CallRoomStreamTests.ask(ann, ["op": "call.join", "occurrence": occ])
                    #expect((annState["participants"] as? [[String: Any]])?.count == 2, "node B rebuilt the room from the log: \(annState)")
                    #expect((await CallRoomStreamTests.event(fac, "entered"))?["data"].flatMap { ($0 as? [String: Any])?["user"] as? Int } == cast.annID)
                    // Bob knocks on node B; the facilitator admits him from node A.
                    let bob = try await CallRoomStreamTests.connect(portB, cast.bob)
                    _ = try await CallRoomStreamTests.ask(bob, ["op": "call.knock", "occurrence": occ])
                    #expect(await CallRoomStreamTests.event(fac, "knocked") != nil)
                    _ = try await CallRoomStreamTests.ask(fac, ["op": "call.admit", "occurrence": occ, "user": cast.bobID])
                    #expect((await CallRoomStreamTests.frame(bob, "call.state"))?["you"].flatMap { ($0 as? [String: Any])?["status"] as? String } == "in_room")
                    _ = try await CallRoomStreamTests.ask(fac, ["op": "call.start", "occurrence": occ])
                    #expect((await CallRoomStreamTests.event(ann, "phase"))?["data"].flatMap { ($0 as? [String: Any])?["phase"] as? String } == "live")

                    // The facilitator on A offers to Ann on B: 12 KB of SDP, then three candidates, in order.
                    let sdp = "v=0\r\n" + String(repeating: "a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\n", count: 200)
                    try fac.send(["op": "call.signal", "occurrence": occ, "to": cast.annID, "kind": "offer", "data": ["type": "offer", "sdp": sdp]])
                    for index in 0..<3 {
                        try fac.send(["op": "call.signal", "occurrence": occ, "to": cast.annID, "kind": "ice", "data": ["candidate": "c\(index)", "sdpMid": "0"]])
                    }
                    let offer = try #require(await CallRoomStreamTests.frame(ann, "call.signal"))
                    #expect(offer["kind"] as? String == "offer")
                    #expect((offer["data"] as? [String: Any])?["sdp"] as? String == sdp)
                    var candidates: [String] = []
                    for _ in 0..<3 { candidates.append(((await CallRoomStreamTests.frame(ann, "call.signal"))?["data"] as? [String: Any])?["candidate"] as? String ?? "-") }
                    #expect(candidates == ["c0", "c1", "c2"])
                    // Bob (node B) answers the facilitator (node A).
                    try bob.send(["op": "call.signal", "occurrence": occ, "to": cast.facID, "kind": "answer", "data": ["type": "answer", "sdp": "v=0\r\n"]])
                    #expect((await CallRoomStreamTests.frame(fac, "call.signal"))?["from"] as? Int == cast.bobID)
                    // Leaving on B is seen on A.
                    _ = await ann.close()
                    #expect((await CallRoomStreamTests.event(fac, "left"))?["data"].flatMap { ($0 as? [String: Any])?["user"] as? Int } == cast.annID)
                    for stream in [fac, bob] { _ = await stream.close() }
                }
            }
        }
    }
}
