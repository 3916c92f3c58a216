import ConveneCore
import ConveneRealtime
import ConveneStore
import Foundation
import Logging
import Synchronization

/// The live rooms of calls, over the stream. A room's truth is its log in the store: every
/// command it accepted, at its seq. Each node with connections in a room keeps a `RoomReplica`
/// rebuilt from that log. A command is checked against the replica, stored at the next seq —
/// when another node took that seq first, the replica catches up and the command is checked
/// again — and then applied by reading the log back, exactly as every other node applies it when
/// the event bus (or, failing that, the sweep) tells it the room moved.
final class CallRooms: Sendable {
    let store: any ConveneStore
    let calls: Calls
    let directory: NetworkDirectory
    let messaging: Messaging
    let forums: Forums
    let fanout: Fanout
    let settings: Settings
    let logger: Logger
    let now: @Sendable () -> Date
    private let replicas = Mutex<[Int64: RoomReplica]>([:])
    /// The rooms each connection joined or knocked on: connection → occurrence id → room id.
    private let joined = Mutex<[UInt64: [String: Int64]]>([:])

    /// Tries at a seq before giving up on a room too busy to take a command.
    static let attempts = 20

    init(
        store: any ConveneStore, calls: Calls, directory: NetworkDirectory, messaging: Messaging, forums: Forums, fanout: Fanout, settings: Settings,
        logger: Logger, now: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.calls = calls
        self.directory = directory
        self.messaging = messaging
        self.forums = forums
        self.fanout = fanout
        self.settings = settings
        self.logger = logger
        self.now = now
        fanout.setRoomHandlers(
            { [weak self] room, user, frame in await self?.remote(room: room, user: user, frame: frame) },
            sweep: { [weak self] in await self?.sweep() })
    }

    // MARK: - entering

    /// `call.join` (or, with `knock`, `call.knock`): enters the room — facilitators, and members
    /// who said going or maybe (or were let in before) — or waits in its lobby for a facilitator or
    /// co-host. Replies with the room as the caller may see it.
    func enter(_ occurrenceID: String, knock: Bool, connection: StreamConnection, principal: Principal, name: String, ref: String?) async throws {
        let user = connection.userID
        let (series, community, occurrence) = try await calls.scheduled(occurrenceID, by: principal)
        try Policy.require(.rsvpCall, by: principal, on: directory.target(community))
        guard occurrence.status != .cancelled else { throw ConveneError(.conflict, "That call is cancelled.") }
        let stored = try await store.callRoom(seriesID: series.id, communityID: community.id, occurrence: occurrence.originalStart.description,
            lobbyMinutes: settings.callLobbyMinutes)
        let replica = self.replica(stored, occurrence, seriesTitle: series.title)
        try await replica.catchUp(store)
        let command: CallRoom.Command
        if knock {
            command = .knock(user: user, name: name)
        } else {
            let role: CallRoom.Role = Policy.check(.manageCalls, by: principal, on: directory.target(community)).isSuccess ? .facilitator : .participant
            let standing = RSVP.standings(try await store.rsvps(seriesID: series.id), occurrence: occurrence.originalStart, capacity: series.capacity)[user]
            let answered = standing.map { ($0.status == .going && !$0.waitlisted) || $0.status == .maybe } ?? false
            command = .join(user: user, name: name, role: role, answered: answered)
        }
        let already = joined.withLock { joined in
            defer { joined[connection.subscriberID, default: [:]][occurrence.id] = stored.id }
            return joined[connection.subscriberID]?[occurrence.id] != nil
        }
        replica.register(connection, knock ? .knocking : .outside)
        do {
            let (_, events) = try await perform(command, in: replica, by: user)
            try await admitToChat(events, in: replica)
        } catch {
            if !already { await drop(connection, occurrenceID: occurrence.id, leaving: false) }
            throw error
        }
        connection.send(replica.stateFrame(ref: ref, for: user, knocking: knock))
    }

    /// Adds whoever entered to the room's chat channel (a private channel of its members, made
    /// when someone first enters).
    private func admitToChat(_ events: [CallRoom.Event], in replica: RoomReplica) async throws {
        let entered = events.compactMap { if case .entered(let participant) = $0 { participant.user } else { nil } }
        guard !entered.isEmpty else { return }
        var channel = replica.channelID
        if channel == nil { channel = try await chatChannel(for: replica) }
        guard let channel else { return }
        for user in entered { _ = try await store.addChannelMember(channelID: channel, userID: user, now: now()) }
    }

    /// The room's chat channel, made by whichever node asks first.
    private func chatChannel(for replica: RoomReplica) async throws -> Int64 {
        let room = replica.stored
        if let stored = try await store.callRoom(id: room.id), let channel = stored.channelID {
            replica.channelID = channel
            return channel
        }
        do {
            let local = replica.occurrence.localStart.description.replacingOccurrences(of: "T", with: " ")
            let channel = try await store.createChannel(
                communityID: room.communityID, name: "call-\(replica.occurrence.id.lowercased())", topic: "In-call chat: \(replica.seriesTitle), \(local)",
                isPrivate: true, announcementOnly: false, slowModeSeconds: 0, createdBy: nil, now: now())
            replica.channelID = try await store.setRoomChannel(roomID: room.id, channelID: channel.id).channelID
        } catch let error as ConveneError where error.code == .conflict {
            // Another node made it a moment ago: it is recorded right after.
            for _ in 0..<40 where replica.channelID == nil {
                replica.channelID = try await store.callRoom(id: room.id)?.channelID
                if replica.channelID == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
        }
        guard let channel = replica.channelID else { throw ConveneError(.unavailable, "The call's chat could not be set up; try again.") }
        return channel
    }

    private func replica(_ stored: StoredRoom, _ occurrence: Occurrence, seriesTitle: String) -> RoomReplica {
        replicas.withLock { replicas in
            if let replica = replicas[stored.id] { return replica }
            let replica = RoomReplica(stored: stored, occurrence: occurrence, seriesTitle: seriesTitle, settings: settings, now: now)
            replicas[stored.id] = replica
            return replica
        }
    }

    /// The replica of a room the connection joined or knocked on; 409 otherwise.
    private func replica(of occurrenceID: String, for connection: StreamConnection) throws -> RoomReplica {
        guard let roomID = joined.withLock({ $0[connection.subscriberID]?[occurrenceID] }), let replica = replicas.withLock({ $0[roomID] }) else {
            throw ConveneError(.conflict, "Join the call first (call.join).")
        }
        return replica
    }

    // MARK: - commands

    /// Checks `command` against the room, stores it at the room's next seq and applies it; returns
    /// that seq and what changed (nothing changed: nothing stored, the seq the room stands at).
    @discardableResult
    func perform(_ command: CallRoom.Command, in replica: RoomReplica, by actor: Int64) async throws -> (seq: Int, events: [CallRoom.Event]) {
        let text = String(decoding: try JSONEncoder().encode(command), as: UTF8.self)
        for _ in 0..<Self.attempts {
            try await replica.catchUp(store)
            var (room, seq, lastAt) = replica.snapshot
            let at = max(now(), lastAt)
            let events = try room.handle(command, now: at)
            guard !events.isEmpty else { return (seq, []) }
            if try await store.appendRoomRecord(roomID: replica.stored.id, RoomRecord(seq: seq + 1, at: at, actorID: actor, command: text)) {
                try await replica.catchUp(store)
                fanout.room(replica.stored.id)
                return (seq + 1, events)
            }
        }
        throw ConveneError(.unavailable, "The room is too busy to take that now; try again.")
    }

    /// A room command from the stream (anything but entering, chat and signaling), answered with `call.ack`.
    func command(_ occurrenceID: String, _ command: CallRoom.Command, connection: StreamConnection, ref: String?) async throws {
        let replica = try replica(of: occurrenceID, for: connection)
        let (seq, events) = try await perform(command, in: replica, by: connection.userID)
        try await admitToChat(events, in: replica)
        if events.contains(.phase(.ended)) { await carryOver(replica) }
        connection.send(CallFrames.ack(ref: ref, occurrence: occurrenceID, seq: seq))
    }

    /// The tag questions carried over from calls wear (added to the community when missing).
    static let callTag = Tag(slug: "best-practices-call", name: "Monthly Best Practices Call")

    /// ★ The questions a call ended with unanswered become forum questions in its community, each
    /// by its asker, linked to the occurrence (each once, however often this runs). One a watched
    /// word refuses stays behind, logged.
    func carryOver(_ replica: RoomReplica) async {
        let room = replica.snapshot.room
        let unanswered = room.questions.filter { !$0.answered }
        guard !unanswered.isEmpty else { return }
        do {
            guard let community = try await store.community(id: replica.stored.communityID) else { return }
            if try await !store.tags(communityID: community.id).contains(where: { $0.slug == Self.callTag.slug }) {
                _ = try await store.putTag(communityID: community.id, Self.callTag)
            }
            let day = replica.occurrence.localStart.description.prefix(10)
            for question in unanswered {
                let title = question.text.count <= 200 ? question.text : String(question.text.prefix(199)) + "…"
                var body = "Asked during **\(replica.seriesTitle)** on \(day) and not answered in the call:\n\n"
                body += question.text.split(separator: "\n", omittingEmptySubsequences: false).map { "> " + $0 }.joined(separator: "\n")
                if !question.upvoters.isEmpty {
                    body += "\n\n\(question.upvoters.count) other participant\(question.upvoters.count == 1 ? "" : "s") wanted it answered too."
                }
                do {
                    let asker = try await store.principal(userID: question.author, now: now())
                    let screened = try await forums.screen([("title", title), ("body", body)], in: community, by: asker)
                    _ = try await forums.publish(
                        in: community, author: question.author, title: screened.texts[0], body: screened.texts[1], tags: [Self.callTag.slug],
                        source: .call(occurrence: replica.occurrence.id, question: question.id), screened: screened, mentionsIn: screened.texts[1])
                } catch let error as ConveneError where error.code != .internalError {
                    logger.notice(
                        "call room: a question stayed behind", metadata: ["occurrence": "\(replica.occurrence.id)", "question": "\(question.id)", "why": "\(error)"])
                }
            }
        } catch {
            logger.error("call room: could not carry questions over", metadata: ["occurrence": "\(replica.occurrence.id)", "error": "\(error)"])
        }
    }

    /// `call.leave`: out of the room (or the lobby).
    func leave(_ occurrenceID: String, connection: StreamConnection, ref: String?) async throws {
        let replica = try replica(of: occurrenceID, for: connection)
        let (seq, _) = try await perform(.leave(user: connection.userID), in: replica, by: connection.userID)
        await drop(connection, occurrenceID: occurrenceID, leaving: false)
        connection.send(CallFrames.ack(ref: ref, occurrence: occurrenceID, seq: seq))
    }

    /// `call.chat`: a message in the room's chat channel, with the channel's guarantees (seq, ack
    /// after commit, nonce); participants only.
    func chat(_ occurrenceID: String, body: String, nonce: String, connection: StreamConnection, principal: Principal) async throws
        -> Messaging.PostOutcome
    {
        let replica = try replica(of: occurrenceID, for: connection)
        guard replica.snapshot.room.participants[connection.userID] != nil else { throw ConveneError(.forbidden, "Join the call first.") }
        guard let channel = replica.channelID else { throw ConveneError(.conflict, "The call has no chat yet.") }
        return try await messaging.post(channelID: channel, body: body, threadID: nil, nonce: nonce, by: principal)
    }

    static let signalKinds: Set<String> = ["offer", "answer", "ice"]

    /// `call.signal`: relays an offer, answer or ICE candidate to one other participant of the same
    /// live room (on whichever node they are); `data` is the JSON as the sender wrote it.
    func signal(_ occurrenceID: String, to target: Int64, kind: String, data: String, connection: StreamConnection, ref: String?) throws {
        guard Self.signalKinds.contains(kind) else { throw ConveneError.invalid("kind", "kind is offer, answer or ice.") }
        guard data.utf8.count <= settings.callSignalBytes else {
            throw ConveneError(.payloadTooLarge, "A signal's data is at most \(settings.callSignalBytes) bytes.", field: "data")
        }
        let replica = try replica(of: occurrenceID, for: connection)
        let room = replica.snapshot.room
        guard room.participants[connection.userID] != nil else { throw ConveneError(.forbidden, "Join the call first.") }
        guard room.phase == .live else { throw ConveneError(.conflict, "Media starts when a facilitator starts the call.") }
        guard target != connection.userID, room.participants[target] != nil else {
            throw ConveneError(.notFound, "User \(target) is not in this call.", field: "to")
        }
        let frame = CallFrames.signal(occurrence: occurrenceID, from: connection.userID, kind: kind, data: data)
        replica.deliver(frame, toUser: target)
        fanout.toRoomUser(room: replica.stored.id, user: target, frame: frame)
        if ref != nil { connection.send(CallFrames.ack(ref: ref, occurrence: occurrenceID, seq: replica.snapshot.seq)) }
    }

    // MARK: - connections and nodes

    /// A connection closed: it leaves every room it was in (unless its user is still there on
    /// another connection of this node).
    func disconnected(_ connection: StreamConnection) async {
        let rooms = joined.withLock { $0.removeValue(forKey: connection.subscriberID) } ?? [:]
        for (occurrenceID, _) in rooms {
            await drop(connection, occurrenceID: occurrenceID, leaving: true, alreadyForgotten: rooms)
        }
    }

    /// Takes the connection out of a room here; with `leaving`, the user leaves the room unless
    /// another of their connections here is in it.
    private func drop(_ connection: StreamConnection, occurrenceID: String, leaving: Bool, alreadyForgotten: [String: Int64]? = nil) async {
        let roomID =
            alreadyForgotten?[occurrenceID]
            ?? joined.withLock { joined -> Int64? in
                let roomID = joined[connection.subscriberID]?.removeValue(forKey: occurrenceID)
                if joined[connection.subscriberID]?.isEmpty == true { joined[connection.subscriberID] = nil }
                return roomID
            }
        guard let roomID, let replica = replicas.withLock({ $0[roomID] }) else { return }
        let (stillHere, _) = replica.unregister(connection.subscriberID, user: connection.userID)
        if leaving && !stillHere {
            do {
                try await perform(.leave(user: connection.userID), in: replica, by: connection.userID)
            } catch {
                logger.error("call room: could not record a dropped connection's leave", metadata: ["room": "\(roomID)", "error": "\(error)"])
            }
        }
        replicas.withLock { replicas in
            if replicas[roomID] === replica, replica.state.withLock({ $0.viewers.isEmpty }) { replicas[roomID] = nil }
        }
    }

    /// Another node's note: the room moved (catch up), or a signal for a user here.
    private func remote(room roomID: Int64, user: Int64?, frame: String?) async {
        guard let replica = replicas.withLock({ $0[roomID] }) else { return }
        if let user, let frame {
            replica.deliver(frame, toUser: user)
            return
        }
        do {
            try await replica.catchUp(store)
        } catch {
            logger.error("call room: could not catch up", metadata: ["room": "\(roomID)", "error": "\(error)"])
        }
    }

    /// Brings every room with connections here up to date (a note may have been missed).
    private func sweep() async {
        for replica in replicas.withLock({ Array($0.values) }) {
            try? await replica.catchUp(store)
        }
    }
}
