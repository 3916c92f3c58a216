import ConveneCore
import ConveneRealtime
import ConveneStore
import Foundation
import Logging
import Synchronization

/// Where live frames go: this node's hub at once, and, when the store is shared by several nodes
/// (it has an event bus), every other node's. One ordered queue carries the notes out, so a node
/// hears another's notes in the order they were made. A channel event travels as
/// `{channel, seq}` and is read back from the store by each node that has subscribers there (the
/// subscription cursor re-reads on any gap); frames for a user, and typing, travel whole; presence
/// travels as each node's own changes, merged by every node's board. With a single-node store
/// nothing is encoded or queued.
///
/// A note can be missed (the listening connection was lost, the queue was full): every `sweep`
/// compares the last seq of each channel this node has subscribers in with the last it published,
/// and publishes what the store has beyond it, so a missed note costs latency, never a message.
/// Each node says it is alive every `heartbeat`; one not heard for `silence` is forgotten by the
/// others' presence boards. A node that (re)starts listening says hello, and the others answer
/// with their users' presence.
final class Fanout: Sendable {
    struct Note: Codable {
        var origin: String
        var channel: Int64?
        var seq: Int64?
        var user: Int64?
        var question: Int64?
        var frame: String?
        var presence: [PresenceBoard.Change]?
        var hello: Bool?
        var alive: Bool?
        /// A call room moved (alone), or a frame for `user` in that room (a relayed signal).
        var room: Int64?
    }

    typealias RoomHandler = @Sendable (_ room: Int64, _ user: Int64?, _ frame: String?) async -> Void
    typealias RoomSweep = @Sendable () async -> Void
    /// Where notes about call rooms go, and what the sweep asks of the rooms (set by `CallRooms`).
    private let roomHandlers = Mutex<(RoomHandler, RoomSweep)?>(nil)

    let hub: Hub
    let presence: Presence
    private let readCache: ReadCache
    private let store: any ConveneStore
    private let bus: (any EventBus)?
    private let metrics: ServerMetrics
    private let logger: Logger
    /// This node, so that it ignores its own notes.
    let node: String
    private let outgoing: AsyncStream<String>.Continuation
    private let queue: AsyncStream<String>
    /// The highest seq published on this node, per channel.
    private let published = Mutex<[Int64: Int64]>([:])
    /// When each other node was last heard from.
    private let heard = Mutex<[String: ContinuousClock.Instant]>([:])

    /// Notes waiting to go out before new ones are dropped (and left to the sweep).
    static let queueLimit = 10_000
    /// The longest note PostgreSQL's NOTIFY carries (its limit is 8000 bytes); longer ones cost
    /// the bus a write.
    static let payloadLimit = 7_900
    /// The longest note sent at all.
    static let noteLimit = 1 << 20
    static let sweepInterval: Duration = .seconds(5)
    static let heartbeat: Duration = .seconds(10)
    static let silence: Duration = .seconds(30)

    init(hub: Hub, store: any ConveneStore, readCache: ReadCache, metrics: ServerMetrics, presenceGrace: TimeInterval, logger: Logger) {
        let node = UUID().uuidString
        let bus = store as? any EventBus
        let (queue, outgoing) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(Self.queueLimit))
        self.hub = hub
        self.readCache = readCache
        self.store = store
        self.bus = bus
        self.metrics = metrics
        self.logger = logger
        self.node = node
        self.queue = queue
        self.outgoing = outgoing
        presence = Presence(hub: hub, grace: presenceGrace) { changes in
            guard bus != nil else { return }
            Self.enqueue(presence: changes, origin: node, into: outgoing, metrics: metrics, logger: logger)
        }
    }

    /// A committed channel event, encoded once.
    func event(channel: Int64, seq: Int64, frame: String) {
        published.withLock { $0[channel] = max($0[channel] ?? 0, seq) }
        hub.publish(channel: channel, seq: seq, frame: frame)
        send(Note(origin: node, channel: channel, seq: seq))
    }

    /// A frame for each of `user`'s connections, on every node (but `except` on this one).
    func toUser(_ user: Int64, frame: String, except: UInt64? = nil) {
        hub.publish(toUser: user, frame: frame, except: except)
        send(Note(origin: node, user: user, frame: frame))
    }

    /// A frame for the followers of a question page, on every node.
    func toQuestion(_ question: Int64, frame: String) {
        readCache.invalidate(question: question)
        hub.publish(question: question, frame: frame)
        send(Note(origin: node, question: question, frame: frame))
    }

    /// Drops a question's kept page on every node, when it changed with no event of its own for
    /// its followers (a question closed as its duplicate, which the page lists, changed).
    func dropKept(question: Int64) {
        readCache.invalidate(question: question)
        send(Note(origin: node, question: question))
    }

    /// An ephemeral frame (typing) for a channel's live subscribers, on every node.
    func ephemeral(channel: Int64, frame: String, except: UInt64) {
        hub.publishEphemeral(channel: channel, frame: frame, except: except)
        send(Note(origin: node, channel: channel, frame: frame))
    }

    func setRoomHandlers(_ handler: @escaping RoomHandler, sweep: @escaping RoomSweep) {
        roomHandlers.withLock { $0 = (handler, sweep) }
    }

    /// A call room's log moved on this node: the other nodes with connections in it catch up.
    func room(_ room: Int64) {
        send(Note(origin: node, room: room))
    }

    /// A frame for `user`'s connections in a call room on the other nodes (this node's replica
    /// delivers its own).
    func toRoomUser(room: Int64, user: Int64, frame: String) {
        send(Note(origin: node, user: user, frame: frame, room: room))
    }

    private func send(_ note: Note) {
        guard bus != nil else { return }
        Self.enqueue(note, into: outgoing, metrics: metrics, logger: logger)
    }

    private static func enqueue(_ note: Note, into outgoing: AsyncStream<String>.Continuation, metrics: ServerMetrics, logger: Logger) {
        guard let data = try? JSONEncoder().encode(note) else { return }
        guard data.count <= noteLimit else {
            metrics.busNoteDropped(.tooLarge)
            logger.warning("event bus: a note too long for NOTIFY was not sent", metadata: ["bytes": "\(data.count)"])
            return
        }
        if case .dropped = outgoing.yield(String(decoding: data, as: UTF8.self)) {
            metrics.busNoteDropped(.queueFull)
        }
    }

    /// Presence changes in as few notes as fit NOTIFY's limit.
    private static func enqueue(
        presence changes: [PresenceBoard.Change], origin: String, into outgoing: AsyncStream<String>.Continuation, metrics: ServerMetrics,
        logger: Logger
    ) {
        var chunk: [PresenceBoard.Change] = []
        var bytes = 0
        for change in changes {
            // A change's share of a note: its fields, the name escaped at most 6× over, the communities.
            let size = 80 + change.name.utf8.count * 6 + change.communities.count * 21
            if !chunk.isEmpty && bytes + size > payloadLimit - 200 {
                enqueue(Note(origin: origin, presence: chunk), into: outgoing, metrics: metrics, logger: logger)
                chunk = []
                bytes = 0
            }
            chunk.append(change)
            bytes += size
        }
        if !chunk.isEmpty { enqueue(Note(origin: origin, presence: chunk), into: outgoing, metrics: metrics, logger: logger) }
    }

    /// Carries notes out and brings other nodes' in, until cancelled; returns at once for a
    /// single-node store. A lost listening connection is re-opened after a second, and followed by
    /// a sweep and a hello.
    func run() async {
        guard let bus else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [queue, logger] in
                for await note in queue {
                    do {
                        try await bus.announce(note)
                    } catch is EventBusStopped {
                        return
                    } catch {
                        logger.error("event bus: announce failed", metadata: ["error": "\(error)"])
                    }
                }
            }
            group.addTask { [logger] in
                while !Task.isCancelled {
                    do {
                        try await bus.listen { [weak self] in
                            guard let self else { return }
                            self.send(Note(origin: self.node, hello: true))
                            await self.sweep()
                        } handler: { [weak self] text in
                            await self?.receive(text)
                        }
                    } catch is EventBusStopped {
                        return
                    } catch {
                        if Task.isCancelled { return }
                        logger.error("event bus: listening failed; listening again in 1 s", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
            group.addTask { [weak self] in
                var lastBeat = ContinuousClock.now
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.sweepInterval)
                    guard let self, !Task.isCancelled, await self.sweep() else { return }
                    if ContinuousClock.now - lastBeat >= Self.heartbeat {
                        lastBeat = .now
                        self.send(Note(origin: self.node, alive: true))
                        self.forgetSilentNodes()
                    }
                }
            }
            await group.waitForAll()
        }
    }

    /// Publishes, for each channel with subscribers here, the store's last event when this node
    /// has not published it (the subscribers' cursors read back any gap before it).
    /// Returns false once the bus has stopped.
    @discardableResult func sweep() async -> Bool {
        guard let bus else { return false }
        await roomHandlers.withLock({ $0 })?.1()
        let channels = hub.subscribedChannels()
        published.withLock { published in
            let live = Set(channels)
            published = published.filter { live.contains($0.key) }
        }
        guard !channels.isEmpty else { return true }
        do {
            let last = try await bus.lastSeqs(channelIDs: channels)
            for (channel, seq) in last where seq > 0 {
                let mine = published.withLock { $0[channel] }
                guard seq > mine ?? 0 else { continue }
                // A channel first swept here may just have had no note yet; past that, a note was missed.
                if try await publishStored(channel: channel, seq: seq), mine != nil { metrics.busEventRecovered() }
            }
        } catch is EventBusStopped {
            return false
        } catch {
            logger.error("event bus: sweep failed", metadata: ["error": "\(error)"])
        }
        return true
    }

    /// Reads event `seq` of `channel` from the store and publishes it here; false when it is not there.
    private func publishStored(channel: Int64, seq: Int64) async throws -> Bool {
        for event in try await store.events(channelID: channel, afterSeq: seq - 1, limit: 1) where event.seq == seq {
            published.withLock { $0[channel] = max($0[channel] ?? 0, seq) }
            hub.publish(channel: channel, seq: seq, frame: ServerFrame.event(event))
            return true
        }
        return false
    }

    private func forgetSilentNodes() {
        let now = ContinuousClock.now
        let silent = heard.withLock { heard in
            let silent = heard.filter { now - $0.value > Self.silence }.map(\.key)
            for node in silent { heard[node] = nil }
            return silent
        }
        if !silent.isEmpty {
            logger.info("event bus: nodes fell silent", metadata: ["nodes": "\(silent.sorted())"])
            presence.forget(nodes: silent)
        }
    }

    private func receive(_ text: String) async {
        guard let note = try? JSONDecoder().decode(Note.self, from: Data(text.utf8)), note.origin != node else { return }
        heard.withLock { $0[note.origin] = .now }
        if let changes = note.presence {
            presence.remote(node: note.origin, changes: changes)
            return
        }
        if let room = note.room {
            await roomHandlers.withLock({ $0 })?.0(room, note.user, note.frame)
            return
        }
        if note.hello == true {
            let own = presence.localState
            if !own.isEmpty { Self.enqueue(presence: own, origin: node, into: outgoing, metrics: metrics, logger: logger) }
            return
        }
        if let question = note.question {
            readCache.invalidate(question: question)
            if let frame = note.frame { hub.publish(question: question, frame: frame) }
            return
        }
        switch (note.channel, note.seq, note.user, note.frame) {
        case (let channel?, let seq?, _, _):
            guard hub.subscriberCount(of: channel) > 0 else { return }
            do {
                _ = try await publishStored(channel: channel, seq: seq)
            } catch {
                logger.error("event bus: could not read an event", metadata: ["channel": "\(channel)", "seq": "\(seq)", "error": "\(error)"])
            }
        case (_, _, let user?, let frame?):
            hub.publish(toUser: user, frame: frame)
        case (let channel?, nil, nil, let frame?):
            hub.publishEphemeral(channel: channel, frame: frame, except: 0)
        default:
            return
        }
    }
}
