import ConveneRealtime
import ServiceLifecycle
import Synchronization

/// The stream's part of a graceful shutdown. It runs beside the HTTP server in the node's service
/// group, after it in the list, so on SIGTERM it is told first: from then on stream upgrades are
/// refused (answered 400 without upgrading, like every refused upgrade), and every open connection sends what it has queued and closes
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
    let settle: Duration

    init(timeout: Duration = .seconds(5), settle: Duration = .milliseconds(250)) {
        self.timeout = timeout
        self.settle = settle
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
        // An upgrade accepted just before the drain began registers a moment later (and is closed
        // going away at once): the drain ends only when none has been open for `settle`, so the
        // server's own shutdown (which closes with 1000) finds no stream left.
        let deadline = ContinuousClock.now + timeout
        var emptySince: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.connections.isEmpty }) {
                let since = emptySince ?? .now
                if ContinuousClock.now - since >= settle { break }
                emptySince = since
            } else {
                emptySince = nil
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
