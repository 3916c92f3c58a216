import ConveneCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOWebSocket
import Testing
@testable import ConveneServer

/// The stream's side of a graceful shutdown (SIGTERM itself is exercised on the real binary by the
/// crash harness with `--term`).
@Suite("graceful shutdown of the stream")
struct DrainTests {
    @Test("when the node drains, every open stream closes with 1001 (going away), new stream connections are refused, /readyz answers 503, and HTTP still answers and commits until the server stops",
        arguments: TestApp.StoreKind.allCases)
    func drainClosesGoingAway(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port, services async throws in
                let (general, ann, bob, _) = try await StreamTests.setUp(app, client)
                let first = try await StreamClient.subscribed(port: port, token: ann, channel: general)
                let second = try await StreamClient.subscribed(port: port, token: bob, channel: general)
                let posted = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "before the drain"], token: bob)
                #expect(posted.status == .created)
                #expect(await first.frames(until: "event").last?["seq"] as? Int == posted.object["seq"] as? Int)

                #expect(try await client.call(.get, "/readyz").status == .ok)
                let drain = Task { await services.drain.drain() }
                #expect(await first.closeCode() == .goingAway)
                #expect(await second.closeCode() == .goingAway)
                await drain.value
                #expect(MetricsText(services.metrics.exposition())["convene_stream_connections"] == 0, "the drain returned with streams open")

                let late = StreamClient(port: port, headers: StreamClient.bearer(ann))
                #expect(await late.next() == nil)
                #expect(await late.upgradeFailed(), "a stream opened during the drain")
                let after = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "during the drain"], token: ann)
                #expect(after.status == .created, "HTTP writes still commit while the streams drain")
                #expect(try await client.call(.get, "/readyz").status == .serviceUnavailable, "a draining node still says it is ready")
            }
        }
    }
}
