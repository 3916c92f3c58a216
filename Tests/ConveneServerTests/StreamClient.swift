import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOSSL
import NIOWebSocket
import Synchronization

/// A test's WebSocket client: frames go out with `send`, come back parsed with `next`.
/// Used by one task at a time (a test may hand it into a nested server's closure), hence unchecked.
final class StreamClient: @unchecked Sendable {
    private let incoming: AsyncStream<String>.Continuation
    private let outgoing: AsyncStream<String>.Continuation
    private var iterator: AsyncStream<String>.AsyncIterator
    let connection: Task<WebSocketCloseFrame?, any Error>

    /// - Parameter tls: connect with `wss` and this client configuration.
    init(port: Int, path: String = "/api/v1/stream", headers: HTTPFields = [:], maxFrame: Int = 1 << 16, tls: TLSConfiguration? = nil) {
        let (inbound, incoming) = AsyncStream<String>.makeStream()
        let (outbound, outgoing) = AsyncStream<String>.makeStream()
        self.incoming = incoming
        self.outgoing = outgoing
        iterator = inbound.makeAsyncIterator()
        connection = Task {
            defer { incoming.finish() }
            return try await WebSocketClient.connect(
                url: tls == nil ? "ws://127.0.0.1:\(port)\(path)" : "wss://localhost:\(port)\(path)", configuration: .init(maxFrameSize: maxFrame, additionalHeaders: headers),
                tlsConfiguration: tls,
                logger: Logger(label: "stream-test")
            ) { inboundFrames, outboundWriter, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await frame in outbound { try await outboundWriter.write(.text(frame)) }
                        try await outboundWriter.close(.normalClosure, reason: nil)
                    }
                    for try await message in inboundFrames.messages(maxSize: 1 << 24) {
                        if case .text(let text) = message { incoming.yield(text) }
                    }
                    incoming.finish()
                    group.cancelAll()
                }
            }
        }
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    /// A client of `token`'s user, subscribed to `channel` from now and caught up.
    static func subscribed(port: Int, token: String, channel: Int) async throws -> StreamClient {
        let client = StreamClient(port: port, headers: bearer(token))
        _ = await client.next()
        try client.send(["op": "subscribe", "channel": channel])
        _ = await client.frames(until: "caught_up")
        return client
    }

    func send(_ frame: [String: Any]) throws {
        outgoing.yield(String(decoding: try JSONSerialization.data(withJSONObject: frame), as: UTF8.self))
    }

    func sendRaw(_ text: String) {
        outgoing.yield(text)
    }

    /// The next frame, or nil when the connection ended or nothing came within `timeout` seconds.
    func next(timeout: Double = 30) async -> [String: Any]? {
        let incoming = self.incoming
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            incoming.finish()
        }
        defer { watchdog.cancel() }
        guard let text = await iterator.next() else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// Frames up to and including the first with `op`.
    func frames(until op: String, timeout: Double = 20) async -> [[String: Any]] {
        var frames: [[String: Any]] = []
        while let frame = await next(timeout: timeout) {
            frames.append(frame)
            if frame["op"] as? String == op { break }
        }
        return frames
    }

    /// The first `count` frames whose op is in `ops` (others skipped), or fewer when the stream ends.
    func framesCollecting(ops: Set<String>, count: Int, timeout: Double = 20) async -> [[String: Any]] {
        var frames: [[String: Any]] = []
        while frames.count < count, let frame = await next(timeout: timeout) {
            if let op = frame["op"] as? String, ops.contains(op) { frames.append(frame) }
        }
        return frames
    }

    /// Whether the connection ended without upgrading (waits at most `timeout` seconds).
    func upgradeFailed(timeout: Double = 10) async -> Bool {
        switch await outcome(timeout: timeout) {
        case .some(.failure): true
        default: false
        }
    }

    /// The close code the server sent (waits at most `timeout` seconds).
    func closeCode(timeout: Double = 10) async -> WebSocketErrorCode? {
        if case .some(.success(let frame)) = await outcome(timeout: timeout) { return frame?.closeCode }
        return nil
    }

    /// How the connection ended, or nil if it is still open after `timeout` seconds (then it is cancelled).
    private func outcome(timeout: Double) async -> Result<WebSocketCloseFrame?, any Error>? {
        let connection = self.connection
        let outgoing = self.outgoing
        let timedOut = Mutex(false)
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            timedOut.withLock { $0 = true }
            connection.cancel()
            outgoing.finish()
        }
        let result = await connection.result
        watchdog.cancel()
        return timedOut.withLock { $0 } ? nil : result
    }

    /// Closes from the client side and returns the server's close frame; a server that has not
    /// answered within `timeout` seconds has the connection cancelled, so a test never waits forever.
    func close(timeout: Double = 15) async -> WebSocketCloseFrame? {
        outgoing.finish()
        if case .some(.success(let frame)) = await outcome(timeout: timeout) { return frame }
        return nil
    }
}
