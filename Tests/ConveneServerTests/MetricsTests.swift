import ConveneCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOWebSocket
import Testing
@testable import ConveneServer

/// A Prometheus text exposition, read by series (`name{labels}`).
struct MetricsText {
    let values: [String: Double]

    init(_ text: String) {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        self.values = values
    }

    subscript(series: String) -> Double? { values[series] }
}

@Suite("Metrics", .timeLimit(.minutes(2)))
struct MetricsTests {
    @Test("/metrics counts responses by class and committed messages, in Prometheus text")
    func exposition() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (general, ann, _, _) = try await ChannelsHTTPTests.setUp(app, client)
            _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "counted"], token: ann)
            _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "counted"], token: ann, headers: [ChannelsHTTPTests.key: "k1"])
            _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "counted"], token: ann, headers: [ChannelsHTTPTests.key: "k1"])
            _ = try await client.call(.get, "/api/v1/communities/atlantis")
            let reply = try await client.call(.get, "/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let metrics = MetricsText(reply.body)
            #expect(metrics["convene_messages_committed_total"] == 2, "a replayed Idempotency-Key counted again")
            #expect((metrics[#"convene_http_responses_total{status="2xx"}"#] ?? 0) >= 5)
            #expect(metrics[#"convene_http_responses_total{status="4xx"}"#] == 1)
            #expect(metrics["convene_stream_connections"] == 0)
        }
    }

    @Test("past its stream limit the node refuses the upgrade, counts it, and admits again once a connection closes; closes are counted by reason")
    func streamLimitAndCloses() async throws {
        let app = try await TestApp.make {
            $0.streamConnections = 2
            $0.maxFrameBytes = 4096
        }
        try await app.live { client, port, services async throws in
            let (general, ann, _, _) = try await StreamTests.setUp(app, client)
            let first = StreamClient(port: port, headers: StreamClient.bearer(ann))
            let second = StreamClient(port: port, headers: StreamClient.bearer(ann))
            for stream in [first, second] { #expect(await stream.next()?["op"] as? String == "ready") }
            #expect(MetricsText(services.metrics.exposition())["convene_stream_connections"] == 2)

            let third = StreamClient(port: port, headers: StreamClient.bearer(ann))
            #expect(await third.next() == nil)
            #expect(await third.upgradeFailed())
            #expect(MetricsText(services.metrics.exposition())[#"convene_stream_refused_total{reason="capacity"}"#] == 1)

            try second.send(["op": "send", "channel": general, "body": String(repeating: "x", count: 5000), "nonce": "big"])
            #expect(await second.closeCode() == .messageTooLarge)
            _ = await first.close()
            let tooLarge = #"convene_stream_closes_total{reason="too_large"}"#
            let normal = #"convene_stream_closes_total{reason="normal"}"#
            for _ in 0..<250 where MetricsText(services.metrics.exposition())["convene_stream_connections"] != 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            let metrics = MetricsText(services.metrics.exposition())
            #expect(metrics[tooLarge] == 1)
            #expect(metrics[normal] == 1)
            #expect(metrics["convene_stream_connections_opened_total"] == 2)

            let again = StreamClient(port: port, headers: StreamClient.bearer(ann))
            #expect(await again.next()?["op"] as? String == "ready", "a closed connection's place was not given back")
            _ = await again.close()
        }
    }
}
