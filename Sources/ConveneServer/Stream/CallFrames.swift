import ConveneCore
import ConveneRealtime
import Foundation

/// The frames of a call's live room: `call.state` (the whole room as one viewer may see it),
/// `call.event` (one change, numbered by the room's seq), `call.signal` (relayed WebRTC signaling)
/// and `call.ack`.
enum CallFrames {
    struct Person: Encodable {
        var user: Int64
        var name: String
        var role: CallRoom.Role
        var muted: Bool

        init(_ participant: CallRoom.Participant) {
            (user, name, role, muted) = (participant.user, participant.name, participant.role, participant.muted)
        }
    }

    struct Knock: Encodable {
        var user: Int64
        var name: String
        var at: Date

        init(_ knock: CallRoom.Knock) {
            (user, name, at) = (knock.user, knock.name, knock.at)
        }
    }

    struct Question: Encodable {
        var id: Int
        var author: Int64
        var text: String
        var upvotes: Int
        var answered: Bool
        var askedAt: Date

        init(_ question: CallRoom.Question) {
            (id, author, text, upvotes, answered, askedAt) =
                (question.id, question.author, question.text, question.upvoters.count, question.answered, question.askedAt)
        }
    }

    /// How the room carries media: peer to peer up to the mesh limit; past it, audio only, or the
    /// configured SFU.
    struct Media: Encodable, Equatable {
        var mode: String
        var meshLimit: Int
        var participants: Int
        var sfuUrl: String?

        init(participants: Int, settings: Settings) {
            mode = participants > settings.callMeshLimit ? "audio_only" : "mesh"
            meshLimit = settings.callMeshLimit
            self.participants = participants
            sfuUrl = participants > settings.callMeshLimit && !settings.callSFUURL.isEmpty ? settings.callSFUURL : nil
        }
    }

    struct IceServer: Encodable {
        var urls: [String]
        var username: String?
        var credential: String?
        var expiresAt: Date?
    }

    /// STUN for everyone; TURN with a credential minted for `user` (coturn's `use-auth-secret`).
    static func iceServers(for user: Int64, settings: Settings, now: Date) -> [IceServer] {
        var servers: [IceServer] = []
        if !settings.callSTUNURLs.isEmpty { servers.append(IceServer(urls: settings.callSTUNURLs)) }
        if !settings.callTURNURLs.isEmpty {
            let minted = TURNCredentials.mint(user: user, secret: settings.callTURNSecret, now: now, lifetime: TimeInterval(settings.callTURNTTLSeconds))
            servers.append(IceServer(urls: settings.callTURNURLs, username: minted.username, credential: minted.credential, expiresAt: minted.expiresAt))
        }
        return servers
    }

    struct You: Encodable {
        var user: Int64
        /// `in_room`, `knocking`, or `out` (left, removed, turned away, or the call ended).
        var status: String
        var role: CallRoom.Role?
    }

    struct State: Encodable {
        var op = "call.state"
        var occurrence: String
        var room: Int64
        var seq: Int
        var phase: CallRoom.Phase
        var startsAt: Date
        var endsAt: Date
        var lobbyOpensAt: Date
        var locked: Bool
        var you: You
        var participants: [Person]
        /// Waiting knocks, for those who hold the room (a knocker sees only their own).
        var knocks: [Knock]
        /// Raised hands in order: all of them for those who hold the room, one's own for others.
        var hands: [Int64]
        var questions: [Question]
        var chatChannel: Int64?
        var iceServers: [IceServer]
        var media: Media
    }

    /// The room as `user` may see it.
    static func state(
        ref: String?, occurrence: Occurrence, room stored: Int64, channel: Int64?, seq: Int, room: CallRoom, user: Int64, knocking: Bool,
        settings: Settings, now: Date
    ) -> String {
        var room = room
        _ = room.tick(now: now)
        let me = room.participants[user]
        let holds = me?.role.holdsTheRoom == true
        let state = State(
            occurrence: occurrence.id, room: stored, seq: seq, phase: room.phase, startsAt: occurrence.startsAt, endsAt: occurrence.endsAt,
            lobbyOpensAt: occurrence.startsAt.addingTimeInterval(-room.lobbyOpens), locked: room.locked,
            you: You(user: user, status: me != nil ? "in_room" : knocking && room.knocks.contains { $0.user == user } ? "knocking" : "out", role: me?.role),
            participants: me == nil ? [] : room.participants.values.sorted { $0.user < $1.user }.map(Person.init),
            knocks: room.knocks.filter { holds || $0.user == user }.map(Knock.init),
            hands: me == nil ? [] : room.hands(seenBy: user),
            questions: me == nil ? [] : room.questionQueue.map(Question.init),
            chatChannel: me == nil ? nil : channel,
            iceServers: me == nil ? [] : iceServers(for: user, settings: settings, now: now),
            media: Media(participants: room.participants.count, settings: settings))
        return withRef(encode(state), ref)
    }

    struct EventFrame<Data: Encodable>: Encodable {
        var op = "call.event"
        var occurrence: String
        var seq: Int
        var type: String
        var data: Data
    }

    struct UserData: Encodable { var user: Int64 }
    struct HandData: Encodable { var user: Int64; var raised: Bool }
    struct MutedData: Encodable { var user: Int64; var muted: Bool }
    struct RoleData: Encodable { var user: Int64; var role: CallRoom.Role }
    struct PhaseData: Encodable { var phase: CallRoom.Phase }
    struct LockedData: Encodable { var locked: Bool }
    struct UpvotedData: Encodable { var question: Int; var upvotes: Int }
    struct AnsweredData: Encodable { var question: Int }

    /// One change, as a `call.event` frame.
    static func event(_ event: CallRoom.Event, occurrence: String, seq: Int) -> String {
        func frame(_ type: String, _ data: some Encodable) -> String {
            encode(EventFrame(occurrence: occurrence, seq: seq, type: type, data: data))
        }
        switch event {
        case .phase(let phase): return frame("phase", PhaseData(phase: phase))
        case .entered(let participant): return frame("entered", Person(participant))
        case .knocked(let knock): return frame("knocked", Knock(knock))
        case .admitted(let user): return frame("admitted", UserData(user: user))
        case .denied(let user): return frame("denied", UserData(user: user))
        case .left(let user): return frame("left", UserData(user: user))
        case .removed(let user): return frame("removed", UserData(user: user))
        case .hand(let user, let raised): return frame("hand", HandData(user: user, raised: raised))
        case .muted(let user, let muted): return frame("muted", MutedData(user: user, muted: muted))
        case .locked(let locked): return frame("locked", LockedData(locked: locked))
        case .asked(let question): return frame("asked", Question(question))
        case .upvoted(let question, let count): return frame("upvoted", UpvotedData(question: question, upvotes: count))
        case .answered(let question): return frame("answered", AnsweredData(question: question))
        case .role(let user, let role): return frame("role", RoleData(user: user, role: role))
        }
    }

    static func media(_ media: Media, occurrence: String, seq: Int) -> String {
        encode(EventFrame(occurrence: occurrence, seq: seq, type: "media", data: media))
    }

    /// A relayed offer, answer or ICE candidate; `data` is the sender's JSON as it came.
    static func signal(occurrence: String, from user: Int64, kind: String, data: String) -> String {
        "{\"op\":\"call.signal\",\"occurrence\":\(ServerFrame.quoted(occurrence)),\"from\":\(user),\"kind\":\(ServerFrame.quoted(kind)),\"data\":\(data)}"
    }

    /// A command the room took (at `seq`), or one that changed nothing (the seq the room stands at).
    static func ack(ref: String?, occurrence: String, seq: Int) -> String {
        withRef("{\"op\":\"call.ack\",\"occurrence\":\(ServerFrame.quoted(occurrence)),\"seq\":\(seq)}", ref)
    }

    private static func withRef(_ object: String, _ ref: String?) -> String {
        guard let ref else { return object }
        return "{\"ref\":\(ref)," + object.dropFirst()
    }

    private static func encode(_ value: some Encodable) -> String {
        (try? JSON.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
