import ConveneCore
import ConveneRealtime
import ConveneStore
import Foundation
import Logging

/// Where live frames go: this node's hub at once, and, when the store is shared by several nodes
/// (it has an event bus), every other node's. One ordered queue carries the notes out, so a node
/// hears another's notes in the order they were made. A channel event travels as
/// `{channel, seq}` and is read back from the store by each node that has subscribers there (the
/// subscription cursor re-reads on any gap); frames for a user, and typing, travel whole. With a
/// single-node store nothing is encoded or queued.
final class Fanout: Sendable {
    struct Note: Codable {
        var origin: String
        var channel: Int64?
        var seq: Int64?
        var user: Int64?
        var frame: String?
    }

    let hub: Hub
    private let store: any ConveneStore
    private let bus: (any EventBus)?
    private let logger: Logger
    /// This node, so that it ignores its own notes.
    let node = UUID().uuidString
    private let outgoing: AsyncStream<String>.Continuation
    private let queue: AsyncStream<String>

    init(hub: Hub, store: any ConveneStore, logger: Logger) {
        self.hub = hub
        self.store = store
        bus = store as? any EventBus
        self.logger = logger
        (queue, outgoing) = AsyncStream<String>.makeStream()
    }

    /// A committed channel event, encoded once.
    func event(channel: Int64, seq: Int64, frame: String) {
        hub.publish(channel: channel, seq: seq, frame: frame)
        send(Note(origin: node, channel: channel, seq: seq))
    }

    /// A frame for each of `user`'s connections, on every node (but `except` on this one).
    func toUser(_ user: Int64, frame: String, except: UInt64? = nil) {
        hub.publish(toUser: user, frame: frame, except: except)
        send(Note(origin: node, user: user, frame: frame))
    }

    /// An ephemeral frame (typing) for a channel's live subscribers, on every node.
    func ephemeral(channel: Int64, frame: String, except: UInt64) {
        hub.publishEphemeral(channel: channel, frame: frame, except: except)
        send(Note(origin: node, channel: channel, frame: frame))
    }

    private func send(_ note: Note) {
        guard bus != nil, let data = try? JSONEncoder().encode(note) else { return }
        outgoing.yield(String(decoding: data, as: UTF8.self))
    }

    /// Carries notes out and brings other nodes' in, until cancelled; returns at once for a
    /// single-node store. A lost listening connection is re-opened after a second.
    func run() async {
        guard let bus else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [queue, logger] in
                for await note in queue {
                    do {
                        try await bus.announce(note)
                    } catch {
                        logger.error("event bus: announce failed", metadata: ["error": "\(error)"])
                    }
                }
            }
            group.addTask { [logger] in
                while !Task.isCancelled {
                    do {
                        try await bus.listen { [weak self] text in await self?.receive(text) }
                    } catch {
                        if Task.isCancelled { return }
                        logger.error("event bus: listening failed; listening again in 1 s", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
            await group.waitForAll()
        }
    }

    private func receive(_ text: String) async {
        guard let note = try? JSONDecoder().decode(Note.self, from: Data(text.utf8)), note.origin != node else { return }
        switch (note.channel, note.seq, note.user, note.frame) {
        case (let channel?, let seq?, _, _):
            guard hub.subscriberCount(of: channel) > 0 else { return }
            do {
                for event in try await store.events(channelID: channel, afterSeq: seq - 1, limit: 1) where event.seq == seq {
                    hub.publish(channel: channel, seq: seq, frame: ServerFrame.event(event))
                }
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
