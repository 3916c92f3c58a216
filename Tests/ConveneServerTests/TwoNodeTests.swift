import ConveneCore
import ConveneStore
import Foundation
import HummingbirdTesting
import Logging
import Testing
@testable import ConveneServer

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
        let first = try PostgresStore(url: url, logger: logger)
        let second = try PostgresStore(url: url, logger: logger)
        try await first.whileRunning {
            try await second.whileRunning {
                try await first.waitUntilReachable()
                try await body(first, second)
            }
        }
    }

    @Test("a message, a mention and typing on one node reach subscribers connected to the other")
    func crossNode() async throws {
        try await Self.withTwoStores { first, second in
            let nodeA = try await TestApp.make(store: first)
            let nodeB = try await TestApp.make(store: second)
            try await nodeA.live { clientA, portA async throws in
                try await nodeB.live { clientB, portB async throws in
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
        }
    }
}
