import ConveneCore
import ConveneRealtime
import HTTPTypes
import Foundation
import HummingbirdTesting
import Testing
@testable import ConveneServer
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP socket to the test server, for what a WebSocket client library hides: the upgrade
/// request and response as bytes, and a client that stops reading.
final class RawSocket {
    let fd: Int32

    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ConveneError(.unavailable, "connect failed") }
    }

    /// Sends a WebSocket upgrade request for the stream and returns what the first read brings
    /// (the response head, perhaps with the first frame).
    func upgrade(port: Int, token: String, headers: String = "") -> String {
        let handshake =
            "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer \(token)\r\n\(headers)\r\n"
        write(Array(handshake.utf8))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
    }

    /// A client frame: FIN + text, masked with a zero key (the payload is sent as is).
    static func maskedTextFrame(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        return [0x81, 0x80 | UInt8(payload.count), 0, 0, 0, 0] + payload
    }

    func write(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(fd) }
}

/// A WebSocket client that subscribes and then never reads: its receive buffer is tiny, so the
/// server's socket backs up and its outbox fills.
final class StalledSocket {
    let raw: RawSocket

    init(port: Int, token: String, channel: Int) throws {
        raw = try RawSocket(port: port, receiveBuffer: 2048)
        // Read the 101 response and the ready frame, then stop reading for good.
        _ = raw.upgrade(port: port, token: token)
        raw.write(RawSocket.maskedTextFrame("{\"op\":\"subscribe\",\"channel\":\(channel)}"))
    }
}

@Suite("One slow client", .timeLimit(.minutes(3)))
struct SlowConsumerTests {
    @Test("a client that stops reading is dropped at its outbox bound while another receives every event in order")
    func slowClientIsClosed() async throws {
        let app = try await TestApp.make { $0.outboxFrames = 16 }
        try await app.live { client, port, services async throws in
            let (general, ann, _, _) = try await StreamTests.setUp(app, client)
            let (_, admin) = try await app.user(client, "Admin", admin: true)

            let fast = try await StreamClient.subscribed(port: port, token: ann, channel: general)
            let stalled = try StalledSocket(port: port, token: ann, channel: general)
            for _ in 0..<100 where services.hub.subscriberCount(of: Int64(general)) < 2 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(services.hub.subscriberCount(of: Int64(general)) == 2)

            let count = 400
            let body = String(repeating: "Adult SEL and well-being. ", count: 300)
            let poster = Task {
                for index in 1...count {
                    _ = try await client.call(.post, "/api/v1/channels/\(general)/messages", json: ["body": "\(index) \(body)"], token: admin)
                }
            }
            var seqs: [Int] = []
            while seqs.count < count, let frame = await fast.next(timeout: 30) {
                if frame["op"] as? String == "event", let seq = frame["seq"] as? Int { seqs.append(seq) }
            }
            try await poster.value
            #expect(seqs == Array(1...count))
            for _ in 0..<250 where services.hub.subscriberCount(of: Int64(general)) > 1 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(services.hub.subscriberCount(of: Int64(general)) == 1, "the stalled client should have been dropped")
            let slow = #"convene_stream_closes_total{reason="slow_consumer"}"#
            for _ in 0..<250 where MetricsText(services.metrics.exposition())[slow] != 1 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(MetricsText(services.metrics.exposition())[slow] == 1, "the drop was not counted")
            withExtendedLifetime(stalled) {}
            _ = await fast.close()
        }
    }
}
