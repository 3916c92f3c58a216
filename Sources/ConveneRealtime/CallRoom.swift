public import ConveneCore
public import Foundation

/// One occurrence's live room, as a pure state machine: every command is checked against the
/// room's phase and the caller's role and either changes the room (returning what happened, for
/// the stream to announce) or is refused with the API's error. No sockets, no clock of its own:
/// the time comes with each command.
///
/// Phases: scheduled → lobby (from `lobbyOpens` before the start) → live (a facilitator starts
/// it) → ended (a facilitator ends it). Facilitators and co-hosts hold the room; members who
/// answered going or maybe enter directly; anyone else knocks and waits for a facilitator or
/// co-host to admit them; once admitted they may come back (after a dropped connection) without
/// knocking again. A removed participant cannot come back unless admitted again. A locked room
/// takes nobody new but its facilitators and co-hosts. A facilitator makes a participant co-host
/// and back.
///
/// Commands are `Codable`: the server stores each accepted one with its time, and any node
/// rebuilds the room by replaying them in order.
public struct CallRoom: Sendable, Hashable {
    public enum Phase: String, Sendable, Codable {
        case scheduled, lobby, live, ended
    }

    public enum Role: String, Sendable, Codable, Comparable {
        case participant, cohost = "co_host", facilitator

        var rank: Int {
            switch self {
            case .participant: 0
            case .cohost: 1
            case .facilitator: 2
            }
        }

        public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

        /// Admits, mutes, removes, locks.
        public var holdsTheRoom: Bool { self >= .cohost }
    }

    public struct Participant: Sendable, Hashable, Codable {
        public var user: Int64
        public var name: String
        public var role: Role
        public var muted: Bool
    }

    public struct Knock: Sendable, Hashable, Codable {
        public var user: Int64
        public var name: String
        public var at: Date
    }

    public struct Question: Sendable, Hashable, Codable {
        public var id: Int
        public var author: Int64
        public var text: String
        public var upvoters: Set<Int64>
        public var answered: Bool
        public var askedAt: Date
    }

    /// What a command changed.
    public enum Event: Sendable, Hashable {
        case phase(Phase)
        case entered(Participant)
        case knocked(Knock)
        case admitted(Int64)
        case denied(Int64)
        case left(Int64)
        case removed(Int64)
        case hand(user: Int64, raised: Bool)
        case muted(user: Int64, muted: Bool)
        case locked(Bool)
        case asked(Question)
        case upvoted(question: Int, count: Int)
        case answered(question: Int)
        case role(user: Int64, role: Role)
    }

    public enum Command: Sendable, Hashable, Codable {
        /// `role` from the user's grants; `answered` whether they said going or maybe.
        case join(user: Int64, name: String, role: Role, answered: Bool)
        case knock(user: Int64, name: String)
        case admit(by: Int64, user: Int64)
        case deny(by: Int64, user: Int64)
        case leave(user: Int64)
        case raiseHand(user: Int64, raised: Bool)
        /// A facilitator or co-host lowers someone's hand.
        case lowerHand(by: Int64, user: Int64)
        /// Muting someone (`muted` false: only one's own unmute).
        case mute(by: Int64, user: Int64, muted: Bool)
        case muteAll(by: Int64)
        case remove(by: Int64, user: Int64)
        case lock(by: Int64, locked: Bool)
        case start(by: Int64)
        case end(by: Int64)
        case ask(user: Int64, text: String)
        case upvote(user: Int64, question: Int)
        case markAnswered(by: Int64, question: Int)
        /// A facilitator makes a participant co-host (`cohost` true) or a participant again.
        case setCohost(by: Int64, user: Int64, cohost: Bool)
    }

    public let startsAt: Date
    public let lobbyOpens: TimeInterval
    public private(set) var phase: Phase = .scheduled
    public private(set) var participants: [Int64: Participant] = [:]
    /// Knocks waiting, in order.
    public private(set) var knocks: [Knock] = []
    /// Raised hands, in the order raised.
    public private(set) var hands: [Int64] = []
    public private(set) var removed: Set<Int64> = []
    /// Let in by a facilitator or co-host since their last removal: they come back without knocking.
    public private(set) var admitted: Set<Int64> = []
    public private(set) var locked = false
    public private(set) var questions: [Question] = []

    public static let questionLength = 500

    /// - Parameters:
    ///   - startsAt: the occurrence's start.
    ///   - lobbyOpens: how long before the start the lobby opens.
    public init(startsAt: Date, lobbyOpens: TimeInterval = 15 * 60) {
        self.startsAt = startsAt
        self.lobbyOpens = lobbyOpens
    }

    /// Moves a scheduled room to its lobby once the time has come.
    public mutating func tick(now: Date) -> [Event] {
        guard phase == .scheduled, now >= startsAt.addingTimeInterval(-lobbyOpens) else { return [] }
        phase = .lobby
        return [.phase(.lobby)]
    }

    /// Applies a command at `now`; returns what it changed, or throws the refusal.
    public mutating func handle(_ command: Command, now: Date) throws(ConveneError) -> [Event] {
        var events = tick(now: now)
        switch command {
        case .join(let user, let name, let role, let answered):
            try open()
            if participants[user] != nil { return events }
            if !role.holdsTheRoom {
                if locked { throw ConveneError(.forbidden, "The room is locked.") }
                if removed.contains(user) { throw ConveneError(.forbidden, "You were removed from this call; knock to be let in again.") }
                guard answered || admitted.contains(user) else { throw ConveneError(.forbidden, "Knock: a facilitator lets in those who did not answer going or maybe.") }
            }
            events.append(enter(Participant(user: user, name: name, role: role, muted: false)))
        case .knock(let user, let name):
            try open()
            if locked { throw ConveneError(.forbidden, "The room is locked.") }
            guard participants[user] == nil else { throw ConveneError(.conflict, "You are in the room.") }
            guard !knocks.contains(where: { $0.user == user }) else { return events }
            let knock = Knock(user: user, name: name, at: now)
            knocks.append(knock)
            events.append(.knocked(knock))
        case .admit(let by, let user):
            try holder(by)
            guard let index = knocks.firstIndex(where: { $0.user == user }) else { throw ConveneError.notFound("The knock") }
            let knock = knocks.remove(at: index)
            removed.remove(user)
            admitted.insert(user)
            events += [.admitted(user), enter(Participant(user: user, name: knock.name, role: .participant, muted: false))]
        case .deny(let by, let user):
            try holder(by)
            guard let index = knocks.firstIndex(where: { $0.user == user }) else { throw ConveneError.notFound("The knock") }
            knocks.remove(at: index)
            events.append(.denied(user))
        case .leave(let user):
            knocks.removeAll { $0.user == user }
            guard participants.removeValue(forKey: user) != nil else { return events }
            hands.removeAll { $0 == user }
            events.append(.left(user))
        case .raiseHand(let user, let raised):
            try live(user)
            events += setHand(user, raised)
        case .lowerHand(let by, let user):
            try holder(by)
            events += setHand(user, false)
        case .mute(let by, let user, let muted):
            guard var target = participants[user] else { throw ConveneError.notFound("The participant") }
            if by != user {
                try holder(by)
                guard muted else { throw ConveneError(.forbidden, "Only they can unmute themselves.") }
                guard target.role < (participants[by]?.role ?? .participant) || participants[by]?.role == .facilitator else {
                    throw ConveneError(.forbidden, "A co-host does not mute a facilitator or another co-host.")
                }
            }
            guard target.muted != muted else { return events }
            target.muted = muted
            participants[user] = target
            events.append(.muted(user: user, muted: muted))
        case .muteAll(let by):
            try holder(by)
            for (user, participant) in participants.sorted(by: { $0.key < $1.key }) where !participant.role.holdsTheRoom && !participant.muted {
                participants[user]?.muted = true
                events.append(.muted(user: user, muted: true))
            }
        case .remove(let by, let user):
            try holder(by)
            guard let target = participants[user] else { throw ConveneError.notFound("The participant") }
            guard target.role < participants[by]!.role else { throw ConveneError(.forbidden, "Only someone above them removes a \(target.role.rawValue).") }
            participants[user] = nil
            hands.removeAll { $0 == user }
            removed.insert(user)
            admitted.remove(user)
            events.append(.removed(user))
        case .setCohost(let by, let user, let cohost):
            try facilitator(by)
            guard var target = participants[user] else { throw ConveneError.notFound("The participant") }
            guard target.role != .facilitator else { throw ConveneError(.conflict, "A facilitator holds the room already.") }
            let role: Role = cohost ? .cohost : .participant
            guard target.role != role else { return events }
            target.role = role
            participants[user] = target
            events.append(.role(user: user, role: role))
        case .lock(let by, let locked):
            try holder(by)
            guard self.locked != locked else { return events }
            self.locked = locked
            events.append(.locked(locked))
        case .start(let by):
            try facilitator(by)
            guard phase == .lobby else { throw ConveneError(.conflict, phase == .live ? "The call is live already." : "The lobby is not open.") }
            phase = .live
            events.append(.phase(.live))
        case .end(let by):
            try facilitator(by)
            guard phase == .lobby || phase == .live else { throw ConveneError(.conflict, "The call is not on.") }
            phase = .ended
            events.append(.phase(.ended))
            for user in participants.keys.sorted() { events.append(.left(user)) }
            participants = [:]
            knocks = []
            hands = []
        case .ask(let user, let raw):
            try inRoom(user)
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...Self.questionLength).contains(text.count) else {
                throw ConveneError.invalid("text", "A question is 1–\(Self.questionLength) characters.")
            }
            let question = Question(id: questions.count + 1, author: user, text: text, upvoters: [], answered: false, askedAt: now)
            questions.append(question)
            events.append(.asked(question))
        case .upvote(let user, let id):
            try inRoom(user)
            guard let index = questions.firstIndex(where: { $0.id == id }) else { throw ConveneError.notFound("The question") }
            guard questions[index].author != user else { throw ConveneError(.forbidden, "Nobody upvotes their own question.") }
            guard questions[index].upvoters.insert(user).inserted else { return events }
            events.append(.upvoted(question: id, count: questions[index].upvoters.count))
        case .markAnswered(let by, let id):
            try holder(by)
            guard let index = questions.firstIndex(where: { $0.id == id }) else { throw ConveneError.notFound("The question") }
            guard !questions[index].answered else { return events }
            questions[index].answered = true
            events.append(.answered(question: id))
        }
        return events
    }

    /// The questions by votes (most first), then asked first; answered ones last.
    public var questionQueue: [Question] {
        questions.sorted { ($0.answered ? 1 : 0, -$0.upvoters.count, $0.id) < ($1.answered ? 1 : 0, -$1.upvoters.count, $1.id) }
    }

    /// What `user` sees of the raised hands: all of them, in order, for those who hold the room;
    /// only their own for anyone else.
    public func hands(seenBy user: Int64) -> [Int64] {
        participants[user]?.role.holdsTheRoom == true ? hands : hands.filter { $0 == user }
    }

    private mutating func enter(_ participant: Participant) -> Event {
        knocks.removeAll { $0.user == participant.user }
        participants[participant.user] = participant
        return .entered(participant)
    }

    private mutating func setHand(_ user: Int64, _ raised: Bool) -> [Event] {
        let up = hands.contains(user)
        guard up != raised else { return [] }
        if raised { hands.append(user) } else { hands.removeAll { $0 == user } }
        return [.hand(user: user, raised: raised)]
    }

    private func open() throws(ConveneError) {
        switch phase {
        case .scheduled: throw ConveneError(.conflict, "The lobby is not open yet.")
        case .ended: throw ConveneError(.conflict, "The call has ended.")
        case .lobby, .live: return
        }
    }

    private func inRoom(_ user: Int64) throws(ConveneError) {
        guard participants[user] != nil else { throw ConveneError(.forbidden, "Join the call first.") }
    }

    private func live(_ user: Int64) throws(ConveneError) {
        try inRoom(user)
        guard phase == .live else { throw ConveneError(.conflict, "The call has not started.") }
    }

    private func holder(_ user: Int64) throws(ConveneError) {
        guard participants[user]?.role.holdsTheRoom == true else { throw ConveneError(.forbidden, "Only the call's facilitators and co-hosts do that.") }
    }

    private func facilitator(_ user: Int64) throws(ConveneError) {
        guard participants[user]?.role == .facilitator else { throw ConveneError(.forbidden, "Only the call's facilitators do that.") }
    }
}

extension CallRoom {
    /// What a room's log says happened: the room at its end, each stay (a join to its leave), the
    /// names people entered under, and when the call went live and ended.
    public struct History: Sendable {
        public var room: CallRoom
        public var stays: [Attendance.Stay] = []
        public var names: [Int64: String] = [:]
        public var liveAt: Date?
        public var endedAt: Date?
    }

    /// Replays a room's log — its commands with their times, in order — from the start.
    public static func history(startsAt: Date, lobbyOpens: TimeInterval, log: [(command: Command, at: Date)]) -> History {
        var history = History(room: CallRoom(startsAt: startsAt, lobbyOpens: lobbyOpens))
        var open: [Int64: Int] = [:]
        for (command, at) in log {
            // Each command was checked against this very state before it was stored.
            for event in (try? history.room.handle(command, now: at)) ?? [] {
                switch event {
                case .entered(let participant):
                    history.names[participant.user] = participant.name
                    open[participant.user] = history.stays.count
                    history.stays.append(Attendance.Stay(user: participant.user, joinedAt: at, leftAt: nil))
                case .left(let user), .removed(let user):
                    if let index = open.removeValue(forKey: user) { history.stays[index].leftAt = at }
                case .phase(.live):
                    history.liveAt = at
                case .phase(.ended):
                    history.endedAt = at
                default:
                    break
                }
            }
        }
        return history
    }
}
