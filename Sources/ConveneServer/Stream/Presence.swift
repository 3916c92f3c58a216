import ConveneCore
import ConveneRealtime
import Foundation
import Synchronization

/// Presence as this node shows it: the board, and the flushes that publish its changes to each
/// community's watchers. A change is published within `coalescing` of happening, together with
/// whatever else changed meanwhile; a user whose last connection closed goes offline after the
/// grace period, unless they came back. Each flush hands this node's own changes to `announce`
/// (the other nodes), and the other nodes' changes come in through `remote`.
final class Presence: Sendable {
    private let board: Mutex<PresenceBoard>
    private let hub: Hub
    private let announce: @Sendable ([PresenceBoard.Change]) -> Void
    private let flushPending = Atomic(false)
    static let coalescing: Duration = .seconds(1)

    init(hub: Hub, grace: TimeInterval, announce: @escaping @Sendable ([PresenceBoard.Change]) -> Void) {
        self.hub = hub
        self.announce = announce
        board = Mutex(PresenceBoard(grace: grace))
    }

    /// Another node's changes of its own connections.
    func remote(node: String, changes: [PresenceBoard.Change]) {
        board.withLock { $0.remote(node: node, changes: changes) }
        scheduleFlush()
    }

    /// Nodes that fell silent: their users count as gone from them.
    func forget(nodes: some Sequence<String>) {
        board.withLock { board in
            for node in nodes { board.forget(node: node) }
        }
        scheduleFlush()
    }

    /// This node's own users, for a node that just started listening.
    var localState: [PresenceBoard.Change] { board.withLock { $0.localState } }

    func connected(user: Int64, name: String, communities: Set<Int64>, connection: UInt64) {
        board.withLock { $0.connect(user: user, name: name, communities: communities, connection: connection) }
        scheduleFlush()
    }

    /// A user joined a community: if they are connected, its watchers see them.
    func joined(user: Int64, community: Int64) {
        board.withLock { $0.joined(user: user, community: community) }
        scheduleFlush()
    }

    func disconnected(user: Int64, connection: UInt64) {
        board.withLock { $0.disconnect(user: user, connection: connection, now: Date()) }
        scheduleDeadlineFlush()
    }

    func choose(user: Int64, status: PresenceStatus) {
        board.withLock { $0.choose(user: user, status: status) }
        scheduleFlush()
    }

    /// Who is online or away in a community now.
    func snapshot(community: Int64) -> [PresenceBoard.Entry] {
        board.withLock { $0.snapshot(community: community) }
    }

    private func scheduleFlush() {
        guard !flushPending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Task {
            try? await Task.sleep(for: Self.coalescing)
            flushPending.store(false, ordering: .releasing)
            flush()
        }
    }

    private let deadlinePending = Atomic(false)

    /// One task at a time waits for the earliest pending offline (a disconnect's deadline is never
    /// earlier than those before it), flushes, and waits for the next: a mass disconnect costs a
    /// few flushes, not one per connection.
    private func scheduleDeadlineFlush() {
        while !deadlinePending.exchange(true, ordering: .acquiringAndReleasing) {
            if let deadline = board.withLock({ $0.nextDeadline }) {
                Task {
                    try? await Task.sleep(for: .seconds(max(deadline.timeIntervalSinceNow, 0.2)) + .milliseconds(50))
                    flush()
                    deadlinePending.store(false, ordering: .releasing)
                    scheduleDeadlineFlush()
                }
                return
            }
            deadlinePending.store(false, ordering: .releasing)
            // A disconnect that came meanwhile found the flag set and left its deadline to us.
            if board.withLock({ $0.nextDeadline }) == nil { return }
        }
    }

    private func flush() {
        // Announced under the lock, so two flushes reach the other nodes in the order they happened.
        let changes = board.withLock { board in
            let changes = board.flush(now: Date())
            let own = board.takeAnnouncements()
            if !own.isEmpty { announce(own) }
            return changes
        }
        for change in changes {
            for community in change.communities {
                hub.publishPresence(
                    community: community, frame: ServerFrame.presence(community: community, user: change.user, name: change.name, status: change.status))
            }
        }
    }
}
