import ConveneCore
import Foundation
import Testing
@testable import ConveneRealtime

@Suite("Call room state machine")
struct CallRoomTests {
    static let start = Date(timeIntervalSince1970: 1_791_000_000)
    static let lobbyTime = start.addingTimeInterval(-10 * 60)
    static let (fac, cohost, ann, bob, cy) = (Int64(1), Int64(2), Int64(3), Int64(4), Int64(5))

    /// A room in its lobby with a facilitator, a co-host, and Ann and Bob who answered going.
    static func gathered() throws -> CallRoom {
        var room = CallRoom(startsAt: start, lobbyOpens: 15 * 60)
        _ = try room.handle(.join(user: fac, name: "Fay", role: .facilitator, answered: false), now: lobbyTime)
        _ = try room.handle(.join(user: cohost, name: "Cole", role: .cohost, answered: false), now: lobbyTime)
        _ = try room.handle(.join(user: ann, name: "Ann", role: .participant, answered: true), now: lobbyTime)
        _ = try room.handle(.join(user: bob, name: "Bob", role: .participant, answered: true), now: lobbyTime)
        return room
    }

    static func refused(_ room: inout CallRoom, _ command: CallRoom.Command, at now: Date = lobbyTime) -> ConveneError.Code? {
        do {
            _ = try room.handle(command, now: now)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("scheduled until the lobby opens; a facilitator starts and ends it; nobody enters before or after")
    func phases() throws {
        var room = CallRoom(startsAt: Self.start, lobbyOpens: 15 * 60)
        #expect(Self.refused(&room, .join(user: Self.fac, name: "Fay", role: .facilitator, answered: true), at: Self.start.addingTimeInterval(-16 * 60)) == .conflict)
        #expect(room.phase == .scheduled)
        #expect(room.tick(now: Self.start.addingTimeInterval(-15 * 60)) == [.phase(.lobby)])
        room = try Self.gathered()
        #expect(Self.refused(&room, .start(by: Self.cohost)) == .forbidden, "a co-host does not start the call")
        #expect(try room.handle(.start(by: Self.fac), now: Self.start) == [.phase(.live)])
        #expect(Self.refused(&room, .start(by: Self.fac)) == .conflict)
        let ended = try room.handle(.end(by: Self.fac), now: Self.start.addingTimeInterval(3_600))
        #expect(ended.first == .phase(.ended))
        #expect(ended.filter { if case .left = $0 { true } else { false } }.count == 4)
        #expect(room.participants.isEmpty)
        #expect(Self.refused(&room, .join(user: Self.ann, name: "Ann", role: .participant, answered: true)) == .conflict)
    }

    @Test("who did not answer knocks, and only a facilitator or co-host lets them in or turns them away")
    func knockAndAdmit() throws {
        var room = try Self.gathered()
        #expect(Self.refused(&room, .join(user: Self.cy, name: "Cy", role: .participant, answered: false)) == .forbidden)
        let knocked = try room.handle(.knock(user: Self.cy, name: "Cy"), now: Self.lobbyTime)
        #expect(knocked == [.knocked(CallRoom.Knock(user: Self.cy, name: "Cy", at: Self.lobbyTime))])
        #expect(Self.refused(&room, .admit(by: Self.ann, user: Self.cy)) == .forbidden)
        let admitted = try room.handle(.admit(by: Self.cohost, user: Self.cy), now: Self.lobbyTime)
        #expect(admitted.first == .admitted(Self.cy))
        #expect(room.participants[Self.cy]?.role == .participant)
        #expect(room.knocks.isEmpty)
        #expect(Self.refused(&room, .admit(by: Self.fac, user: Self.cy)) == .notFound, "nobody is knocking")
        _ = try room.handle(.knock(user: 9, name: "Ida"), now: Self.lobbyTime)
        #expect(try room.handle(.deny(by: Self.fac, user: 9), now: Self.lobbyTime) == [.denied(9)])
        #expect(room.participants[9] == nil)
    }

    @Test("a removed participant cannot rejoin until admitted again; nobody removes someone of their own rank or above")
    func removeThenRejoin() throws {
        var room = try Self.gathered()
        #expect(Self.refused(&room, .remove(by: Self.ann, user: Self.bob)) == .forbidden)
        #expect(Self.refused(&room, .remove(by: Self.cohost, user: Self.fac)) == .forbidden)
        #expect(try room.handle(.remove(by: Self.cohost, user: Self.bob), now: Self.lobbyTime) == [.removed(Self.bob)])
        #expect(Self.refused(&room, .join(user: Self.bob, name: "Bob", role: .participant, answered: true)) == .forbidden)
        _ = try room.handle(.knock(user: Self.bob, name: "Bob"), now: Self.lobbyTime)
        _ = try room.handle(.admit(by: Self.fac, user: Self.bob), now: Self.lobbyTime)
        #expect(room.participants[Self.bob] != nil)
        _ = try room.handle(.leave(user: Self.bob), now: Self.lobbyTime)
        _ = try room.handle(.join(user: Self.bob, name: "Bob", role: .participant, answered: true), now: Self.lobbyTime)
        #expect(room.participants[Self.bob] != nil, "re-admitted, the removal is over")
    }

    @Test("a locked room takes nobody new but its facilitators and co-hosts, and no knocks")
    func lock() throws {
        var room = try Self.gathered()
        #expect(Self.refused(&room, .lock(by: Self.ann, locked: true)) == .forbidden)
        #expect(try room.handle(.lock(by: Self.cohost, locked: true), now: Self.lobbyTime) == [.locked(true)])
        #expect(Self.refused(&room, .join(user: Self.cy, name: "Cy", role: .participant, answered: true)) == .forbidden)
        #expect(Self.refused(&room, .knock(user: Self.cy, name: "Cy")) == .forbidden)
        #expect(try room.handle(.join(user: 8, name: "Flo", role: .facilitator, answered: false), now: Self.lobbyTime).count == 1)
        _ = try room.handle(.lock(by: Self.fac, locked: false), now: Self.lobbyTime)
        #expect(try room.handle(.join(user: Self.cy, name: "Cy", role: .participant, answered: true), now: Self.lobbyTime).count == 1)
    }

    @Test("mute all silences the participants, not the hosts; nobody but oneself unmutes")
    func mutes() throws {
        var room = try Self.gathered()
        let muted = try room.handle(.muteAll(by: Self.cohost), now: Self.lobbyTime)
        #expect(muted == [.muted(user: Self.ann, muted: true), .muted(user: Self.bob, muted: true)])
        #expect(room.participants[Self.fac]?.muted == false)
        #expect(Self.refused(&room, .mute(by: Self.fac, user: Self.ann, muted: false)) == .forbidden, "a host does not unmute someone")
        #expect(try room.handle(.mute(by: Self.ann, user: Self.ann, muted: false), now: Self.lobbyTime) == [.muted(user: Self.ann, muted: false)])
        #expect(Self.refused(&room, .mute(by: Self.bob, user: Self.ann, muted: true)) == .forbidden)
        #expect(Self.refused(&room, .mute(by: Self.cohost, user: Self.fac, muted: true)) == .forbidden)
        #expect(try room.handle(.mute(by: Self.fac, user: Self.cohost, muted: true), now: Self.lobbyTime) == [.muted(user: Self.cohost, muted: true)])
        #expect(Self.refused(&room, .muteAll(by: Self.ann)) == .forbidden)
    }

    @Test("hands go up in order once the call is live; hosts see the queue, a participant only their own hand")
    func hands() throws {
        var room = try Self.gathered()
        #expect(Self.refused(&room, .raiseHand(user: Self.ann, raised: true)) == .conflict, "not live yet")
        _ = try room.handle(.start(by: Self.fac), now: Self.start)
        _ = try room.handle(.join(user: Self.cy, name: "Cy", role: .participant, answered: true), now: Self.start)
        for user in [Self.bob, Self.ann, Self.cy] { _ = try room.handle(.raiseHand(user: user, raised: true), now: Self.start) }
        #expect(try room.handle(.raiseHand(user: Self.bob, raised: true), now: Self.start).isEmpty, "raised already")
        #expect(room.hands(seenBy: Self.fac) == [Self.bob, Self.ann, Self.cy])
        #expect(room.hands(seenBy: Self.cohost) == [Self.bob, Self.ann, Self.cy])
        #expect(room.hands(seenBy: Self.ann) == [Self.ann])
        _ = try room.handle(.raiseHand(user: Self.bob, raised: false), now: Self.start)
        #expect(Self.refused(&room, .lowerHand(by: Self.ann, user: Self.cy), at: Self.start) == .forbidden)
        #expect(try room.handle(.lowerHand(by: Self.fac, user: Self.cy), now: Self.start) == [.hand(user: Self.cy, raised: false)])
        #expect(room.hands(seenBy: Self.fac) == [Self.ann])
        _ = try room.handle(.leave(user: Self.ann), now: Self.start)
        #expect(room.hands(seenBy: Self.fac).isEmpty, "leaving takes the hand down")
    }

    @Test("questions queue by upvotes, once per member and not one's own; answered ones go last")
    func questions() throws {
        var room = try Self.gathered()
        #expect(Self.refused(&room, .ask(user: Self.cy, text: "Outside?")) == .forbidden)
        #expect(Self.refused(&room, .ask(user: Self.ann, text: "  ")) == .validationFailed)
        _ = try room.handle(.ask(user: Self.ann, text: "How do we start?"), now: Self.lobbyTime)
        _ = try room.handle(.ask(user: Self.bob, text: "Who leads?"), now: Self.lobbyTime)
        #expect(Self.refused(&room, .upvote(user: Self.bob, question: 2)) == .forbidden, "one's own")
        #expect(try room.handle(.upvote(user: Self.ann, question: 2), now: Self.lobbyTime) == [.upvoted(question: 2, count: 1)])
        #expect(try room.handle(.upvote(user: Self.ann, question: 2), now: Self.lobbyTime).isEmpty, "once")
        #expect(room.questionQueue.map(\.id) == [2, 1])
        #expect(Self.refused(&room, .markAnswered(by: Self.ann, question: 2)) == .forbidden)
        #expect(try room.handle(.markAnswered(by: Self.fac, question: 2), now: Self.lobbyTime) == [.answered(question: 2)])
        #expect(room.questionQueue.map(\.id) == [1, 2])
        #expect(Self.refused(&room, .upvote(user: Self.ann, question: 9)) == .notFound)
    }

    @Test("someone let in once comes back after a dropped connection without knocking, until removed")
    func admittedComeBack() throws {
        var room = try Self.gathered()
        _ = try room.handle(.knock(user: Self.cy, name: "Cy"), now: Self.lobbyTime)
        _ = try room.handle(.admit(by: Self.fac, user: Self.cy), now: Self.lobbyTime)
        _ = try room.handle(.leave(user: Self.cy), now: Self.lobbyTime)
        #expect(try room.handle(.join(user: Self.cy, name: "Cy", role: .participant, answered: false), now: Self.lobbyTime).count == 1)
        _ = try room.handle(.remove(by: Self.fac, user: Self.cy), now: Self.lobbyTime)
        _ = try room.handle(.knock(user: Self.cy, name: "Cy"), now: Self.lobbyTime)
        _ = try room.handle(.deny(by: Self.fac, user: Self.cy), now: Self.lobbyTime)
        #expect(Self.refused(&room, .join(user: Self.cy, name: "Cy", role: .participant, answered: false)) == .forbidden)
    }

    @Test("a facilitator makes a participant co-host, who may then admit and mute; nobody else names co-hosts")
    func cohosts() throws {
        var room = try Self.gathered()
        #expect(Self.refused(&room, .setCohost(by: Self.cohost, user: Self.ann, cohost: true)) == .forbidden)
        #expect(Self.refused(&room, .setCohost(by: Self.fac, user: Self.fac, cohost: false)) == .conflict)
        #expect(try room.handle(.setCohost(by: Self.fac, user: Self.ann, cohost: true), now: Self.lobbyTime) == [.role(user: Self.ann, role: .cohost)])
        #expect(try room.handle(.mute(by: Self.ann, user: Self.bob, muted: true), now: Self.lobbyTime) == [.muted(user: Self.bob, muted: true)])
        #expect(try room.handle(.setCohost(by: Self.fac, user: Self.ann, cohost: false), now: Self.lobbyTime) == [.role(user: Self.ann, role: .participant)])
        #expect(Self.refused(&room, .mute(by: Self.ann, user: Self.bob, muted: true)) == .forbidden)
    }

    @Test("commands survive JSON: replaying the stored log rebuilds the same room")
    func replayFromJSON() throws {
        let log: [(CallRoom.Command, Date)] = [
            (.join(user: Self.fac, name: "Fay", role: .facilitator, answered: false), Self.lobbyTime),
            (.knock(user: Self.cy, name: "Cy"), Self.lobbyTime),
            (.admit(by: Self.fac, user: Self.cy), Self.lobbyTime.addingTimeInterval(5)),
            (.start(by: Self.fac), Self.start),
            (.raiseHand(user: Self.cy, raised: true), Self.start.addingTimeInterval(60)),
            (.ask(user: Self.cy, text: "Where are the slides?"), Self.start.addingTimeInterval(90)),
            (.setCohost(by: Self.fac, user: Self.cy, cohost: true), Self.start.addingTimeInterval(120)),
        ]
        var live = CallRoom(startsAt: Self.start)
        var replayed = CallRoom(startsAt: Self.start)
        for (command, at) in log {
            _ = try live.handle(command, now: at)
            let stored = try JSONEncoder().encode(command)
            _ = try replayed.handle(try JSONDecoder().decode(CallRoom.Command.self, from: stored), now: at)
        }
        #expect(replayed == live)
        #expect(replayed.participants[Self.cy]?.role == .cohost)
        #expect(replayed.hands == [Self.cy])
    }
}

@Suite("Call room history")
struct CallRoomHistoryTests {
    @Test("the log gives each stay from entering to leaving, removal or the end, with the names and the live and end times")
    func stays() {
        let start = CallRoomTests.start
        func at(_ minutes: Double) -> Date { start.addingTimeInterval(minutes * 60) }
        let history = CallRoom.history(
            startsAt: start, lobbyOpens: 900,
            log: [
                (.join(user: 1, name: "Fay", role: .facilitator, answered: false), at(-10)),
                (.join(user: 3, name: "Ann", role: .participant, answered: true), at(-5)),
                (.start(by: 1), at(0)),
                (.leave(user: 3), at(20)),
                (.join(user: 3, name: "Ann", role: .participant, answered: true), at(25)),
                (.join(user: 4, name: "Bob", role: .participant, answered: true), at(30)),
                (.remove(by: 1, user: 4), at(40)),
                (.join(user: 9, name: "Refused", role: .participant, answered: false), at(41)),
                (.end(by: 1), at(55)),
            ])
        #expect(history.liveAt == at(0))
        #expect(history.endedAt == at(55))
        #expect(history.names == [1: "Fay", 3: "Ann", 4: "Bob"])
        #expect(
            history.stays == [
                Attendance.Stay(user: 1, joinedAt: at(-10), leftAt: at(55)), Attendance.Stay(user: 3, joinedAt: at(-5), leftAt: at(20)),
                Attendance.Stay(user: 3, joinedAt: at(25), leftAt: at(55)), Attendance.Stay(user: 4, joinedAt: at(30), leftAt: at(40)),
            ])
    }
}
