import ConveneCore
import ConveneRealtime
import ConveneStore
import Foundation
import Logging
import Synchronization

/// One client's stream: its outbox, and where it stands in each channel it subscribed to. The hub
/// delivers into it without waiting; replays from the store run in their own tasks and wait for
/// the client to read.
final class StreamConnection: Subscriber, Sendable {
    private static let ids = Atomic<UInt64>(0)

    let subscriberID: UInt64
    let userID: Int64
    let outbox: Outbox
    private let store: any ConveneStore
    private let hub: Hub
    private let logger: Logger
    private let cursors = Mutex<[Int64: SubscriptionCursor]>([:])
    private let watching = Mutex<Set<Int64>>([])
    private let following = Mutex<Set<Int64>>([])
    private let replays = Mutex<[Int64: Task<Void, Never>]>([:])
    /// Events read from the store per query while catching up.
    static let replayBatch = 200

    init(userID: Int64, store: any ConveneStore, hub: Hub, outboxLimit: Int, logger: Logger) {
        subscriberID = Self.ids.add(1, ordering: .relaxed).newValue
        self.userID = userID
        self.store = store
        self.hub = hub
        self.logger = logger
        outbox = Outbox(limit: outboxLimit)
        hub.attach(self, user: userID)
    }

    /// Sends a reply frame; false once the connection is closing.
    @discardableResult
    func send(_ frame: String) -> Bool {
        defer { closeIfOverflowed() }
        return outbox.push(frame)
    }

    // MARK: - subscriptions

    /// Starts (or restarts) a subscription: events after `since` are replayed from the store, then
    /// live ones follow, each exactly once and in order, then `caught_up`.
    func subscribe(channel: Int64, since: Int64) {
        cursors.withLock { $0[channel] = SubscriptionCursor(since: since) }
        hub.subscribe(self, to: channel)
        startReplay(channel)
    }

    func unsubscribe(channel: Int64) {
        hub.unsubscribe(subscriberID, from: channel)
        cursors.withLock { $0[channel] = nil }
        replays.withLock { $0.removeValue(forKey: channel) }?.cancel()
    }

    /// Ends every subscription and the writer.
    func close(_ closure: Outbox.Closure = .finished) {
        let channels = cursors.withLock { cursors in
            let channels = Array(cursors.keys)
            cursors = [:]
            return channels
        }
        for channel in channels { hub.unsubscribe(subscriberID, from: channel) }
        for community in watching.withLock({ $0 }) { hub.unwatchPresence(subscriberID, community: community) }
        for question in following.withLock({ $0 }) { hub.unfollowQuestion(subscriberID, question: question) }
        hub.detach(subscriberID, user: userID)
        let tasks = replays.withLock { replays in
            let tasks = Array(replays.values)
            replays = [:]
            return tasks
        }
        tasks.forEach { $0.cancel() }
        outbox.close(closure)
    }

    func deliver(channel: Int64, seq: Int64, frame: String) {
        let catchUp = cursors.withLock { cursors -> Bool in
            guard var cursor = cursors[channel] else { return false }
            let action = cursor.live(seq: seq, frame: frame)
            cursors[channel] = cursor
            switch action {
            case .deliver(let frame):
                // Pushed under the cursor lock, so frames of a channel reach the outbox in seq order.
                outbox.push(frame)
                return false
            case .catchUp:
                return true
            case .drop, .held:
                return false
            }
        }
        if catchUp { startReplay(channel) }
        closeIfOverflowed()
    }

    /// A client whose outbox overflowed is let go: its subscriptions end and its writer closes with 1013.
    private func closeIfOverflowed() {
        guard outbox.closure == .overflowed, !isClosed.exchange(true, ordering: .relaxed) else { return }
        logger.notice("stream client too slow; closing", metadata: ["user": "\(userID)", "connection": "\(subscriberID)"])
        close(.overflowed)
    }

    private let isClosed = Atomic(false)

    func deliverEphemeral(channel: Int64, frame: String) {
        // Only to a subscription that is live: during a replay it would arrive out of place, and it is stale by the end.
        let live = cursors.withLock { $0[channel].map { !$0.replaying } ?? false }
        if live { outbox.push(frame) }
    }

    /// Starts or stops receiving a community's presence frames.
    func watchPresence(community: Int64, _ on: Bool) {
        watching.withLock { watching in
            if on { watching.insert(community) } else { watching.remove(community) }
        }
        if on { hub.watchPresence(self, community: community) } else { hub.unwatchPresence(subscriberID, community: community) }
    }

    /// Starts or stops receiving a question page's frames.
    func follow(question: Int64, _ on: Bool) {
        following.withLock { following in
            if on { following.insert(question) } else { following.remove(question) }
        }
        if on { hub.followQuestion(self, question: question) } else { hub.unfollowQuestion(subscriberID, question: question) }
    }

    func deliverDirect(frame: String) {
        outbox.push(frame)
        closeIfOverflowed()
    }

    private let lastTyping = Mutex<[Int64: Date]>([:])

    /// Whether a typing notice for `channel` should go out now: at most one per 3 seconds per channel.
    func shouldAnnounceTyping(in channel: Int64, now: Date) -> Bool {
        lastTyping.withLock { last in
            if let previous = last[channel], now.timeIntervalSince(previous) < 3 { return false }
            last[channel] = now
            return true
        }
    }

    private func startReplay(_ channel: Int64) {
        let task = Task { [weak self] in
            guard let self else { return }
            await self.replay(channel)
        }
        replays.withLock { $0.updateValue(task, forKey: channel) }?.cancel()
    }

    /// Reads the channel's events after the cursor from the store, in bounded batches, until the
    /// store has no more; then lets the held live events out and says `caught_up`.
    private func replay(_ channel: Int64) async {
        var rounds = 0
        while !Task.isCancelled {
            guard let after = cursors.withLock({ $0[channel]?.lastSeq }) else { return }
            let events: [ChannelEvent]
            do {
                events = try await store.events(channelID: channel, afterSeq: after, limit: Self.replayBatch)
            } catch {
                logger.error("replay failed", metadata: ["channel": "\(channel)", "error": "\(error)"])
                send(ServerFrame.error(ref: nil, ConveneError(.unavailable, "Could not read channel \(channel); subscribe again.")))
                unsubscribe(channel: channel)
                return
            }
            for event in events {
                guard cursors.withLock({ $0[channel]?.replayed(seq: event.seq) }) == true else { continue }
                guard await outbox.pushWaitingForSpace(ServerFrame.event(event)) else { return }
            }
            if events.count == Self.replayBatch { continue }
            let missing = cursors.withLock { cursors -> Bool in
                guard var cursor = cursors[channel] else { return false }
                let (frames, missing) = cursor.endReplay()
                cursors[channel] = cursor
                for frame in frames { outbox.push(frame) }
                if !missing { outbox.push(ServerFrame.caughtUp(channel: channel, seq: cursor.lastSeq)) }
                return missing
            }
            guard missing else { return }
            // A later event arrived before an earlier one was readable (another node still
            // committing it): read the store again shortly.
            rounds += 1
            try? await Task.sleep(for: .milliseconds(min(200, 5 * rounds)))
        }
    }
}
