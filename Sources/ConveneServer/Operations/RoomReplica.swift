import ConveneCore
import ConveneRealtime
import ConveneStore
import Foundation
import Synchronization

/// This node's copy of one call room: the state machine rebuilt from the room's log in the store,
/// the seq it has applied, and the connections here that are in the room (or knocking). Records
/// are applied strictly in seq order under one lock, and each one's frames are queued to the
/// viewers while it is held, so every connection sees the room's changes in the log's order — on
/// every node alike.
final class RoomReplica: Sendable {
    enum Standing: Sendable {
        /// Not in the room: asked to join (becomes `inRoom` when the room lets them in), or left,
        /// removed or turned away.
        case outside
        case knocking
        case inRoom
    }

    struct Viewer: Sendable {
        let connection: StreamConnection
        var standing: Standing
    }

    struct State: Sendable {
        var room: CallRoom
        var seq = 0
        /// The latest record's time: a later record is never stamped earlier (nodes' clocks differ).
        var lastAt = Date.distantPast
        var viewers: [UInt64: Viewer] = [:]
        /// The room's chat channel, made when someone first enters.
        var channelID: Int64?
    }

    let stored: StoredRoom
    let occurrence: Occurrence
    let seriesTitle: String
    let settings: Settings
    let now: @Sendable () -> Date
    let state: Mutex<State>

    init(stored: StoredRoom, occurrence: Occurrence, seriesTitle: String, settings: Settings, now: @escaping @Sendable () -> Date) {
        self.stored = stored
        self.occurrence = occurrence
        self.seriesTitle = seriesTitle
        self.settings = settings
        self.now = now
        state = Mutex(
            State(room: CallRoom(startsAt: occurrence.startsAt, lobbyOpens: TimeInterval(stored.lobbyMinutes * 60)), channelID: stored.channelID))
    }

    var snapshot: (room: CallRoom, seq: Int, lastAt: Date) {
        state.withLock { ($0.room, $0.seq, $0.lastAt) }
    }

    /// Applies the records the store has past this replica's seq, sending each one's frames.
    func catchUp(_ store: any ConveneStore) async throws {
        let (after, channel) = state.withLock { ($0.seq, $0.channelID) }
        // The chat channel may have been made on another node since this replica was.
        if channel == nil, let made = try await store.callRoom(id: stored.id)?.channelID { channelID = made }
        let records = try await store.roomRecords(roomID: stored.id, afterSeq: after)
        guard !records.isEmpty else { return }
        state.withLock { state in
            for record in records where record.seq == state.seq + 1 {
                let before = state.room.participants.count
                var events: [CallRoom.Event] = []
                if let command = try? JSONDecoder().decode(CallRoom.Command.self, from: Data(record.command.utf8)) {
                    // A stored command was checked against this very state before it was stored.
                    events = (try? state.room.handle(command, now: record.at)) ?? []
                }
                state.seq = record.seq
                state.lastAt = max(state.lastAt, record.at)
                publish(events, seq: record.seq, participantsBefore: before, &state)
            }
        }
    }

    /// Queues each event's frame to the viewers who may see it (see `CallFrames`).
    private func publish(_ events: [CallRoom.Event], seq: Int, participantsBefore: Int, _ state: inout State) {
        let room = state.room
        for event in events {
            let frame = CallFrames.event(event, occurrence: occurrence.id, seq: seq)
            for (id, viewer) in state.viewers {
                let user = viewer.connection.userID
                let inRoom = viewer.standing == .inRoom
                let holds = inRoom && room.participants[user]?.role.holdsTheRoom == true
                switch event {
                case .entered(let participant) where participant.user == user:
                    switch viewer.standing {
                    case .inRoom: break
                    case .outside:
                        // Their join's own reply is the state.
                        state.viewers[id]?.standing = .inRoom
                    case .knocking:
                        state.viewers[id]?.standing = .inRoom
                        viewer.connection.deliverDirect(frame: stateFrame(ref: nil, for: user, room: room, seq: seq, channel: state.channelID))
                    }
                case .left(let who) where who == user, .removed(let who) where who == user, .denied(let who) where who == user:
                    viewer.connection.deliverDirect(frame: frame)
                    state.viewers[id]?.standing = .outside
                case .role(let who, _) where who == user:
                    // What they may see changes with their role: the whole room again.
                    if inRoom { viewer.connection.deliverDirect(frame: stateFrame(ref: nil, for: user, room: room, seq: seq, channel: state.channelID)) }
                case .knocked:
                    if holds { viewer.connection.deliverDirect(frame: frame) }
                case .admitted(let who), .hand(let who, _):
                    if holds || (who == user && inRoom) || (who == user && viewer.standing == .knocking) { viewer.connection.deliverDirect(frame: frame) }
                case .denied:
                    if holds { viewer.connection.deliverDirect(frame: frame) }
                case .phase(.ended):
                    if viewer.standing != .outside { viewer.connection.deliverDirect(frame: frame) }
                default:
                    if inRoom { viewer.connection.deliverDirect(frame: frame) }
                }
            }
        }
        let before = CallFrames.Media(participants: participantsBefore, settings: settings)
        let after = CallFrames.Media(participants: room.participants.count, settings: settings)
        if before.mode != after.mode {
            let frame = CallFrames.media(after, occurrence: occurrence.id, seq: seq)
            for viewer in state.viewers.values where viewer.standing == .inRoom { viewer.connection.deliverDirect(frame: frame) }
        }
    }

    var channelID: Int64? {
        get { state.withLock { $0.channelID } }
        set { state.withLock { $0.channelID = newValue } }
    }

    /// The room as `user` sees it, as a `call.state` frame.
    /// (Called under the lock, so everything comes as arguments.)
    func stateFrame(ref: String?, for user: Int64, room: CallRoom, seq: Int, channel: Int64?, knocking: Bool = false) -> String {
        CallFrames.state(
            ref: ref, occurrence: occurrence, room: stored.id, channel: channel, seq: seq, room: room, user: user, knocking: knocking,
            settings: settings, now: now())
    }

    /// The room as `user` sees it now.
    func stateFrame(ref: String?, for user: Int64, knocking: Bool) -> String {
        let (room, seq, channel) = state.withLock { ($0.room, $0.seq, $0.channelID) }
        return stateFrame(ref: ref, for: user, room: room, seq: seq, channel: channel, knocking: knocking)
    }

    /// Adds a connection (one already in the room stays in it).
    func register(_ connection: StreamConnection, _ standing: Standing) {
        state.withLock { state in
            if state.viewers[connection.subscriberID]?.standing == .inRoom { return }
            state.viewers[connection.subscriberID] = Viewer(connection: connection, standing: standing)
        }
    }

    /// Takes a connection out; returns whether another connection of its user is still here, and whether none is left at all.
    func unregister(_ connectionID: UInt64, user: Int64) -> (userStillHere: Bool, empty: Bool) {
        state.withLock { state in
            state.viewers[connectionID] = nil
            return (state.viewers.values.contains { $0.connection.userID == user && $0.standing != .outside }, state.viewers.isEmpty)
        }
    }

    /// Sends a frame to `user`'s connections here that are in the room.
    func deliver(_ frame: String, toUser user: Int64) {
        state.withLock { state in
            for viewer in state.viewers.values where viewer.connection.userID == user && viewer.standing == .inRoom {
                viewer.connection.deliverDirect(frame: frame)
            }
        }
    }
}
