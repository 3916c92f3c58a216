import ConveneRealtime
import ServiceLifecycle
import Synchronization

/// The stream's part of a graceful shutdown. It runs beside the HTTP server in the node's service
/// group, after it in the list, so on SIGTERM it is told first: from then on stream upgrades are
/// refused (`503 unavailable`), and every open connection sends what it has queued and closes
/// with 1001 (going away), which tells a client to reconnect and resume from its last seq —
/// elsewhere, or here once the node is back. It waits for them to go (at most `timeout`); only
/// then is the HTTP server asked to stop, so commits in flight still finish and are acked.
final class StreamDrain: Service, Sendable {
    private struct State {
        var draining = false
        var connections: [UInt64: StreamConnection] = [:]
    }

    private let state = Mutex(State())
    let timeout: Duration

    init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    var isDraining: Bool { state.withLock { $0.draining } }

    /// Counts a connection in; false once the drain has begun (the caller closes it going away).
    func register(_ connection: StreamConnection) -> Bool {
        state.withLock { state in
            guard !state.draining else { return false }
            state.connections[connection.subscriberID] = connection
            return true
        }
    }

    func unregister(_ connection: StreamConnection) {
        _ = state.withLock { $0.connections.removeValue(forKey: connection.subscriberID) }
    }

    func run() async throws {
        // Returns when the group shuts down gracefully; a cancelled group just ends.
        do { try await gracefulShutdown() } catch { return }
        await drain()
    }

    /// Refuses new connections, closes the open ones going away, and waits until they are gone.
    func drain() async {
        let connections = state.withLock { state in
            state.draining = true
            return Array(state.connections.values)
        }
        for connection in connections { connection.close(.goingAway) }
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ !$0.connections.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
